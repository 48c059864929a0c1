/* SPDX-License-Identifier: MIT */
/*
 * nx-abi sandbox (DESIGN.md section 3, "No ambient authority"): confines the calling process
 * with what the kernel offers, each mechanism independently:
 *
 *   no_new_privs  PR_SET_NO_NEW_PRIVS: exec can never gain privileges (setuid, file caps)
 *   landlock      a filesystem ruleset: only the listed paths, each with its access
 *   seccomp       a BPF filter (profile below): ptrace, kexec, mount-like, module,
 *                 io_uring, bpf, ... calls and some socket families fail with EPERM;
 *                 execve stays allowed, so it can be applied between fork and exec
 *                 (sanitizer builds keep the ptrace requests LeakSanitizer's stop-the-world
 *                 uses: attach, detach, continue, read registers)
 *   close_range   every fd from keep_fds up is closed
 *   rlimits       RLIMIT_NOFILE, RLIMIT_NPROC and RLIMIT_AS set (soft = hard) to the values
 *                 given
 *   mount_ns      a mount namespace of its own with a private /tmp (a fresh tmpfs); the
 *                 Landlock paths beneath /tmp are bound back in at the same place, so a
 *                 state dir under /tmp stays reachable
 *   caps          the bounding set, then effective, permitted, inheritable and ambient
 *                 cleared except keep_caps (kept ones are raised ambient so they survive the
 *                 exec under a non-zero uid)
 *   uid           supplementary groups cleared, real/effective/saved gid and uid set
 *   namespaces    new user, mount, pid, net, ipc and uts namespaces, each asked for in
 *                 ns_flags and reported on its own (see "Namespaces" below)
 *   cgroup        the process joins a cgroup v2 group (cgroup.h) its parent made, with
 *                 memory.max and pids.max already written: the limits hold before exec
 *
 * rlimits also take RLIMIT_AS (as_bytes). seccomp has four profiles (enum
 * nx_seccomp_profile), built with libseccomp by nx_sandbox_prepare before the fork and only
 * loaded in the child.
 *
 * Namespaces. nx_spawn creates the mount, pid, net, ipc and uts ones with the child
 * (clone3 from the parent, so the program is pid 1 of its pid namespace with no process
 * between it and its parent, whose pidfd then holds the program itself; a double fork
 * would leave the parent holding the middle process). They belong to the caller's user
 * namespace: a root caller's app holds no capability over its own net, uts or mount
 * namespace. The user namespace comes last, after uid: the child unshares it as the app's
 * uid and maps that uid and gid 1:1 (not to root inside: files it creates outside carry
 * its real ids and it never looks privileged to a program that checks getuid), with
 * setgroups denied (its supplementary groups were cleared by uid before). Alone,
 * nx_sandbox_apply unshares mount, net, ipc, uts and user itself, and reports pid
 * UNAVAILABLE (-ECHILD: only a new child can be pid 1). With both a mount and a pid
 * namespace, /proc is mounted afresh: it shows the app's own processes only.
 *
 * Pid 1 of a namespace is special to the kernel: from outside it receives only SIGKILL,
 * SIGSTOP and the signals it has a handler for (a SIGTERM it does not handle is dropped: a
 * supervisor follows it with SIGKILL), a default-action signal it sends itself is ignored
 * (abort() ends in SIGSEGV), a fault still ends it, orphans become its children, and its
 * exit kills everything left in the namespace.
 *
 * Root is needed for rlimits above the hard limit, mount_ns, caps, uid, cgroup and every
 * namespace but user: without it they are reported UNAVAILABLE (-EPERM), as a kernel
 * without the mechanism.
 *
 * nx_sandbox_apply is meant for the child between fork and exec: no allocation, no stdio,
 * no locks; everything it builds lives on the stack. Irreversible for the calling process
 * and all it execs.
 */
#ifndef NX_ABI_SANDBOX_H
#define NX_ABI_SANDBOX_H

#include <stddef.h>
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
	NX_SANDBOX_NAMESPACES,
	NX_SANDBOX_CGROUP,
	NX_SANDBOX_MECH_COUNT,
};

/* The namespaces of the namespaces mechanism, as indexes (report) and flags (ns_flags). */
enum nx_sandbox_ns {
	NX_SANDBOX_NS_USER,
	NX_SANDBOX_NS_MOUNT,
	NX_SANDBOX_NS_PID,
	NX_SANDBOX_NS_NET,
	NX_SANDBOX_NS_IPC,
	NX_SANDBOX_NS_UTS,
	NX_SANDBOX_NS_COUNT,
};

#define NX_NS_USER  (1u << NX_SANDBOX_NS_USER)
#define NX_NS_MOUNT (1u << NX_SANDBOX_NS_MOUNT)
#define NX_NS_PID   (1u << NX_SANDBOX_NS_PID)
#define NX_NS_NET   (1u << NX_SANDBOX_NS_NET) /* only lo, and it down */
#define NX_NS_IPC   (1u << NX_SANDBOX_NS_IPC)
#define NX_NS_UTS   (1u << NX_SANDBOX_NS_UTS)
#define NX_NS_ALL   ((1u << NX_SANDBOX_NS_COUNT) - 1)

/* What the seccomp mechanism denies (EPERM), each a superset of the one before but for
 * sockets. Every profile: a foreign syscall ABI (i386, x32 on x86_64), ptrace (but in
 * sanitizer builds), process_vm_readv/writev, kexec, mount, umount, pivot_root, chroot, the
 * new mount API (fsopen, fsmount, move_mount, ...), swapon/off, reboot, module loading,
 * acct, settimeofday, clock_settime, setns, bpf, perf_event_open, userfaultfd, io_uring,
 * open_by_handle_at. */
