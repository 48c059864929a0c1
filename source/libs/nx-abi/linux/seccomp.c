/* SPDX-License-Identifier: MIT */
/*
 * nx-abi sandbox, the seccomp profiles (sandbox.h, enum nx_seccomp_profile), built with
 * libseccomp in the parent and loaded as raw BPF in the child.
 *
 * libseccomp allocates, so it cannot run between fork and exec: nx_sandbox_prepare builds
 * a profile's program once (libseccomp 2.5 exports only to an fd: a memfd, read back) and
 * keeps it for the life of the process; the child finds it in its copy of memory and loads
 * it with prctl, which neither allocates nor locks.
 *
 * Arguments are compared as 64-bit values: libseccomp tests the upper half too, so a
 * socket family with garbage above bit 31 (which the kernel truncates to an int) would slip
 * past an equality test. Every argument rule therefore also denies values above 32 bits.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/sandbox.h"

/* LeakSanitizer stops the world with ptrace at exit: sanitizer builds keep ptrace. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_KEEP_PTRACE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_KEEP_PTRACE 1
#endif
#endif

#define DENY          SCMP_ACT_ERRNO(EPERM)
#define U32_MAX_VALUE 0xffffffffull

/* Calls no confined program needs: debugging others, replacing the kernel, changing the
 * filesystem tree or the machine, and the ways around a socket() check (io_uring). */
static const char *const denied_always[] = {
        "process_vm_readv",
        "process_vm_writev",
        "kexec_load",
        "kexec_file_load",
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "swapon",
        "swapoff",
        "reboot",
        "init_module",
        "finit_module",
        "delete_module",
        "acct",
        "settimeofday",
        "clock_settime",
        "setns",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "open_by_handle_at",
};

/* An app neither holds keys in the kernel's keyrings nor builds namespaces of its own. */
static const char *const denied_apps[] = {"keyctl", "add_key", "request_key", "unshare"};

static const uint64_t clone_new_flags[] = {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
        CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET};

/* Socket families each profile denies (service) or allows (apps), ascending. */
static const uint64_t service_denied_families[] = {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET};
static const uint64_t service_net_denied_families[] = {AF_PACKET};
static const uint64_t app_families[] = {AF_UNIX};
static const uint64_t app_net_families[] = {AF_UNIX, AF_INET, AF_INET6};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *nx_seccomp_profile_name(enum nx_seccomp_profile p)
{
	static const char *const names[NX_SECCOMP_PROFILE_COUNT] = {
	        [NX_SECCOMP_SERVICE] = "service",
	        [NX_SECCOMP_APP] = "app",
	        [NX_SECCOMP_APP_NET] = "app_net",
	        [NX_SECCOMP_SERVICE_NET] = "service_net",
	};

	return (unsigned)p < NX_SECCOMP_PROFILE_COUNT ? names[p] : NULL;
}

int nx_seccomp_profile_from_name(const char *name, enum nx_seccomp_profile *ret_profile)
{
	assert_return(name && ret_profile, -EINVAL);
	for (int p = 0; p < NX_SECCOMP_PROFILE_COUNT; p++)
		if (strcmp(name, nx_seccomp_profile_name(p)) == 0) {
			*ret_profile = p;
			return 0;
		}
	return -EINVAL;
}

/* A comparison of the first argument (libseccomp's SCMP_A0_64 leaves datum_b to the
 * compiler's zeroing, which -Wmissing-field-initializers flags). For SCMP_CMP_MASKED_EQ a
 * is the mask and b the value. */
static struct scmp_arg_cmp arg0(enum scmp_compare op, uint64_t a, uint64_t b)
{
	return (struct scmp_arg_cmp){.arg = 0, .op = op, .datum_a = a, .datum_b = b};
}

/* A call this libseccomp does not know for the native architecture resolves to a negative
 * pseudo number; rules on those are skipped (the kernel cannot be asked for them either). */
static int deny_calls(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]), r;

		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, DENY, nr, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Denies call `nr` when its first argument lies in [lo, hi]: one masked comparison per
 * aligned power-of-two block the range splits into (about two per bit of its width), as
 * libseccomp takes one comparison per argument and rule. */
