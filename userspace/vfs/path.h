/* SPDX-License-Identifier: MIT */
/*
 * vfs path grammar (DESIGN.md section 7, vfsd): what a namespace path may be, checked on the
 * bytes before anything touches a file system. Pure: no fds, no logging.
 *
 * A path is absolute ('/' first), at most VFS_PATH_MAX bytes, made of components separated
 * by one '/': no NUL anywhere, no empty component ("a//b"), no "..", no component longer than
 * VFS_NAME_MAX, at most VFS_DEPTH_MAX components. Normalisation drops "." components and one
 * trailing '/' ("/data/./a/" is "/data/a"); nothing else is rewritten, so a path either means
 * one place or is refused with its reason. The kernel's RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS stay the second line behind this one (symlinks planted in a tree).
 */
#ifndef USERSPACE_VFS_PATH_H
#define USERSPACE_VFS_PATH_H

#include <stddef.h>

#include "nexus/limits.h" /* VFS_PATH_MAX, VFS_NAME_MAX, VFS_DEPTH_MAX */

/* Room for any reason this library writes. */
#define VFS_WHY_MAX 96

/* Checks path[0..len) (not NUL-terminated necessarily) and writes its normal form, NUL
 * terminated, to out (out_size >= VFS_PATH_MAX + 1 always suffices). Returns 0, or on failure
 * leaves out unspecified, writes to why (why_size bytes, VFS_WHY_MAX suffices) a sentence
 * naming the rule ("a '..' component") and returns:
 *   -EINVAL   empty, not absolute, NUL, an empty component, a ".." component
 *   -EMSGSIZE longer than VFS_PATH_MAX, a component longer than VFS_NAME_MAX, more than
 *             VFS_DEPTH_MAX components
 *   -ENOBUFS  out_size too small for the normal form */
int vfs_path_normalise(
        const char *path, size_t len, char *out, size_t out_size, char *why, size_t why_size);

/* Splits a relative path ("a/b/c", "c", "") at its last '/': *ret_parent_len bytes of parent
 * ("a/b", "" when there is none) and the last component at *ret_name ("c"; "" for ""). */
void vfs_path_split_last(const char *rel, size_t *ret_parent_len, const char **ret_name);

#endif
