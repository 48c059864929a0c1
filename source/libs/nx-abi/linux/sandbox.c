/* SPDX-License-Identifier: MIT */
/* nx-abi sandbox, Linux: prctl, Landlock, close_range, setrlimit, a mount namespace, capset,
 * setresuid and a cgroup join, in the order of nx_sandbox_apply (see sandbox.h); the seccomp
 * programs are seccomp.c's, the namespaces sandbox-ns.c's, the report's text
 * sandbox-report.c's. */
#include "nx-abi/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

#define LL_FS_V1 ((LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1) /* bits 0..12 */
#define LL_FILE_RIGHTS                                                       \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |        \
	        LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
	        LANDLOCK_ACCESS_FS_IOCTL_DEV)

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
	struct rlimit as = {profile->as_bytes, profile->as_bytes};

	if (profile->nofile && setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return nx_neg_errno();
	if (profile->nproc && setrlimit(RLIMIT_NPROC, &nproc) < 0)
		return nx_neg_errno();
	if (profile->as_bytes && setrlimit(RLIMIT_AS, &as) < 0)
		return nx_neg_errno();
	return 0;
}

/* ---- cgroup ---- */

/* The parent made the group and wrote its limits (cgroup.h); "0" moves the writer. The
 * caller asked for it knowing the group exists, so any failure fails closed. */