static int deny_arg0_range(scmp_filter_ctx ctx, int nr, uint64_t lo, uint64_t hi)
{
	int r = 0;

	while (r == 0 && lo <= hi) {
		unsigned bits = 0;

		while (bits < 63 && (lo & ((2ull << bits) - 1)) == 0 &&
		        lo + ((2ull << bits) - 1) <= hi && lo + ((2ull << bits) - 1) >= lo)
			bits++;
		r = seccomp_rule_add(
		        ctx, DENY, nr, 1, arg0(SCMP_CMP_MASKED_EQ, ~((1ull << bits) - 1), lo));
		if (lo + ((1ull << bits) - 1) == UINT64_MAX)
			break;
		lo += 1ull << bits;
	}
	return r;
}

/* Denies call `nr` when its first argument is outside `allowed` (ascending): below the
 * first, in a gap, above the last (which includes anything past 32 bits). */
static int deny_arg0_except(scmp_filter_ctx ctx, int nr, const uint64_t *allowed, size_t n)
{
	int r = 0;

	if (allowed[0] > 0)
		r = seccomp_rule_add(ctx, DENY, nr, 1, arg0(SCMP_CMP_LT, allowed[0], 0));
	for (size_t i = 1; r == 0 && i < n; i++)
		if (allowed[i] > allowed[i - 1] + 1)
			r = deny_arg0_range(ctx, nr, allowed[i - 1] + 1, allowed[i] - 1);
	if (r == 0)
		r = seccomp_rule_add(ctx, DENY, nr, 1, arg0(SCMP_CMP_GT, allowed[n - 1], 0));
	return r;
}

/* Denies call `nr` when its first argument is one of `denied`, or past 32 bits. */
static int deny_arg0(scmp_filter_ctx ctx, int nr, const uint64_t *denied, size_t n)
{
	int r = seccomp_rule_add(ctx, DENY, nr, 1, arg0(SCMP_CMP_GT, U32_MAX_VALUE, 0));

	for (size_t i = 0; r == 0 && i < n; i++)
		r = seccomp_rule_add(ctx, DENY, nr, 1, arg0(SCMP_CMP_EQ, denied[i], 0));
	return r;
}

/* ptrace is denied outright, but in sanitizer builds: LeakSanitizer's tracer thread stops
 * the others with the requests below (attach, read their registers, continue past other
 * signals, detach), so those stay; reading or writing another process's memory, writing
 * its registers, PTRACE_TRACEME and PTRACE_SEIZE do not. */
static int rules_ptrace(scmp_filter_ctx ctx)
{
#ifdef SANDBOX_KEEP_PTRACE
	static const uint64_t lsan_requests[] = {PTRACE_CONT,
#ifdef __x86_64__
	        PTRACE_GETREGS, PTRACE_GETFPREGS,
#endif
	        PTRACE_ATTACH, PTRACE_DETACH, PTRACE_GETREGSET};

	return deny_arg0_except(ctx, SCMP_SYS(ptrace), lsan_requests, COUNT(lsan_requests));
#else
	return seccomp_rule_add(ctx, DENY, SCMP_SYS(ptrace), 0);
#endif
}

static int rules_sockets(scmp_filter_ctx ctx, enum nx_seccomp_profile profile)
{
	const uint64_t *allowed = profile == NX_SECCOMP_APP_NET ? app_net_families : app_families;
	size_t n = profile == NX_SECCOMP_APP_NET ? COUNT(app_net_families) : COUNT(app_families);
	int r;

	if (profile == NX_SECCOMP_SERVICE)
		return deny_arg0(ctx, SCMP_SYS(socket), service_denied_families,
		        COUNT(service_denied_families));
	if (profile == NX_SECCOMP_SERVICE_NET)
		return deny_arg0(ctx, SCMP_SYS(socket), service_net_denied_families,
		        COUNT(service_net_denied_families));
	r = deny_arg0_except(ctx, SCMP_SYS(socket), allowed, n);
	if (r == 0)
		r = deny_arg0_except(ctx, SCMP_SYS(socketpair), allowed, n);
	/* An app's channels are handed to it (fd 3, then samgrd's Endpoints): connecting to a
	 * socket file would let it in again through a door meant for others, such as samgr.sock
	 * under its uid (uid:<n>, with what policy gives local users). Landlock does not cover
	 * connect(); APP_NET needs it for its network sockets. */
	if (r == 0 && profile == NX_SECCOMP_APP)
		r = seccomp_rule_add(ctx, DENY, SCMP_SYS(connect), 0);
	return r;
}

