/* SPDX-License-Identifier: MIT */
/*
 * nx-interop-server: Nexus's C implementation of interop.capnp's Interop, over nx-rpc and the
 * generated C code, so the reference C++ client (and ours) can be run against it. Same
 * options and behaviour as interop-cxx-server:
 *
 *   nx-interop-server --fd N                    serve the connected socket N, exit when it closes
 *   nx-interop-server --listen PATH [--ready-fd N]
 *                                               accept connections at PATH until SIGTERM;
 *                                               write "ready\n" to N once listening
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdcheck.h"
#include "interop-c.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"

/* The longest `slow` call honoured, as the C++ server caps it. */
#define SLOW_MAX_MS 60000u

/* Per process: what the client's release and cancellation checks observe through stats(). */
static struct {
	uint32_t live_counters;
	uint32_t live_blobs;
	uint32_t cancelled;
} g_stats;

struct server;

struct client {
	struct client *next;
	struct server *srv;
	nx_rpc_conn *conn;
};

struct server {
	nx_loop *loop;
	nx_rpc_cap *root;
	bool one_shot; /* --fd: the process ends with its only connection */
	struct client *clients;
};

static void client_free(struct client *c)
{
	struct client **p = &c->srv->clients;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	nx_rpc_conn_free(c->conn);
	free(c);
}

/* ---- Counter ---- */

struct counter {
	int64_t value;
};

