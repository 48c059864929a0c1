/* SPDX-License-Identifier: MIT */
/*
 * samgrd's records to logd. samgrd cannot resolve through itself: when logd registers, samgrd
 * makes a channel the way a resolve would (a socketpair, one end handed to logd's ServiceHost
 * with subject svc:samgrd) and gives the other end to nx-svc's log sink. When logd goes away
 * the sink is lost and nx-log buffers until logd registers again.
 */
#include <errno.h>
#include <string.h>

#include "logsink.h"
#include "nexus-types.capnp.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "samgrd.h"

#define SAMGRD_SUBJECT "svc:samgrd"

static const struct Endpoint_server endpoint_vt = {0};

static void on_sink_lost(nx_logsink *sink, void *userdata)
{
	struct samgrd *d = userdata;

	if (d->log_sink == sink)
		d->log_sink = nx_logsink_free(sink);
}

static void on_accepted(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd *d = userdata;

	if (res->error < 0)
		nx_log(NX_LOG_WARN, "log", "logd did not accept samgrd: %s", res->reason);
	if (call == d->log_accept)
		d->log_accept = NULL;
	nx_rpc_call_free(call);
}

void samgrd_logd_down(struct samgrd *d)
{
	d->log_accept = nx_rpc_call_free(d->log_accept);
	d->log_sink = nx_logsink_free(d->log_sink);
}

int samgrd_logd_up(struct samgrd *d, nx_rpc_cap *host)
{
	ServiceHost_accept_Params_b ap;
	nx_rpc_cap *service_end = NULL;
	uint32_t index;
	int fds[2], r;

	samgrd_logd_down(d);
	r = nx_chan_pair(fds);
	if (r < 0)
		return r;
	r = Endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, fds[0], &service_end);
	if (r < 0) {
		nx_fd_close(fds[1]);
		return r;
	}
	r = ServiceHost_accept_new(host, &d->log_accept, &ap);
	if (r >= 0)
		r = nx_rpc_call_add_cap(d->log_accept, service_end, &index);
	if (r >= 0)
		r = ServiceHost_accept_Params_set_conn(ap, index);
	if (r >= 0)
		r = ServiceHost_accept_Params_set_subject(
		        ap, SAMGRD_SUBJECT, strlen(SAMGRD_SUBJECT));
	nx_rpc_cap_unref(service_end); /* the call holds its own reference */
	if (r >= 0)
		r = nx_rpc_call_send(d->log_accept, on_accepted, d);
	if (r < 0) {
		d->log_accept = nx_rpc_call_free(d->log_accept);
		nx_fd_close(fds[1]);
		return r;
	}
	/* Stream calls wait in the channel until logd serves it. */
	return nx_logsink_new(d->loop, fds[1], on_sink_lost, d, &d->log_sink); /* takes fds[1] */
}
