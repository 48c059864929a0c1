/* SPDX-License-Identifier: MIT */
/*
 * nx-abi UDP: the one datagram socket Nexus has, an mDNS socket (RFC 6762) for dsoftbusd's
 * discovery, and the host's IPv4 addresses it announces. Addresses are IPv4 in network byte
 * order (as on the wire), ports in host byte order.
 */
#ifndef NX_ABI_UDP_H
#define NX_ABI_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NX_MDNS_GROUP 0xe00000fbu /* 224.0.0.251, host byte order */
#define NX_MDNS_PORT  5353u

/* A UDP socket bound to INADDR_ANY:port (NX_MDNS_PORT; tests may use another) with
 * SO_REUSEADDR and SO_REUSEPORT (other responders share the port), joined to 224.0.0.251 on
 * the interface `ifname` or, NULL, on every interface that is up, multicast-capable and has
 * an IPv4 address; multicast loop on (another responder on this host hears us), multicast
 * TTL 255 (RFC 6762 section 11), non-blocking, close-on-exec. 0 with *ret_fd, -ENODEV (no
 * such interface, or none to join), or a negative errno. */
int nx_mdns_open(const char *ifname, uint16_t port, int *ret_fd);

/* The IPv4 addresses of `ifname` (NULL: of every interface that is up, not loopback), at
 * most max into addrs: 0 with *ret_n (0 if none), -ENODEV when ifname does not exist. */
int nx_ipv4_addrs(const char *ifname, uint32_t *addrs, size_t max, size_t *ret_n);

/* Sends one datagram to addr:port, leaving through the interface that has the address
 * `via` (0: the kernel's choice) when addr is multicast. Returns bytes sent, -EAGAIN, or a
 * negative errno. */
ssize_t nx_udp_send(
        int fd, const void *buf, size_t len, uint32_t addr, uint16_t port, uint32_t via);

/* Receives one datagram into buf (cap bytes) with its source: bytes read, -EAGAIN,
 * -EMSGSIZE when the datagram was longer than cap (it is dropped), or a negative errno. */
ssize_t nx_udp_recv(int fd, void *buf, size_t cap, uint32_t *ret_addr, uint16_t *ret_port);

#ifdef __cplusplus
}
#endif

#endif