enum nx_seccomp_profile {
	/* socket() for AF_INET, AF_INET6, AF_NETLINK, AF_PACKET (services reach the world
	 * through their channels). */
	NX_SECCOMP_SERVICE = 0,
	/* socket() and socketpair() for anything but AF_UNIX, and connect() (an app is handed
	 * its channels; a socket file such as samgr.sock is not its door); also keyctl, add_key,
	 * request_key, unshare, clone with a CLONE_NEW* flag, personality but the query
	 * (0xffffffff), and clone3 fails with ENOSYS (its flags live in memory seccomp cannot
	 * read: libc falls back to clone). */
	NX_SECCOMP_APP,
	/* APP, but AF_INET and AF_INET6 sockets allowed: a profile a manifest may name. */
	NX_SECCOMP_APP_NET,
	/* SERVICE, but AF_INET, AF_INET6 and AF_NETLINK sockets allowed (AF_PACKET stays
	 * denied): a service that talks to the network itself (dsoftbusd: sessions, mDNS,
	 * the host's addresses). */
	NX_SECCOMP_SERVICE_NET,
	NX_SECCOMP_PROFILE_COUNT,
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
	int keep_fds;                     /* close_range: fds below this stay open */
	uint64_t nofile, nproc, as_bytes; /* rlimits: 0 leaves that one as inherited */
	uint64_t keep_caps; /* caps: 1ull << CAP_X for each one kept, the rest dropped */
	uint32_t uid, gid;  /* uid */
	enum nx_seccomp_profile seccomp_profile; /* seccomp (0: the service profile) */
	unsigned ns_flags;                       /* namespaces: NX_NS_* */
	int cgroup_fd; /* cgroup: the group's directory (nx_cgroup_create), borrowed */
};

struct nx_sandbox_report {
	struct {
		enum nx_sandbox_status status;
		int error; /* UNAVAILABLE: the negative errno the kernel gave */
	} mech[NX_SANDBOX_MECH_COUNT];
	int landlock_abi;                        /* the kernel's Landlock ABI version, 0 if none */
	enum nx_seccomp_profile seccomp_profile; /* the profile loaded, when seccomp APPLIED */
	/* Each namespace asked for. The namespaces mechanism is APPLIED when every one of
	 * them is, else UNAVAILABLE with the first error. */
	struct {
		enum nx_sandbox_status status;
		int error;
	} ns[NX_SANDBOX_NS_COUNT];
};

/* Builds what nx_sandbox_apply cannot build between fork and exec, because it allocates:
 * the seccomp program of profile->seccomp_profile (with libseccomp, once per profile for the
 * life of the process, under a lock). Call it before the fork when seccomp is asked for;
 * nx_spawn does. 0, or -ENOMEM, -EINVAL (an unknown profile), or libseccomp's error. */
int nx_sandbox_prepare(const struct nx_sandbox *profile);

/* Applies every mechanism requested in `profile`, in order cgroup, rlimits, namespaces but
 * user, mount_ns, caps (the bounding set), uid, the user namespace, caps (the rest),
 * no_new_privs, close_range, Landlock, seccomp, and describes each in *ret (set also on
 * failure, as far as it got). seccomp needs nx_sandbox_prepare first: without it, -EINVAL.
 * A mechanism the kernel lacks (ENOSYS, EOPNOTSUPP, or EINVAL for seccomp) is reported
 * UNAVAILABLE and the rest still applied: 0. A mechanism that exists but cannot be applied
 * (a path that cannot be opened other than ENOENT, a refused rule) fails closed: its
 * negative errno is returned and the caller must not go on to exec. -EINVAL: bad profile.
 * Paths are borrowed. */
int nx_sandbox_apply(const struct nx_sandbox *profile, struct nx_sandbox_report *ret);

/* "no_new_privs", "landlock", "seccomp", "close_range", "rlimits", "mount_ns", "caps",
 * "uid", "ns", "cgroup"; NULL past the end. */
const char *nx_sandbox_mech_name(enum nx_sandbox_mech m);

/* "user", "mnt", "pid", "net", "ipc", "uts" (as in /proc/PID/ns); NULL past the end. */
const char *nx_sandbox_ns_name(enum nx_sandbox_ns ns);

/* "service", "app", "app_net", "service_net"; NULL past the end. */
const char *nx_seccomp_profile_name(enum nx_seccomp_profile p);

/* The profile named `name` (as nx_seccomp_profile_name, exact): *ret_profile, 0; -EINVAL for
 * a name no profile has (a manifest asking for one this build lacks). */
int nx_seccomp_profile_from_name(const char *name, enum nx_seccomp_profile *ret_profile);

/* The one-line summary of what was applied, as nexus-init's status file and `nx status`,
 * `nx ps` show it: the applied mechanisms joined by ',', "seccomp" followed by ":<profile>"
 * for a profile other than the service one, "ns" followed by ":" and the applied
 * namespaces joined by '+' (e.g. "no_new_privs,landlock,seccomp:app,ns:pid+net+uts"); "-"
 * when nothing was. No spaces. NUL-terminated in buf. Returns the length, or -ENOBUFS when
 * size is too small (NX_SANDBOX_SUMMARY_MAX always suffices; buf then holds a truncated,
 * terminated line). */
int nx_sandbox_report_format(const struct nx_sandbox_report *report, char *buf, size_t size);

/* The capability named `name` ("CAP_NET_ADMIN", case-insensitive, the CAP_ prefix optional):
 * its number (>= 0), or -EINVAL for a name this build does not know. */
int nx_sandbox_cap_from_name(const char *name);

/* "CAP_CHOWN", ... for a capability number; NULL for one this build does not know. */
const char *nx_sandbox_cap_name(int cap);

#ifdef __cplusplus
}
#endif

#endif
