/* SPDX-License-Identifier: MIT */
/* vfs path grammar and normal form (path.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "path.h"

/* One component of path[start..end): refused with its reason, or told to be kept or dropped. */
static int component_check(const char *c, size_t n, char *why, size_t why_size)
{
	if (n == 0) {
		snprintf(why, why_size, "an empty component ('//')");
		return -EINVAL;
	}
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		snprintf(why, why_size, "a '..' component");
		return -EINVAL;
	}
	if (n > VFS_NAME_MAX) {
		snprintf(why, why_size, "a component longer than %u bytes", VFS_NAME_MAX);
		return -EMSGSIZE;
	}
	return n == 1 && c[0] == '.' ? 0 : 1; /* 0: drop ".", 1: keep */
}

int vfs_path_normalise(
        const char *path, size_t len, char *out, size_t out_size, char *why, size_t why_size)
{
	size_t i = 1, o = 0, depth = 0;

	if (!path || len == 0) {
		snprintf(why, why_size, "empty");
		return -EINVAL;
	}
	if (len > VFS_PATH_MAX) {
		snprintf(why, why_size, "longer than %u bytes", VFS_PATH_MAX);
		return -EMSGSIZE;
	}
	if (memchr(path, '\0', len)) {
		snprintf(why, why_size, "contains NUL");
		return -EINVAL;
	}
	if (path[0] != '/') {
		snprintf(why, why_size, "not absolute (must start with '/')");
		return -EINVAL;
	}
	if (out_size < 2) {
		snprintf(why, why_size, "no room for the normal form");
		return -ENOBUFS;
	}
	while (i < len) {
		const char *end = memchr(path + i, '/', len - i);
		size_t n = end ? (size_t)(end - (path + i)) : len - i;
		int keep;

		/* A trailing '/' ends the loop with i == len: "/a/" is "/a". */
		keep = component_check(path + i, n, why, why_size);
		if (keep < 0)
			return keep;
		if (keep) {
			if (++depth > VFS_DEPTH_MAX) {
				snprintf(why, why_size, "more than %u components", VFS_DEPTH_MAX);
				return -EMSGSIZE;
			}
			if (o + 1 + n + 1 > out_size) {
				snprintf(why, why_size, "no room for the normal form");
				return -ENOBUFS;
			}
			out[o++] = '/';
			memcpy(out + o, path + i, n);
			o += n;
		}
		i += n + 1;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

void vfs_path_split_last(const char *rel, size_t *ret_parent_len, const char **ret_name)
{
	const char *slash = strrchr(rel, '/');

	*ret_parent_len = slash ? (size_t)(slash - rel) : 0;
	*ret_name = slash ? slash + 1 : rel;
}
