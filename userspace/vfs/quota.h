/* SPDX-License-Identifier: MIT */
/*
 * vfs quota: per-subject usage of vfsd's trees (bytes of regular files and entries, /data
 * and /tmp together) against one pair of limits. Pure: no fds, no clock, no logging;
 * single-threaded.
 *
 * vfsd counts a subject's usage once, by walking its trees the first time the subject comes
 * (vfs_quota_track), and from then on charges every change before making it
 * (vfs_quota_charge: a growth that would cross a limit is refused and nothing is counted),
 * refunding what did not happen. At most VFS_SUBJECTS_MAX subjects are kept: tracking one
 * more forgets the least recently charged or looked up, which is counted again when it comes
 * back.
 */
#ifndef USERSPACE_VFS_QUOTA_H
#define USERSPACE_VFS_QUOTA_H

#include <stdint.h>

#include "nexus/limits.h" /* VFS_SUBJECTS_MAX, VFS_SUBJECT_MAX, VFS_QUOTA_* */

struct vfs_usage {
	uint64_t bytes;
	uint64_t entries;
};

struct vfs_quota;

/* A table with `limits` (bytes 1..VFS_QUOTA_BYTES_MAX, entries 1..VFS_QUOTA_ENTRIES_MAX:
 * else -ERANGE). -ENOMEM. *ret is the caller's (vfs_quota_free). */
int vfs_quota_new(const struct vfs_usage *limits, struct vfs_quota **ret);
/* Takes NULL, returns NULL. */
struct vfs_quota *vfs_quota_free(struct vfs_quota *q);

/* The limits the table was made with. */
struct vfs_usage vfs_quota_limits(const struct vfs_quota *q);

/* The usage of `subject`: 0 with *ret, or -ENOENT (not tracked: count its trees, then
 * vfs_quota_track). A lookup makes the subject the most recently used. */
int vfs_quota_get(struct vfs_quota *q, const char *subject, struct vfs_usage *ret);

/* Starts (or restarts) counting `subject` (copied; 1..VFS_SUBJECT_MAX bytes: else -EINVAL,
 * -EMSGSIZE) at `usage`, which may be over the limits (they then refuse growth only).
 * Forgets the least recently used subject when VFS_SUBJECTS_MAX are kept. */
int vfs_quota_track(struct vfs_quota *q, const char *subject, const struct vfs_usage *usage);

/* Adds the deltas to `subject`'s usage, a decrease stopping at 0. Returns 0, -ENOENT (not
 * tracked), -EFBIG (the bytes would go over their limit) or -EMLINK (the entries would):
 * nothing is changed on failure. A delta that does not grow a count never fails. */
int vfs_quota_charge(struct vfs_quota *q, const char *subject, int64_t bytes, int64_t entries);

/* Parses a limit given by the operator: a decimal number in 1..max. -EINVAL if malformed
 * (empty, a sign, a suffix), -ERANGE if 0 or over max. *ret untouched on failure. */
int vfs_quota_parse_limit(const char *text, uint64_t max, uint64_t *ret);

#endif
