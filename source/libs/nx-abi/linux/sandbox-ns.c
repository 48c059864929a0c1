/* SPDX-License-Identifier: MIT */
/*
 * nx-abi sandbox, the namespaces mechanism (sandbox.h, "Namespaces"): unshare, the user
 * namespace's maps, a private mount tree and a /proc of the new pid namespace. Runs between
 * fork and exec: no allocation, no stdio.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/sandbox.h"

static const int clone_flag[NX_SANDBOX_NS_COUNT] = {
        [NX_SANDBOX_NS_USER] = CLONE_NEWUSER,
        [NX_SANDBOX_NS_MOUNT] = CLONE_NEWNS,
        [NX_SANDBOX_NS_PID] = CLONE_NEWPID,
        [NX_SANDBOX_NS_NET] = CLONE_NEWNET,
        [NX_SANDBOX_NS_IPC] = CLONE_NEWIPC,
        [NX_SANDBOX_NS_UTS] = CLONE_NEWUTS,
};

unsigned long nx_ns_clone_flags(unsigned ns_flags)
{
	unsigned long flags = 0;

	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++)
		if (i != NX_SANDBOX_NS_USER && (ns_flags & (1u << i)))
			flags |= (unsigned long)clone_flag[i];
	return flags;
}

/* EINVAL: the kernel was built without it; EPERM: not privileged (or unprivileged user
 * namespaces switched off); ENOSPC, EUSERS: a max_*_namespaces of 0, or nesting too deep;
 * ENOSYS: no unshare at all. */
bool nx_ns_error_unavailable(int error)
{
	return error == -EINVAL || error == -EPERM || error == -ENOSPC || error == -EUSERS ||
	       error == -ENOSYS;
}

static void ns_set(struct nx_sandbox_report *ret, enum nx_sandbox_ns ns, int error)
{
	ret->ns[ns].status = error < 0 ? NX_SANDBOX_UNAVAILABLE : NX_SANDBOX_APPLIED;
	ret->ns[ns].error = error < 0 ? error : 0;
}

/* Mounts made in the new namespace stay in it; the old /proc shows the parent's pid
 * namespace (and through /proc/self a pid that is not ours there), so a new one replaces
 * it. */
static int mount_tree_settle(bool new_pid)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return nx_neg_errno();
	if (new_pid && mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return nx_neg_errno();
	return 0;
}

int nx_ns_enter(unsigned wanted, unsigned cloned, unsigned refused, int refused_error,
        struct nx_sandbox_report *ret)
{
	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++) {
		if (i == NX_SANDBOX_NS_USER || !(wanted & (1u << i)))
			continue;
		if (cloned & (1u << i))
			ns_set(ret, i, 0);
		else if (refused & (1u << i))
			ns_set(ret, i, refused_error);
		else if (i == NX_SANDBOX_NS_PID)
			ns_set(ret, i, -ECHILD); /* only a new child can be its pid 1 */
		else if (unshare(clone_flag[i]) < 0) {
			int r = nx_neg_errno();

			if (!nx_ns_error_unavailable(r))
				return r;
			ns_set(ret, i, r);
		} else
			ns_set(ret, i, 0);
	}
	if (ret->ns[NX_SANDBOX_NS_MOUNT].status != NX_SANDBOX_APPLIED)
		return 0;
	return mount_tree_settle(ret->ns[NX_SANDBOX_NS_PID].status == NX_SANDBOX_APPLIED);
}

/* Writes text to a /proc/self file the map needs. */
static int proc_self_write(const char *file, const char *text, size_t len)
{
	int fd, r = 0;

	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	if (write(fd, text, len) != (ssize_t)len)
		r = nx_neg_errno();
	close(fd);
	return r;
}

/* "<id> <id> 1\n": id maps to itself, and nothing else exists inside. */
static int id_map_write(const char *file, uint32_t id)
{
	char line[2 * 10 + 5];
	size_t n = nx_u32_to_text(id, line);

	line[n++] = ' ';
	n += nx_u32_to_text(id, line + n);
	line[n++] = ' ';
	line[n++] = '1';
	line[n++] = '\n';
	return proc_self_write(file, line, n);
}

int nx_ns_user_enter(struct nx_sandbox_report *ret)
{
	uint32_t uid = (uint32_t)getuid(), gid = (uint32_t)getgid();
	int r;

	/* A uid change left us undumpable, which makes /proc/self root's: its maps could not
	 * be written. exec sets this again from the program anyway. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return nx_neg_errno();
	if (unshare(CLONE_NEWUSER) < 0) {
		r = nx_neg_errno();
		if (!nx_ns_error_unavailable(r))
			return r;
		ns_set(ret, NX_SANDBOX_NS_USER, r);
		return 0;
	}
	/* From here on, a map that cannot be written would leave us as nobody with a full
	 * set of capabilities in the namespace: fail closed. */
	r = proc_self_write("/proc/self/setgroups", "deny", 4);
	if (r == 0)
		r = id_map_write("/proc/self/uid_map", uid);
	if (r == 0)
		r = id_map_write("/proc/self/gid_map", gid);
	if (r < 0)
		return r;
	ns_set(ret, NX_SANDBOX_NS_USER, 0);
	return 0;
}

void nx_ns_conclude(unsigned wanted, struct nx_sandbox_report *ret)
{
	int first_error = 0;

	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++)
		if ((wanted & (1u << i)) && ret->ns[i].status != NX_SANDBOX_APPLIED &&
		        first_error == 0)
			first_error = ret->ns[i].status == NX_SANDBOX_UNAVAILABLE ? ret->ns[i].error
			                                                          : -ECANCELED;
	nx_sandbox_report_set(ret, NX_SANDBOX_NAMESPACES, first_error);
}
