/* SPDX-License-Identifier: MIT */
/* nx-abi TCP over IPv4 sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/tcp.h"

static void sockaddr_of(uint32_t addr, uint16_t port, struct sockaddr_in *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sin_family = AF_INET;
	ret->sin_addr.s_addr = addr;
	ret->sin_port = htons(port);
}

/* Records are written whole and waited for: Nagle would hold the small ones back. */
static int set_nodelay(int fd)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
		return nx_neg_errno();
	return 0;
}

int nx_tcp_listen(uint32_t addr, uint16_t port, int *ret_fd, uint16_t *ret_port)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd, on = 1, r;

	assert_return(ret_fd, -EINVAL);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nx_neg_errno();
	sockaddr_of(addr, port, &sa);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0 ||
	        getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		r = nx_neg_errno();
		close(fd);
		return r;
	}
	*ret_fd = fd;
	if (ret_port)
		*ret_port = ntohs(sa.sin_port);
	return 0;
}

int nx_tcp_accept(int listen_fd, int *ret_fd, uint32_t *ret_addr, uint16_t *ret_port)
{
	struct sockaddr_in sa = {0};
	socklen_t salen = sizeof(sa);
	int fd, r;

	assert_return(ret_fd, -EINVAL);
	fd = accept4(listen_fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : nx_neg_errno();
	r = set_nodelay(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	if (ret_addr)
		*ret_addr = sa.sin_addr.s_addr;
	if (ret_port)
		*ret_port = ntohs(sa.sin_port);
	return 0;
}

int nx_tcp_connect(uint32_t addr, uint16_t port, int *ret_fd)
{
	struct sockaddr_in sa;
	int fd, r;

	assert_return(ret_fd && port > 0, -EINVAL);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nx_neg_errno();
	r = set_nodelay(fd);
	sockaddr_of(addr, port, &sa);
	if (r == 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = nx_neg_errno();
	if (r < 0 && r != -EINPROGRESS) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return r;
}

int nx_tcp_connected(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return nx_neg_errno();
	return -err;
}

ssize_t nx_tcp_send(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : nx_neg_errno();
	return n;
}

ssize_t nx_tcp_recv(int fd, void *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : nx_neg_errno();
	return n;
}

int nx_ipv4_parse(const char *s, uint32_t *ret_addr, uint16_t *ret_port)
{
	char host[INET_ADDRSTRLEN];
	const char *colon;
	struct in_addr in;
	unsigned long port;
	char *end;

	assert_return(s && ret_addr && ret_port, -EINVAL);
	colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535 || inet_pton(AF_INET, host, &in) != 1)
		return -EINVAL;
	*ret_addr = in.s_addr;
	*ret_port = (uint16_t)port;
	return 0;
}

void nx_ipv4_format(uint32_t addr, uint16_t port, char buf[NX_IPV4_ADDRSTR_MAX])
{
	const uint8_t *b = (const uint8_t *)&addr;

	snprintf(buf, NX_IPV4_ADDRSTR_MAX, "%u.%u.%u.%u:%u", b[0], b[1], b[2], b[3], port);
}
