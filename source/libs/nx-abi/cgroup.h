/* SPDX-License-Identifier: MIT */
/*
 * nx-abi cgroup: one cgroup v2 group per confined process, made by the parent with its
 * limits written before the child joins it (sandbox.h, the cgroup mechanism), removed by the
 * parent after the process exited.
 *
 * The base is the caller's own group in the cgroup v2 hierarchy, usable when its
 * cgroup.controllers lists memory and pids (delegated to us) and they are, or can be,
 * enabled in its cgroup.subtree_control. A machine with cgroup v1 only, or an empty unified
 * hierarchy beside v1 (the controllers bound to v1), has no usable base: the caller says so
 * once and goes on with rlimits.
 */
#ifndef NX_ABI_CGROUP_H
#define NX_ABI_CGROUP_H

#include <stdint.h>

#include "nexus/limits.h" /* NX_CGROUP_NAME_MAX */

#ifdef __cplusplus
extern "C" {
#endif

struct nx_cgroup_limits {
	uint64_t memory_max; /* memory.max in bytes; 0: "max" (no limit) */
	uint64_t pids_max;   /* pids.max; 0: "max" */
};

/* Opens the base (see above) as a directory fd in *ret_fd, owned by the caller. -ENODEV: no
 * cgroup v2 hierarchy is mounted, or the caller's group lacks the memory or pids
 * controller; -EBUSY: they cannot be enabled for children (processes live in the group);
 * else the errno of the read, write or open that failed. */
int nx_cgroup_base_open(int *ret_fd);

/* Creates the group `name` (one path component, at most NX_CGROUP_NAME_MAX bytes, no '/',
 * not "." or "..") beneath base_fd (borrowed) with `limits` written, and opens it in *ret_fd
 * (owned by the caller: the sandbox's cgroup_fd). A group of that name left from an earlier
 * run is reused when empty. -EINVAL a bad name; -EBUSY a group of that name holds
 * processes; else the errno of the mkdir, open or write. On failure nothing is left. */
int nx_cgroup_create(
        int base_fd, const char *name, const struct nx_cgroup_limits *limits, int *ret_fd);

/* Removes the group `name` beneath base_fd (borrowed), once its processes are gone.
 * 0, also when it does not exist; -EBUSY while a process is still in it. */
int nx_cgroup_remove(int base_fd, const char *name);

#ifdef __cplusplus
}
#endif

#endif
