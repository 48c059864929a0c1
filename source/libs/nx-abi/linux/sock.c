/* SPDX-License-Identifier: MIT */
/* nx-abi channels on AF_UNIX SOCK_STREAM sockets with SCM_RIGHTS. */
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "abi-internal.h"

/* One fd more than a message may carry: a peer that sends NX_MSG_MAX_FDS + 1 is seen whole and
 * refused; beyond that the kernel truncates (MSG_CTRUNC) and is refused the same way. */
#define CHAN_RECV_FD_SLOTS (NX_MSG_MAX_FDS + 1)

static void close_all(const int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int chan_pair(int flags, int ret_fds[2])
{
	int sv[2];

	assert_return(ret_fds, -EINVAL);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0, sv) < 0)
		return nx_neg_errno();
	ret_fds[0] = sv[0];
	ret_fds[1] = sv[1];
	return 0;
}

int nx_chan_pair(int ret_fds[2])
{
	return chan_pair(SOCK_NONBLOCK, ret_fds);
}

int nx_chan_pair_blocking(int ret_fds[2])
{
	return chan_pair(0, ret_fds);
}

ssize_t nx_chan_send(int fd, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * NX_MSG_MAX_FDS)];
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	/* Consumed even on a refused call: the caller must be able to rely on "sending
	 * consumes" without special-casing programmer errors. */
	if (nfds > 0 && fds && (fd < 0 || !buf || len == 0 || nfds > NX_MSG_MAX_FDS)) {
		close_all(fds, nfds);
		return -EINVAL;
	}
	assert_return(fd >= 0 && buf && len > 0, -EINVAL);
	assert_return(nfds == 0 || fds, -EINVAL);

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}

	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int r = nx_neg_errno();

		/* EAGAIN: nothing left this process, the caller keeps the fds to retry. */
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			return -EAGAIN;
		close_all(fds, nfds);
		return r;
	}
	/* The kernel holds its own references now; ours are done, even on a partial send, as the
	 * fds travelled with the first byte. */
	close_all(fds, nfds);
	return n;
}

ssize_t nx_chan_recv(
        int fd, void *buf, size_t cap, int *ret_fds, unsigned max_fds, unsigned *ret_nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * CHAN_RECV_FD_SLOTS)];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {
	        .msg_iov = &iov,
	        .msg_iovlen = 1,
	        .msg_control = control.buf,
	        .msg_controllen = sizeof(control.buf),
	};
	int got[CHAN_RECV_FD_SLOTS * 2];
	unsigned ngot = 0;
	bool overflow = false;
	struct cmsghdr *c;
	ssize_t n;

	assert_return(fd >= 0 && buf && cap > 0, -EINVAL);
	assert_return(max_fds <= NX_MSG_MAX_FDS, -EINVAL);
	assert_return(max_fds == 0 || (ret_fds && ret_nfds), -EINVAL);

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int r = nx_neg_errno();

		return r == -EWOULDBLOCK ? -EAGAIN : r;
	}

	/* Gather every fd of every SCM_RIGHTS header first: whatever we refuse, we must close
	 * all of them, not just the first header's. */
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k, count;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		if (c->cmsg_len < CMSG_LEN(0))
			continue;
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < count; k++) {
			int rfd;

			memcpy(&rfd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (ngot < sizeof(got) / sizeof(got[0]))
				got[ngot++] = rfd;
			else {
				/* Cannot happen with our control buffer size; never leak regardless. */
				close(rfd);
				overflow = true;
			}
		}
	}

	if (overflow || (msg.msg_flags & MSG_CTRUNC) || ngot > max_fds) {
		close_all(got, ngot);
		return -EPROTO;
	}
	if (ngot > 0)
		memcpy(ret_fds, got, ngot * sizeof(int));
	if (ret_nfds)
		*ret_nfds = ngot;
	return n;
}

int nx_chan_peer_cred(int fd, uint32_t *ret_uid, uint32_t *ret_gid, int32_t *ret_pid)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	assert_return(fd >= 0, -EINVAL);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
		return nx_neg_errno();
	if (l != sizeof(uc))
		return -EIO;
	if (ret_uid)
		*ret_uid = uc.uid;
	if (ret_gid)
		*ret_gid = uc.gid;
	if (ret_pid)
		*ret_pid = uc.pid;
	return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *ret, socklen_t *ret_len)
{
	size_t l = strlen(path);

	/* Room for the NUL; a path that would be cut is refused, not truncated. */
	if (l == 0 || l >= sizeof(ret->sun_path))
		return -ENAMETOOLONG;
	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	memcpy(ret->sun_path, path, l + 1);
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l + 1);
	return 0;
}

