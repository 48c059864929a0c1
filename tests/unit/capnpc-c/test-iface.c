/* SPDX-License-Identifier: MIT */
/*
 * Generated interface code over a real nx-rpc connection pair (socketpair, one loop): the
 * one-call client forms (callback and blocking), _start/_send for struct params, one-call
 * returns, typed capabilities in results and promise pipelining, validation reasons that
 * name the field, a superclass method, an unimplemented method, and a `-> stream` method.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "iface.capnp.h"

struct calc_impl {
	int adds;
	int pings;
	int pushes;
	size_t pushed_bytes;
	int describes;
	bool destroyed;
	struct iface_calc *self; /* not a reference: the server's own cap, for sub() */
};

static int calc_add(void *impl, nx_rpc_incoming *in, iface_calc_add_params params)
{
	struct calc_impl *c = impl;

	c->adds++;
	iface_calc_add_return(
	        in, iface_calc_add_params_get_a(params) + iface_calc_add_params_get_b(params));
	return 0;
}

static int calc_describe(void *impl, nx_rpc_incoming *in, iface_calc_describe_params params)
{
	struct calc_impl *c = impl;
	const char *name, *note;
	size_t name_len, note_len;
	char out[128];
	int r;

	c->describes++;
	r = iface_calc_describe_params_get_note(params, &note, &note_len);
	if (r < 0)
		return r;
	r = types_shape_get_name(iface_calc_describe_params_get_shape(params), &name, &name_len);
	if (r < 0)
		return r;
	snprintf(out, sizeof(out), "%s/%s", name, note);
	iface_calc_describe_return(in, out, TYPES_COLOR_GREEN);
	return 0;
}

static int calc_push(void *impl, nx_rpc_incoming *in, iface_calc_push_params params)
{
	struct calc_impl *c = impl;
	const uint8_t *d;
	size_t n;

	if (iface_calc_push_params_get_chunk(params, &d, &n) < 0)
		return -EBADMSG;
	c->pushes++;
	c->pushed_bytes += n;
	nx_rpc_incoming_return(in);
	return 0;
}

static int calc_sub(void *impl, nx_rpc_incoming *in, iface_calc_sub_params params)
{
	struct calc_impl *c = impl;

	(void)params;
	iface_calc_sub_return(in, c->self);
	return 0;
}

static int base_ping(void *impl, nx_rpc_incoming *in, iface_base_ping_params params)
{
	struct calc_impl *c = impl;

	(void)params;
	c->pings++;
	iface_base_ping_return(in);
	return 0;
}

static void calc_destroy(void *impl)
{
	((struct calc_impl *)impl)->destroyed = true;
}

static const struct iface_base_server base_vt = {
        .ping = base_ping,
};

static const struct iface_calc_server calc_vt = {
        .add = calc_add,
        .describe = calc_describe,
        .push = calc_push,
        .lookup = NULL, /* unimplemented on purpose */
        .sub = calc_sub,
        .iface_base = &base_vt,
};

struct pair {
	nx_loop *loop;
	nx_rpc_conn *server, *client;
	struct iface_calc *calc;
	struct calc_impl impl;
};

static void pair_open(struct pair *p)
{
	struct iface_calc *served = NULL;
	nx_rpc_cap *boot = NULL;
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(nx_loop_new(&p->loop), 0);
	assert_int_equal(iface_calc_server_new(&calc_vt, &p->impl, calc_destroy, &served), 0);
	p->impl.self = served;
	assert_int_equal(nx_rpc_conn_new(p->loop, sv[0], iface_calc_cap(served), &p->server), 0);
	nx_rpc_cap_unref(iface_calc_cap(served));
	assert_int_equal(nx_rpc_conn_new(p->loop, sv[1], NULL, &p->client), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(p->client, &boot), 0);
	p->calc = iface_calc_from_cap(boot);
}

static void pair_close(struct pair *p)
{
	nx_rpc_cap_unref(iface_calc_cap(p->calc));
	nx_rpc_conn_free(p->client);
	nx_rpc_conn_free(p->server);
	nx_loop_free(p->loop);
}

struct got {
	int calls, error, sum;
	char reason[128];
};

static void add_done(void *userdata, int error, const char *reason, iface_calc_add_results results)
{
	struct got *g = userdata;

	g->calls++;
	g->error = error;
	g->sum = iface_calc_add_results_get_sum(results);
	snprintf(g->reason, sizeof(g->reason), "%s", reason);
}

