/* SPDX-License-Identifier: MIT */
/* nx-abi sandbox, Linux: prctl, Landlock, seccomp-BPF, close_range, setrlimit, a mount
 * namespace, capset and setresuid (see sandbox.h). */
#include "nx-abi/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "abi-internal.h"

/* Older uapi headers stop at ABI 2; the bits are stable. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef AF_PACKET
#define AF_PACKET 17
#endif

#define LL_FS_V1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1) /* bits 0..12 */
#define LL_FILE_RIGHTS                                                       \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |        \
	        LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
	        LANDLOCK_ACCESS_FS_IOCTL_DEV)

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define SECCOMP_ARCH AUDIT_ARCH_RISCV64
#endif

/* LeakSanitizer stops the world with ptrace at exit: sanitizer builds keep ptrace. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_KEEP_PTRACE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_KEEP_PTRACE 1
#endif
#endif

const char *nx_sandbox_mech_name(enum nx_sandbox_mech m)
{
	static const char *const names[NX_SANDBOX_MECH_COUNT] = {
	        [NX_SANDBOX_NO_NEW_PRIVS] = "no_new_privs",
	        [NX_SANDBOX_LANDLOCK] = "landlock",
	        [NX_SANDBOX_SECCOMP] = "seccomp",
	        [NX_SANDBOX_CLOSE_RANGE] = "close_range",
	        [NX_SANDBOX_RLIMITS] = "rlimits",
	        [NX_SANDBOX_MOUNT_NS] = "mount_ns",
	        [NX_SANDBOX_CAPS] = "caps",
	        [NX_SANDBOX_IDENTITY] = "uid",
	};

	return (unsigned)m < NX_SANDBOX_MECH_COUNT ? names[m] : NULL;
}

static void set(struct nx_sandbox_report *ret, enum nx_sandbox_mech m, int error)
{
	ret->mech[m].status = error < 0 ? NX_SANDBOX_UNAVAILABLE : NX_SANDBOX_APPLIED;
	ret->mech[m].error = error < 0 ? error : 0;
}

/* ---- Capabilities ---- */

static const char *const cap_names[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

#define CAP_COUNT ((int)(sizeof(cap_names) / sizeof(cap_names[0])))
/* The kernel may know more than this build; the bounding set is cleared up to here. */
#define CAP_PROBE_MAX 64

const char *nx_sandbox_cap_name(int cap)
{
	return cap >= 0 && cap < CAP_COUNT ? cap_names[cap] : NULL;
}

int nx_sandbox_cap_from_name(const char *name)
{
	assert_return(name, -EINVAL);
	for (int i = 0; i < CAP_COUNT; i++)
		if (strcasecmp(name, cap_names[i]) == 0 || strcasecmp(name, cap_names[i] + 4) == 0)
			return i;
	return -EINVAL;
}

/* Every capability outside keep leaves the bounding set: needs CAP_SETPCAP, so it runs
 * before the uid changes. EINVAL past the kernel's last capability. */
static int caps_drop_bounding(uint64_t keep)
{
	for (int cap = 0; cap < CAP_PROBE_MAX; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return nx_neg_errno();
		}
	}
	return 0;
}

/* Effective, permitted and inheritable become exactly keep; the ambient set too, so a kept
 * capability survives an exec under a non-zero uid. */
static int caps_set(uint64_t keep)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(keep >> (32 * i));
		data[i].permitted = data[i].effective;
		data[i].inheritable = data[i].effective;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return nx_neg_errno();
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return nx_neg_errno();
	for (int cap = 0; cap < CAP_PROBE_MAX; cap++)
		if ((keep & (1ull << cap)) &&
		        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return nx_neg_errno();
	return 0;
}

/* keep_caps: the capabilities must outlive the uid change to be set afterwards. */
static int identity_set(uint32_t uid, uint32_t gid, bool keep_caps)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0)
		return nx_neg_errno();
	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return nx_neg_errno();
	if (setresuid(uid, uid, uid) < 0)
		return nx_neg_errno();
	return 0;
}

/* ---- Resource limits ---- */

