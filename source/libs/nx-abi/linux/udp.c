/* SPDX-License-Identifier: MIT */
/* nx-abi UDP (udp.h): the mDNS socket on AF_INET datagrams, addresses from getifaddrs(3). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/udp.h"

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? nx_neg_errno() : 0;
}

/* An interface we announce on: up, IPv4, not loopback (unless asked for by name). */
static bool usable(const struct ifaddrs *ifa, const char *ifname)
{
	if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !(ifa->ifa_flags & IFF_UP))
		return false;
	if (ifname)
		return strcmp(ifa->ifa_name, ifname) == 0;
	return !(ifa->ifa_flags & IFF_LOOPBACK) && (ifa->ifa_flags & IFF_MULTICAST);
}

static int join(int fd, unsigned ifindex)
{
	struct ip_mreqn mreq = {
	        .imr_multiaddr.s_addr = htonl(NX_MDNS_GROUP),
	        .imr_ifindex = (int)ifindex,
	};

	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) == 0)
		return 0;
	/* An interface with two addresses is met twice: joined already is fine. */
	return errno == EADDRINUSE ? 0 : nx_neg_errno();
}

/* Joins the group on ifname (then also sends through it), or on every usable interface. */
static int join_all(int fd, const char *ifname)
{
	struct ifaddrs *list, *ifa;
	unsigned joined = 0;
	int r = 0;

	if (ifname) {
		unsigned ifindex = if_nametoindex(ifname);
		struct ip_mreqn out = {.imr_ifindex = (int)ifindex};

		if (ifindex == 0)
			return -ENODEV;
		r = join(fd, ifindex);
		if (r == 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof(out)) < 0)
			r = nx_neg_errno();
		return r;
	}
	if (getifaddrs(&list) < 0)
		return nx_neg_errno();
	for (ifa = list; ifa && r == 0; ifa = ifa->ifa_next) {
		unsigned ifindex;

		if (!usable(ifa, NULL))
			continue;
		ifindex = if_nametoindex(ifa->ifa_name);
		if (ifindex == 0)
			continue; /* went away meanwhile */
		r = join(fd, ifindex);
		joined += r == 0;
	}
	freeifaddrs(list);
	return r < 0 ? r : joined ? 0 : -ENODEV;
}

int nx_mdns_open(const char *ifname, uint16_t port, int *ret_fd)
{
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, r;

	assert_return(ret_fd && port, -EINVAL);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nx_neg_errno();
	r = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (r == 0)
		r = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (r == 0 && bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		r = nx_neg_errno();
	if (r == 0)
		r = join_all(fd, ifname);
	if (r == 0)
		r = set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1);
	/* RFC 6762 section 11: sent with TTL 255, so a receiver can tell link-local traffic. */
	if (r == 0)
		r = set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255);
	if (r == 0)
		r = set_int(fd, IPPROTO_IP, IP_TTL, 255);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int nx_ipv4_addrs(const char *ifname, uint32_t *addrs, size_t max, size_t *ret_n)
{
	struct ifaddrs *list, *ifa;
	size_t n = 0;

	assert_return((addrs || max == 0) && ret_n, -EINVAL);
	if (ifname && if_nametoindex(ifname) == 0)
		return -ENODEV;
	if (getifaddrs(&list) < 0)
		return nx_neg_errno();
	for (ifa = list; ifa && n < max; ifa = ifa->ifa_next)
		if (usable(ifa, ifname))
			addrs[n++] = ((const struct sockaddr_in *)(const void *)ifa->ifa_addr)
			                     ->sin_addr.s_addr;
	freeifaddrs(list);
	*ret_n = n;
	return 0;
}

ssize_t nx_udp_send(int fd, const void *buf, size_t len, uint32_t addr, uint16_t port, uint32_t via)
{
	struct sockaddr_in to = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = addr};
	ssize_t n;

	assert_return(fd >= 0 && (buf || !len), -EINVAL);
	if (via && IN_MULTICAST(ntohl(addr))) {
		struct in_addr out = {.s_addr = via};

		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &out, sizeof(out)) < 0)
			return nx_neg_errno();
	}
	do
		n = sendto(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&to,
		        sizeof(to));
	while (n < 0 && errno == EINTR);
	return n < 0 ? nx_neg_errno() : n;
}

ssize_t nx_udp_recv(int fd, void *buf, size_t cap, uint32_t *ret_addr, uint16_t *ret_port)
{
	struct sockaddr_in from = {0};
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	assert_return(fd >= 0 && buf && cap, -EINVAL);
	/* MSG_TRUNC: the datagram's real length, so a longer one is told from a full buffer. */
	do
		n = recvfrom(
		        fd, buf, cap, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return nx_neg_errno();
	if ((size_t)n > cap)
		return -EMSGSIZE;
	if (ret_addr)
		*ret_addr = from.sin_addr.s_addr;
	if (ret_port)
		*ret_port = ntohs(from.sin_port);
	return n;
}
