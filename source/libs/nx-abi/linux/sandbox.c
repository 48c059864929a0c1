/* SPDX-License-Identifier: MIT */
/* nx-abi sandbox, Linux: prctl, Landlock, seccomp-BPF, close_range (see sandbox.h). */
#include "nx-abi/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
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
	};

	return (unsigned)m < NX_SANDBOX_MECH_COUNT ? names[m] : NULL;
}

static void set(struct nx_sandbox_report *ret, enum nx_sandbox_mech m, int error)
{
	ret->mech[m].status = error < 0 ? NX_SANDBOX_UNAVAILABLE : NX_SANDBOX_APPLIED;
	ret->mech[m].error = error < 0 ? error : 0;
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

#define FILTER_MAX (8u + 2u * (sizeof(denied_calls) / sizeof(denied_calls[0])) + 8u)

static int seccomp_apply(void)
{
	struct sock_filter f[FILTER_MAX + sizeof(denied_families) / sizeof(int) + 4];
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
	for (size_t i = 0; i < sizeof(denied_families) / sizeof(int); i++) {
		to_deny[ndeny++] = n;
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)denied_families[i], 0, 0));
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
static int seccomp_apply(void)
{
	return -EOPNOTSUPP; /* no audit arch known for this build */
}
#endif

int nx_sandbox_apply(const struct nx_sandbox *profile, struct nx_sandbox_report *ret)
{
	int r, abi = 0, error = 0;

	assert_return(profile && ret, -EINVAL);
	assert_return(profile->npaths <= NX_SANDBOX_MAX_PATHS, -EINVAL);
	memset(ret, 0, sizeof(*ret));
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
		r = seccomp_apply();
		if (r < 0 && r != -EINVAL && r != -EOPNOTSUPP && r != -ENOSYS)
			return r;
		set(ret, NX_SANDBOX_SECCOMP, r);
	}
	return 0;
}