static int rlimits_set(const struct nx_sandbox *profile)
{
	struct rlimit nofile = {profile->nofile, profile->nofile};
	struct rlimit nproc = {profile->nproc, profile->nproc};

	if (profile->nofile && setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return nx_neg_errno();
	if (profile->nproc && setrlimit(RLIMIT_NPROC, &nproc) < 0)
		return nx_neg_errno();
	return 0;
}

/* ---- Mount namespace ---- */

#define TMP_DIR "/tmp"

static bool beneath_tmp(const char *path)
{
	return strncmp(path, TMP_DIR "/", sizeof(TMP_DIR)) == 0;
}

/* "/proc/self/fd/<fd>" into buf (no stdio between fork and exec). */
static void fd_path(int fd, char buf[32])
{
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	memcpy(buf, prefix, sizeof(prefix) - 1);
	for (int i = 0; i < n; i++)
		buf[sizeof(prefix) - 1 + i] = digits[n - 1 - i];
	buf[sizeof(prefix) - 1 + n] = '\0';
}

/* Creates `path` in the fresh /tmp, and its parents, as a mount point for the original
 * (a directory or a file, as `is_dir`). */
static int mount_point_make(const char *path, bool is_dir)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return nx_neg_errno();
		*p = '/';
	}
	if (is_dir)
		return mkdir(buf, 0700) < 0 && errno != EEXIST ? nx_neg_errno() : 0;
	fd = open(buf, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return nx_neg_errno();
	close(fd);
	return 0;
}

/* A fresh tmpfs on /tmp in a mount namespace of our own; the profile's paths beneath /tmp,
 * held open across the mount, are bound back at the same place. 1 applied, 0 unavailable
 * (*ret_error set: no namespaces, or not allowed to), < 0 failed. */
