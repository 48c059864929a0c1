/* SPDX-License-Identifier: MIT */
/* nx-abi channels: bytes and fds, fd limits and ownership, partial sends, EAGAIN, peer
 * credentials, listen/accept/connect. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool fd_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl >= 0 && (fl & FD_CLOEXEC);
}

/* A memfd holding `text`, to check that what arrives is the same file. */
static int memfd_with(const char *text)
{
	int fd;

	assert_int_equal(nx_vmo_create("test", strlen(text), &fd), 0);
	assert_int_equal(nx_vmo_write(fd, 0, text, strlen(text)), 0);
	return fd;
}

static void assert_memfd_holds(int fd, const char *text)
{
	char buf[64] = {0};

	assert_true(strlen(text) < sizeof(buf));
	assert_int_equal(nx_vmo_read(fd, 0, buf, strlen(text)), 0);
	assert_string_equal(buf, text);
}

/* Sends `n` fds in `ncmsg` separate SCM_RIGHTS headers with one byte, bypassing nx_chan_send's
 * limit, the way a hostile peer would. */
static void raw_send_fds(int sock, const int *fds, unsigned n, unsigned ncmsg)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16) * 4];
	} control;
	struct iovec iov = {.iov_base = "!", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf};
	struct cmsghdr *c;
	unsigned per = n / ncmsg, i, done = 0;

	assert_true(n <= 16 && ncmsg > 0 && ncmsg <= 4 && n % ncmsg == 0);
	memset(&control, 0, sizeof(control));
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * per) * ncmsg;
	c = CMSG_FIRSTHDR(&msg);
	for (i = 0; i < ncmsg; i++) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * per);
		memcpy(CMSG_DATA(c), fds + done, sizeof(int) * per);
		done += per;
		c = CMSG_NXTHDR(&msg, c);
	}
	assert_int_equal(sendmsg(sock, &msg, MSG_NOSIGNAL), 1);
}

static void test_round_trip_bytes_and_fd(void **state)
{
	int before = fdcheck_count();
	int ch[2], vmo, got[NX_MSG_MAX_FDS];
	unsigned ngot = 99;
	char buf[16] = {0};

	assert_int_equal(nx_chan_pair(ch), 0);
	assert_true(fd_cloexec(ch[0]) && fd_cloexec(ch[1]));
	assert_true(fcntl(ch[0], F_GETFL) & O_NONBLOCK);
	vmo = memfd_with("payload");

	assert_int_equal(nx_chan_send(ch[0], "hello", 5, &vmo, 1), 5);
	/* Consumed: the sender's copy is gone (only the pair and the one in flight remain). */
	assert_int_equal(fdcheck_count(), before + 2);

	assert_int_equal(nx_chan_recv(ch[1], buf, sizeof(buf), got, NX_MSG_MAX_FDS, &ngot), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ngot, 1);
	assert_true(fd_cloexec(got[0]));
	assert_memfd_holds(got[0], "payload");
	close(got[0]);

	/* Bytes alone, the other way. */
	assert_int_equal(nx_chan_send(ch[1], "abc", 3, NULL, 0), 3);
	ngot = 99;
	assert_int_equal(nx_chan_recv(ch[0], buf, sizeof(buf), got, NX_MSG_MAX_FDS, &ngot), 3);
	assert_int_equal(ngot, 0);
	assert_memory_equal(buf, "abc", 3);

	/* Peer closed: 0. */
	close(ch[1]);
	assert_int_equal(nx_chan_recv(ch[0], buf, sizeof(buf), NULL, 0, NULL), 0);
	close(ch[0]);
	fdcheck_assert(before);
}