static int cgroup_join(int dir_fd)
{
	int fd, r = 0;

	assert_return(dir_fd >= 0, -EINVAL);
	fd = openat(dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	if (write(fd, "0", 1) != 1)
		r = nx_neg_errno();
	close(fd);
	return r;
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
	size_t n;

	memcpy(buf, prefix, sizeof(prefix) - 1);
	n = nx_u32_to_text((uint32_t)fd, buf + sizeof(prefix) - 1);
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

/* A fresh tmpfs on /tmp in a mount namespace of our own (made here unless the namespaces
 * mechanism made one: have_ns); the profile's paths beneath /tmp, held open across the
 * mount, are bound back at the same place. 1 applied, 0 unavailable (*ret_error set: no
 * namespaces, or not allowed to), < 0 failed. */
static int mount_ns_apply(const struct nx_sandbox *profile, bool have_ns, int *ret_error)
{
	int held[NX_SANDBOX_MAX_PATHS], r = 0;
	bool is_dir[NX_SANDBOX_MAX_PATHS] = {false};
	char src[32];
	struct stat st;

	if (!have_ns) {
		if (unshare(CLONE_NEWNS) < 0) {
			*ret_error = nx_neg_errno();
			return nx_ns_error_unavailable(*ret_error) ? 0 : *ret_error;
		}
		/* Nothing mounted here may reach back into init's namespace. */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return nx_neg_errno();
	}
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

/* The bounding set while still privileged, then the uid, then the user namespace, then the
 * rest of the sets: a uid change from 0 clears permitted and effective by itself, but not
 * inheritable or ambient; a new user namespace hands a full set (bounding set included)
 * back, valid inside it only, so the bounding set is cleared again there. -EPERM at the
 * first step means the caller lacks CAP_SETPCAP: reported UNAVAILABLE, and the sets the
 * process holds are still cleared (that needs no privilege), or a caller that is not root
 * but holds capabilities (execd) would hand them on to its child through the ambient set. */
static int privileges_drop(const struct nx_sandbox *profile, struct nx_sandbox_report *ret)
{
	bool caps = profile->mechs & (1u << NX_SANDBOX_CAPS), bounding = false;
	bool identity = profile->mechs & (1u << NX_SANDBOX_IDENTITY);
	bool userns = (profile->mechs & (1u << NX_SANDBOX_NAMESPACES)) &&
	              (profile->ns_flags & NX_NS_USER);
	uint64_t keep = caps ? profile->keep_caps : ~0ull;
	int r;

	if (caps) {
		r = caps_drop_bounding(keep);
		if (r < 0 && r != -EPERM)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_CAPS, r);
		bounding = r == 0;
	}
	if (identity) {
		r = identity_set(profile->uid, profile->gid, keep != 0);
		if (r < 0 && r != -EPERM)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_IDENTITY, r);
	}
	if (userns) {
		r = nx_ns_user_enter(ret);
		if (r < 0)
			return r;
		if (bounding && ret->ns[NX_SANDBOX_NS_USER].status == NX_SANDBOX_APPLIED)
			r = caps_drop_bounding(keep);
		if (r < 0)
			return r;
	}
	if (caps) {
		r = caps_set(keep);
		if (r < 0)
			return r;
	}
	return 0;
}

int nx_sandbox_apply_cloned(const struct nx_sandbox *profile, unsigned cloned, unsigned refused,
        int refused_error, struct nx_sandbox_report *ret)
{
	bool namespaces = profile && (profile->mechs & (1u << NX_SANDBOX_NAMESPACES));
	int r, abi = 0, error = 0;

	assert_return(profile && ret, -EINVAL);
	assert_return(profile->npaths <= NX_SANDBOX_MAX_PATHS, -EINVAL);
	assert_return(!(profile->ns_flags & ~NX_NS_ALL), -EINVAL);
	assert_return(!(profile->mechs & (1u << NX_SANDBOX_SECCOMP)) ||
	                      nx_seccomp_prepared(profile->seccomp_profile),
	        -EINVAL);
	memset(ret, 0, sizeof(*ret));
	/* First, while still root: the limits then count everything that follows. */
	if (profile->mechs & (1u << NX_SANDBOX_CGROUP)) {
		r = cgroup_join(profile->cgroup_fd);
		if (r < 0)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_CGROUP, 0);
	}
	if (profile->mechs & (1u << NX_SANDBOX_RLIMITS)) {
		r = rlimits_set(profile);
		if (r < 0 && r != -EPERM)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_RLIMITS, r);
	}
	if (namespaces) {
		r = nx_ns_enter(profile->ns_flags, cloned, refused, refused_error, ret);
		if (r < 0)
			return r;
	}
	if (profile->mechs & (1u << NX_SANDBOX_MOUNT_NS)) {
		r = mount_ns_apply(
		        profile, ret->ns[NX_SANDBOX_NS_MOUNT].status == NX_SANDBOX_APPLIED, &error);
		if (r < 0)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_MOUNT_NS, r ? 0 : error);
	}
	r = privileges_drop(profile, ret);
	if (namespaces)
		nx_ns_conclude(profile->ns_flags, ret);
	if (r < 0)
		return r;
	/* Required by seccomp for an unprivileged caller, and the point of the exercise. */
	if (profile->mechs & ((1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_SECCOMP) |
	                             (1u << NX_SANDBOX_LANDLOCK))) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return nx_neg_errno();
		if (profile->mechs & (1u << NX_SANDBOX_NO_NEW_PRIVS))
			nx_sandbox_report_set(ret, NX_SANDBOX_NO_NEW_PRIVS, 0);
	}
	if (profile->mechs & (1u << NX_SANDBOX_CLOSE_RANGE)) {
		assert_return(profile->keep_fds >= 0, -EINVAL);
		r = close_range((unsigned)profile->keep_fds, ~0u, 0) < 0 ? nx_neg_errno() : 0;
		if (r < 0 && r != -ENOSYS)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_CLOSE_RANGE, r);
	}
	if (profile->mechs & (1u << NX_SANDBOX_LANDLOCK)) {
		r = landlock_apply(profile, &abi, &error);
		ret->landlock_abi = abi;
		if (r < 0)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_LANDLOCK, r ? 0 : error);
	}
	if (profile->mechs & (1u << NX_SANDBOX_SECCOMP)) {
		/* The kernel lacks seccomp filters: EINVAL (no CONFIG_SECCOMP_FILTER), ENOSYS. */
		r = nx_seccomp_load(profile->seccomp_profile);
		if (r < 0 && r != -EINVAL && r != -ENOSYS)
			return r;
		nx_sandbox_report_set(ret, NX_SANDBOX_SECCOMP, r);
		ret->seccomp_profile = profile->seccomp_profile;
	}
	return 0;
}

int nx_sandbox_apply(const struct nx_sandbox *profile, struct nx_sandbox_report *ret)
{
	return nx_sandbox_apply_cloned(profile, 0, 0, 0, ret);
}
