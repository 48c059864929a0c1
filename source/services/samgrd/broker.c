/* SPDX-License-Identifier: MIT */
/*
 * The one way samgrd makes a channel to a registered service (DESIGN.md section 3, resolve
 * brokering): for a client's resolve (samgr.c) and for samgrd's own channels to policyd
 * (policyd.c) and logd (logsink.c).
 */
#include <errno.h>
#include <string.h>

#include "nexus-types.capnp.h"
#include "nx-abi/sock.h"
#include "samgrd.h"

/* An Endpoint is only the fd it carries: no methods of its own. */
static const struct nexus_endpoint_server endpoint_vt = {0};

int samgrd_endpoint_new(int fd, struct nexus_endpoint **ret)
{
	return nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, fd, ret);
}

int samgrd_broker(struct nexus_service_host *host, const char *subject, nx_rpc_return_cb done,
        void *userdata, nx_rpc_call **ret_accept, int *ret_fd)
{
	nexus_service_host_accept_params_b params;
	struct nexus_endpoint *service_end = NULL;
	nx_rpc_call *call = NULL;
	int fds[2], r;

	/* One socketpair per client-service pair; samgrd keeps the service's end only until
	 * the call carrying it is answered. */
	r = nx_chan_pair(fds);
	if (r < 0)
		return r;
	r = samgrd_endpoint_new(fds[0], &service_end); /* takes fds[0] */
	if (r >= 0)
		r = nexus_service_host_accept_start(host, &call, &params);
	if (r >= 0)
		r = nexus_service_host_accept_params_set_conn(params, service_end);
	if (r >= 0)
		r = nexus_service_host_accept_params_set_subject(params, subject, strlen(subject));
	nx_rpc_cap_unref(nexus_endpoint_cap(service_end)); /* the call holds its own reference */
	if (r >= 0)
		r = nx_rpc_call_send(call, done, userdata);
	if (r < 0) {
		nx_rpc_call_free(call);
		nx_fd_close(fds[1]);
		return r;
	}
	*ret_accept = call;
	*ret_fd = fds[1];
	return 0;
}
