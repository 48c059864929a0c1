/* SPDX-License-Identifier: MIT */
/* nx-svc log sink: nx-log's records to logd as Log.appendBatch streams. See logsink.h. */
#include "logsink.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.capnp.h"
#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"

struct nx_logsink {
	nx_loop *loop;
	nx_rpc_conn *conn;
	struct log *log; /* logd's bootstrap */
	nx_logsink_lost_cb lost;
	void *userdata;
	nx_source *lost_defer;
	bool installed; /* nx-log holds us as its sink */
	bool gone;
	uint64_t sent;
};

static size_t text_bytes(const char *s)
{
	return (strlen(s) + 1 + 7) & ~(size_t)7;
}

size_t nx_logsink_entry_bytes(const struct nx_log_record *rec)
{
	/* LogEntry: one data word and three pointers; its texts; the fields list with its tag. */
	size_t n = 32 + text_bytes(rec->scope) + text_bytes(rec->message);

	if (rec->n_fields > 0)
		n += 8;
	for (size_t i = 0; i < rec->n_fields; i++)
		n += 16 + text_bytes(rec->fields[i].key) + text_bytes(rec->fields[i].value);
	return n;
}

size_t nx_logsink_batch_fit(const struct nx_log_record *records, size_t n)
{
	size_t used = 0, k;

	if (n > LOG_BATCH_MAX)
		n = LOG_BATCH_MAX;
	for (k = 0; k < n; k++) {
		size_t b = nx_logsink_entry_bytes(&records[k]);

		if (b > NX_LOGSINK_BATCH_BYTES_MAX - used)
			break;
		used += b;
	}
	return k;
}

/* The loss is told from the loop, never from inside nx-log or nx-rpc calls. */
static void on_lost_defer(nx_source *s, void *userdata)
{
	nx_logsink *sink = userdata;

	if (sink->lost)
		sink->lost(sink, sink->userdata);
}

static void mark_gone(nx_logsink *sink)
{
	if (sink->gone)
		return;
	sink->gone = true;
	if (sink->installed && nx_log_set_sink(NULL, NULL) == 0)
		sink->installed = false;
	/* Inside a sink call set_sink is refused: our send then answers -EPIPE and the facade
	 * forgets us itself. */
	if (sink->lost_defer)
		nx_source_enable(sink->lost_defer);
}

static void on_conn_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	mark_gone(userdata);
}

static void on_window(nx_rpc_cap *target, int error, void *userdata)
{
	nx_logsink *sink = userdata;

	if (error < 0)
		mark_gone(sink);
	else
		nx_log_flush();
}

/* A record alone too large for one call: its fields are kept while they fit, the rest are
 * counted in one NX_LOG_DROPPED_FIELDS_KEY field (the facade's own repair convention). */
static void shrink(
        const struct nx_log_record *in, struct nx_log_record *out, char *num, size_t num_size)
{
	size_t keep;

	*out = *in;
	out->n_fields = 0;
	for (keep = 0; keep < in->n_fields; keep++) {
		out->n_fields = keep + 1;
		/* Room for the count field (64-byte key, short value) stays reserved. */
		if (nx_logsink_entry_bytes(out) + 112 > NX_LOGSINK_BATCH_BYTES_MAX)
			break;
	}
	out->n_fields = keep;
	if (keep < in->n_fields) {
		snprintf(num, num_size, "%zu", in->n_fields - keep);
		out->fields[keep].key = NX_LOG_DROPPED_FIELDS_KEY;
		out->fields[keep].value = num;
		out->n_fields = keep + 1;
	}
}

static int entry_fill(log_entry_b e, const struct nx_log_record *rec)
{
	nx_capnp_blist fields;
	int r;

	log_entry_set_level(e, (log_level)rec->level);
	log_entry_set_call_realtime_ns(e, rec->realtime_ns); /* when nx_log() was called */
	r = log_entry_set_scope(e, rec->scope, strlen(rec->scope));
	if (r >= 0)
		r = log_entry_set_message(e, rec->message, strlen(rec->message));
	if (r >= 0 && rec->n_fields > 0)
		r = log_entry_init_fields(e, (uint32_t)rec->n_fields, &fields);
	for (size_t i = 0; r >= 0 && i < rec->n_fields; i++) {
		log_field_b f = log_field_b_at(&fields, (uint32_t)i);

		r = log_field_set_key(f, rec->fields[i].key, strlen(rec->fields[i].key));
		if (r >= 0)
			r = log_field_set_value(
			        f, rec->fields[i].value, strlen(rec->fields[i].value));
	}
	return r;
}

/* How one appendBatch call of `userdata` records ended: told to nx-log, which outlives every
 * sink (a call may end after its sink was freed, when the owner keeps the channel). */
static void on_batch_done(int error, void *userdata)
{
	nx_log_sink_settled((size_t)(uintptr_t)userdata, error == 0);
}

