/* SPDX-License-Identifier: MIT */
/*
 * samgrd's records to logd. samgrd cannot resolve through itself: when logd registers, samgrd
 * makes a channel as a resolve does (broker.c, subject svc:samgrd) and gives its end to
 * nx-svc's log sink. When logd goes away the sink is lost and nx-log buffers until logd
 * registers again.
 */
#include <errno.h>
#include <string.h>

#include "logsink.h"
#include "nx-log/log.h"
#include "samgrd.h"

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

int samgrd_logd_up(struct samgrd *d, struct nexus_service_host *host)
{
	int fd, r;

	samgrd_logd_down(d);
	r = samgrd_broker(host, SAMGRD_SUBJECT, on_accepted, d, &d->log_accept, &fd);
	if (r < 0)
		return r;
	/* Stream calls wait in the channel until logd serves it. */
	return nx_logsink_new(d->loop, fd, on_sink_lost, d, &d->log_sink); /* takes fd */
}
