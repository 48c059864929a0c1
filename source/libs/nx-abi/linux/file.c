/* SPDX-License-Identifier: MIT */
/* nx-abi files beneath a directory (file.h) on openat2. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/file.h"

int nx_dir_open(const char *path, int *ret_dirfd)
{
	int fd;

	assert_return(path && *path && ret_dirfd, -EINVAL);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	*ret_dirfd = fd;
	return 0;
}

static int open_beneath(int dirfd, const char *relpath)
{
	/* O_NONBLOCK: opening a FIFO must not hang; fstat rejects it right after. */
	struct open_how how = {
	        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));

	return fd < 0 ? nx_neg_errno() : (int)fd;
}

/* Reads fd to its end into a buffer sized from fstat, growing if the file grew, failing once
 * it holds more than max bytes. */
static int read_all(int fd, size_t max, size_t hint, char **ret_buf, size_t *ret_len)
{
	size_t cap = (hint < max ? hint : max) + 1, len = 0; /* +1: room to see growth */
	char *buf = malloc(cap + 1), *bigger;                /* +1: the NUL */
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(buf);
				return -EMSGSIZE;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = nx_neg_errno();
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int nx_file_read_beneath(
        int dirfd, const char *relpath, size_t max, void **ret_buf, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	assert_return(dirfd >= 0 && relpath && ret_buf && ret_len && max < SIZE_MAX - 1, -EINVAL);
	if (!*relpath)
		return -EINVAL;
	fd = open_beneath(dirfd, relpath);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = nx_neg_errno();
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		r = -EMSGSIZE;
	else
		r = read_all(fd, max, (size_t)st.st_size, &buf, &len);
	close(fd);
	if (r < 0)
		return r;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* ---- A file tree served to others ---------------------------------------------------------- */

/* Beneath dirfd, never through a symlink, never out. */
#define SERVE_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)
/* Deepest tree nx_tree_usage and nx_tree_clear walk. */
#define TREE_DEPTH_MAX 256

static bool one_component(const char *name)
{
	return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static int open_flags(unsigned flags, __u64 *ret)
{
	unsigned rw = flags & (NX_OPEN_READ | NX_OPEN_WRITE);
	__u64 o = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	if (flags & ~(NX_OPEN_READ | NX_OPEN_WRITE | NX_OPEN_CREATE | NX_OPEN_EXCL | NX_OPEN_TRUNC |
	                    NX_OPEN_DIR))
		return -EINVAL;
	if (flags & NX_OPEN_DIR) {
		if (flags != NX_OPEN_DIR)
			return -EINVAL;
		*ret = O_PATH | O_DIRECTORY | O_CLOEXEC;
		return 0;
	}
	if (!rw || ((flags & (NX_OPEN_CREATE | NX_OPEN_TRUNC)) && !(flags & NX_OPEN_WRITE)) ||
	        ((flags & NX_OPEN_EXCL) && !(flags & NX_OPEN_CREATE)))
		return -EINVAL;
	o |= rw == (NX_OPEN_READ | NX_OPEN_WRITE) ? O_RDWR
	     : rw == NX_OPEN_WRITE                ? O_WRONLY
	                                          : O_RDONLY;
	if (flags & NX_OPEN_CREATE)
		o |= O_CREAT;
	if (flags & NX_OPEN_EXCL)
		o |= O_EXCL;
	/* O_TRUNC is left to the caller's nx_file_truncate after the type check: truncating
	 * whatever was found before knowing it is a regular file is not ours to do. */
	*ret = o;
	return 0;
}

int nx_open_beneath(int dirfd, const char *relpath, unsigned flags, int *ret_fd)
{
	struct open_how how = {.resolve = SERVE_RESOLVE, .mode = 0};
	struct stat st;
	long fd;
	int r;

	assert_return(dirfd >= 0 && relpath && ret_fd, -EINVAL);
	r = open_flags(flags, &how.flags);
	if (r < 0)
		return r;
	if (how.flags & O_CREAT)
		how.mode = 0600;
	fd = syscall(SYS_openat2, dirfd, *relpath ? relpath : ".", &how, sizeof(how));
	if (fd < 0)
		return nx_neg_errno();
	if (!(flags & NX_OPEN_DIR)) {
		if (fstat((int)fd, &st) < 0)
			r = nx_neg_errno();
		else if (S_ISDIR(st.st_mode))
			r = -EISDIR;
		else if (!S_ISREG(st.st_mode))
			r = -EINVAL;
		else if ((flags & NX_OPEN_TRUNC) && ftruncate((int)fd, 0) < 0)
			r = nx_neg_errno();
		if (r < 0) {
			close((int)fd);
			return r;
		}
	}
	*ret_fd = (int)fd;
	return 0;
}

static void stat_convert(const struct stat *st, struct nx_file_stat *ret)
{
	ret->type = S_ISREG(st->st_mode)   ? NX_FILE_REGULAR
	            : S_ISDIR(st->st_mode) ? NX_FILE_DIR
	            : S_ISLNK(st->st_mode) ? NX_FILE_SYMLINK
	                                   : NX_FILE_OTHER;
	ret->size = (uint64_t)st->st_size;
	ret->mtime_ns =
	        (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

int nx_stat_at(int dirfd, const char *name, struct nx_file_stat *ret)
{
	struct stat st;

	assert_return(dirfd >= 0 && name && ret, -EINVAL);
	if (*name && !one_component(name))
		return -EINVAL;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) < 0)
		return nx_neg_errno();
	stat_convert(&st, ret);
	return 0;
}

int nx_mkdir_at(int dirfd, const char *name)
{
	assert_return(dirfd >= 0, -EINVAL);
	if (!one_component(name))
		return -EINVAL;
	return mkdirat(dirfd, name, 0700) < 0 ? nx_neg_errno() : 0;
}

int nx_remove_at(int dirfd, const char *name, bool dir)
{
	assert_return(dirfd >= 0, -EINVAL);
	if (!one_component(name))
		return -EINVAL;
	return unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) < 0 ? nx_neg_errno() : 0;
}

int nx_rename_at(
        int old_dirfd, const char *old_name, int new_dirfd, const char *new_name, bool noreplace)
{
	assert_return(old_dirfd >= 0 && new_dirfd >= 0, -EINVAL);
	if (!one_component(old_name) || !one_component(new_name))
		return -EINVAL;
	if (renameat2(old_dirfd, old_name, new_dirfd, new_name, noreplace ? RENAME_NOREPLACE : 0) <
	        0)
		return nx_neg_errno();
	return 0;
}

/* A readable directory stream on dirfd (which may be an O_PATH handle), or NULL with errno. */
static DIR *dir_stream(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), saved;
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

static bool dot_or_dotdot(const char *n)
{
	return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

int nx_dir_names(int dirfd, size_t max, char ***ret_names, size_t *ret_n)
{
	size_t n = 0, count = 0, bytes = 0, off;
	struct dirent *e;
	char **names, *text;
	DIR *d;
	int r;

	assert_return(dirfd >= 0 && ret_names && ret_n, -EINVAL);
	/* Twice over the stream: count, then copy into one allocation. */
	d = dir_stream(dirfd);
	if (!d)
		return nx_neg_errno();
	while ((e = readdir(d)))
		if (!dot_or_dotdot(e->d_name)) {
			if (++n > max) {
				closedir(d);
				return -EMSGSIZE;
			}
			bytes += strlen(e->d_name) + 1;
		}
	names = malloc(n * sizeof(*names) + bytes + 1);
	if (!names) {
		closedir(d);
		return -ENOMEM;
	}
	rewinddir(d);
	text = (char *)(names + n);
	off = 0;
	r = 0;
	while ((e = readdir(d))) {
		size_t len;

		if (dot_or_dotdot(e->d_name))
			continue;
		len = strlen(e->d_name) + 1;
		if (count == n || off + len > bytes) {
			r = -EAGAIN; /* the directory grew between the passes: callers try again */
			break;
		}
		memcpy(text + off, e->d_name, len);
		names[count++] = text + off;
		off += len;
	}
	closedir(d);
	if (r < 0) {
		free(names);
		return r;
	}
	*ret_names = names;
	*ret_n = count; /* fewer than counted if entries went meanwhile */
	return 0;
}

/* What walk() does at each entry of a directory: count it, or remove it. */
struct walk {
	bool clear;
	uint64_t bytes;
	uint64_t entries;
};

static int walk(int dir_fd, struct walk *w, unsigned depth)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int r;

	if (depth > TREE_DEPTH_MAX)
		return -ELOOP;
	d = dir_stream(dir_fd);
	if (!d)
		return nx_neg_errno();
	r = 0;
	while (r >= 0 && (e = readdir(d))) {
		if (dot_or_dotdot(e->d_name))
			continue;
		if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = errno == ENOENT ? 0 : nx_neg_errno(); /* gone meanwhile */
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(
			        dir_fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				r = nx_neg_errno();
				break;
			}
			r = walk(sub, w, depth + 1);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			w->bytes += (uint64_t)st.st_size;
		}
		w->entries++;
		if (r >= 0 && w->clear &&
		        unlinkat(dir_fd, e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
			r = nx_neg_errno();
	}
	closedir(d);
	return r;
}

int nx_tree_usage(int dirfd, uint64_t *ret_bytes, uint64_t *ret_entries)
{
	struct walk w = {0};
	int r;

	assert_return(dirfd >= 0 && ret_bytes && ret_entries, -EINVAL);
	r = walk(dirfd, &w, 0);
	if (r < 0)
		return r;
	*ret_bytes = w.bytes;
	*ret_entries = w.entries;
	return 0;
}

int nx_tree_clear(int dirfd)
{
	struct walk w = {.clear = true};

	assert_return(dirfd >= 0, -EINVAL);
	return walk(dirfd, &w, 0);
}

int nx_file_pread(int fd, uint64_t offset, void *buf, size_t len, size_t *ret_n)
{
	size_t done = 0;

	assert_return(fd >= 0 && (buf || !len) && ret_n && offset <= INT64_MAX, -EINVAL);
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_neg_errno();
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*ret_n = done;
	return 0;
}

int nx_file_pwrite(int fd, uint64_t offset, const void *buf, size_t len)
{
	size_t done = 0;

	assert_return(fd >= 0 && (buf || !len) && offset <= INT64_MAX - len, -EINVAL);
	while (done < len) {
		ssize_t n =
		        pwrite(fd, (const char *)buf + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_neg_errno();
		done += (size_t)n;
	}
	return 0;
}

int nx_file_truncate(int fd, uint64_t size)
{
	assert_return(fd >= 0 && size <= INT64_MAX, -EINVAL);
	return ftruncate(fd, (off_t)size) < 0 ? nx_neg_errno() : 0;
}

int nx_file_sync(int fd)
{
	assert_return(fd >= 0, -EINVAL);
	return fdatasync(fd) < 0 ? nx_neg_errno() : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_neg_errno();
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(int dirfd)
{
	/* dirfd may be O_PATH, which cannot be synced: open the directory itself. */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return nx_neg_errno();
	if (fsync(fd) < 0)
		r = nx_neg_errno();
	close(fd);
	return r;
}

int nx_file_create_atomic(int dirfd, const char *name, const void *buf, size_t len, unsigned mode)
{
	char tmp[NAME_MAX + 1];
	int fd, r;

	assert_return(dirfd >= 0 && name && (buf || len == 0), -EINVAL);
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	        (size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp))
		return -EINVAL;
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		return nx_neg_errno();
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return nx_neg_errno();
	r = fchmod(fd, mode) < 0 ? nx_neg_errno() : 0; /* the umask does not decide */
	if (r >= 0)
		r = write_all(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = nx_neg_errno();
	close(fd);
	if (r >= 0 && renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0)
		r = nx_neg_errno();
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync_dir(dirfd);
}

int nx_file_open_read(const char *path, int *ret_fd)
{
	int fd;

	assert_return(path && ret_fd, -EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return nx_neg_errno();
	*ret_fd = fd;
	return 0;
}