static void test_max_fds_ok(void **state)
{
	int before = fdcheck_count();
	int ch[2], fds[NX_MSG_MAX_FDS], got[NX_MSG_MAX_FDS];
	const char *text[NX_MSG_MAX_FDS] = {"zero", "one", "two", "three"};
	unsigned i, ngot = 0;
	char b;

	assert_int_equal(NX_MSG_MAX_FDS, 4);
	assert_int_equal(nx_chan_pair(ch), 0);
	for (i = 0; i < NX_MSG_MAX_FDS; i++)
		fds[i] = memfd_with(text[i]);
	assert_int_equal(nx_chan_send(ch[0], "m", 1, fds, NX_MSG_MAX_FDS), 1);
	assert_int_equal(nx_chan_recv(ch[1], &b, 1, got, NX_MSG_MAX_FDS, &ngot), 1);
	assert_int_equal(ngot, NX_MSG_MAX_FDS);
	/* In order. */
	for (i = 0; i < NX_MSG_MAX_FDS; i++) {
		assert_memfd_holds(got[i], text[i]);
		close(got[i]);
	}
	close(ch[0]);
	close(ch[1]);
	fdcheck_assert(before);
}

static void test_send_more_than_max_refused_and_consumed(void **state)
{
	int before = fdcheck_count();
	int ch[2], fds[NX_MSG_MAX_FDS + 1];
	unsigned i;

	assert_int_equal(nx_chan_pair(ch), 0);
	for (i = 0; i < NX_MSG_MAX_FDS + 1; i++)
		fds[i] = memfd_with("x");
	/* A programmer error, and still "sending consumes". */
	assert_int_equal(nx_chan_send(ch[0], "m", 1, fds, NX_MSG_MAX_FDS + 1), -EINVAL);
	for (i = 0; i < NX_MSG_MAX_FDS + 1; i++)
		assert_false(fd_open(fds[i]));
	close(ch[0]);
	close(ch[1]);
	fdcheck_assert(before);
}

/* The peer sends `n` fds in `ncmsg` headers; the receiver allows `max`. */
static ssize_t recv_from_hostile(unsigned n, unsigned ncmsg, unsigned max, int before)
{
	int ch[2], fds[16], got[NX_MSG_MAX_FDS];
	unsigned i, ngot = 0;
	ssize_t r;
	char b;

	assert_int_equal(nx_chan_pair(ch), 0);
	for (i = 0; i < n; i++)
		fds[i] = memfd_with("x");
	raw_send_fds(ch[0], fds, n, ncmsg);
	for (i = 0; i < n; i++)
		close(fds[i]);
	r = nx_chan_recv(ch[1], &b, 1, got, max, &ngot);
	if (r >= 0) {
		for (i = 0; i < ngot; i++)
			close(got[i]);
	}
	close(ch[0]);
	close(ch[1]);
	/* Whatever the outcome, nothing that arrived stays open. */
	fdcheck_assert(before);
	return r >= 0 ? (ssize_t)ngot : r;
}

static void test_recv_too_many_fds(void **state)
{
	int before = fdcheck_count();

	/* 5 with room for 4: all five closed, the link must drop. */
	assert_int_equal(recv_from_hostile(5, 1, NX_MSG_MAX_FDS, before), -EPROTO);
	/* Fewer allowed by this receiver than the global limit. */
	assert_int_equal(recv_from_hostile(2, 1, 1, before), -EPROTO);
	assert_int_equal(recv_from_hostile(1, 1, 0, before), -EPROTO);
	/* Beyond what the control buffer holds: the kernel truncates (MSG_CTRUNC). */
	assert_int_equal(recv_from_hostile(12, 1, NX_MSG_MAX_FDS, before), -EPROTO);
	/* Several SCM_RIGHTS headers in one message count together. */
	assert_int_equal(recv_from_hostile(4, 2, NX_MSG_MAX_FDS, before), 4);
	assert_int_equal(recv_from_hostile(6, 2, NX_MSG_MAX_FDS, before), -EPROTO);
	assert_int_equal(recv_from_hostile(12, 4, NX_MSG_MAX_FDS, before), -EPROTO);
	fdcheck_assert(before);
}

