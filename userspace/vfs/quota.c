/* SPDX-License-Identifier: MIT */
/* vfs per-subject quota accounting (quota.h): a small array searched linearly, which at
 * VFS_SUBJECTS_MAX entries costs far less than the file system call each charge precedes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quota.h"

struct vfs_quota_entry {
	char subject[VFS_SUBJECT_MAX + 1];
	struct vfs_usage usage;
	uint64_t last_use; /* the table's tick when last looked up or charged */
};

struct vfs_quota {
	struct vfs_usage limits;
	uint64_t tick;
	size_t n;
	struct vfs_quota_entry entries[VFS_SUBJECTS_MAX];
};

int vfs_quota_new(const struct vfs_usage *limits, struct vfs_quota **ret)
{
	struct vfs_quota *q;

	if (!limits || !ret)
		return -EINVAL;
	if (limits->bytes == 0 || limits->bytes > VFS_QUOTA_BYTES_MAX || limits->entries == 0 ||
	        limits->entries > VFS_QUOTA_ENTRIES_MAX)
		return -ERANGE;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->limits = *limits;
	*ret = q;
	return 0;
}

struct vfs_quota *vfs_quota_free(struct vfs_quota *q)
{
	free(q);
	return NULL;
}

struct vfs_usage vfs_quota_limits(const struct vfs_quota *q)
{
	return q->limits;
}

static struct vfs_quota_entry *find(struct vfs_quota *q, const char *subject)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->entries[i].subject, subject) == 0) {
			q->entries[i].last_use = ++q->tick;
			return &q->entries[i];
		}
	return NULL;
}

int vfs_quota_get(struct vfs_quota *q, const char *subject, struct vfs_usage *ret)
{
	struct vfs_quota_entry *e = subject ? find(q, subject) : NULL;

	if (!e)
		return -ENOENT;
	*ret = e->usage;
	return 0;
}

int vfs_quota_track(struct vfs_quota *q, const char *subject, const struct vfs_usage *usage)
{
	struct vfs_quota_entry *e;
	size_t len;

	if (!subject || !*subject || !usage)
		return -EINVAL;
	len = strnlen(subject, VFS_SUBJECT_MAX + 1);
	if (len > VFS_SUBJECT_MAX)
		return -EMSGSIZE;
	e = find(q, subject);
	if (!e && q->n < VFS_SUBJECTS_MAX) {
		e = &q->entries[q->n++];
	} else if (!e) {
		e = &q->entries[0];
		for (size_t i = 1; i < q->n; i++)
			if (q->entries[i].last_use < e->last_use)
				e = &q->entries[i];
	}
	memcpy(e->subject, subject, len + 1);
	e->usage = *usage;
	e->last_use = ++q->tick;
	return 0;
}

/* count + delta, stopping at 0; -1 (as a flag) past `limit` for a growth. */
static int apply(uint64_t count, int64_t delta, uint64_t limit, uint64_t *ret)
{
	uint64_t mag;

	if (delta == 0) {
		*ret = count;
		return 0;
	}
	if (delta < 0) {
		mag = (uint64_t)(-(delta + 1)) + 1; /* |delta| without overflow at INT64_MIN */
		*ret = mag > count ? 0 : count - mag;
		return 0;
	}
	if ((uint64_t)delta > limit || count > limit - (uint64_t)delta)
		return -1;
	*ret = count + (uint64_t)delta;
	return 0;
}

int vfs_quota_charge(struct vfs_quota *q, const char *subject, int64_t bytes, int64_t entries)
{
	struct vfs_quota_entry *e = subject ? find(q, subject) : NULL;
	uint64_t b, n;

	if (!e)
		return -ENOENT;
	if (apply(e->usage.bytes, bytes, q->limits.bytes, &b) < 0)
		return -EFBIG;
	if (apply(e->usage.entries, entries, q->limits.entries, &n) < 0)
		return -EMLINK;
	e->usage.bytes = b;
	e->usage.entries = n;
	return 0;
}

int vfs_quota_parse_limit(const char *text, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!text || !*text)
		return -EINVAL;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v == 0 || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}
