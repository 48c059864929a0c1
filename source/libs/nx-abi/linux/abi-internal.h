/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the Linux backend of nx-abi. */
#ifndef NX_ABI_LINUX_INTERNAL_H
#define NX_ABI_LINUX_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nx-abi/sandbox.h"
#include "nx-util/macro.h" /* assert_return */

/* libc's -1/errno converted once, at the call (STYLE.md 6). errno is never 0 after a failed
 * call, but a wrong 0 here would read as success, so fall back to EIO. */
static inline int nx_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* v in decimal into buf, unterminated; returns the digits written (at most 10). No stdio:
 * safe between fork and exec. */
static inline size_t nx_u32_to_text(uint32_t v, char *buf)
{
	char digits[10];
	size_t n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	return n;
}

/* Marks mechanism m APPLIED (error 0) or UNAVAILABLE (error < 0) in *ret (sandbox-report.c). */
void nx_sandbox_report_set(struct nx_sandbox_report *ret, enum nx_sandbox_mech m, int error);

/* Whether nx_sandbox_prepare built `profile`'s program (seccomp.c). */
bool nx_seccomp_prepared(enum nx_seccomp_profile profile);

/* Namespaces (sandbox-ns.c), all safe between fork and exec. */

/* The clone flags of the namespaces in ns_flags nx_spawn creates with the child: all but
 * the user one. */
unsigned long nx_ns_clone_flags(unsigned ns_flags);

/* Whether an unshare or clone error means "not here" (no such namespace in this kernel, not
 * allowed, a namespace count limit of 0) rather than a failure. */
bool nx_ns_error_unavailable(int error);

/* The namespaces in `wanted` but user: those in `cloned` are noted APPLIED, those in
 * `refused` UNAVAILABLE with refused_error, the rest unshared here one by one (pid cannot
 * be: UNAVAILABLE, -ECHILD). A new mount namespace is made private throughout, and gets a
 * fresh /proc when the pid namespace is new too. 0, or the negative errno of a step that
 * failed after a namespace was made. */
int nx_ns_enter(unsigned wanted, unsigned cloned, unsigned refused, int refused_error,
        struct nx_sandbox_report *ret);

/* A user namespace of its own, mapping the caller's uid and gid 1:1, setgroups denied.
 * Noted in ret->ns; 0 also when unavailable; < 0 a failure after the unshare. */
int nx_ns_user_enter(struct nx_sandbox_report *ret);

/* The namespaces mechanism's own status from each wanted namespace's. */
void nx_ns_conclude(unsigned wanted, struct nx_sandbox_report *ret);

/* Loads the program nx_sandbox_prepare built for `profile` (seccomp.c); -EINVAL when it was
 * not prepared. Safe between fork and exec. */
int nx_seccomp_load(enum nx_seccomp_profile profile);

/* nx_sandbox_apply in a child nx_spawn created with the namespaces in `cloned` (NX_NS_*)
 * already its own; those in `refused` were asked of the clone and refused with
 * `refused_error`: reported UNAVAILABLE, not tried again. */
int nx_sandbox_apply_cloned(const struct nx_sandbox *profile, unsigned cloned, unsigned refused,
        int refused_error, struct nx_sandbox_report *ret);

#endif