static void test_recv_truncated_fds(void **state)
{
	int before = fdcheck_count();
	int ch[2], vmo, got[NX_MSG_MAX_FDS], on = 1;
	unsigned ngot = 0;
	char b;

	/* SO_PASSCRED puts a credentials header first, which leaves no room for the fd: the
	 * kernel drops it and sets MSG_CTRUNC with fewer fds than the limit. Still -EPROTO. */
	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(setsockopt(ch[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
	vmo = memfd_with("dropped");
	assert_int_equal(nx_chan_send(ch[0], "m", 1, &vmo, 1), 1);
	assert_int_equal(nx_chan_recv(ch[1], &b, 1, got, NX_MSG_MAX_FDS, &ngot), -EPROTO);
	close(ch[0]);
	close(ch[1]);
	fdcheck_assert(before);
}

static void test_partial_send_fds_ride_first_byte(void **state)
{
	int before = fdcheck_count();
	const size_t len = 8u << 20; /* far more than a socket buffer */
	char *big = malloc(len), *sink = malloc(len);
	int ch[2], vmo, got[NX_MSG_MAX_FDS];
	unsigned ngot, nfds_seen = 0;
	size_t total = 0;
	ssize_t n, r;

	assert_non_null(big);
	assert_non_null(sink);
	memset(big, 'q', len);
	assert_int_equal(nx_chan_pair(ch), 0);
	vmo = memfd_with("first");

	n = nx_chan_send(ch[0], big, len, &vmo, 1);
	assert_true(n > 0 && (size_t)n < len);
	assert_false(fd_open(vmo)); /* consumed by the partial send */

	/* The rest, without fds, until the socket is full. */
	for (;;) {
		r = nx_chan_send(ch[0], big, len - (size_t)n, NULL, 0);
		if (r == -EAGAIN)
			break;
		assert_true(r > 0);
		n += r;
	}

	/* The fd arrives exactly once, with the first bytes read. */
	for (;;) {
		ngot = 0;
		r = nx_chan_recv(ch[1], sink + total, len - total, got, NX_MSG_MAX_FDS, &ngot);
		if (r == -EAGAIN)
			break;
		assert_true(r > 0);
		if (ngot) {
			assert_int_equal(total, 0);
			assert_int_equal(ngot, 1);
			assert_memfd_holds(got[0], "first");
			close(got[0]);
		}
		nfds_seen += ngot;
		total += (size_t)r;
	}
	assert_int_equal(nfds_seen, 1);
	assert_int_equal(total, (size_t)n);
	assert_memory_equal(sink, big, total);

	free(big);
	free(sink);
	close(ch[0]);
	close(ch[1]);
	fdcheck_assert(before);
}

static void test_eagain_keeps_fds(void **state)
{
	int before = fdcheck_count();
	static char chunk[65536];
	int ch[2], vmo;
	unsigned ngot;
	char b;
	ssize_t r;

	assert_int_equal(nx_chan_pair(ch), 0);
	/* Empty: -EAGAIN, nothing else. */
	assert_int_equal(nx_chan_recv(ch[1], &b, 1, NULL, 0, &ngot), -EAGAIN);

	do
		r = nx_chan_send(ch[0], chunk, sizeof(chunk), NULL, 0);
	while (r > 0);
	assert_int_equal(r, -EAGAIN);

	/* Nothing sent: the fd is still the caller's, to retry later. */
	vmo = memfd_with("retry");
	assert_int_equal(nx_chan_send(ch[0], "m", 1, &vmo, 1), -EAGAIN);
	assert_true(fd_open(vmo));
	assert_memfd_holds(vmo, "retry");
	close(vmo);

	close(ch[0]);
	close(ch[1]);
	fdcheck_assert(before);
}

static void test_send_error_consumes_fds(void **state)
{
	int before = fdcheck_count();
	int ch[2], vmo;

	assert_int_equal(nx_chan_pair(ch), 0);
	close(ch[1]);
	vmo = memfd_with("lost");
	/* MSG_NOSIGNAL: an error, not SIGPIPE; and the fd is consumed. */
	assert_int_equal(nx_chan_send(ch[0], "m", 1, &vmo, 1), -EPIPE);
	assert_false(fd_open(vmo));
	close(ch[0]);
	fdcheck_assert(before);
}

static void test_blocking_pair_and_peer_cred(void **state)
{
	int before = fdcheck_count();
	uint32_t uid = 0, gid = 0;
	int32_t pid = 0;
	int ch[2];
	char b = 0;

	assert_int_equal(nx_chan_pair_blocking(ch), 0);
	assert_false(fcntl(ch[0], F_GETFL) & O_NONBLOCK);
	assert_true(fd_cloexec(ch[0]) && fd_cloexec(ch[1]));
	assert_int_equal(nx_chan_peer_cred(ch[0], &uid, &gid, &pid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(gid, getgid());
	assert_int_equal(pid, getpid());
	assert_int_equal(nx_chan_send(ch[1], "k", 1, NULL, 0), 1);
	assert_int_equal(nx_chan_recv(ch[0], &b, 1, NULL, 0, NULL), 1);
	assert_int_equal(b, 'k');

	assert_int_equal(nx_fd_set_nonblock(ch[0], 1), 0);
	assert_true(fcntl(ch[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(nx_chan_recv(ch[0], &b, 1, NULL, 0, NULL), -EAGAIN);
	assert_int_equal(nx_fd_set_nonblock(ch[0], 0), 0);
	assert_false(fcntl(ch[0], F_GETFL) & O_NONBLOCK);

	assert_int_equal(nx_fd_close(ch[0]), -1);
	assert_int_equal(nx_fd_close(ch[1]), -1);
	assert_int_equal(nx_fd_close(-1), -1);
	fdcheck_assert(before);
}

/* A dup is a second fd on the same socket, close-on-exec; a bad fd is -EBADF. */
static void test_dup(void **state)
{
	int before = fdcheck_count(), ch[2], copy = -1;
	char b = 0;

	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(nx_fd_dup(ch[1], &copy), 0);
	assert_true(copy > 2 && copy != ch[1] && fd_cloexec(copy));
	nx_fd_close(ch[1]);
	assert_int_equal(nx_chan_send(copy, "d", 1, NULL, 0), 1);
	assert_int_equal(nx_chan_recv(ch[0], &b, 1, NULL, 0, NULL), 1);
	assert_int_equal(b, 'd');
	nx_fd_close(copy);
	assert_int_equal(nx_fd_dup(ch[1], &copy), -EBADF);
	nx_fd_close(ch[0]);
	fdcheck_assert(before);
}

static void test_fd_count_matches(void **state)
{
	int before = fdcheck_count();
	int ch[2];

	assert_int_equal(nx_fd_count(), before);
	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(nx_fd_count(), before + 2);
	close(ch[0]);
	close(ch[1]);
	assert_int_equal(nx_fd_count(), before);
	fdcheck_assert(before);
}

/* A fresh private directory for socket files, removed by rm_tmpdir. */
static void make_tmpdir(char *dir, size_t cap)
{
	const char *base = getenv("TMPDIR");

	assert_true(
	        snprintf(dir, cap, "%s/nx-abi-XXXXXX", base && *base ? base : "/tmp") < (int)cap);
	assert_non_null(mkdtemp(dir));
}

static void test_listen_accept_connect(void **state)
{
	int before = fdcheck_count();
	char dir[256], path[PATH_MAX];
	int lfd, cfd, sfd;
	uint32_t uid;
	int32_t pid;
	struct stat st;
	char b = 0;

	make_tmpdir(dir, sizeof(dir));
	assert_true(snprintf(path, sizeof(path), "%s/s.sock", dir) < (int)sizeof(path));
	assert_int_equal(nx_listen_unix(path, 0600, &lfd), 0);
	assert_true(fd_cloexec(lfd));
	assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(nx_accept(lfd, &sfd), -EAGAIN);
	assert_int_equal(nx_connect_unix(path, &cfd), 0);
	assert_true(fd_cloexec(cfd));
	assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(nx_accept(lfd, &sfd), 0);
	assert_true(fd_cloexec(sfd));
	assert_true(fcntl(sfd, F_GETFL) & O_NONBLOCK);

	assert_int_equal(nx_chan_peer_cred(sfd, &uid, NULL, &pid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(pid, getpid());
	assert_int_equal(nx_chan_send(cfd, "c", 1, NULL, 0), 1);
	assert_int_equal(nx_chan_recv(sfd, &b, 1, NULL, 0, NULL), 1);
	assert_int_equal(b, 'c');

	/* Another mode is applied as given, not through the umask. */
	close(sfd);
	close(cfd);
	close(lfd);
	assert_int_equal(nx_listen_unix(path, 0666, &lfd), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	close(lfd);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(nx_connect_unix(path, &cfd), -ENOENT);
	assert_int_equal(rmdir(dir), 0);
	fdcheck_assert(before);
}

static void test_listen_stale_live_and_not_socket(void **state)
{
	int before = fdcheck_count();
	char dir[256], path[PATH_MAX], file[PATH_MAX], longp[200];
	int lfd, lfd2, cfd, sfd, fd;
	struct stat st;

	make_tmpdir(dir, sizeof(dir));
	assert_true(snprintf(path, sizeof(path), "%s/s.sock", dir) < (int)sizeof(path));

	/* A live listener is left alone. */
	assert_int_equal(nx_listen_unix(path, 0600, &lfd), 0);
	assert_int_equal(nx_listen_unix(path, 0600, &lfd2), -EADDRINUSE);
	assert_int_equal(nx_connect_unix(path, &cfd), 0);
	assert_int_equal(nx_accept(lfd, &sfd), 0);
	close(sfd);
	close(cfd);

	/* Its owner died without unlinking: the file is stale and replaced. */
	close(lfd);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(nx_listen_unix(path, 0600, &lfd), 0);
	assert_int_equal(nx_connect_unix(path, &cfd), 0);
	assert_int_equal(nx_accept(lfd, &sfd), 0);
	close(sfd);
	close(cfd);
	close(lfd);
	assert_int_equal(unlink(path), 0);

	/* Not a socket: refused and left as it was. */
	assert_true(snprintf(file, sizeof(file), "%s/plain", dir) < (int)sizeof(file));
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(nx_listen_unix(file, 0600, &lfd), -ENOTSOCK);
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
	assert_int_equal(unlink(file), 0);

	/* A path that would not fit sun_path is refused, not truncated. */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(nx_listen_unix(longp, 0600, &lfd), -ENAMETOOLONG);
	assert_int_equal(nx_connect_unix(longp, &cfd), -ENAMETOOLONG);

	assert_int_equal(rmdir(dir), 0);
	fdcheck_assert(before);
}

/* In a child (the closing is for good): fds from `first` up go, the ones below stay. */
static void test_fd_close_from(void **state)
{
	int pid, status;

	assert_int_equal(nx_fd_close_from(-1), -EINVAL);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int high = fcntl(keep, F_DUPFD_CLOEXEC, 200), higher = dup2(keep, 300);

		if (keep < 0 || keep >= 200 || high < 200 || higher != 300)
			_exit(1);
		if (nx_fd_close_from(200) != 0)
			_exit(2);
		if (fcntl(high, F_GETFD) != -1 || errno != EBADF || fcntl(300, F_GETFD) != -1)
			_exit(3);
		_exit(fcntl(keep, F_GETFD) >= 0 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip_bytes_and_fd),
	        cmocka_unit_test(test_max_fds_ok),
	        cmocka_unit_test(test_send_more_than_max_refused_and_consumed),
	        cmocka_unit_test(test_recv_too_many_fds),
	        cmocka_unit_test(test_recv_truncated_fds),
	        cmocka_unit_test(test_partial_send_fds_ride_first_byte),
	        cmocka_unit_test(test_eagain_keeps_fds),
	        cmocka_unit_test(test_send_error_consumes_fds),
	        cmocka_unit_test(test_blocking_pair_and_peer_cred),
	        cmocka_unit_test(test_dup),
	        cmocka_unit_test(test_fd_count_matches),
	        cmocka_unit_test(test_listen_accept_connect),
	        cmocka_unit_test(test_listen_stale_live_and_not_socket),
	        cmocka_unit_test(test_fd_close_from),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
