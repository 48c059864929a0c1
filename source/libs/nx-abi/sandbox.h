/* SPDX-License-Identifier: MIT */
/*
 * nx-abi sandbox (DESIGN.md section 3, "No ambient authority"): confines the calling process
 * with what the kernel offers, each mechanism independently:
 *
 *   no_new_privs  PR_SET_NO_NEW_PRIVS: exec can never gain privileges (setuid, file caps)
 *   landlock      a filesystem ruleset: only the listed paths, each with its access
 *   seccomp       a BPF filter: socket() for AF_INET, AF_INET6, AF_NETLINK, AF_PACKET and
 *                 ptrace, kexec, mount-like, module, io_uring, bpf, ... calls fail with EPERM
 *                 (with allow_net, AF_INET, AF_INET6 and AF_NETLINK sockets are allowed);
 *                 execve stays allowed, so it can be applied between fork and exec
 *                 (sanitizer builds keep ptrace: LeakSanitizer stops the world with it)
 *   close_range   every fd from keep_fds up is closed
 *   rlimits       RLIMIT_NOFILE and RLIMIT_NPROC set (soft = hard) to the values given
 *   mount_ns      a mount namespace of its own with a private /tmp (a fresh tmpfs); the
 *                 Landlock paths beneath /tmp are bound back in at the same place, so a
 *                 state dir under /tmp stays reachable
 *   caps          the bounding set, then effective, permitted, inheritable and ambient
 *                 cleared except keep_caps (kept ones are raised ambient so they survive the
 *                 exec under a non-zero uid)
 *   uid           supplementary groups cleared, real/effective/saved gid and uid set
 *
 * Root is needed for rlimits above the hard limit, mount_ns, caps and uid: without it they
 * are reported UNAVAILABLE (-EPERM), as a kernel without the mechanism.
 *
 * Meant for the child between fork and exec: no allocation, no stdio, no locks; everything
 * it builds lives on the stack. Irreversible for the calling process and all it execs.
 */
#ifndef NX_ABI_SANDBOX_H
#define NX_ABI_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "nexus/limits.h" /* NX_SANDBOX_MAX_PATHS */

#ifdef __cplusplus
extern "C" {
#endif

enum nx_sandbox_mech {
	NX_SANDBOX_NO_NEW_PRIVS,
	NX_SANDBOX_LANDLOCK,
	NX_SANDBOX_SECCOMP,
	NX_SANDBOX_CLOSE_RANGE,
	NX_SANDBOX_RLIMITS,
	NX_SANDBOX_MOUNT_NS,
	NX_SANDBOX_CAPS,
	NX_SANDBOX_IDENTITY,
	NX_SANDBOX_MECH_COUNT,
};

enum nx_sandbox_status {
	NX_SANDBOX_NOT_REQUESTED = 0,
	NX_SANDBOX_APPLIED,
	NX_SANDBOX_UNAVAILABLE, /* the kernel lacks it: error says why */
};

/* Access granted beneath a path (or to a file). */
#define NX_SANDBOX_READ  (1u << 0) /* read files, list directories */
#define NX_SANDBOX_EXEC  (1u << 1) /* execute (and read) files: binaries, the loader, libs */
#define NX_SANDBOX_WRITE (1u << 2) /* everything else: create, write, remove, sockets */

struct nx_sandbox_path {
	const char *path; /* a directory (rights beneath it) or a file; missing ones are skipped */
	unsigned access;  /* NX_SANDBOX_READ | EXEC | WRITE */
};

struct nx_sandbox {
	unsigned mechs; /* 1u << enum nx_sandbox_mech, each requested one */
	struct nx_sandbox_path paths[NX_SANDBOX_MAX_PATHS]; /* Landlock rules */
	unsigned npaths;
	int keep_fds;           /* close_range: fds below this stay open */
	uint64_t nofile, nproc; /* rlimits: 0 leaves that one as inherited */
	uint64_t keep_caps;     /* caps: 1ull << CAP_X for each one kept, the rest dropped */
	bool allow_net;         /* seccomp: IP and netlink sockets allowed (dsoftbusd) */
	uint32_t uid, gid;      /* uid */
};

struct nx_sandbox_report {
	struct {
		enum nx_sandbox_status status;
		int error; /* UNAVAILABLE: the negative errno the kernel gave */
	} mech[NX_SANDBOX_MECH_COUNT];
	int landlock_abi; /* the kernel's Landlock ABI version, 0 if none */
};

/* Applies every mechanism requested in `profile`, in order rlimits, mount_ns, caps (the
 * bounding set), uid, caps (the rest), no_new_privs, close_range, Landlock, seccomp, and describes each in *ret (set also on failure, as far as it got).
 * A mechanism the kernel lacks (ENOSYS, EOPNOTSUPP, or EINVAL for seccomp) is reported
 * UNAVAILABLE and the rest still applied: 0. A mechanism that exists but cannot be applied
 * (a path that cannot be opened other than ENOENT, a refused rule) fails closed: its
 * negative errno is returned and the caller must not go on to exec. -EINVAL: bad profile.
 * Paths are borrowed. */
int nx_sandbox_apply(const struct nx_sandbox *profile, struct nx_sandbox_report *ret);

/* "no_new_privs", "landlock", "seccomp", "close_range", "rlimits", "mount_ns", "caps",
 * "uid"; NULL past the end. */
const char *nx_sandbox_mech_name(enum nx_sandbox_mech m);

/* The capability named `name` ("CAP_NET_ADMIN", case-insensitive, the CAP_ prefix optional):
 * its number (>= 0), or -EINVAL for a name this build does not know. */
int nx_sandbox_cap_from_name(const char *name);

/* "CAP_CHOWN", ... for a capability number; NULL for one this build does not know. */
const char *nx_sandbox_cap_name(int cap);

#ifdef __cplusplus
}
#endif

#endif
