/* SPDX-License-Identifier: MIT */
/*
 * A fresh raw channel to a service for e2e probes: resolved through samgrd as nx would, but the
 * Endpoint's fd is taken instead of spoken to by libnexus (which keeps one channel per
 * service), so a probe can write what no client library would send.
 */
#ifndef NEXUS_TESTS_RAWCHAN_H
#define NEXUS_TESTS_RAWCHAN_H

#include <errno.h>
#include "nexus/nexus.h"
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

#endif
