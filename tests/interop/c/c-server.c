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
	struct interop *root;
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

static int serve_increment(void *impl, nx_rpc_incoming *in, interop_counter_increment_params params)
{
	struct counter *c = impl;

	c->value += interop_counter_increment_params_get_by(params);
	return interop_counter_increment_return(in, c->value); /* answers, or fails naming why */
}

static const struct interop_counter_server counter_vt = {
        .increment = serve_increment,
};

static void counter_destroy(void *impl)
{
	g_stats.live_counters--;
	free(impl);
}

static int counter_new(int64_t start, struct interop_counter **ret)
{
	struct counter *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->value = start;
	r = interop_counter_server_new(&counter_vt, c, counter_destroy, ret);
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

static int serve_info(void *impl, nx_rpc_incoming *in, interop_blob_info_params params)
{
	struct blob *b = impl;

	(void)params;
	return interop_blob_info_return(in, b->size, b->hash);
}

static const struct interop_blob_server blob_vt = {
        .info = serve_info,
};

static void blob_destroy(void *impl)
{
	g_stats.live_blobs--;
	free(impl);
}

/* ---- Sink ---- */

struct sink {
	uint64_t chunks;
	uint64_t bytes;
	uint64_t hash;
};

static int serve_write(void *impl, nx_rpc_incoming *in, interop_sink_write_params params)
{
	struct sink *s = impl;
	const uint8_t *chunk;
	size_t len;

	(void)interop_sink_write_params_get_chunk(params, &chunk, &len); /* validated already */
	s->chunks++;
	s->bytes += len;
	s->hash = interop_fnv1a64(s->hash, chunk, len);
	return nx_rpc_incoming_return(in);
}

static int serve_done(void *impl, nx_rpc_incoming *in, interop_sink_done_params params)
{
	struct sink *s = impl;

	(void)params;
	return interop_sink_done_return(in, s->chunks, s->bytes, s->hash);
}

static const struct interop_sink_server sink_vt = {
        .write = serve_write,
        .done = serve_done,
};

/* ---- Interop ---- */

static int serve_ping(void *impl, nx_rpc_incoming *in, interop_ping_params params)
{
	(void)impl;
	(void)params;
	return nx_rpc_incoming_return(in);
}

/* Answers `in` with `value` copied, tree and all, into pointer 0 of `results` (the `value`
 * field of echo's and of sample's results). */
static int return_copy(
        nx_rpc_incoming *in, nx_capnp_bstruct *results, const nx_capnp_ptr *value, const char *what)
{
	nx_capnp_bptr dst = nx_capnp_bstruct_ptr(results, 0);
	int r = nx_capnp_bptr_copy(&dst, value);

	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "%s: cannot copy the value", what);
	return nx_rpc_incoming_return(in);
}

static int serve_echo(void *impl, nx_rpc_incoming *in, interop_echo_params params)
{
	nx_capnp_ptr value = nx_capnp_struct_ptr(&params.s, 0);
	interop_echo_results_b res;
	int r;

	(void)impl;
	r = interop_echo_results_init(in, &res);
	if (r < 0)
		return r;
	return return_copy(in, &res.s, &value, "echo");
}

static int serve_sample(void *impl, nx_rpc_incoming *in, interop_sample_params params)
{
	interop_sample_results_b res;
	interop_all_types sample;
	nx_capnp_ptr value;
	int r;

	(void)impl;
	(void)params;
	/* The generated constant, as the C++ server sends its SAMPLE_VALUE. */
	r = interop_sample_value_get(&sample);
	if (r >= 0)
		r = interop_sample_results_init(in, &res);
	if (r < 0)
		return r;
	value = nx_capnp_reader_root(sample.s.msg);
	return return_copy(in, &res.s, &value, "sample");
}

static enum nx_rpc_exc exc_for_fail_type(interop_fail_type t)
{
	switch (t) {
	case INTEROP_FAIL_TYPE_OVERLOADED:
		return NX_RPC_EXC_OVERLOADED;
	case INTEROP_FAIL_TYPE_DISCONNECTED:
		return NX_RPC_EXC_DISCONNECTED;
	case INTEROP_FAIL_TYPE_UNIMPLEMENTED:
		return NX_RPC_EXC_UNIMPLEMENTED;
	default:
		return NX_RPC_EXC_FAILED;
	}
}

static int serve_fail(void *impl, nx_rpc_incoming *in, interop_fail_params params)
{
	const char *reason;
	size_t len;

	(void)impl;
	/* Exactly the reason asked for, without a code of ours in front (cut at
	 * NX_RPC_REASON_MAX): the client checks it arrives intact. */
	(void)interop_fail_params_get_reason(params, &reason, &len);
	return nx_rpc_incoming_fail(
	        in, exc_for_fail_type(interop_fail_params_get_type(params)), reason);
}

/* One callBack call in progress: the calls into the client's Callback go one after another.
 * The call in flight is held (started, not sent with a typed callback) so that a cancel can
 * free it, which sends its Finish. */