static int counter_increment(void *impl, nx_rpc_incoming *in, Counter_increment_Params params)
{
	struct counter *c = impl;
	Counter_increment_Results_b res;
	int r;

	c->value += Counter_increment_Params_get_by(params);
	r = Counter_increment_results_init(in, &res);
	if (r < 0)
		return r;
	Counter_increment_Results_set_value(res, c->value);
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct Counter_server counter_vt = {
        .increment = counter_increment,
};

static void counter_destroy(void *impl)
{
	g_stats.live_counters--;
	free(impl);
}

static int counter_new(int64_t start, nx_rpc_cap **ret)
{
	struct counter *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->value = start;
	r = Counter_server_new(&counter_vt, c, counter_destroy, ret);
	if (r < 0) {
		free(c);
		return r;
	}
	g_stats.live_counters++;
	return 0;
}

/* ---- Blob: a sealed memfd bound to the capability ---- */

struct blob {
	uint64_t size;
	uint64_t hash;
};

static int blob_info(void *impl, nx_rpc_incoming *in, Blob_info_Params params)
{
	struct blob *b = impl;
	Blob_info_Results_b res;
	int r;

	(void)params;
	r = Blob_info_results_init(in, &res);
	if (r < 0)
		return r;
	Blob_info_Results_set_size(res, b->size);
	Blob_info_Results_set_hash(res, b->hash);
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct Blob_server blob_vt = {
        .info = blob_info,
};

/* Blob_server_new() binds no fd, so the fd-bearing cap gets its own ops over the generated
 * dispatcher. */
static int blob_ops_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	return Blob_dispatch(&blob_vt, impl, in, iface, method);
}

static void blob_ops_destroy(void *impl)
{
	g_stats.live_blobs--;
	free(impl);
}

static const struct nx_rpc_server_ops blob_ops = {
        .dispatch = blob_ops_dispatch,
        .destroy = blob_ops_destroy,
};

/* ---- Sink ---- */

struct sink {
	uint64_t chunks;
	uint64_t bytes;
	uint64_t hash;
};

static int sink_write(void *impl, nx_rpc_incoming *in, Sink_write_Params params)
{
	struct sink *s = impl;
	const uint8_t *chunk;
	size_t len;
	int r;

	r = Sink_write_Params_get_chunk(params, &chunk, &len);
	if (r < 0)
		return r;
	s->chunks++;
	s->bytes += len;
	s->hash = interop_fnv1a64(s->hash, chunk, len);
	nx_rpc_incoming_return(in);
	return 0;
}

static int sink_done(void *impl, nx_rpc_incoming *in, Sink_done_Params params)
{
	struct sink *s = impl;
	Sink_done_Results_b res;
	int r;

	(void)params;
	r = Sink_done_results_init(in, &res);
	if (r < 0)
		return r;
	Sink_done_Results_set_chunks(res, s->chunks);
	Sink_done_Results_set_bytes(res, s->bytes);
	Sink_done_Results_set_hash(res, s->hash);
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct Sink_server sink_vt = {
        .write = sink_write,
        .done = sink_done,
};

/* ---- Interop ---- */

static int interop_ping(void *impl, nx_rpc_incoming *in, Interop_ping_Params params)
{
	(void)impl;
	(void)params;
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_echo(void *impl, nx_rpc_incoming *in, Interop_echo_Params params)
{
	Interop_echo_Results_b res;
	nx_capnp_ptr src;
	nx_capnp_bptr dst;
	int r;

	(void)impl;
	r = Interop_echo_results_init(in, &res);
	if (r < 0)
		return r;
	src = nx_capnp_struct_ptr(&params.s, 0);
	dst = nx_capnp_bstruct_ptr(&res.s, 0);
	r = nx_capnp_bptr_copy(&dst, &src);
	if (r < 0)
		return nx_rpc_incoming_fail_errno(in, r, "echo: cannot copy the value"), 0;
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_sample(void *impl, nx_rpc_incoming *in, Interop_sample_Params params)
{
	Interop_sample_Results_b res;
	nx_capnp_bptr dst;
	nx_capnp_ptr src;
	AllTypes sample;
	int r;

	(void)impl;
	(void)params;
	/* The generated constant, as the C++ server sends its SAMPLE_VALUE. */
	r = SAMPLE_VALUE_get(&sample);
	if (r < 0)
		return r;
	r = Interop_sample_results_init(in, &res);
	if (r < 0)
		return r;
	src = nx_capnp_reader_root(sample.s.msg);
	dst = nx_capnp_bstruct_ptr(&res.s, 0);
	r = nx_capnp_bptr_copy(&dst, &src);
	if (r < 0)
		return nx_rpc_incoming_fail_errno(in, r, "sample: cannot copy the value"), 0;
	nx_rpc_incoming_return(in);
	return 0;
}

static enum nx_rpc_exc exc_for_fail_type(FailType t)
{
	switch (t) {
	case FAIL_TYPE_OVERLOADED:
		return NX_RPC_EXC_OVERLOADED;
	case FAIL_TYPE_DISCONNECTED:
		return NX_RPC_EXC_DISCONNECTED;
	case FAIL_TYPE_UNIMPLEMENTED:
		return NX_RPC_EXC_UNIMPLEMENTED;
	default:
		return NX_RPC_EXC_FAILED;
	}
}

static int interop_fail(void *impl, nx_rpc_incoming *in, Interop_fail_Params params)
{
	char reason[NX_RPC_REASON_MAX + 1];
	const char *t;
	size_t len;
	int r;

	(void)impl;
	r = Interop_fail_Params_get_reason(params, &t, &len);
	if (r < 0)
		return r;
	if (len > NX_RPC_REASON_MAX)
		len = NX_RPC_REASON_MAX;
	memcpy(reason, t, len);
	reason[len] = '\0';
	nx_rpc_incoming_fail(in, exc_for_fail_type(Interop_fail_Params_get_type(params)), reason);
	return 0;
}

/* One callBack call in progress: the calls into the client's Callback go one after another. */
struct call_back {
	nx_rpc_incoming *in;
	nx_rpc_cap *cb;
	nx_rpc_call *pending;
	int32_t value;
	uint32_t times;
	uint32_t done;
	int32_t results[];
};

static void call_back_free(struct call_back *cb)
{
	nx_rpc_call_free(cb->pending);
	nx_rpc_cap_unref(cb->cb);
	free(cb);
}

static void call_back_next(struct call_back *cb);

static void call_back_returned(nx_rpc_call *call, const nx_rpc_result *result, void *userdata)
{
	struct call_back *cb = userdata;

	if (result->error < 0) {
		/* The callback's exception becomes ours, reason and all. */
		nx_rpc_incoming_fail(cb->in, result->exc_type, result->reason);
		call_back_free(cb);
		return;
	}
	cb->results[cb->done++] = Callback_call_Results_get_result(Callback_call_results(result));
	cb->pending = nx_rpc_call_free(call);
	call_back_next(cb);
}

static void call_back_next(struct call_back *cb)
{
	Interop_callBack_Results_b res;
	Callback_call_Params_b params;
	nx_capnp_blist list;
	uint32_t i;
	int r;

	if (cb->done == cb->times) {
		r = Interop_call_back_results_init(cb->in, &res);
		if (r >= 0)
			r = Interop_callBack_Results_init_results(res, cb->times, &list);
		for (i = 0; r >= 0 && i < cb->times; i++)
			nx_capnp_blist_set_u32(&list, i, (uint32_t)cb->results[i]);
		if (r < 0)
			nx_rpc_incoming_fail_errno(cb->in, r, "callBack: cannot build the results");
		else
			nx_rpc_incoming_return(cb->in);
		call_back_free(cb);
		return;
	}
	r = Callback_call_new(cb->cb, &cb->pending, &params);
	if (r >= 0) {
		/* Wrapping, as the peer may send any value: signed overflow would be UB. */
		Callback_call_Params_set_value(params, (int32_t)((uint32_t)cb->value + cb->done));
		r = nx_rpc_call_send(cb->pending, call_back_returned, cb);
	}
	if (r < 0) {
		const nx_rpc_result *res_fail =
		        cb->pending ? nx_rpc_call_result(cb->pending) : NULL;

		if (res_fail && res_fail->error < 0)
			nx_rpc_incoming_fail(cb->in, res_fail->exc_type, res_fail->reason);
		else
			nx_rpc_incoming_fail_errno(cb->in, r, "callBack: cannot call the callback");
		call_back_free(cb);
	}
}

static void call_back_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct call_back *cb = userdata;

	/* Freeing the pending call sends its Finish; the client's callback learns we left. */
	nx_rpc_incoming_fail_errno(in, -ECANCELED, "callBack: canceled");
	call_back_free(cb);
}

static int interop_call_back(void *impl, nx_rpc_incoming *in, Interop_callBack_Params params)
{
	uint32_t times = Interop_callBack_Params_get_times(params);
	struct call_back *cb;
	uint32_t index;
	int r;

	(void)impl;
	if (times > INTEROP_CALLBACK_MAX)
		return nx_rpc_incoming_fail(
		               in, NX_RPC_EXC_FAILED, "invalid_argument: times over the cap"),
		       0;
	cb = calloc(1, sizeof(*cb) + times * sizeof(cb->results[0]));
	if (!cb)
		return -ENOMEM;
	r = Interop_callBack_Params_get_cb(params, &index);
	if (r >= 0)
		r = nx_rpc_incoming_cap(in, index, &cb->cb);
	if (r < 0) {
		free(cb);
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED,
		               "invalid_argument: callBack without a callback"),
		       0;
	}
	cb->in = in;
	cb->value = Interop_callBack_Params_get_value(params);
	cb->times = times;
	nx_rpc_incoming_set_cancel_cb(in, call_back_canceled, cb);
	call_back_next(cb);
	return NX_RPC_ASYNC;
}

static int interop_new_counter(void *impl, nx_rpc_incoming *in, Interop_newCounter_Params params)
{
	Interop_newCounter_Results_b res;
	nx_rpc_cap *cap;
	uint32_t index;
	int r;

	(void)impl;
	r = counter_new(Interop_newCounter_Params_get_start(params), &cap);
	if (r < 0)
		return r;
	r = Interop_new_counter_results_init(in, &res);
	if (r >= 0)
		r = nx_rpc_incoming_add_cap(in, cap, &index);
	if (r >= 0)
		r = Interop_newCounter_Results_set_counter(res, index);
	nx_rpc_cap_unref(cap); /* the results hold their own reference */
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_make_box(void *impl, nx_rpc_incoming *in, Interop_makeBox_Params params)
{
	Interop_makeBox_Results_b res;
	nx_rpc_cap *cap;
	const char *tag;
	size_t len;
	uint32_t index;
	Box_b box;
	int r;

	(void)impl;
	r = Interop_makeBox_Params_get_tag(params, &tag, &len);
	if (r < 0)
		return r;
	r = counter_new(Interop_makeBox_Params_get_start(params), &cap);
	if (r < 0)
		return r;
	r = Interop_make_box_results_init(in, &res);
	if (r >= 0)
		r = Interop_makeBox_Results_init_box(res, &box);
	if (r >= 0)
		r = Box_set_tag(box, tag, len);
	if (r >= 0)
		r = nx_rpc_incoming_add_cap(in, cap, &index);
	if (r >= 0)
		r = Box_set_counter(box, index);
	nx_rpc_cap_unref(cap);
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_make_blob(void *impl, nx_rpc_incoming *in, Interop_makeBlob_Params params)
{
	uint64_t size = Interop_makeBlob_Params_get_size(params);
	uint32_t seed = Interop_makeBlob_Params_get_seed(params);
	Interop_makeBlob_Results_b res;
	struct blob *b;
	nx_rpc_cap *cap;
	uint32_t index;
	int fd, r;

	(void)impl;
	if (size > INTEROP_BLOB_MAX_BYTES)
		return nx_rpc_incoming_fail(
		               in, NX_RPC_EXC_FAILED, "too_large: blob size over the cap"),
		       0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->size = size;
	b->hash = interop_pattern_hash(size, seed);
	r = interop_memfd_make(size, seed, &fd);
	if (r < 0) {
		free(b);
		return r;
	}
	r = nx_rpc_server_new_with_fd(&blob_ops, b, fd, &cap); /* takes fd */
	if (r < 0) {
		free(b);
		return r;
	}
	g_stats.live_blobs++;
	r = Interop_make_blob_results_init(in, &res);
	if (r >= 0)
		r = nx_rpc_incoming_add_cap(in, cap, &index);
	if (r >= 0)
		r = Interop_makeBlob_Results_set_blob(res, index);
	nx_rpc_cap_unref(cap);
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_consume_blob(void *impl, nx_rpc_incoming *in, Interop_consumeBlob_Params params)
{
	Interop_consumeBlob_Results_b res;
	struct interop_fd_contents c;
	nx_rpc_cap *blob = NULL;
	uint32_t index;
	int r;

	(void)impl;
	r = Interop_consumeBlob_Params_get_blob(params, &index);
	if (r >= 0)
		r = nx_rpc_incoming_cap(in, index, &blob);
	if (r < 0)
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED,
		               "invalid_argument: consumeBlob without a blob"),
		       0;
	/* Read through the fd that rode with the CapDescriptor, never through calls. */
	if (nx_rpc_cap_peek_fd(blob) < 0) {
		nx_rpc_cap_unref(blob);
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED,
		               "invalid_argument: blob capability carries no fd"),
		       0;
	}
	r = interop_fd_read(nx_rpc_cap_peek_fd(blob), &c);
	nx_rpc_cap_unref(blob);
	if (r < 0)
		return nx_rpc_incoming_fail_errno(in, r, "consumeBlob: cannot read the blob"), 0;
	r = Interop_consume_blob_results_init(in, &res);
	if (r < 0)
		return r;
	Interop_consumeBlob_Results_set_size(res, c.size);
	Interop_consumeBlob_Results_set_hash(res, c.hash);
	Interop_consumeBlob_Results_set_sealed(res, c.sealed);
	r = Interop_consumeBlob_Results_set_head(res, c.head, c.head_len);
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_open_sink(void *impl, nx_rpc_incoming *in, Interop_openSink_Params params)
{
	Interop_openSink_Results_b res;
	struct sink *s;
	nx_rpc_cap *cap;
	uint32_t index;
	int r;

	(void)impl;
	(void)params;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->hash = INTEROP_FNV_INIT;
	r = Sink_server_new(&sink_vt, s, free, &cap);
	if (r < 0) {
		free(s);
		return r;
	}
	r = Interop_open_sink_results_init(in, &res);
	if (r >= 0)
		r = nx_rpc_incoming_add_cap(in, cap, &index);
	if (r >= 0)
		r = Interop_openSink_Results_set_sink(res, index);
	nx_rpc_cap_unref(cap);
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

/* One slow call: answered by its timer, or dropped (and counted) if canceled first. */
struct slow {
	nx_rpc_incoming *in;
	nx_source *timer;
	uint32_t tag;
};

static void slow_fire(nx_source *s, void *userdata)
{
	struct slow *sl = userdata;
	Interop_slow_Results_b res;
	int r;

	nx_source_free(s);
	r = Interop_slow_results_init(sl->in, &res);
	if (r < 0) {
		nx_rpc_incoming_fail_errno(sl->in, r, "slow: cannot build the results");
	} else {
		Interop_slow_Results_set_tag(res, sl->tag);
		nx_rpc_incoming_return(sl->in);
	}
	free(sl);
}

static void slow_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct slow *sl = userdata;

	g_stats.cancelled++;
	nx_source_free(sl->timer);
	nx_rpc_incoming_fail_errno(in, -ECANCELED, "slow: canceled");
	free(sl);
}

static int interop_slow(void *impl, nx_rpc_incoming *in, Interop_slow_Params params)
{
	struct server *srv = impl;
	uint32_t millis = Interop_slow_Params_get_millis(params);
	struct slow *sl;
	int r;

	if (millis > SLOW_MAX_MS)
		millis = SLOW_MAX_MS;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	sl->in = in;
	sl->tag = Interop_slow_Params_get_tag(params);
	r = nx_loop_add_timer(srv->loop, nx_clock_monotonic_ns() + (uint64_t)millis * 1000000u,
	        slow_fire, sl, &sl->timer);
	if (r < 0) {
		free(sl);
		return r;
	}
	nx_rpc_incoming_set_cancel_cb(in, slow_canceled, sl);
	return NX_RPC_ASYNC;
}

static int interop_stats(void *impl, nx_rpc_incoming *in, Interop_stats_Params params)
{
	Interop_stats_Results_b res;
	int r;

	(void)impl;
	(void)params;
	r = Interop_stats_results_init(in, &res);
	if (r < 0)
		return r;
	Interop_stats_Results_set_live_counters(res, g_stats.live_counters);
	Interop_stats_Results_set_live_blobs(res, g_stats.live_blobs);
	Interop_stats_Results_set_cancelled(res, g_stats.cancelled);
	nx_rpc_incoming_return(in);
	return 0;
}

static int interop_die(void *impl, nx_rpc_incoming *in, Interop_die_Params params)
{
	(void)impl;
	(void)in;
	(void)params;
	/* The peer-dying-mid-call case: no answer, no orderly shutdown. */
	fflush(stdout);
	_exit(INTEROP_DIE_STATUS);
}

/* notImplemented stays NULL: the generated dispatcher answers `unimplemented`. */
static const struct Interop_server interop_vt = {
        .ping = interop_ping,
        .echo = interop_echo,
        .sample = interop_sample,
        .fail = interop_fail,
        .call_back = interop_call_back,
        .new_counter = interop_new_counter,
        .make_box = interop_make_box,
        .make_blob = interop_make_blob,
        .consume_blob = interop_consume_blob,
        .open_sink = interop_open_sink,
        .slow = interop_slow,
        .stats = interop_stats,
        .die = interop_die,
};

/* ---- Connections ---- */

static void on_disconnect(nx_rpc_conn *conn, int error, void *userdata)
{
	struct client *c = userdata;
	struct server *srv = c->srv;

	(void)conn;
	if (error != -ECONNRESET)
		fprintf(stderr, "nx-interop-server: connection dropped: %s\n", strerror(-error));
	client_free(c);
	/* The peer closing is the normal end; a protocol error is a failure the test sees. */
	if (srv->one_shot)
		nx_loop_quit(srv->loop, error == -ECONNRESET ? 0 : 1);
}

static int serve(struct server *srv, int fd)
{
	struct client *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	r = nx_rpc_conn_new(srv->loop, fd, srv->root, &c->conn); /* takes fd */
	if (r < 0) {
		free(c);
		return r;
	}
	c->srv = srv;
	c->next = srv->clients;
	srv->clients = c;
	nx_rpc_conn_set_disconnect_cb(c->conn, on_disconnect, c);
	return 0;
}

static void on_accept(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct server *srv = userdata;
	int cfd;

	(void)s;
	(void)events;
	/* A failed connection costs only itself. */
	while (nx_accept(fd, &cfd) == 0)
		serve(srv, cfd);
}

static void on_term(nx_source *s, int signo, void *userdata)
{
	struct server *srv = userdata;

	(void)s;
	(void)signo;
	nx_loop_quit(srv->loop, 0);
}

static void usage(void)
{
	fprintf(stderr, "usage: nx-interop-server --fd N | --listen PATH [--ready-fd N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct server srv = {0};
	nx_source *accept_src = NULL, *term = NULL;
	const char *listen_path = NULL;
	int conn_fd = -1, ready_fd = -1, listen_fd = -1, fds_expected, i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fd") && i + 1 < argc)
			conn_fd = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_path = argv[++i];
		else if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc)
			ready_fd = atoi(argv[++i]);
		else
			usage();
	}
	if ((conn_fd < 0) == (listen_path == NULL))
		usage();
	/* Every fd the server opens or receives (blobs both ways) must be closed by the end;
	 * the two it was given (socket, ready pipe) are closed by then too. */
	fds_expected = fdcheck_count() - (conn_fd >= 0) - (ready_fd >= 0);

	signal(SIGPIPE, SIG_IGN);
	r = nx_loop_new(&srv.loop);
	if (r >= 0)
		r = Interop_server_new(&interop_vt, &srv, NULL, &srv.root);
	if (r >= 0)
		r = nx_loop_add_signal(srv.loop, SIGTERM, on_term, &srv, &term);
	if (r >= 0 && conn_fd >= 0) {
		srv.one_shot = true;
		r = nx_fd_set_nonblock(conn_fd, 1);
		if (r >= 0)
			r = serve(&srv, conn_fd);
		else
			nx_fd_close(conn_fd);
	} else if (r >= 0) {
		r = nx_listen_unix(listen_path, 0600, &listen_fd);
		if (r >= 0)
			r = nx_loop_add_fd(
			        srv.loop, listen_fd, NX_EV_IN, on_accept, &srv, &accept_src);
		if (r >= 0 && ready_fd >= 0) {
			if (write(ready_fd, "ready\n", 6) != 6)
				r = -errno;
			close(ready_fd);
		}
	}
	if (r < 0) {
		fprintf(stderr, "nx-interop-server: %s\n", strerror(-r));
		return 1;
	}

	r = nx_loop_run(srv.loop);

	while (srv.clients)
		client_free(srv.clients);
	nx_source_free(accept_src);
	nx_source_free(term);
	if (listen_fd >= 0) {
		nx_fd_close(listen_fd);
		unlink(listen_path);
	}
	nx_rpc_cap_unref(srv.root);
	nx_loop_free(srv.loop);
	if (fdcheck_leaked(fds_expected, "nx-interop-server") != 0)
		return 1;
	return r == 0 ? 0 : 1;
}
