/* SPDX-License-Identifier: MIT */
/* nx-abi secrets (secret.h): termios for the no-echo read, open/rename for the 0600 file. */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/secret.h"

/* One byte at a time: nothing past the newline is consumed (a script may pipe more). */
static int read_line(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t n = 0;
	bool over = false, nul = false, any = false;
	char c;

	for (;;) {
		ssize_t got = read(fd, &c, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return nx_neg_errno();
		if (got == 0) {
			if (!any)
				return -ENODATA;
			break;
		}
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		else if (n + 1 >= size)
			over = true;
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (nul)
		return -EINVAL;
	if (over)
		return -EMSGSIZE;
	*ret_len = n;
	return 0;
}

int nx_secret_read_line(int fd, char *buf, size_t size, size_t *ret_len)
{
	struct termios old, quiet;
	bool tty;
	int r;

	assert_return(fd >= 0 && buf && size > 0 && ret_len, -EINVAL);
	/* TCSANOW, not TCSAFLUSH: what was typed ahead of the prompt is kept as input. */
	tty = tcgetattr(fd, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSANOW, &quiet) < 0)
			return nx_neg_errno();
	}
	r = read_line(fd, buf, size, ret_len);
	if (tty)
		(void)tcsetattr(fd, TCSANOW, &old);
	return r;
}

static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nx_neg_errno();
	return 0;
}

int nx_secret_file_write(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, r;

	assert_return(path && *path && (data || len == 0), -EINVAL);
	r = make_parent(path);
	if (r < 0)
		return r;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nx_neg_errno();
	r = 0;
	while (len > 0 && r == 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = nx_neg_errno();
		else
			p += n, len -= (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = nx_neg_errno();
	if (close(fd) < 0 && r == 0)
		r = nx_neg_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = nx_neg_errno();
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

int nx_secret_file_read(const char *path, void *buf, size_t size, size_t *ret_len)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	assert_return(path && *path && buf && ret_len, -EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return nx_neg_errno();
	if (fstat(fd, &st) < 0)
		r = nx_neg_errno();
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((st.st_mode & 077) != 0 || st.st_uid != geteuid())
		r = -EPERM;
	else if ((size_t)st.st_size > size)
		r = -EMSGSIZE;
	if (r == 0) {
		do
			n = read(fd, buf, size);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			r = nx_neg_errno();
		else
			*ret_len = (size_t)n;
	}
	close(fd);
	return r;
}

int nx_secret_file_remove(const char *path)
{
	assert_return(path && *path, -EINVAL);
	return unlink(path) < 0 ? nx_neg_errno() : 0;
}