struct call_back {
	nx_rpc_incoming *in;
	struct interop_callback *cb;
	nx_rpc_call *pending;
	int32_t value;
	uint32_t times;
	uint32_t done;
	int32_t results[];
};

static void call_back_free(struct call_back *cb)
{
	nx_rpc_call_free(cb->pending);
	nx_rpc_cap_unref(interop_callback_cap(cb->cb));
	free(cb);
}

static void call_back_next(struct call_back *cb);

static void call_back_returned(nx_rpc_call *call, const nx_rpc_result *result, void *userdata)
{
	/* Callback.call's results hold no pointer: nothing to validate before reading them. */
	interop_callback_call_results res = {result->results};
	struct call_back *cb = userdata;

	if (result->error < 0) {
		/* The callback's exception becomes ours, reason and all. */
		(void)nx_rpc_incoming_fail(cb->in, result->exc_type, result->reason);
		call_back_free(cb);
		return;
	}
	cb->results[cb->done++] = interop_callback_call_results_get_result(res);
	cb->pending = nx_rpc_call_free(call);
	call_back_next(cb);
}

static void call_back_next(struct call_back *cb)
{
	interop_callback_call_params_b params;
	interop_call_back_results_b res;
	const nx_rpc_result *failed;
	nx_capnp_blist list;
	uint32_t i;
	int r;

	if (cb->done == cb->times) {
		r = interop_call_back_results_init(cb->in, &res);
		if (r >= 0)
			r = interop_call_back_results_init_results(res, cb->times, &list);
		for (i = 0; r >= 0 && i < cb->times; i++)
			nx_capnp_blist_set_u32(&list, i, (uint32_t)cb->results[i]);
		(void)nx_rpc_incoming_return_built(cb->in, r);
		call_back_free(cb);
		return;
	}
	r = interop_callback_call_start(cb->cb, &cb->pending, &params);
	if (r >= 0) {
		/* Wrapping, as the peer may send any value: signed overflow would be UB. */
		interop_callback_call_params_set_value(
		        params, (int32_t)((uint32_t)cb->value + cb->done));
		r = nx_rpc_call_send(cb->pending, call_back_returned, cb);
	}
	if (r < 0) {
		failed = cb->pending ? nx_rpc_call_result(cb->pending) : NULL;
		if (failed && failed->error < 0)
			(void)nx_rpc_incoming_fail(cb->in, failed->exc_type, failed->reason);
		else
			(void)nx_rpc_incoming_failf(
			        cb->in, r, "callBack: cannot call the callback");
		call_back_free(cb);
	}
}

static void call_back_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct call_back *cb = userdata;

	/* Freeing the pending call sends its Finish; the client's callback learns we left. */
	(void)nx_rpc_incoming_failf(in, -ECANCELED, "callBack: canceled");
	call_back_free(cb);
}

static int serve_call_back(void *impl, nx_rpc_incoming *in, interop_call_back_params params)
{
	uint32_t times = interop_call_back_params_get_times(params);
	struct call_back *cb;

	(void)impl;
	if (times > INTEROP_CALLBACK_MAX)
		return nx_rpc_incoming_failf(in, -EINVAL, "times over the cap");
	cb = calloc(1, sizeof(*cb) + times * sizeof(cb->results[0]));
	if (!cb)
		return -ENOMEM;
	if (interop_call_back_params_get_cb(params, &cb->cb) < 0) {
		free(cb);
		return nx_rpc_incoming_failf(in, -EINVAL, "callBack without a callback");
	}
	cb->in = in;
	cb->value = interop_call_back_params_get_value(params);
	cb->times = times;
	nx_rpc_incoming_set_cancel_cb(in, call_back_canceled, cb);
	call_back_next(cb);
	return NX_RPC_ASYNC;
}

static int serve_new_counter(void *impl, nx_rpc_incoming *in, interop_new_counter_params params)
{
	struct interop_counter *counter;
	int r;

	(void)impl;
	r = counter_new(interop_new_counter_params_get_start(params), &counter);
	if (r < 0)
		return r;
	(void)interop_new_counter_return(in, counter); /* the results take their own reference */
	nx_rpc_cap_unref(interop_counter_cap(counter));
	return 0;
}

static int serve_make_box(void *impl, nx_rpc_incoming *in, interop_make_box_params params)
{
	struct interop_counter *counter;
	interop_make_box_results_b res;
	interop_box_b box;
	const char *tag;
	size_t len;
	int r;

	(void)impl;
	(void)interop_make_box_params_get_tag(params, &tag, &len);
	r = counter_new(interop_make_box_params_get_start(params), &counter);
	if (r < 0)
		return r;
	r = interop_make_box_results_init(in, &res);
	if (r >= 0)
		r = interop_make_box_results_init_box(res, &box);
	if (r >= 0)
		r = interop_box_set_tag(box, tag, len);
	if (r >= 0)
		r = interop_box_set_counter(box, counter);
	nx_rpc_cap_unref(interop_counter_cap(counter));
	if (r < 0)
		return r;
	return nx_rpc_incoming_return(in);
}