static void run_until(struct pair *p, const int *calls)
{
	for (int i = 0; i < 1000 && *calls == 0; i++)
		assert_true(nx_loop_run_once(p->loop, UINT64_MAX) >= 0);
	assert_int_equal(*calls, 1);
}

static void test_add(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	struct got got = {0};
	nx_rpc_call *call = NULL;
	iface_calc_add_results out;
	void *impl = NULL;

	(void)state;
	pair_open(&p);
	/* Blocking, for tools. */
	assert_int_equal(iface_calc_add_wait(p.calc, 40, 2, UINT64_MAX, &call, &out), 0);
	assert_int_equal(iface_calc_add_results_get_sum(out), 42);
	nx_rpc_call_free(call);
	/* With a callback, for daemons: it runs once, from the loop, never from the call. */
	assert_int_equal(iface_calc_add(p.calc, -5, 3, add_done, &got), 0);
	assert_int_equal(got.calls, 0);
	run_until(&p, &got.calls);
	assert_int_equal(got.error, 0);
	assert_int_equal(got.sum, -2);
	assert_string_equal(got.reason, "");
	assert_int_equal(p.impl.adds, 2);
	/* An import is not a local server: get_impl must say no; the server's own cap is. */
	assert_false(iface_calc_server_get_impl(p.calc, &impl));
	assert_true(iface_calc_server_get_impl(p.impl.self, &impl));
	assert_ptr_equal(impl, &p.impl);
	pair_close(&p);
	assert_true(p.impl.destroyed);
	fdcheck_assert(before);
}

/* A typed send is cancelled by freeing the call before its callback: the callback never runs
 * and nothing is left behind (ASan's leak check); a NULL callback is a call nobody waits for. */
static void test_cancel_and_no_callback(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	struct got got = {0};
	iface_calc_add_params_b params;
	nx_rpc_call *call = NULL;

	(void)state;
	pair_open(&p);
	assert_int_equal(iface_calc_add_start(p.calc, &call, &params), 0);
	iface_calc_add_params_set_a(params, 1);
	assert_int_equal(iface_calc_add_send(call, add_done, &got), 0);
	nx_rpc_call_free(call); /* before the loop ran: the Return, if any, finds no question */
	assert_int_equal(iface_calc_add(p.calc, 2, 3, NULL, NULL), 0);
	for (int i = 0; i < 1000 && p.impl.adds < 2; i++)
		assert_true(nx_loop_run_once(p.loop, UINT64_MAX) >= 0);
	assert_int_equal(p.impl.adds, 2);
	assert_int_equal(got.calls, 0);
	pair_close(&p);
	fdcheck_assert(before);
}

/* describe() takes a struct, so it has only the _start / _send forms. */
static int describe(struct pair *p, const char *note, size_t note_len, nx_rpc_call **ret_call,
        iface_calc_describe_results *ret)
{
	iface_calc_describe_params_b params;
	types_shape_b shape;

	assert_int_equal(iface_calc_describe_start(p->calc, ret_call, &params), 0);
	assert_int_equal(iface_calc_describe_params_init_shape(params, &shape), 0);
	assert_int_equal(types_shape_set_name(shape, "sq", 2), 0);
	types_shape_square_set_side(types_shape_build_square(shape), 1.0);
	assert_int_equal(iface_calc_describe_params_set_note(params, note, note_len), 0);
	return iface_calc_describe_send_wait(*ret_call, UINT64_MAX, ret);
}

static void test_describe_and_validation(void **state)
{
	static const char long_note[] = "0123456789012345678901234567890123";
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	iface_calc_describe_results out;
	const char *t;
	size_t n;

	(void)state;
	pair_open(&p);
	assert_int_equal(describe(&p, "hi", 2, &call, &out), 0);
	assert_int_equal(iface_calc_describe_results_get_text(out, &t, &n), 0);
	assert_string_equal(t, "sq/hi");
	assert_int_equal(iface_calc_describe_results_get_color(out), TYPES_COLOR_GREEN);
	nx_rpc_call_free(call);

	/* note has $maxLen(32): the dispatcher answers before the handler runs, naming the
	 * field and the limit from the schema. */
	assert_int_equal(describe(&p, long_note, strlen(long_note), &call, &out), -EMSGSIZE);
	assert_string_equal(
	        nx_rpc_call_result(call)->reason, "too_large: note: longer than 32 bytes");
	nx_rpc_call_free(call);
	assert_int_equal(describe(&p, "a\0b", 3, &call, &out), -EINVAL);
	assert_string_equal(
	        nx_rpc_call_result(call)->reason, "invalid_argument: note: contains NUL");
	nx_rpc_call_free(call);
	assert_int_equal(p.impl.describes, 1);
	pair_close(&p);
	fdcheck_assert(before);
}

