/* SPDX-License-Identifier: MIT */
/*
 * log-probe: what nx never does to logd, for tests/e2e/logd.sh and audit.sh.
 *
 *   log-probe garbage   resolve logd through samgr.sock, write a bogus frame (a segment
 *                       table claiming 2^27 words) on the raw channel, and wait (bounded)
 *                       for logd to close it. Exit 0 when logd dropped the channel.
 *   log-probe flood N   N appends (scope e2e.flood) back to back on one channel; prints
 *                       "probe: appended A limited L" and the first refusal's reason.
 *   log-probe batch     appendBatch (the facade's stream form): 3 batches of 10 good entries
 *                       (scope e2e.batch), then one whose entries[4] has a bad key, each
 *                       followed by a plain append to wait for logd to have handled it.
 *                       Prints "probe: batches ok" and "probe: bad batch failed: <errno>".
 *   log-probe follow-many N
 *                       Log.follow N times with one LogSink on one channel; prints
 *                       "probe: following <k>" (k accepted) and the first refusal's reason.
 *   log-probe stream    nx-svc's log sink (the facade's way to logd, as every service's)
 *                       with logd stopped and killed under it, steered by lines on stdin:
 *                       logs s1..s100 (scope e2e.stream) and waits until all are settled,
 *                       prints "probe: settled sent S confirmed C lost L"; after a line (logd
 *                       was stopped) logs s101..s200 and prints "probe: unsettled U" once the
 *                       sink has sent what it can; after another (logd was killed) settles
 *                       again, reconnecting, logs s201..s300, settles and prints
 *                       "probe: sent S confirmed C lost L dropped D" (nx-log's counters,
 *                       reports included).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.capnp.h"
#include "logsink.h"
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "samgr.capnp.h"

#define CALL_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

/* The reason the blocking call `call` (may be NULL) failed with, or "" if it holds none. */
static const char *call_reason(const nx_rpc_call *call)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	return res && res->reason ? res->reason : "";
}

/* A raw channel to logd (the fd of the Endpoint samgrd returns), or a negative errno. */
static int resolve_raw(struct samgr *samgr)
{
	struct nexus_endpoint *ep = NULL;
	samgr_resolve_results out;
	nx_rpc_call *call;
	int r;

	r = samgr_resolve_wait(
	        samgr, "logd", nx_clock_monotonic_ns() + CALL_TIMEOUT_NS, &call, &out);
	if (r < 0 && *call_reason(call))
		printf("probe: %s\n", call_reason(call));
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, &ep) < 0
		            ? -EBADMSG
		            : nx_rpc_cap_take_fd(nexus_endpoint_cap(ep));
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_call_free(call);
	return r;
}