static int serve_make_blob(void *impl, nx_rpc_incoming *in, interop_make_blob_params params)
{
	uint64_t size = interop_make_blob_params_get_size(params);
	uint32_t seed = interop_make_blob_params_get_seed(params);
	struct interop_blob *blob;
	struct blob *b;
	int fd, r;

	(void)impl;
	if (size > INTEROP_BLOB_MAX_BYTES)
		return nx_rpc_incoming_failf(in, -EMSGSIZE, "blob size over the cap");
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->size = size;
	b->hash = interop_pattern_hash(size, seed);
	r = interop_memfd_make(size, seed, &fd);
	/* The cap takes fd: it rides with the cap whenever the cap is sent. */
	if (r >= 0)
		r = interop_blob_server_new_with_fd(&blob_vt, b, blob_destroy, fd, &blob);
	if (r < 0) {
		free(b);
		return r;
	}
	g_stats.live_blobs++;
	(void)interop_make_blob_return(in, blob);
	nx_rpc_cap_unref(interop_blob_cap(blob));
	return 0;
}

static int serve_consume_blob(void *impl, nx_rpc_incoming *in, interop_consume_blob_params params)
{
	struct interop_fd_contents c;
	struct interop_blob *blob;
	int fd, r;

	(void)impl;
	if (interop_consume_blob_params_get_blob(params, &blob) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "consumeBlob without a blob");
	/* Read through the fd that rode with the CapDescriptor, never through calls. */
	fd = nx_rpc_cap_peek_fd(interop_blob_cap(blob));
	r = fd < 0 ? fd : interop_fd_read(fd, &c);
	nx_rpc_cap_unref(interop_blob_cap(blob));
	if (fd < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "blob capability carries no fd");
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "consumeBlob: cannot read the blob");
	return interop_consume_blob_return(in, c.size, c.hash, c.head, c.head_len, c.sealed);
}

static int serve_open_sink(void *impl, nx_rpc_incoming *in, interop_open_sink_params params)
{
	struct interop_sink *sink;
	struct sink *s;
	int r;

	(void)impl;
	(void)params;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->hash = INTEROP_FNV_INIT;
	r = interop_sink_server_new(&sink_vt, s, free, &sink);
	if (r < 0) {
		free(s);
		return r;
	}
	(void)interop_open_sink_return(in, sink);
	nx_rpc_cap_unref(interop_sink_cap(sink));
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

	nx_source_free(s);
	(void)interop_slow_return(sl->in, sl->tag);
	free(sl);
}

static void slow_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct slow *sl = userdata;

	g_stats.cancelled++;
	nx_source_free(sl->timer);
	(void)nx_rpc_incoming_failf(in, -ECANCELED, "slow: canceled");
	free(sl);
}

static int serve_slow(void *impl, nx_rpc_incoming *in, interop_slow_params params)
{
	struct server *srv = impl;
	uint32_t millis = interop_slow_params_get_millis(params);
	struct slow *sl;
	int r;

	if (millis > SLOW_MAX_MS)
		millis = SLOW_MAX_MS;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	sl->in = in;
	sl->tag = interop_slow_params_get_tag(params);
	r = nx_loop_add_timer(srv->loop, nx_clock_monotonic_ns() + (uint64_t)millis * 1000000u,
	        slow_fire, sl, &sl->timer);
	if (r < 0) {
		free(sl);
		return r;
	}
	nx_rpc_incoming_set_cancel_cb(in, slow_canceled, sl);
	return NX_RPC_ASYNC;
}

static int serve_stats(void *impl, nx_rpc_incoming *in, interop_stats_params params)
{
	(void)impl;
	(void)params;
	return interop_stats_return(
	        in, g_stats.live_counters, g_stats.live_blobs, g_stats.cancelled);
}

static int serve_die(void *impl, nx_rpc_incoming *in, interop_die_params params)
{
	(void)impl;
	(void)in;
	(void)params;
	/* The peer-dying-mid-call case: no answer, no orderly shutdown. */
	fflush(stdout);
	_exit(INTEROP_DIE_STATUS);
}

/* notImplemented stays NULL: the generated dispatcher answers `unimplemented`. */
static const struct interop_server interop_vt = {
        .ping = serve_ping,
        .echo = serve_echo,
        .sample = serve_sample,
        .fail = serve_fail,
        .call_back = serve_call_back,
        .new_counter = serve_new_counter,
        .make_box = serve_make_box,
        .make_blob = serve_make_blob,
        .consume_blob = serve_consume_blob,
        .open_sink = serve_open_sink,
        .slow = serve_slow,
        .stats = serve_stats,
        .die = serve_die,
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
	r = nx_rpc_conn_new(srv->loop, fd, interop_cap(srv->root), &c->conn); /* takes fd */
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
		r = interop_server_new(&interop_vt, &srv, NULL, &srv.root);
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
	nx_rpc_cap_unref(interop_cap(srv.root));
	nx_loop_free(srv.loop);
	if (fdcheck_leaked(fds_expected, "nx-interop-server") != 0)
		return 1;
	return r == 0 ? 0 : 1;
}
