/* SPDX-License-Identifier: MIT */
/*
 * nx-abi TCP: the stream sockets of dsoftbusd's sessions between devices (DESIGN.md section
 * 7). IPv4 addresses are in network byte order (as udp.h's), ports in host byte order. Every
 * socket is non-blocking and close-on-exec; connected ones have TCP_NODELAY (a session sends
 * whole records, small ones are calls waiting for an answer).
 */
#ifndef NX_ABI_TCP_H
#define NX_ABI_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest "a.b.c.d:port" nx_ipv4_format writes, with its NUL. */
#define NX_IPV4_ADDRSTR_MAX sizeof("255.255.255.255:65535")

/* Listens on addr:port (addr 0: every address; port 0: one the kernel picks) with
 * SO_REUSEADDR. 0 with *ret_fd and *ret_port (the port bound; may be NULL), or a negative
 * errno (-EADDRINUSE). */
int nx_tcp_listen(uint32_t addr, uint16_t port, int *ret_fd, uint16_t *ret_port);

/* Accepts one connection: 0 with *ret_fd and the peer's address (each ret_* but ret_fd may be
 * NULL), -EAGAIN when none is pending, or a negative errno. */
int nx_tcp_accept(int listen_fd, int *ret_fd, uint32_t *ret_addr, uint16_t *ret_port);

/* Starts connecting to addr:port: 0 with *ret_fd once connected (loopback may be at once),
 * -EINPROGRESS with *ret_fd set while it goes on (wait until the fd is writable, then ask
 * nx_tcp_connected), or another negative errno (no fd). */
int nx_tcp_connect(uint32_t addr, uint16_t port, int *ret_fd);

/* After a connect in progress became writable: 0 when connected, or why it failed
 * (-ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, ...). */
int nx_tcp_connected(int fd);

/* Sends up to len bytes (never SIGPIPE): bytes sent, -EAGAIN, or a negative errno (-EPIPE,
 * -ECONNRESET). */
ssize_t nx_tcp_send(int fd, const void *buf, size_t len);

/* Receives up to cap bytes: bytes read (0: the peer closed), -EAGAIN, or a negative errno. */
ssize_t nx_tcp_recv(int fd, void *buf, size_t cap);

/* Parses "a.b.c.d:port" (port 1..65535) into *ret_addr and *ret_port: 0, or -EINVAL. */
int nx_ipv4_parse(const char *s, uint32_t *ret_addr, uint16_t *ret_port);

/* Writes "a.b.c.d:port" into buf (at least NX_IPV4_ADDRSTR_MAX bytes). */
void nx_ipv4_format(uint32_t addr, uint16_t port, char buf[NX_IPV4_ADDRSTR_MAX]);

#ifdef __cplusplus
}
#endif

#endif
