/* SPDX-License-Identifier: MIT */
/* Limits of userspace/vfs and vfsd (the file namespace, fs.capnp), included by limits.h.
 * Lengths in bytes, NUL excluded. Freestanding: no libc headers. */
#ifndef NEXUS_LIMITS_VFS_H
#define NEXUS_LIMITS_VFS_H

/* A namespace path ("/data/notes/today.txt"), before normalisation. */
#define VFS_PATH_MAX 1024u
/* One component of a path: Linux's NAME_MAX, so a name vfsd accepts is one the kernel takes. */
#define VFS_NAME_MAX 255u
/* Components in one path: bounds the chains a caller can make vfsd walk. */
#define VFS_DEPTH_MAX 32u
/* A subject whose tree vfsd keeps (nexus-types.capnp subjectMaxLen). */
#define VFS_SUBJECT_MAX 128u
/* Subjects whose usage vfsd keeps counted at once; past it the least recently used one is
 * forgotten (and counted again from its tree when it comes back). */
#define VFS_SUBJECTS_MAX 1024u

/* Per-subject quota over /data and /tmp together, unless the operator sets others
 * ($NEXUS_VFS_QUOTA_BYTES, $NEXUS_VFS_QUOTA_ENTRIES), at most the maxima. */
#define VFS_QUOTA_BYTES_DEFAULT   (256ull << 20)
#define VFS_QUOTA_ENTRIES_DEFAULT 16384u
#define VFS_QUOTA_BYTES_MAX       (1ull << 40)
#define VFS_QUOTA_ENTRIES_MAX     (1u << 24)

/* Reads and writes of at most this many bytes travel inline; larger ones as a sealed VMO. */
#define VFS_INLINE_MAX 2048u
/* Largest single read or write (the VMO cap of fs.capnp). */
#define VFS_IO_MAX (256ull << 20)
/* Entries one list() page holds at most, and the bytes they may take on the wire (the page
 * must fit one 4 KiB message with its envelope). */
#define VFS_LIST_PAGE_MAX   256u
#define VFS_LIST_PAGE_BYTES 3072u
/* Entries of one directory vfsd reads to answer list(): a larger directory is refused. */
#define VFS_DIR_ENTRIES_MAX 65536u
/* File capabilities vfsd holds open at once (each holds an fd). */
#define VFS_OPEN_FILES_MAX 1024u

#endif
