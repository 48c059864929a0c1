/* SPDX-License-Identifier: MIT */
/*
 * Generated interface code over a real nx-rpc connection pair (socketpair, one loop):
 * client stubs, typed results, the server vtable and dispatcher, params validation before
 * the handler runs, a superclass method, an unimplemented method, and a `-> stream` method.
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
};

static int calc_add(void *impl, nx_rpc_incoming *in, Calc_add_Params params)
{
	struct calc_impl *c = impl;
	Calc_add_Results_b res;
	int r;

	c->adds++;
	r = Calc_add_results_init(in, &res);
	if (r < 0)
		return r;
	Calc_add_Results_set_sum(
	        res, Calc_add_Params_get_a(params) + Calc_add_Params_get_b(params));
	nx_rpc_incoming_return(in);
	return 0;
}

static int calc_describe(void *impl, nx_rpc_incoming *in, Calc_describe_Params params)
{
	struct calc_impl *c = impl;
	Calc_describe_Results_b res;
	const char *name, *note;
	size_t name_len, note_len;
	char out[128];
	int r;

	c->describes++;
	r = Calc_describe_Params_get_note(params, &note, &note_len);
	if (r < 0)
		return r;
	r = Shape_get_name(Calc_describe_Params_get_shape(params), &name, &name_len);
	if (r < 0)
		return r;
	r = Calc_describe_results_init(in, &res);
	if (r < 0)
		return r;
	snprintf(out, sizeof(out), "%s/%s", name, note);
	Calc_describe_Results_set_text(res, out, strlen(out));
	Calc_describe_Results_set_color(res, COLOR_GREEN);
	nx_rpc_incoming_return(in);
	return 0;
}

static int calc_push(void *impl, nx_rpc_incoming *in, Calc_push_Params params)
{
	struct calc_impl *c = impl;
	const uint8_t *d;
	size_t n;

	if (Calc_push_Params_get_chunk(params, &d, &n) < 0)
		return -EBADMSG;
	c->pushes++;
	c->pushed_bytes += n;
	nx_rpc_incoming_return(in);
	return 0;
}

static int base_ping(void *impl, nx_rpc_incoming *in, Base_ping_Params params)
{
	struct calc_impl *c = impl;

	(void)params;
	c->pings++;
	nx_rpc_incoming_return(in);
	return 0;
}

static void calc_destroy(void *impl)
{
	((struct calc_impl *)impl)->destroyed = true;
}

static const struct Base_server base_vt = {
        .ping = base_ping,
};

static const struct Calc_server calc_vt = {
        .add = calc_add,
        .describe = calc_describe,
        .push = calc_push,
        .lookup = NULL, /* unimplemented on purpose */
        .sub = NULL,
        .Base = &base_vt,
};

struct pair {
	nx_loop *loop;
	nx_rpc_conn *server, *client;
	nx_rpc_cap *calc;
	struct calc_impl impl;
};

static void pair_open(struct pair *p)
{
	nx_rpc_cap *served = NULL;
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(nx_loop_new(&p->loop), 0);
	assert_int_equal(Calc_server_new(&calc_vt, &p->impl, calc_destroy, &served), 0);
	assert_int_equal(nx_rpc_conn_new(p->loop, sv[0], served, &p->server), 0);
	nx_rpc_cap_unref(served);
	assert_int_equal(nx_rpc_conn_new(p->loop, sv[1], NULL, &p->client), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(p->client, &p->calc), 0);
}

static void pair_close(struct pair *p)
{
	nx_rpc_cap_unref(p->calc);
	nx_rpc_conn_free(p->client);
	nx_rpc_conn_free(p->server);
	nx_loop_free(p->loop);
}

static void test_add(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	Calc_add_Params_b params;
	const nx_rpc_result *res = NULL;
	void *impl = NULL;

	(void)state;
	pair_open(&p);
	assert_int_equal(Calc_add_new(p.calc, &call, &params), 0);
	Calc_add_Params_set_a(params, 40);
	Calc_add_Params_set_b(params, 2);
	assert_int_equal(nx_rpc_call_wait(call, UINT64_MAX, &res), 0);
	assert_int_equal(res->error, 0);
	assert_int_equal(Calc_add_Results_get_sum(Calc_add_results(res)), 42);
	assert_int_equal(p.impl.adds, 1);
	nx_rpc_call_free(call);
	/* An import is not a local server: get_impl must say no. */
	assert_false(Calc_server_get_impl(p.calc, &impl));
	pair_close(&p);
	assert_true(p.impl.destroyed);
	fdcheck_assert(before);
}