static int mount_ns_apply(const struct nx_sandbox *profile, int *ret_error)
{
	int held[NX_SANDBOX_MAX_PATHS], r = 0;
	bool is_dir[NX_SANDBOX_MAX_PATHS] = {false};
	char src[32];
	struct stat st;

	if (unshare(CLONE_NEWNS) < 0) {
		*ret_error = nx_neg_errno();
		return *ret_error == -EPERM || *ret_error == -EINVAL || *ret_error == -ENOSYS
		               ? 0
		               : *ret_error;
	}
	/* Nothing mounted here may reach back into init's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return nx_neg_errno();
	for (unsigned i = 0; i < profile->npaths; i++) {
		held[i] = -1;
		if (!beneath_tmp(profile->paths[i].path))
			continue;
		held[i] = open(profile->paths[i].path, O_PATH | O_CLOEXEC);
		if (held[i] < 0 && errno != ENOENT)
			r = nx_neg_errno();
		else if (held[i] >= 0 && fstat(held[i], &st) < 0)
			r = nx_neg_errno();
		else if (held[i] >= 0)
			is_dir[i] = S_ISDIR(st.st_mode);
	}
	if (r == 0 && mount("tmpfs", TMP_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		r = nx_neg_errno();
	for (unsigned i = 0; i < profile->npaths; i++) {
		if (held[i] < 0)
			continue;
		if (r == 0)
			r = mount_point_make(profile->paths[i].path, is_dir[i]);
		fd_path(held[i], src);
		if (r == 0 && mount(src, profile->paths[i].path, NULL, MS_BIND | MS_REC, NULL) < 0)
			r = nx_neg_errno();
		close(held[i]);
	}
	return r < 0 ? r : 1;
}

/* ---- Landlock ---- */

static uint64_t landlock_rights(unsigned access, uint64_t handled)
{
	uint64_t r = 0;

	if (access & NX_SANDBOX_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (access & NX_SANDBOX_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
		     LANDLOCK_ACCESS_FS_READ_DIR;
	if (access & NX_SANDBOX_WRITE)
		r |= handled;
	return r & handled;
}

static int landlock_add(int ruleset, const struct nx_sandbox_path *p, uint64_t handled)
{
	struct landlock_path_beneath_attr attr = {0};
	struct stat st;
	int fd, r = 0;

	fd = open(p->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : nx_neg_errno(); /* e.g. no /lib64 here */
	attr.parent_fd = fd;
	attr.allowed_access = landlock_rights(p->access, handled);
	if (fstat(fd, &st) < 0)
		r = nx_neg_errno();
	else if (!S_ISDIR(st.st_mode))
		attr.allowed_access &= LL_FILE_RIGHTS; /* the kernel refuses dir rights on files */
	if (r == 0 && attr.allowed_access &&
	        syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) < 0)
		r = nx_neg_errno();
	close(fd);
	return r;
}

/* 1 applied, 0 unavailable (*ret_abi 0, *ret_error set), < 0 failed. */
static int landlock_apply(const struct nx_sandbox *profile, int *ret_abi, int *ret_error)
{
	struct landlock_ruleset_attr attr = {0};
	long abi;
	int ruleset, r = 0;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		*ret_abi = 0;
		*ret_error = nx_neg_errno(); /* ENOSYS: not built; EOPNOTSUPP: disabled */
		return 0;
	}
	*ret_abi = (int)abi;
	attr.handled_access_fs = LL_FS_V1;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return nx_neg_errno();
	for (unsigned i = 0; r == 0 && i < profile->npaths; i++)
		r = landlock_add(ruleset, &profile->paths[i], attr.handled_access_fs);
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		r = nx_neg_errno();
	close(ruleset);
	return r < 0 ? r : 1;
}

/* ---- seccomp ---- */

#ifdef SECCOMP_ARCH
#define DENY_MAX 64u

/* Calls a service never needs: debugging others, replacing the kernel, changing the
 * filesystem tree or the machine, and the ways around a socket() check (io_uring). */
static const int denied_calls[] = {
#ifndef SANDBOX_KEEP_PTRACE
        __NR_ptrace,
#endif
        __NR_process_vm_readv,
        __NR_process_vm_writev,
        __NR_kexec_load,
#ifdef __NR_kexec_file_load
        __NR_kexec_file_load,
#endif
        __NR_mount,
        __NR_umount2,
        __NR_pivot_root,
        __NR_chroot,
#ifdef __NR_move_mount
        __NR_move_mount,
        __NR_open_tree,
        __NR_fsopen,
        __NR_fsconfig,
        __NR_fsmount,
        __NR_fspick,
#endif
#ifdef __NR_mount_setattr
        __NR_mount_setattr,
#endif
        __NR_swapon,
        __NR_swapoff,
        __NR_reboot,
        __NR_init_module,
        __NR_finit_module,
        __NR_delete_module,
        __NR_acct,
        __NR_settimeofday,
        __NR_clock_settime,
        __NR_setns,
        __NR_bpf,
        __NR_perf_event_open,
        __NR_userfaultfd,
        __NR_io_uring_setup,
        __NR_io_uring_enter,
        __NR_io_uring_register,
#ifdef __NR_open_by_handle_at
        __NR_open_by_handle_at,
#endif
};

static const int denied_families[] = {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET};
/* What allow_net leaves denied: raw link-layer sockets. */
static const int denied_families_net[] = {AF_PACKET};

#define FILTER_MAX (8u + 2u * (sizeof(denied_calls) / sizeof(denied_calls[0])) + 8u)

static int seccomp_apply(bool allow_net)
{
	struct sock_filter f[FILTER_MAX + sizeof(denied_families) / sizeof(int) + 4];
	const int *families = allow_net ? denied_families_net : denied_families;
	size_t nfamilies = allow_net ? sizeof(denied_families_net) / sizeof(int)
	                             : sizeof(denied_families) / sizeof(int);
	/* Jump offsets are 8-bit: the whole program must stay below 256 instructions. */
	_Static_assert(sizeof(f) / sizeof(f[0]) < 256, "seccomp program too long for 8-bit jumps");
	unsigned n = 0, to_deny[FILTER_MAX], ndeny = 0, to_socket;
	struct sock_fprog prog;

#define EMIT(...) (f[n++] = (struct sock_filter)__VA_ARGS__)
	/* A foreign syscall ABI (i386 on x86_64) would bypass the numbers below: deny it all. */
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	to_deny[ndeny++] = n;
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 0, 0)); /* patched: jf=deny */
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	to_deny[ndeny++] = n; /* x32 numbers */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 0));
#endif
	to_socket = n;
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 0));
	for (size_t i = 0; i < sizeof(denied_calls) / sizeof(denied_calls[0]); i++) {
		to_deny[ndeny++] = n;
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied_calls[i], 0, 0));
	}
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* socket(domain, ...): the domain is an int, the low half of args[0]. */
	f[to_socket].jt = (unsigned char)(n - to_socket - 1);
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
	for (size_t i = 0; i < nfamilies; i++) {
		to_deny[ndeny++] = n;
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)families[i], 0, 0));
	}
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	for (unsigned i = 0; i < ndeny; i++) {
		struct sock_filter *j = &f[to_deny[i]];
		unsigned char off = (unsigned char)(n - to_deny[i] - 1);

		if (i == 0)
			j->jf = off; /* the arch check jumps to deny when it does NOT match */
		else
			j->jt = off;
	}
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)));
#undef EMIT
	assert_return(n <= sizeof(f) / sizeof(f[0]), -EOVERFLOW);
	prog.len = (unsigned short)n;
	prog.filter = f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return nx_neg_errno();
	return 0;
}
#else
static int seccomp_apply(bool allow_net)
{
	return -EOPNOTSUPP; /* no audit arch known for this build */
}
#endif

