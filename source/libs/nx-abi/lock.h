/* SPDX-License-Identifier: MIT */
/*
 * nx-abi lock files: one owner of a directory at a time (nexus-init takes
 * $NEXUS_RUNTIME_DIR/lock, DESIGN.md section 6). The lock is an flock on the file, so the
 * kernel releases it when its holder dies, however it dies; the holder's pid is written in
 * the file only so that a refused taker can name it.
 */
#ifndef NX_ABI_LOCK_H
#define NX_ABI_LOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Takes the exclusive lock on `path` (created 0600 if missing) without waiting, and writes
 * the caller's pid into the file. On success *ret_fd (the caller's, close-on-exec) holds the
 * lock until it is closed or the process ends. -EAGAIN: another open file holds it (the
 * file is left untouched); -ENOENT, -EACCES, ... opening it. */
int nx_lock_take(const char *path, int *ret_fd);

/* The pid a holder wrote into the lock file `path`. -ENOENT, -EACCES as open says; -EBADMSG
 * when the file holds no pid (being written, or not a lock file). */
int nx_lock_holder(const char *path, int *ret_pid);

#ifdef __cplusplus
}
#endif

#endif