static void describe(
        struct pair *p, const char *note, const nx_rpc_result **ret_res, nx_rpc_call **ret_call)
{
	Calc_describe_Params_b params;
	Shape_b shape;

	assert_int_equal(Calc_describe_new(p->calc, ret_call, &params), 0);
	assert_int_equal(Calc_describe_Params_init_shape(params, &shape), 0);
	assert_int_equal(Shape_set_name(shape, "sq", 2), 0);
	Shape_square_set_side(Shape_build_square(shape), 1.0);
	assert_int_equal(Calc_describe_Params_set_note(params, note, strlen(note)), 0);
	assert_int_equal(nx_rpc_call_wait(*ret_call, UINT64_MAX, ret_res), 0);
}

static void test_describe_and_validation(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	const nx_rpc_result *res = NULL;
	Calc_describe_Results out;
	const char *t;
	size_t n;

	(void)state;
	pair_open(&p);
	describe(&p, "hi", &res, &call);
	assert_int_equal(res->error, 0);
	assert_int_equal(Calc_describe_results_checked(res, &out), 0);
	assert_int_equal(Calc_describe_Results_get_text(out, &t, &n), 0);
	assert_string_equal(t, "sq/hi");
	assert_int_equal(Calc_describe_Results_get_color(out), COLOR_GREEN);
	nx_rpc_call_free(call);

	/* note has $maxLen(32): the dispatcher refuses before the handler runs. */
	describe(&p, "0123456789012345678901234567890123", &res, &call);
	assert_true(res->error < 0);
	assert_int_equal(Calc_describe_results_checked(res, &out), res->error);
	assert_int_equal(p.impl.describes, 1);
	nx_rpc_call_free(call);
	pair_close(&p);
	fdcheck_assert(before);
}

static void test_super_and_unimplemented(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	Base_ping_Params_b pp;
	const nx_rpc_result *res = NULL;

	(void)state;
	pair_open(&p);
	/* Base.ping on the Calc object: routed to the superclass vtable. */
	assert_int_equal(Base_ping_new(p.calc, &call, &pp), 0);
	assert_int_equal(nx_rpc_call_wait(call, UINT64_MAX, &res), 0);
	assert_int_equal(res->error, 0);
	assert_int_equal(p.impl.pings, 1);
	nx_rpc_call_free(call);

	/* lookup has no handler: unimplemented. */
	{
		Inner_b key;

		assert_int_equal(Calc_lookup_new(p.calc, &call, &key), 0);
		Inner_set_id(key, 3);
		assert_int_equal(nx_rpc_call_wait(call, UINT64_MAX, &res), 0);
		/* nx-rpc names the errno through the reason code ("unsupported: ..."). */
		assert_true(res->error == -ENOSYS || res->error == -EOPNOTSUPP);
		assert_int_equal(res->exc_type, NX_RPC_EXC_UNIMPLEMENTED);
		nx_rpc_call_free(call);
	}
	pair_close(&p);
	fdcheck_assert(before);
}

static void test_stream(void **state)
{
	int before = fdcheck_count();
	struct pair p;
	nx_rpc_call *call = NULL;
	Calc_push_Params_b pp;
	Calc_add_Params_b ap;
	const nx_rpc_result *res = NULL;

	(void)state;
	pair_open(&p);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(Calc_push_new(p.calc, &call, &pp), 0);
		assert_int_equal(Calc_push_Params_set_chunk(pp, "abcd", 4), 0);
		assert_int_equal(Calc_push_send(call), 0);
	}
	/* Calls on one target are delivered in order: once add returns, the pushes ran. */
	assert_int_equal(Calc_add_new(p.calc, &call, &ap), 0);
	assert_int_equal(nx_rpc_call_wait(call, UINT64_MAX, &res), 0);
	assert_int_equal(res->error, 0);
	nx_rpc_call_free(call);
	assert_int_equal(p.impl.pushes, 3);
	assert_int_equal(p.impl.pushed_bytes, 12);
	pair_close(&p);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_add),
	        cmocka_unit_test(test_describe_and_validation),
	        cmocka_unit_test(test_super_and_unimplemented),
	        cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