/* The bounding set while still privileged, then the uid, then the rest of the sets: a uid
 * change from 0 clears permitted and effective by itself, but not inheritable or ambient.
 * -EPERM at the first step means we were never privileged: reported UNAVAILABLE. */
static int privileges_drop(const struct nx_sandbox *profile, struct nx_sandbox_report *ret)
{
	bool caps = profile->mechs & (1u << NX_SANDBOX_CAPS);
	bool identity = profile->mechs & (1u << NX_SANDBOX_IDENTITY);
	uint64_t keep = caps ? profile->keep_caps : ~0ull;
	int r;

	if (caps) {
		r = caps_drop_bounding(keep);
		if (r < 0 && r != -EPERM)
			return r;
		set(ret, NX_SANDBOX_CAPS, r);
		caps = r == 0;
	}
	if (identity) {
		r = identity_set(profile->uid, profile->gid, keep != 0);
		if (r < 0 && r != -EPERM)
			return r;
		set(ret, NX_SANDBOX_IDENTITY, r);
	}
	if (caps) {
		r = caps_set(keep);
		if (r < 0)
			return r;
	}
	return 0;
}

int nx_sandbox_apply(const struct nx_sandbox *profile, struct nx_sandbox_report *ret)
{
	int r, abi = 0, error = 0;

	assert_return(profile && ret, -EINVAL);
	assert_return(profile->npaths <= NX_SANDBOX_MAX_PATHS, -EINVAL);
	memset(ret, 0, sizeof(*ret));
	if (profile->mechs & (1u << NX_SANDBOX_RLIMITS)) {
		r = rlimits_set(profile);
		if (r < 0 && r != -EPERM)
			return r;
		set(ret, NX_SANDBOX_RLIMITS, r);
	}
	if (profile->mechs & (1u << NX_SANDBOX_MOUNT_NS)) {
		r = mount_ns_apply(profile, &error);
		if (r < 0)
			return r;
		set(ret, NX_SANDBOX_MOUNT_NS, r ? 0 : error);
	}
	r = privileges_drop(profile, ret);
	if (r < 0)
		return r;
	/* Required by seccomp for an unprivileged caller, and the point of the exercise. */
	if (profile->mechs & ((1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_SECCOMP) |
	                             (1u << NX_SANDBOX_LANDLOCK))) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return nx_neg_errno();
		if (profile->mechs & (1u << NX_SANDBOX_NO_NEW_PRIVS))
			set(ret, NX_SANDBOX_NO_NEW_PRIVS, 0);
	}
	if (profile->mechs & (1u << NX_SANDBOX_CLOSE_RANGE)) {
		assert_return(profile->keep_fds >= 0, -EINVAL);
		r = close_range((unsigned)profile->keep_fds, ~0u, 0) < 0 ? nx_neg_errno() : 0;
		if (r < 0 && r != -ENOSYS)
			return r;
		set(ret, NX_SANDBOX_CLOSE_RANGE, r);
	}
	if (profile->mechs & (1u << NX_SANDBOX_LANDLOCK)) {
		r = landlock_apply(profile, &abi, &error);
		ret->landlock_abi = abi;
		if (r < 0)
			return r;
		set(ret, NX_SANDBOX_LANDLOCK, r ? 0 : error);
	}
	if (profile->mechs & (1u << NX_SANDBOX_SECCOMP)) {
		r = seccomp_apply(profile->allow_net);
		if (r < 0 && r != -EINVAL && r != -EOPNOTSUPP && r != -ENOSYS)
			return r;
		set(ret, NX_SANDBOX_SECCOMP, r);
	}
	return 0;
}
