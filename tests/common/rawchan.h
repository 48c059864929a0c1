/* SPDX-License-Identifier: MIT */
/*
 * A fresh raw channel to a service for e2e probes: resolved through samgrd as nx would, but the
 * Endpoint's fd is taken instead of spoken to by libnexus (which keeps one channel per
 * service), so a probe can write what no client library would send.
 */
#ifndef NEXUS_TESTS_RAWCHAN_H
#define NEXUS_TESTS_RAWCHAN_H

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "nexus/nexus.h"
#include "nx-abi/sock.h"
#include "samgr.capnp.h"

/* The channel's fd (the caller's), or a negative errno. */
static inline int raw_channel(nexus *nx, const char *service)
{
	struct nexus_endpoint *ep = NULL;
	samgr_resolve_results out;
	nx_rpc_cap *samgr = NULL;
	nx_rpc_call *call = NULL;
	int r = nexus_samgr(nx, &samgr);

	if (r >= 0)
		r = samgr_resolve_wait(
		        samgr_from_cap(samgr), service, nexus_deadline(nx), &call, &out);
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, &ep) < 0
		            ? -EBADMSG
		            : nx_rpc_cap_take_fd(nexus_endpoint_cap(ep));
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(samgr);
	return r;
}

/* Writes a bogus frame (a segment table claiming 2^27 words, then bytes) on a fresh raw
 * channel to `service`: 0 once the service closed that channel, -ETIMEDOUT if it did not
 * within 10 s, or a negative errno. */
static inline int raw_garbage(nexus *nx, const char *service)
{
	unsigned char msg[64] = {0, 0, 0, 0, 0, 0, 0, 8};
	struct pollfd pfd = {.events = POLLIN};
	char buf[4096];
	int r = 0, fd = raw_channel(nx, service);

	if (fd < 0)
		return fd;
	(void)nx_fd_set_nonblock(fd, 0);
	for (size_t i = 8; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	r = write(fd, msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : -EIO;
	pfd.fd = fd;
	while (r == 0) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			r = -errno;
	}
	nx_fd_close(fd);
	return r;
}

#endif
