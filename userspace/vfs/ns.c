/* SPDX-License-Identifier: MIT */
/* vfs namespace mapping and subject directory names (ns.h). */
#include <errno.h>
#include <string.h>

#include "ns.h"

const char *const vfs_ns_top[3] = {"data", "pkg", "tmp"};

/* Whether `norm` is "/<name>" or starts with "/<name>/"; *ret_rest: what follows the '/'. */
static bool under(const char *norm, const char *name, const char **ret_rest)
{
	size_t n = strlen(name);

	if (norm[0] != '/' || strncmp(norm + 1, name, n) != 0)
		return false;
	if (norm[1 + n] == '\0') {
		*ret_rest = norm + 1 + n;
		return true;
	}
	if (norm[1 + n] == '/') {
		*ret_rest = norm + 2 + n;
		return true;
	}
	return false;
}

int vfs_ns_map(const char *norm, struct vfs_target *ret)
{
	const char *rest, *slash;
	struct vfs_target t = {.rel = "", .bundle = ""};

	if (strcmp(norm, "/") == 0) {
		t.root = VFS_ROOT_TOP;
	} else if (under(norm, "data", &rest)) {
		t.root = VFS_ROOT_DATA;
		t.rel = rest;
	} else if (under(norm, "tmp", &rest)) {
		t.root = VFS_ROOT_TMP;
		t.rel = rest;
	} else if (under(norm, "pkg", &rest)) {
		t.root = VFS_ROOT_PKG;
		slash = strchr(rest, '/');
		t.bundle = rest;
		t.bundle_len = slash ? (size_t)(slash - rest) : strlen(rest);
		t.rel = slash ? slash + 1 : rest + t.bundle_len;
	} else {
		return -ENOENT;
	}
	*ret = t;
	return 0;
}

bool vfs_ns_writable(const struct vfs_target *t)
{
	return (t->root == VFS_ROOT_DATA || t->root == VFS_ROOT_TMP) && t->rel[0] != '\0';
}

const char *vfs_ns_tree_dir(enum vfs_root root)
{
	switch (root) {
	case VFS_ROOT_DATA:
		return "data";
	case VFS_ROOT_TMP:
		return "tmp";
	default:
		return NULL;
	}
}

static bool kept(unsigned char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	if (c == '.')
		return !first;
	return strchr(":_@+=,-", c) != NULL && c != '\0';
}

int vfs_subject_dirname(const char *subject, char *out, size_t out_size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len, o = 0;

	if (!subject || !*subject)
		return -EINVAL;
	len = strnlen(subject, VFS_SUBJECT_MAX + 1);
	if (len > VFS_SUBJECT_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)subject[i];
		size_t need = kept(c, i == 0) ? 1 : 3;

		if (o + need > VFS_NAME_MAX)
			return -EMSGSIZE;
		if (o + need + 1 > out_size)
			return -ENOBUFS;
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}
