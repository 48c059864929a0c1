/* SPDX-License-Identifier: MIT */
/*
 * samgrd's refusals: a connection over a limit is told why (an Abort with `limit_exceeded:`
 * and the numbers) before it is closed, and refusals are logged through userspace/ratelog:
 * the first of each subject and cause, then one "suppressed N" summary per window, so a
 * flood of connections costs a bounded number of lines on the console and in the journal.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "ratelog/ratelog.h"
#include "registry/conns.h"
#include "samgrd.h"

static void on_summary(void *userdata, const char *key, uint64_t suppressed)
{
	nx_log(NX_LOG_WARN, NULL, "refused %s: suppressed %llu more like it", key,
	        (unsigned long long)suppressed);
}

static void on_refusal_timer(nx_source *src, void *userdata)
{
	struct samgrd *d = userdata;

	nx_source_set_deadline(
	        src, ratelog_flush(d->refusals, nx_clock_monotonic_ns(), on_summary, d));
}

int samgrd_refusals_new(struct samgrd *d)
{
	int r = ratelog_new(&d->refusals);

	if (r >= 0)
		r = nx_loop_add_timer(d->loop, UINT64_MAX, on_refusal_timer, d, &d->refusal_timer);
	return r;
}

void samgrd_refusals_free(struct samgrd *d)
{
	d->refusal_timer = nx_source_free(d->refusal_timer);
	d->refusals = ratelog_free(d->refusals);
}

void samgrd_refusal_log(struct samgrd *d, const char *subject, const char *reason)
{
	char key[NX_RATELOG_KEY_MAX + 1];
	uint64_t now = nx_clock_monotonic_ns();

	/* The cause is the §9 code, the reason's text up to its colon. */
	snprintf(key, sizeof(key), "%s %.*s", subject, (int)strcspn(reason, ":"), reason);
	if (ratelog_event(d->refusals, key, now))
		nx_log(NX_LOG_WARN, NULL, "refused a connection from %s: %s", subject, reason);
	else
		nx_source_set_deadline(
		        d->refusal_timer, ratelog_flush(d->refusals, now, on_summary, d));
}

void samgrd_refuse(struct samgrd *d, int fd, const char *subject)
{
	char reason[NX_RPC_REASON_MAX + 1];
	nx_rpc_conn *conn;

	if (conns_total(d->conns) >= NX_CONN_MAX_PER_SERVICE)
		snprintf(reason, sizeof(reason),
		        "limit_exceeded: samgrd serves %u connections, the most it takes "
		        "(NX_CONN_MAX_PER_SERVICE)",
		        (unsigned)conns_total(d->conns));
	else
		snprintf(reason, sizeof(reason),
		        "limit_exceeded: %s holds %u connections to samgrd, the most one subject "
		        "may (NX_CONN_MAX_PER_SUBJECT)",
		        subject, (unsigned)conns_of(d->conns, subject));
	/* Without a connection (out of memory) the peer sees a plain close. */
	if (nx_rpc_conn_new(d->loop, fd, NULL, &conn) >= 0) { /* takes fd */
		nx_rpc_conn_abort(conn, reason);
		nx_rpc_conn_free(conn);
	}
	samgrd_refusal_log(d, subject, reason);
}
