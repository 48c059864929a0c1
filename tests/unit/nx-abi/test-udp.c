/* SPDX-License-Identifier: MIT */
/* nx-abi UDP: two mDNS sockets sharing a port on the loopback interface both hear a
 * multicast datagram with its source; oversized datagrams and unknown interfaces are
 * refused; the loopback's address is found. Runs on `lo` with a port of its own, never on the
 * host's real network or port 5353. */
#include <arpa/inet.h>
#include <errno.h>
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
#include "nx-abi/udp.h"

static uint16_t test_port(void)
{
	return (uint16_t)(20000 + getpid() % 20000);
}

/* Waits (a safety net, not a timing) until fd is readable. */
static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	assert_int_equal(poll(&p, 1, 5000), 1);
}

static void multicast_reaches_every_socket_on_the_port(void **state)
{
	int before = fdcheck_count(), a = -1, b = -1;
	uint16_t port = test_port(), from_port = 0;
	uint32_t group = htonl(NX_MDNS_GROUP), loopback = htonl(INADDR_LOOPBACK), from = 0;
	char buf[64];

	(void)state;
	assert_int_equal(nx_mdns_open("lo", port, &a), 0);
	assert_int_equal(nx_mdns_open("lo", port, &b), 0); /* SO_REUSEPORT: a second responder */
	assert_int_equal(nx_udp_recv(a, buf, sizeof(buf), NULL, NULL), -EAGAIN);
	assert_int_equal(nx_udp_send(a, "hello", 5, group, port, loopback), 5);
	wait_readable(a);
	wait_readable(b);
	assert_int_equal(nx_udp_recv(a, buf, sizeof(buf), &from, &from_port), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(from_port, port);
	assert_int_not_equal(from, 0);
	assert_int_equal(nx_udp_recv(b, buf, sizeof(buf), NULL, NULL), 5);
	/* Unicast to the port reaches one of the sockets sharing it. */
	assert_int_equal(nx_udp_send(b, "again", 5, loopback, port, 0), 5);
	{
		struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};

		assert_int_equal(poll(p, 2, 5000), 1);
		assert_int_equal(
		        nx_udp_recv(p[0].revents ? a : b, buf, sizeof(buf), NULL, NULL), 5);
		assert_memory_equal(buf, "again", 5);
	}
	a = nx_fd_close(a);
	b = nx_fd_close(b);
	fdcheck_assert(before);
}

static void longer_datagrams_are_refused(void **state)
{
	int before = fdcheck_count(), fd = -1;
	uint32_t group = htonl(NX_MDNS_GROUP), loopback = htonl(INADDR_LOOPBACK);
	char big[600] = {0}, small[100];

	(void)state;
	assert_int_equal(nx_mdns_open("lo", test_port() + 1, &fd), 0);
	assert_int_equal(nx_udp_send(fd, big, sizeof(big), group, test_port() + 1, loopback),
	        (ssize_t)sizeof(big));
	wait_readable(fd);
	assert_int_equal(nx_udp_recv(fd, small, sizeof(small), NULL, NULL), -EMSGSIZE);
	/* The datagram is gone: nothing left to read. */
	assert_int_equal(nx_udp_recv(fd, small, sizeof(small), NULL, NULL), -EAGAIN);
	fd = nx_fd_close(fd);
	fdcheck_assert(before);
}

static void interfaces_are_named(void **state)
{
	int before = fdcheck_count(), fd = -1;
	uint32_t addrs[4], loopback = htonl(INADDR_LOOPBACK);
	size_t n = 9;

	(void)state;
	assert_int_equal(nx_mdns_open("nx-no-such0", test_port(), &fd), -ENODEV);
	assert_int_equal(fd, -1);
	assert_int_equal(nx_ipv4_addrs("nx-no-such0", addrs, 4, &n), -ENODEV);
	assert_int_equal(nx_ipv4_addrs("lo", addrs, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(addrs[0], loopback);
	assert_int_equal(nx_ipv4_addrs("lo", addrs, 0, &n), 0);
	assert_int_equal(n, 0);
	/* Every interface: the loopback is never among them. */
	assert_int_equal(nx_ipv4_addrs(NULL, addrs, 4, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(addrs[i], loopback);
	assert_int_equal(nx_mdns_open("lo", 0, &fd), -EINVAL);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(multicast_reaches_every_socket_on_the_port),
	        cmocka_unit_test(longer_datagrams_are_refused),
	        cmocka_unit_test(interfaces_are_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