/* Someone listening at `sa`? 1: stale (ECONNREFUSED: a socket file nobody serves), 0: alive,
 * or a negative errno. */
static int probe_stale(const struct sockaddr_un *sa, socklen_t sl)
{
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nx_neg_errno();
	r = connect(fd, (const struct sockaddr *)sa, sl) < 0 ? nx_neg_errno() : 0;
	close(fd);
	if (r == -ECONNREFUSED)
		return 1;
	/* Connected, or the backlog is full (EAGAIN): alive. */
	if (r == 0 || r == -EAGAIN)
		return 0;
	return r; /* cannot tell (EACCES, ...): do not remove it */
}

int nx_listen_unix(const char *path, unsigned mode, int *ret_fd)
{
	struct sockaddr_un sa;
	socklen_t sl;
	struct stat st;
	int fd, r;

	assert_return(path && ret_fd, -EINVAL);
	assert_return((mode & ~07777u) == 0, -EINVAL);
	r = unix_addr(path, &sa, &sl);
	if (r < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nx_neg_errno();

	if (bind(fd, (struct sockaddr *)&sa, sl) < 0) {
		r = nx_neg_errno();
		if (r != -EADDRINUSE)
			goto fail;
		/* Bind first and only then look: whatever is at the path, we never remove a file
		 * that is not a socket, nor a socket somebody serves. */
		if (lstat(path, &st) < 0) {
			r = nx_neg_errno();
			goto fail;
		}
		if (!S_ISSOCK(st.st_mode)) {
			r = -ENOTSOCK;
			goto fail;
		}
		r = probe_stale(&sa, sl);
		if (r < 0)
			goto fail;
		if (r == 0) {
			r = -EADDRINUSE;
			goto fail;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			r = nx_neg_errno();
			goto fail;
		}
		if (bind(fd, (struct sockaddr *)&sa, sl) < 0) {
			r = nx_neg_errno();
			goto fail;
		}
	}
	/* Before listen(): nobody can connect while the mode is still the umask's. */
	if (chmod(path, mode) < 0) {
		r = nx_neg_errno();
		goto fail_unlink;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		r = nx_neg_errno();
		goto fail_unlink;
	}
	*ret_fd = fd;
	return 0;
fail_unlink:
	(void)unlink(path);
fail:
	close(fd);
	return r;
}

int nx_accept(int listen_fd, int *ret_fd)
{
	int fd;

	assert_return(listen_fd >= 0 && ret_fd, -EINVAL);
	do
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		int r = nx_neg_errno();

		return r == -EWOULDBLOCK ? -EAGAIN : r;
	}
	*ret_fd = fd;
	return 0;
}

int nx_connect_unix(const char *path, int *ret_fd)
{
	struct sockaddr_un sa;
	socklen_t sl;
	int fd, r;

	assert_return(path && ret_fd, -EINVAL);
	r = unix_addr(path, &sa, &sl);
	if (r < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nx_neg_errno();
	/* A blocking connect waits for backlog room instead of failing with EAGAIN. Not
	 * retried on EINTR: a second connect on the same socket would report EALREADY. */
	if (connect(fd, (struct sockaddr *)&sa, sl) < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	r = nx_fd_set_nonblock(fd, 1);
	if (r < 0)
		goto fail;
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int nx_fd_set_nonblock(int fd, int on)
{
	int fl, nfl;

	assert_return(fd >= 0, -EINVAL);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return nx_neg_errno();
	nfl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (nfl != fl && fcntl(fd, F_SETFL, nfl) < 0)
		return nx_neg_errno();
	return 0;
}

int nx_fd_dup(int fd, int *ret_fd)
{
	int copy;

	assert_return(ret_fd, -EINVAL);
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return nx_neg_errno();
	*ret_fd = copy;
	return 0;
}

int nx_fd_close_from(int first)
{
	struct rlimit lim;

	assert_return(first >= 0, -EINVAL);
	if (close_range((unsigned)first, ~0u, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return nx_neg_errno();
	/* Before Linux 5.9: one by one, up to the fd limit. */
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return nx_neg_errno();
	for (rlim_t fd = (rlim_t)first; fd < lim.rlim_cur && fd < INT32_MAX; fd++)
		(void)close((int)fd);
	return 0;
}

int nx_fd_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;

		/* Linux releases the fd even when close reports EINTR or EIO: never retry. */
		(void)close(fd);
		errno = saved;
	}
	return -1;
}

int nx_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return nx_neg_errno();
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}