/* clone's flags are its first argument on every architecture this builds for; clone3's
 * live in memory seccomp cannot read, so it is refused as if the kernel lacked it and libc
 * falls back to clone. personality: only the query (0xffffffff), never a change (e.g. to
 * READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE). */
static int rules_app(scmp_filter_ctx ctx)
{
	int r = deny_calls(ctx, denied_apps, COUNT(denied_apps));

	for (size_t i = 0; r == 0 && i < COUNT(clone_new_flags); i++)
		r = seccomp_rule_add(ctx, DENY, SCMP_SYS(clone), 1,
		        arg0(SCMP_CMP_MASKED_EQ, clone_new_flags[i], clone_new_flags[i]));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r == 0)
		r = seccomp_rule_add(
		        ctx, DENY, SCMP_SYS(personality), 1, arg0(SCMP_CMP_NE, U32_MAX_VALUE, 0));
	return r;
}

/* The program of `profile` into a fresh buffer: *ret_insns (malloc'ed), *ret_len. */
static int program_build(
        enum nx_seccomp_profile profile, struct sock_filter **ret_insns, unsigned short *ret_len)
{
	struct sock_filter *insns = NULL;
	scmp_filter_ctx ctx;
	struct stat st;
	int fd = -1, r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* A foreign syscall ABI (i386, and x32 on x86_64) would bypass the numbers. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, DENY);
	if (r == 0)
		r = deny_calls(ctx, denied_always, COUNT(denied_always));
	if (r == 0)
		r = rules_ptrace(ctx);
	if (r == 0)
		r = rules_sockets(ctx, profile);
	if (r == 0 && (profile == NX_SECCOMP_APP || profile == NX_SECCOMP_APP_NET))
		r = rules_app(ctx);
	if (r < 0)
		goto fail;
	fd = memfd_create("nx-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		goto fail;
	if (fstat(fd, &st) < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(*insns) != 0 ||
	        st.st_size / (off_t)sizeof(*insns) > BPF_MAXINSNS) {
		r = -EOVERFLOW;
		goto fail;
	}
	insns = malloc((size_t)st.st_size);
	if (!insns) {
		r = -ENOMEM;
		goto fail;
	}
	if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
		r = -EIO;
		goto fail;
	}
	close(fd);
	seccomp_release(ctx);
	*ret_insns = insns;
	*ret_len = (unsigned short)(st.st_size / (off_t)sizeof(*insns));
	return 0;
fail:
	free(insns);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return r;
}

/* Built programs, one per profile, kept for the life of the process. */
static struct {
	struct sock_filter *insns;
	unsigned short len;
} programs[NX_SECCOMP_PROFILE_COUNT];
static pthread_mutex_t programs_lock = PTHREAD_MUTEX_INITIALIZER;

int nx_sandbox_prepare(const struct nx_sandbox *profile)
{
	enum nx_seccomp_profile p;
	int r = 0;

	assert_return(profile, -EINVAL);
	if (!(profile->mechs & (1u << NX_SANDBOX_SECCOMP)))
		return 0;
	p = profile->seccomp_profile;
	assert_return((unsigned)p < NX_SECCOMP_PROFILE_COUNT, -EINVAL);
	pthread_mutex_lock(&programs_lock);
	if (!programs[p].insns)
		r = program_build(p, &programs[p].insns, &programs[p].len);
	pthread_mutex_unlock(&programs_lock);
	return r;
}

bool nx_seccomp_prepared(enum nx_seccomp_profile profile)
{
	return (unsigned)profile < NX_SECCOMP_PROFILE_COUNT && programs[profile].insns;
}

int nx_seccomp_load(enum nx_seccomp_profile profile)
{
	struct sock_fprog prog;

	/* Not prepared before the fork: building it here could deadlock in malloc. */
	assert_return(nx_seccomp_prepared(profile), -EINVAL);
	prog.len = programs[profile].len;
	prog.filter = programs[profile].insns;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return nx_neg_errno();
	return 0;
}