static void test_super_and_unimplemented(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	iface_base_ping_results pong;
	types_everything found;

	(void)state;
	pair_open(&p);
	/* Base.ping on the Calc object: routed to the superclass vtable. */
	assert_int_equal(iface_base_ping_wait(iface_base_from_cap(iface_calc_cap(p.calc)),
	                         UINT64_MAX, &call, &pong),
	        0);
	assert_int_equal(p.impl.pings, 1);
	nx_rpc_call_free(call);

	/* lookup (params: the struct Inner, whose fields are simple) has no handler. */
	assert_int_equal(
	        iface_calc_lookup_wait(p.calc, 3, "x", UINT64_MAX, &call, &found), -EOPNOTSUPP);
	assert_int_equal(nx_rpc_call_result(call)->exc_type, NX_RPC_EXC_UNIMPLEMENTED);
	nx_rpc_call_free(call);
	pair_close(&p);
	fdcheck_assert(before);
}

static void test_stream(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	iface_calc_add_results out;

	(void)state;
	pair_open(&p);
	for (int i = 0; i < 3; i++)
		assert_int_equal(iface_calc_push(p.calc, "abcd", 4), 0);
	/* Calls on one target are delivered in order: once add returns, the pushes ran. */
	assert_int_equal(iface_calc_add_wait(p.calc, 0, 0, UINT64_MAX, &call, &out), 0);
	nx_rpc_call_free(call);
	assert_int_equal(p.impl.pushes, 3);
	assert_int_equal(p.impl.pushed_bytes, 12);
	pair_close(&p);
	fdcheck_assert(before);
}

struct sub_got {
	int calls, error;
	struct iface_calc *calc;
};

static void sub_done(void *userdata, int error, const char *reason, iface_calc_sub_results results)
{
	struct sub_got *g = userdata;

	(void)reason;
	g->calls++;
	g->error = error;
	assert_int_equal(iface_calc_sub_results_get_calc(results, &g->calc), 0);
}

static void test_typed_caps(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	struct sub_got got = {0};
	nx_rpc_call *call = NULL, *add = NULL;
	struct iface_calc *promise = NULL;
	iface_calc_sub_params_b params;
	iface_calc_add_results out;

	(void)state;
	pair_open(&p);
	/* A capability result, pipelined: call add() on sub()'s answer before it arrives. */
	assert_int_equal(iface_calc_sub_start(p.calc, &call, &params), 0);
	assert_int_equal(iface_calc_sub_pipeline_calc(call, &promise), 0);
	assert_int_equal(iface_calc_sub_send(call, sub_done, &got), 0);
	assert_int_equal(iface_calc_add_wait(promise, 20, 22, UINT64_MAX, &add, &out), 0);
	assert_int_equal(iface_calc_add_results_get_sum(out), 42);
	nx_rpc_call_free(add);
	run_until(&p, &got.calls);
	assert_int_equal(got.error, 0);
	/* The typed getter gave a new reference to the same capability. */
	assert_non_null(got.calc);
	assert_int_equal(iface_calc_add_wait(got.calc, 1, 1, UINT64_MAX, &add, &out), 0);
	assert_int_equal(iface_calc_add_results_get_sum(out), 2);
	nx_rpc_call_free(add);
	nx_rpc_cap_unref(iface_calc_cap(got.calc));
	nx_rpc_cap_unref(iface_calc_cap(promise));
	assert_int_equal(p.impl.adds, 2);
	pair_close(&p);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_add),
	        cmocka_unit_test(test_cancel_and_no_callback),
	        cmocka_unit_test(test_describe_and_validation),
	        cmocka_unit_test(test_super_and_unimplemented),
	        cmocka_unit_test(test_stream),
	        cmocka_unit_test(test_typed_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
