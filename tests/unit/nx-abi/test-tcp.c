/* SPDX-License-Identifier: MIT */
/* nx-abi TCP: listen on an ephemeral loopback port, connect, accept, bytes both ways, a
 * refused connect, close-on-exec and non-blocking fds, address parsing and formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/sock.h"
#include "nx-abi/tcp.h"

static uint32_t loopback(void)
{
	return htonl(INADDR_LOOPBACK);
}

static void assert_cloexec_nonblock(int fd)
{
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

/* Waits (a safety net of 5 s, never a timing) until fd is writable. */
static void wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	assert_int_equal(poll(&p, 1, 5000), 1);
}

static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	assert_int_equal(poll(&p, 1, 5000), 1);
}

static void test_listen_connect_accept_bytes(void **state)
{
	int before = fdcheck_count(), lfd, cfd, sfd, r;
	uint16_t port = 0, peer_port = 0;
	uint32_t peer_addr = 0;
	char buf[16];

	assert_int_equal(nx_tcp_listen(loopback(), 0, &lfd, &port), 0);
	assert_true(port > 0);
	assert_cloexec_nonblock(lfd);
	assert_int_equal(nx_tcp_accept(lfd, &sfd, NULL, NULL), -EAGAIN);

	r = nx_tcp_connect(loopback(), port, &cfd);
	assert_true(r == 0 || r == -EINPROGRESS);
	wait_writable(cfd);
	assert_int_equal(nx_tcp_connected(cfd), 0);
	assert_cloexec_nonblock(cfd);
	wait_readable(lfd);
	assert_int_equal(nx_tcp_accept(lfd, &sfd, &peer_addr, &peer_port), 0);
	assert_cloexec_nonblock(sfd);
	assert_int_equal(peer_addr, loopback());
	assert_true(peer_port > 0);

	assert_int_equal(nx_tcp_recv(sfd, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(nx_tcp_send(cfd, "hello", 5), 5);
	wait_readable(sfd);
	assert_int_equal(nx_tcp_recv(sfd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);

	/* The peer gone: a read sees the end, a write fails without SIGPIPE. */
	nx_fd_close(cfd);
	wait_readable(sfd);
	assert_int_equal(nx_tcp_recv(sfd, buf, sizeof(buf)), 0);
	for (int i = 0; i < 64 && (r = (int)nx_tcp_send(sfd, "x", 1)) == 1; i++)
		usleep(1000);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	nx_fd_close(sfd);
	nx_fd_close(lfd);
	assert_int_equal(fdcheck_leaked(before, __func__), 0);
}

static void test_connect_refused(void **state)
{
	int before = fdcheck_count(), lfd, cfd, r;
	uint16_t port;

	/* A port that was just free: listen, learn it, close. */
	assert_int_equal(nx_tcp_listen(loopback(), 0, &lfd, &port), 0);
	nx_fd_close(lfd);
	r = nx_tcp_connect(loopback(), port, &cfd);
	if (r == -EINPROGRESS) {
		wait_writable(cfd);
		r = nx_tcp_connected(cfd);
		nx_fd_close(cfd);
	}
	assert_int_equal(r, -ECONNREFUSED);
	assert_int_equal(nx_tcp_connect(loopback(), 0, &cfd), -EINVAL);
	assert_int_equal(fdcheck_leaked(before, __func__), 0);
}

static void test_listen_in_use(void **state)
{
	int lfd, lfd2;
	uint16_t port;

	assert_int_equal(nx_tcp_listen(loopback(), 0, &lfd, &port), 0);
	assert_int_equal(nx_tcp_listen(loopback(), port, &lfd2, NULL), -EADDRINUSE);
	nx_fd_close(lfd);
}

static void test_parse_and_format(void **state)
{
	static const char *const bad[] = {"", ":", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0",
	        "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:80x", "1.2.3:80", "256.1.1.1:80", "host:80",
	        "1.2.3.4:+80", "1.2.3.4.5:80", "[::1]:80", "123456789012345678901234567890:80"};
	char buf[NX_IPV4_ADDRSTR_MAX];
	uint32_t addr;
	uint16_t port;

	assert_int_equal(nx_ipv4_parse("10.0.0.2:7411", &addr, &port), 0);
	assert_int_equal(addr, htonl(0x0a000002));
	assert_int_equal(port, 7411);
	nx_ipv4_format(addr, port, buf);
	assert_string_equal(buf, "10.0.0.2:7411");
	nx_ipv4_format(0xffffffffu, 65535, buf);
	assert_string_equal(buf, "255.255.255.255:65535");
	assert_int_equal(strlen(buf) + 1, NX_IPV4_ADDRSTR_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		addr = 7;
		port = 7;
		assert_int_equal(nx_ipv4_parse(bad[i], &addr, &port), -EINVAL);
		assert_int_equal(addr, 7); /* untouched on failure */
		assert_int_equal(port, 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_listen_connect_accept_bytes),
	        cmocka_unit_test(test_connect_refused),
	        cmocka_unit_test(test_listen_in_use),
	        cmocka_unit_test(test_parse_and_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
