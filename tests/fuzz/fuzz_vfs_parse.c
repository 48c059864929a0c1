/* SPDX-License-Identifier: MIT */
/*
 * vfsd's path grammar and namespace on arbitrary bytes (userspace/vfs). A path that is
 * accepted must come out absolute, with no empty, "." or ".." component and within every
 * limit, normalise again to itself, and map to a root or be not_found; a refused one must say
 * why. The same bytes as a subject must become one safe directory name or be refused.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfs/ns.h"
#include "vfs/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_normal(const char *norm)
{
	char again[VFS_PATH_MAX + 1], why[VFS_WHY_MAX];
	size_t len = strlen(norm), depth = 0;
	struct vfs_target t;

	assert(len >= 1 && len <= VFS_PATH_MAX && norm[0] == '/');
	assert(len == 1 || norm[len - 1] != '/');
	for (const char *c = norm + 1; len > 1 && c <= norm + len;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);

		assert(n >= 1 && n <= VFS_NAME_MAX);
		assert(!(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'));
		depth++;
		c += n + 1;
	}
	assert(depth <= VFS_DEPTH_MAX);
	assert(vfs_path_normalise(norm, len, again, sizeof(again), why, sizeof(why)) == 0);
	assert(strcmp(again, norm) == 0);
	if (vfs_ns_map(norm, &t) == 0)
		assert(strstr(norm, t.rel) != NULL && t.rel[0] != '/');
}

static void check_subject(const uint8_t *data, size_t size)
{
	char subject[VFS_SUBJECT_MAX + 2], name[VFS_NAME_MAX + 1];
	size_t n = size < sizeof(subject) - 1 ? size : sizeof(subject) - 1;
	int r;

	memcpy(subject, data, n);
	subject[n] = '\0';
	r = vfs_subject_dirname(subject, name, sizeof(name));
	if (r < 0) {
		assert(r == -EINVAL || r == -EMSGSIZE);
		return;
	}
	assert((size_t)r == strlen(name) && r >= 1 && r <= (int)VFS_NAME_MAX);
	assert(!strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char norm[VFS_PATH_MAX + 1], why[VFS_WHY_MAX] = "";
	int r = vfs_path_normalise((const char *)data, size, norm, sizeof(norm), why, sizeof(why));

	if (r == 0)
		check_normal(norm);
	else
		assert((r == -EINVAL || r == -EMSGSIZE) && why[0] != '\0');
	check_subject(data, size);
	return 0;
}