static int sink_send(void *ctx, const struct nx_log_record *records, size_t n)
{
	nx_logsink *sink = ctx;
	struct nx_log_record small;
	log_append_batch_params_b params;
	nx_capnp_blist list;
	nx_rpc_call *call = NULL;
	char num[24];
	size_t k;
	int r;

	if (sink->gone)
		return -EPIPE;
	r = nx_rpc_stream_ready(log_cap(sink->log));
	if (r < 0) {
		mark_gone(sink);
		return -EPIPE;
	}
	if (r == 0) {
		/* Full window: take nothing now, flush when logd caught up. */
		r = nx_rpc_stream_on_ready(log_cap(sink->log), on_window, sink);
		if (r < 0) {
			mark_gone(sink);
			return -EPIPE;
		}
		if (r == 0)
			return 0;
	}
	k = nx_logsink_batch_fit(records, n);
	if (k == 0) {
		shrink(&records[0], &small, num, sizeof(num));
		records = &small;
		k = 1;
	}
	r = log_append_batch_start(sink->log, &call, &params);
	if (r >= 0)
		r = log_append_batch_params_init_entries(params, (uint32_t)k, &list);
	for (size_t i = 0; r >= 0 && i < k; i++)
		r = entry_fill(log_entry_b_at(&list, (uint32_t)i), &records[i]);
	if (r >= 0) /* consumes the call unless -EAGAIN; on_batch_done settles the k records */
		r = nx_rpc_stream_send_notify(call, on_batch_done, (void *)(uintptr_t)k);
	if (r == -EAGAIN) {
		nx_rpc_call_free(call);
		if (nx_rpc_stream_on_ready(log_cap(sink->log), on_window, sink) < 0) {
			mark_gone(sink);
			return -EPIPE;
		}
		return 0;
	}
	if (r == -ENOMEM) {
		/* Nothing sent; try again on the next log call. */
		nx_rpc_call_free(call);
		return 0;
	}
	if (r < 0) {
		mark_gone(sink);
		return -EPIPE;
	}
	sink->sent += k;
	return (int)k;
}

static const struct nx_log_sink sink_ops = {
        .send = sink_send,
};

/* The sink on `log`, a reference it takes; `conn` (may be NULL) is the channel it owns. */
static int sink_start(nx_loop *loop, nx_rpc_conn *conn, struct log *log, nx_logsink_lost_cb lost,
        void *userdata, nx_logsink **ret)
{
	nx_logsink *sink = calloc(1, sizeof(*sink));
	int r;

	if (!sink) {
		nx_rpc_cap_unref(log_cap(log));
		nx_rpc_conn_free(conn);
		return -ENOMEM;
	}
	sink->loop = loop;
	sink->conn = conn;
	sink->log = log;
	sink->lost = lost;
	sink->userdata = userdata;
	r = nx_loop_add_defer(loop, on_lost_defer, sink, &sink->lost_defer);
	if (r >= 0)
		r = nx_source_disable(sink->lost_defer);
	if (r < 0) {
		nx_logsink_free(sink);
		return r;
	}
	if (conn)
		nx_rpc_conn_set_disconnect_cb(conn, on_conn_gone, sink);
	*ret = sink;
	/* Installing offers the buffered records at once: logd gets what was logged before. */
	r = nx_log_set_sink(&sink_ops, sink);
	if (r == 0)
		sink->installed = true;
	return 0;
}

int nx_logsink_new(nx_loop *loop, int fd, nx_logsink_lost_cb lost, void *userdata, nx_logsink **ret)
{
	nx_rpc_cap *bootstrap = NULL;
	nx_rpc_conn *conn = NULL;
	int r;

	r = nx_rpc_conn_new(loop, fd, NULL, &conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &bootstrap);
	if (r < 0) {
		nx_rpc_conn_free(conn);
		return r;
	}
	return sink_start(loop, conn, log_from_cap(bootstrap), lost, userdata, ret);
}

int nx_logsink_new_cap(
        nx_loop *loop, struct log *log, nx_logsink_lost_cb lost, void *userdata, nx_logsink **ret)
{
	return sink_start(
	        loop, NULL, log_from_cap(nx_rpc_cap_ref(log_cap(log))), lost, userdata, ret);
}

nx_logsink *nx_logsink_free(nx_logsink *sink)
{
	if (!sink)
		return NULL;
	if (sink->installed)
		nx_log_set_sink(NULL, NULL);
	sink->installed = false;
	sink->gone = true;
	nx_source_free(sink->lost_defer);
	sink->lost_defer = NULL;
	nx_rpc_cap_unref(log_cap(sink->log));
	nx_rpc_conn_free(sink->conn);
	free(sink);
	return NULL;
}

uint64_t nx_logsink_sent(const nx_logsink *sink)
{
	return sink ? sink->sent : 0;
}