static int garbage(int fd)
{
	/* Segment count 1, segment 0 of 2^27 words, then noise: a frame logd must refuse. */
	unsigned char msg[64] = {0, 0, 0, 0, 0, 0, 0, 8};
	char buf[4096];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	for (size_t i = 8; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return -errno;
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0; /* logd closed the channel */
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

/* The exception type of the last refused append_wait(). */
static enum nx_rpc_exc last_exc_type = NX_RPC_EXC_NONE;

/* A plain append, waited for: 0, or the failure's errno with its reason in `reason`. */
static int append_wait(
        struct log *log, const char *scope, const char *message, char *reason, size_t reason_size)
{
	log_append_params_b params;
	log_append_results out;
	nx_rpc_call *call = NULL;
	log_entry_b e;
	int r;

	r = log_append_start(log, &call, &params);
	if (r >= 0)
		r = log_append_params_init_entry(params, &e);
	if (r >= 0)
		r = log_entry_set_scope(e, scope, strlen(scope));
	if (r >= 0)
		r = log_entry_set_message(e, message, strlen(message));
	if (r >= 0)
		r = log_append_send_wait(call, nx_clock_monotonic_ns() + CALL_TIMEOUT_NS, &out);
	if (r < 0 && call && nx_rpc_call_result(call)) {
		snprintf(reason, reason_size, "%s", call_reason(call));
		last_exc_type = nx_rpc_call_result(call)->exc_type;
	}
	nx_rpc_call_free(call);
	return r;
}

static int flood(struct log *log, unsigned n)
{
	char reason[256] = "", first[256] = "";
	unsigned appended = 0, limited = 0;

	for (unsigned i = 0; i < n; i++) {
		int r = append_wait(log, "e2e.flood", "flood", reason, sizeof(reason));

		if (r == 0) {
			appended++;
		} else if (r == -EDQUOT && last_exc_type == NX_RPC_EXC_OVERLOADED) {
			if (!limited++)
				snprintf(first, sizeof(first), "%s", reason);
		} else {
			printf("probe: append: %s\n", *reason ? reason : strerror(-r));
			return r;
		}
	}
	printf("probe: appended %u limited %u\n", appended, limited);
	if (limited)
		printf("probe: first refusal: %s\n", first);
	return 0;
}

/* One appendBatch stream call of `n` entries; entry `bad` (if < n) gets an invalid key. */
static int batch_send(struct log *log, unsigned n, unsigned bad)
{
	log_append_batch_params_b params;
	nx_capnp_blist list, fields;
	nx_rpc_call *call = NULL;
	char msg[32];
	int r;

	r = log_append_batch_start(log, &call, &params);
	if (r >= 0)
		r = log_append_batch_params_init_entries(params, n, &list);
	for (unsigned i = 0; r >= 0 && i < n; i++) {
		log_entry_b e = log_entry_b_at(&list, i);
		const char *key = i == bad ? "bad key" : "i";

		snprintf(msg, sizeof(msg), "batch entry %u", i);
		r = log_entry_set_scope(e, "e2e.batch", 9);
		if (r >= 0)
			r = log_entry_set_message(e, msg, strlen(msg));
		if (r >= 0)
			r = log_entry_init_fields(e, 1, &fields);
		if (r >= 0)
			r = log_field_set_key(log_field_b_at(&fields, 0), key, strlen(key));
		if (r >= 0)
			r = log_field_set_value(
			        log_field_b_at(&fields, 0), msg + 12, strlen(msg + 12));
	}
	if (r >= 0)
		r = log_append_batch_send(call); /* consumes the call unless -EAGAIN */
	if (r < 0)
		nx_rpc_call_free(call);
	return r;
}

static int batch(struct log *log)
{
	char reason[256] = "";
	int r = 0;

	for (unsigned b = 0; r >= 0 && b < 3; b++)
		r = batch_send(log, 10, UINT32_MAX);
	/* Calls on one channel are handled in order: once this returns, so have the batches. */
	if (r >= 0)
		r = append_wait(log, "e2e.batch-sync", "sync", reason, sizeof(reason));
	if (r >= 0)
		r = nx_rpc_stream_ready(log_cap(log));
	if (r < 0) {
		printf("probe: batches: %s %s\n", strerror(-r), reason);
		return r;
	}
	printf("probe: batches ok\n");
	r = batch_send(log, 10, 4);
	if (r >= 0)
		r = append_wait(log, "e2e.batch-sync", "sync", reason, sizeof(reason));
	if (r < 0) {
		printf("probe: bad batch: %s %s\n", strerror(-r), reason);
		return r;
	}
	r = nx_rpc_stream_ready(log_cap(log));
	if (r >= 0) {
		printf("probe: bad batch was accepted\n");
		return -EPROTO;
	}
	printf("probe: bad batch failed: %s\n", nx_rpc_reason_code(r));
	return 0;
}

static int sink_records(void *impl, nx_rpc_incoming *in, log_sink_records_params params)
{
	return nx_rpc_incoming_return(in);
}

static const struct log_sink_server sink_vt = {.records = sink_records};

/* Log.follow n times with one LogSink on one channel; stops at the first refusal. Prints
 * "probe: following <k>" (k accepted) and the refusal, if any. */
static int follow_many(struct log *log, unsigned n)
{
	struct log_sink *sink = NULL;
	log_follow_params_b params;
	log_follow_results out;
	nx_rpc_call *call = NULL;
	unsigned k;
	int r;

	r = log_sink_server_new(&sink_vt, NULL, NULL, &sink);
	for (k = 0; r >= 0 && k < n; k++) {
		r = log_follow_start(log, &call, &params);
		if (r >= 0)
			r = log_follow_params_set_sink(params, sink);
		if (r >= 0)
			r = log_follow_send_wait(
			        call, nx_clock_monotonic_ns() + CALL_TIMEOUT_NS, &out);
		if (r < 0) {
			printf("probe: following %u\n", k);
			printf("probe: %s\n",
			        *call_reason(call) ? call_reason(call) : strerror(-r));
		}
		nx_rpc_call_free(call);
		call = NULL;
	}
	if (r >= 0)
		printf("probe: following %u\n", k);
	nx_rpc_cap_unref(log_sink_cap(sink));
	return r;
}

/* A Log connection through samgrd: the raw fd made into an nx_rpc_conn. */
static int connect_log(
        nx_loop *loop, struct samgr *samgr, nx_rpc_conn **ret_conn, struct log **ret_log)
{
	int fd = resolve_raw(samgr), r;
	nx_rpc_cap *cap;

	if (fd < 0)
		return fd;
	r = nx_rpc_conn_new(loop, fd, NULL, ret_conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(*ret_conn, &cap);
	if (r >= 0)
		*ret_log = log_from_cap(cap);
	return r;
}

/* ---- stream ---- */

#define STREAM_SCOPE   "e2e.stream"
#define STREAM_ROUND   100
#define SETTLE_TIMEOUT (60ull * 1000 * 1000 * 1000)
#define POLL_NS        (100ull * 1000 * 1000)

static struct {
	nx_loop *loop;
	struct samgr *samgr;
	nx_logsink *sink;
} stream_ctx;

static void on_stream_sink_lost(nx_logsink *sink, void *userdata)
{
	stream_ctx.sink = nx_logsink_free(stream_ctx.sink);
}

/* Every record the sink took settled, nothing queued, nothing left to report, a sink in place
 * (resolving logd again while it is lost). 0, or -ETIMEDOUT. */
static int stream_settle(void)
{
	uint64_t deadline = nx_clock_monotonic_ns() + SETTLE_TIMEOUT;
	struct nx_log_stats st;
	int fd;

	for (;;) {
		if (!stream_ctx.sink) {
			/* Failing (logd not back yet), there is no sink: tried again. */
			fd = resolve_raw(stream_ctx.samgr);
			if (fd >= 0)
				(void)nx_logsink_new(stream_ctx.loop, fd, on_stream_sink_lost, NULL,
				        &stream_ctx.sink); /* takes fd */
		}
		if (stream_ctx.sink)
			nx_log_flush(); /* a report of lost records waits for no new record */
		nx_log_stats(&st);
		if (stream_ctx.sink && st.queued == 0 && st.sent == st.confirmed + st.lost &&
		        st.lost_unreported == 0 && st.dropped_unreported == 0)
			return 0;
		if (nx_clock_monotonic_ns() > deadline)
			return -ETIMEDOUT;
		if (nx_loop_run_once(stream_ctx.loop, POLL_NS) < 0)
			return -EIO;
	}
}

static void stream_log(int first)
{
	for (int i = first; i < first + STREAM_ROUND; i++)
		nx_log(NX_LOG_INFO, STREAM_SCOPE, "s%d", i);
}

/* Waits for the test's line on stdin: 0, or -EPIPE if it closed stdin instead. */
static int stream_step(void)
{
	char line[64];

	return fgets(line, sizeof(line), stdin) ? 0 : -EPIPE;
}

static int stream(nx_loop *loop, struct samgr *samgr)
{
	struct nx_log_stats st;
	int r;

	stream_ctx.loop = loop;
	stream_ctx.samgr = samgr;
	nx_log_init_fd("log-probe", -1, NX_LOG_INFO);
	stream_log(1);
	r = stream_settle();
	nx_log_stats(&st);
	if (r >= 0)
		printf("probe: settled sent %llu confirmed %llu lost %llu\n",
		        (unsigned long long)st.sent, (unsigned long long)st.confirmed,
		        (unsigned long long)st.lost);
	if (r >= 0)
		r = stream_step();
	if (r >= 0) {
		/* logd is stopped: what the sink sends now stays unanswered. */
		stream_log(1 + STREAM_ROUND);
		while (nx_loop_run_once(loop, 0) > 0)
			;
		nx_log_stats(&st);
		printf("probe: unsettled %llu\n",
		        (unsigned long long)(st.sent - st.confirmed - st.lost));
		r = stream_step();
	}
	if (r >= 0)
		r = stream_settle();
	if (r >= 0) {
		stream_log(1 + 2 * STREAM_ROUND);
		r = stream_settle();
	}
	nx_log_stats(&st);
	printf("probe: sent %llu confirmed %llu lost %llu dropped %llu\n",
	        (unsigned long long)st.sent, (unsigned long long)st.confirmed,
	        (unsigned long long)st.lost, (unsigned long long)st.dropped);
	stream_ctx.sink = nx_logsink_free(stream_ctx.sink);
	nx_log_done();
	return r;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *samgr = NULL;
	nx_loop *loop = NULL;
	char path[256];
	int fd = -1, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *cmd = argc >= 2 ? argv[1] : "";
	nx_rpc_conn *log_conn = NULL;
	struct log *log = NULL;
	unsigned long n = 0;

	if (argc == 3 && (strcmp(cmd, "flood") == 0 || strcmp(cmd, "follow-many") == 0))
		n = strtoul(argv[2], NULL, 10);
	if (!((argc == 2 && (strcmp(cmd, "garbage") == 0 || strcmp(cmd, "batch") == 0 ||
	                            strcmp(cmd, "stream") == 0)) ||
	            (n > 0 && n < 100000))) {
		fprintf(stderr,
		        "usage: log-probe garbage | flood N | batch | follow-many N | stream\n");
		return 2;
	}
	if (!dir || !*dir)
		dir = "./.nexus/run";
	snprintf(path, sizeof(path), "%s/samgr.sock", dir);
	r = nx_connect_unix(path, &fd);
	if (r >= 0)
		r = nx_loop_new(&loop);
	if (r >= 0) {
		r = nx_rpc_conn_new(loop, fd, NULL, &conn); /* takes fd */
		fd = -1;
	}
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &samgr);
	if (r >= 0 && strcmp(cmd, "stream") == 0) {
		r = stream(loop, samgr_from_cap(samgr));
	} else if (r >= 0 && strcmp(cmd, "garbage") != 0) {
		r = connect_log(loop, samgr_from_cap(samgr), &log_conn, &log);
		if (r >= 0 && strcmp(cmd, "follow-many") == 0)
			r = follow_many(log, (unsigned)n);
		else if (r >= 0)
			r = n ? flood(log, (unsigned)n) : batch(log);
		nx_rpc_cap_unref(log_cap(log));
		nx_rpc_conn_free(log_conn);
	} else if (r >= 0) {
		r = fd = resolve_raw(samgr_from_cap(samgr));
	}
	if (r >= 0 && fd >= 0) {
		/* Blocking reads: the raw fd is ours now, no loop watches it. */
		r = garbage(fd);
		if (r == 0)
			printf("probe: logd closed the channel\n");
	}
	if (r < 0)
		printf("probe: %s\n", strerror(-r));
	nx_fd_close(fd);
	nx_rpc_cap_unref(samgr);
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	return r < 0 ? 1 : 0;
}
