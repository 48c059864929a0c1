/* SPDX-License-Identifier: MIT */
/*
 * nx-interop-client: Nexus's C client for interop.capnp, over nx-rpc and the generated C code.
 * Runs the same checks as interop-cxx-client, under the same names, against whatever serves
 * Interop (the C++ reference server, or nx-interop-server), printing "ok NAME" or
 * "FAIL NAME: why" per check, then "FAIL fds: ..." if a received fd stayed open; exits 1 if
 * anything failed.
 *
 *   nx-interop-client (--fd N | --connect PATH) [--only NAME]... [--skip NAME]... [--list]
 *
 * `die` makes the server exit, so it runs last. `vanish` (only with --only) makes this client
 * exit with calls pending both ways.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdcheck.h"
#include "interop-c.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"

/* Bound on one call or one wait for something the peer does asynchronously (a Release, a
 * Finish). Generous for a loaded box; no check asserts a duration. */
#define CALL_TIMEOUT_NS (20ull * 1000 * 1000 * 1000)
#define POLL_NS         (10ull * 1000 * 1000)

#define MAX_NAMES 32

struct env {
	nx_loop *loop;
	nx_rpc_conn *conn;
	struct interop *root;
	char why[512];
};

static uint64_t deadline(void)
{
	return nx_clock_monotonic_ns() + CALL_TIMEOUT_NS;
}

static int failf(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failf(struct env *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	return -1;
}

#define EXPECT(cond, ...)                             \
	do {                                          \
		if (!(cond))                          \
			return failf(e, __VA_ARGS__); \
	} while (0)

/* What a blocking call (a generated `_wait` or `_send_wait`, which returned `r`) means to a
 * check: 0 if it returned normally, else -1 with e->why naming `what` and the exception or
 * the local error. */
static int call_ok(struct env *e, int r, nx_rpc_call *call, const char *what)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	if (r >= 0)
		return 0;
	if (res && res->error < 0)
		return failf(e, "%s: exception type %d: %s", what, (int)res->exc_type, res->reason);
	return failf(e, "%s: %s", what, strerror(-r));
}

/* The same for a call that must fail with an exception: 0 with *ret, its result; -1 if it
 * returned normally, timed out or was never sent. */
static int call_failed(
        struct env *e, int r, nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	if (r == -ETIMEDOUT)
		return failf(e, "%s: no answer", what);
	if (r >= 0)
		return failf(e, "%s returned normally", what);
	if (!res || res->error >= 0)
		return failf(e, "%s: %s", what, strerror(-r));
	*ret = res;
	return 0;
}

static void run_briefly(struct env *e)
{
	nx_loop_run_once(e->loop, POLL_NS);
}

struct stats {
	uint32_t live_counters;
	uint32_t live_blobs;
	uint32_t cancelled;
};

static int get_stats(struct env *e, struct stats *ret)
{
	interop_stats_results out;
	nx_rpc_call *call;
	int r;

	r = interop_stats_wait(e->root, deadline(), &call, &out);
	r = call_ok(e, r, call, "stats");
	if (r == 0) {
		ret->live_counters = interop_stats_results_get_live_counters(out);
		ret->live_blobs = interop_stats_results_get_live_blobs(out);
		ret->cancelled = interop_stats_results_get_cancelled(out);
	}
	nx_rpc_call_free(call);
	return r;
}

/* Bounded wait until cond() is true (1); cond() < 0 is an error already described. */
static int eventually(struct env *e, int (*cond)(struct env *e, void *arg), void *arg)
{
	uint64_t end = deadline();
	int c;

	for (;;) {
		c = cond(e, arg);
		if (c != 0)
			return c > 0 ? 0 : -1;
		if (nx_clock_monotonic_ns() > end)
			return -1;
		run_briefly(e);
	}
}

static int check_ping(struct env *e)
{
	interop_ping_results out;
	nx_rpc_call *call;
	int r;

	r = interop_ping_wait(e->root, deadline(), &call, &out);
	r = call_ok(e, r, call, "ping");
	nx_rpc_call_free(call);
	return r;
}

/* ---- Values ---- */

/* The canonical bytes of the value interop_sample_value_build() makes for `shape`, built in a
 * message of its own. */
static int expected_canonical(
        struct env *e, enum interop_shape shape, void **ret_buf, size_t *ret_len)
{
	struct nx_capnp_seg segs[NX_CAPNP_BUILDER_MAX_SEGS];
	nx_capnp_builder b;
	nx_capnp_reader rd;
	nx_capnp_struct root;
	interop_all_types_b v;
	int r;

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	r = interop_all_types_init_root(&b, &v);
	if (r >= 0)
		r = interop_sample_value_build(v, shape);
	if (r >= 0) {
		nx_capnp_builder_as_reader(&b, segs, &rd);
		r = nx_capnp_reader_root_struct(&rd, &root);
	}
	if (r >= 0)
		r = interop_canonical(&root, ret_buf, ret_len);
	nx_capnp_builder_done(&b);
	if (r < 0)
		return failf(e, "building the expected value: %s", strerror(-r));
	return 0;
}

/* 0 if `got` is canonically equal to the hand-built value of `shape`. */
static int same_as_built(
        struct env *e, interop_all_types got, enum interop_shape shape, const char *what)
{
	void *want = NULL, *have = NULL;
	size_t want_len = 0, have_len = 0;
	int r;

	r = expected_canonical(e, shape, &want, &want_len);
	if (r < 0)
		return r;
	r = interop_canonical(&got.s, &have, &have_len);
	if (r < 0) {
		free(want);
		return failf(
		        e, "%s: cannot canonicalize the value received: %s", what, strerror(-r));
	}
	r = have_len == want_len && memcmp(have, want, want_len) == 0 ? 0 : -1;
	if (r < 0)
		failf(e, "%s: canonical form differs (%zu bytes, %zu expected)", what, have_len,
		        want_len);
	free(want);
	free(have);
	return r;
}

static int check_sample(struct env *e)
{
	interop_all_types got, constant;
	interop_sample_results out;
	nx_rpc_call *call;
	char why[256];
	int r;

	/* Our hand-built value and the generated constant must agree before we judge the peer. */
	r = interop_sample_value_get(&constant);
	if (r < 0)
		return failf(e, "interop_sample_value_get: %s", strerror(-r));
	if (interop_sample_value_check(constant, why, sizeof(why)) < 0)
		return failf(e, "generated sampleValue: %s", why);
	r = same_as_built(e, constant, INTEROP_SHAPE_SAMPLE, "generated sampleValue vs hand-built");
	if (r < 0)
		return r;

	r = interop_sample_wait(e->root, deadline(), &call, &out);
	r = call_ok(e, r, call, "sample");
	if (r == 0) {
		got = interop_sample_results_get_value(out);
		if (interop_sample_value_check(got, why, sizeof(why)) < 0)
			r = failf(e, "sample differs from sampleValue: %s", why);
		else
			r = same_as_built(e, got, INTEROP_SHAPE_SAMPLE, "sample");
	}
	nx_rpc_call_free(call);
	return r;
}

/* echo(value), `value` the hand-built value of `shape` if `build`, else with nothing set.
 * 0 with *ret viewing the call in *ret_call, or -1; the caller frees *ret_call either way. */
static int echo_value(struct env *e, enum interop_shape shape, bool build, nx_rpc_call **ret_call,
        interop_echo_results *ret)
{
	interop_echo_params_b params;
	interop_all_types_b v;
	int r;

	/* A struct param: started, filled in place, then sent. */
	*ret_call = NULL;
	r = interop_echo_start(e->root, ret_call, &params);
	if (r >= 0)
		r = interop_echo_params_init_value(params, &v);
	if (r >= 0 && build)
		r = interop_sample_value_build(v, shape);
	if (r < 0)
		return failf(e, "echo: building the value: %s", strerror(-r));
	r = interop_echo_send_wait(*ret_call, deadline(), ret);
	return call_ok(e, r, *ret_call, "echo");
}

static int echo_shape(struct env *e, enum interop_shape shape)
{
	interop_echo_results out;
	interop_all_types got;
	nx_rpc_call *call;
	char why[256];
	int r;

	r = echo_value(e, shape, true, &call, &out);
	if (r == 0) {
		got = interop_echo_results_get_value(out);
		if (shape == INTEROP_SHAPE_SAMPLE &&
		        interop_sample_value_check(got, why, sizeof(why)) < 0)
			r = failf(e, "echo changed the value: %s", why);
		else
			r = same_as_built(e, got, shape, "echo changed the value");
		if (r == 0 && shape == INTEROP_SHAPE_WIDE &&
		        interop_all_types_choice_which(interop_all_types_get_choice(got)) !=
		                INTEROP_ALL_TYPES_CHOICE_WHICH_INNER)
			r = failf(e, "echo: the union lost its `inner` member");
	}
	nx_rpc_call_free(call);
	return r;
}

static int check_echo(struct env *e)
{
	int r = echo_shape(e, INTEROP_SHAPE_SAMPLE);

	/* A second shape: the union on another member and a struct list of other sizes. */
	return r < 0 ? r : echo_shape(e, INTEROP_SHAPE_WIDE);
}

static bool text_is(int r, const char *t, size_t n, const char *want)
{
	return r == 0 && n == strlen(want) && memcmp(t, want, n) == 0;
}

static int echo_defaults(struct env *e, interop_all_types v)
{
	const char *t;
	const uint8_t *d;
	nx_capnp_list l;
	size_t n;
	interop_leaf leaf;
	int r;

	EXPECT(interop_all_types_get_default_bool(v) == true, "defaultBool is false");
	EXPECT(interop_all_types_get_default_int32(v) == -123456, "defaultInt32 is %d",
	        interop_all_types_get_default_int32(v));
	EXPECT(interop_all_types_get_default_uint64(v) == 0xfedcba9876543210ull,
	        "defaultUInt64 is %llx",
	        (unsigned long long)interop_all_types_get_default_uint64(v));
	EXPECT(interop_all_types_get_default_float32(v) == 2.5f, "defaultFloat32 is %g",
	        (double)interop_all_types_get_default_float32(v));
	EXPECT(interop_all_types_get_default_float64(v) == -7.25, "defaultFloat64 is %g",
	        interop_all_types_get_default_float64(v));
	EXPECT(interop_all_types_get_default_enum(v) == INTEROP_COLOR_BLUE, "defaultEnum is %u",
	        interop_all_types_get_default_enum(v));
	r = interop_all_types_get_default_text(v, &t, &n);
	EXPECT(text_is(r, t, n, "default text"), "defaultText differs");
	r = interop_all_types_get_default_data(v, &d, &n);
	EXPECT(r == 0 && n == 4 && d[0] == 0xde && d[3] == 0xef, "defaultData differs");
	leaf = interop_all_types_get_default_struct(v);
	EXPECT(interop_leaf_get_id(leaf) == 99, "defaultStruct.id is %u",
	        interop_leaf_get_id(leaf));
	r = interop_leaf_get_label(leaf, &t, &n);
	EXPECT(text_is(r, t, n, "default leaf"), "defaultStruct.label differs");
	r = interop_all_types_get_default_list(v, &l);
	EXPECT(r == 0 && l.count == 3 && (int16_t)nx_capnp_list_get_u16(&l, 0) == 1 &&
	                (int16_t)nx_capnp_list_get_u16(&l, 1) == -2 &&
	                (int16_t)nx_capnp_list_get_u16(&l, 2) == 3,
	        "defaultList differs");
	EXPECT(interop_all_types_choice_which(interop_all_types_get_choice(v)) ==
	                INTEROP_ALL_TYPES_CHOICE_WHICH_NONE,
	        "choice is not `none`");
	EXPECT(interop_all_types_point_get_x(interop_all_types_get_point(v)) == 7,
	        "point.x is not 7");
	EXPECT(interop_all_types_point_get_y(interop_all_types_get_point(v)) == -3,
	        "point.y is not -3");
	EXPECT(interop_inner_get_weight(interop_all_types_get_struct_field(v)) == 1.5,
	        "structField.weight is %g",
	        interop_inner_get_weight(interop_all_types_get_struct_field(v)));
	EXPECT(!interop_all_types_has_text_field(v) && !interop_all_types_has_struct_list(v),
	        "unset pointers came back set");
	return 0;
}

static int sample_zeroed_defaults(struct env *e, interop_all_types s)
{
	/* The sample sets several defaulted fields to zero: XOR encoding on the wire. */
	EXPECT(interop_all_types_get_default_bool(s) == false, "sample defaultBool is true");
	EXPECT(interop_all_types_get_default_int32(s) == 0, "sample defaultInt32 is %d",
	        interop_all_types_get_default_int32(s));
	EXPECT(interop_all_types_get_default_uint64(s) == 1, "sample defaultUInt64 is %llu",
	        (unsigned long long)interop_all_types_get_default_uint64(s));
	EXPECT(interop_all_types_get_default_float32(s) == 0.0f, "sample defaultFloat32 is not 0");
	EXPECT(interop_all_types_get_default_enum(s) == INTEROP_COLOR_RED,
	        "sample defaultEnum is not red");
	EXPECT(interop_all_types_point_get_x(interop_all_types_get_point(s)) == 0 &&
	                interop_all_types_point_get_y(interop_all_types_get_point(s)) == 11,
	        "sample point differs");
	EXPECT(interop_inner_get_weight(interop_all_types_get_struct_field(s)) == 0.0,
	        "sample structField.weight is not 0");
	return 0;
}

static int check_echo_defaults(struct env *e)
{
	interop_sample_results sample;
	interop_echo_results echoed;
	nx_rpc_call *call;
	int r;

	/* Nothing set: every default must read back as declared. */
	r = echo_value(e, INTEROP_SHAPE_SAMPLE, false, &call, &echoed);
	if (r == 0)
		r = echo_defaults(e, interop_echo_results_get_value(echoed));
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	r = interop_sample_wait(e->root, deadline(), &call, &sample);
	r = call_ok(e, r, call, "sample");
	if (r == 0)
		r = sample_zeroed_defaults(e, interop_sample_results_get_value(sample));
	nx_rpc_call_free(call);
	return r;
}

/* ---- Exceptions ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int check_exceptions(struct env *e)
{
	static const struct {
		interop_fail_type type;
		enum nx_rpc_exc want;
	} cases[] = {
	        {INTEROP_FAIL_TYPE_FAILED, NX_RPC_EXC_FAILED},
	        {INTEROP_FAIL_TYPE_OVERLOADED, NX_RPC_EXC_OVERLOADED},
	        {INTEROP_FAIL_TYPE_DISCONNECTED, NX_RPC_EXC_DISCONNECTED},
	        {INTEROP_FAIL_TYPE_UNIMPLEMENTED, NX_RPC_EXC_UNIMPLEMENTED},
	};
	const nx_rpc_result *res = NULL;
	interop_fail_results out;
	nx_rpc_call *call;
	char reason[64];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(reason, sizeof(reason), "invalid_argument: field `x` is %d",
		        (int)cases[i].type);
		r = interop_fail_wait(e->root, reason, cases[i].type, deadline(), &call, &out);
		r = call_failed(e, r, call, "fail()", &res);
		if (r == 0 && res->exc_type != cases[i].want)
			r = failf(e, "wrong exception type %d, want %d", (int)res->exc_type,
			        (int)cases[i].want);
		if (r == 0 && !ends_with(res->reason, reason))
			r = failf(
			        e, "reason not carried: \"%s\", want \"%s\"", res->reason, reason);
		nx_rpc_call_free(call);
		if (r < 0)
			return r;
	}
	/* An exception of type disconnected is about the call, not the connection. */
	return check_ping(e);
}

static int check_unimplemented(struct env *e)
{
	const nx_rpc_result *res = NULL;
	interop_not_implemented_results out;
	nx_rpc_call *call;
	int r;

	r = interop_not_implemented_wait(e->root, deadline(), &call, &out);
	r = call_failed(e, r, call, "notImplemented()", &res);
	if (r == 0 && res->exc_type != NX_RPC_EXC_UNIMPLEMENTED)
		r = failf(e, "exception type %d, want unimplemented (%s)", (int)res->exc_type,
		        res->reason);
	nx_rpc_call_free(call);
	return r < 0 ? r : check_ping(e);
}

/* The outcome of a blocking call that crosses an interface limit: it must have failed with a
 * `failed` exception whose reason starts with the DESIGN.md section 9 `code` and a colon. */
static int expect_reason(
        struct env *e, int r, nx_rpc_call *call, const char *what, const char *code)
{
	const nx_rpc_result *res = NULL;
	size_t n = strlen(code);
	const char *reason;

	if (call_failed(e, r, call, what, &res) < 0)
		return -1;
	EXPECT(res->exc_type == NX_RPC_EXC_FAILED, "%s: exception type %d, want failed", what,
	        (int)res->exc_type);
	/* Accept the prefix libcapnp adds when it relays a peer's reason. */
	reason = res->reason;
	if (!strncmp(reason, "remote exception: ", 18))
		reason += 18;
	EXPECT(!strncmp(reason, code, n) && reason[n] == ':',
	        "%s: reason lacks its section 9 code %s: \"%s\"", what, code, res->reason);
	return 0;
}

static int check_limits(struct env *e)
{
	interop_make_blob_results blob;
	interop_call_back_results back;
	nx_rpc_call *call;
	int r;

	/* Each interface limit crossed by one: refused with the section 9 code, and the
	 * connection still serves. */
	r = interop_make_blob_wait(
	        e->root, (uint64_t)INTEROP_BLOB_MAX_BYTES + 1, 0, deadline(), &call, &blob);
	r = expect_reason(e, r, call, "makeBlob over the cap", "too_large");
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	r = interop_call_back_wait(
	        e->root, NULL, 0, INTEROP_CALLBACK_MAX + 1, deadline(), &call, &back);
	r = expect_reason(e, r, call, "callBack over the cap", "invalid_argument");
	nx_rpc_call_free(call);
	return r < 0 ? r : check_ping(e);
}

/* ---- Capabilities both ways ---- */

static uint32_t g_live_callbacks;
static uint32_t g_callback_calls;

static int serve_call(void *impl, nx_rpc_incoming *in, interop_callback_call_params params)
{
	int32_t value = interop_callback_call_params_get_value(params);

	(void)impl;
	g_callback_calls++;
	/* Wrapping arithmetic: the value is the peer's. */
	return interop_callback_call_return(in, (int32_t)((uint32_t)value * 3u + 1u));
}

static const struct interop_callback_server callback_vt = {
        .call = serve_call,
};

static void callback_destroy(void *impl)
{
	(void)impl;
	g_live_callbacks--;
}

static int no_live_callbacks(struct env *e, void *arg)
{
	(void)e;
	(void)arg;
	return g_live_callbacks == 0;
}

static int check_callback(struct env *e)
{
	interop_call_back_results out;
	struct interop_callback *cb;
	nx_capnp_list list;
	nx_rpc_call *call;
	uint32_t i;
	int r;

	g_callback_calls = 0;
	r = interop_callback_server_new(&callback_vt, NULL, callback_destroy, &cb);
	if (r < 0)
		return failf(e, "interop_callback_server_new: %s", strerror(-r));
	g_live_callbacks++;
	r = interop_call_back_wait(e->root, cb, 10, 5, deadline(), &call, &out);
	nx_rpc_cap_unref(interop_callback_cap(cb)); /* ours; the call holds one until freed */
	r = call_ok(e, r, call, "callBack");
	if (r == 0) {
		r = interop_call_back_results_get_results(out, &list);
		if (r < 0 || list.count != 5)
			r = failf(e, "%u results, want 5", r < 0 ? 0 : list.count);
		for (i = 0; r == 0 && i < 5; i++)
			if ((int32_t)nx_capnp_list_get_u32(&list, i) != (int32_t)(10 + i) * 3 + 1)
				r = failf(e, "result %u is %d", i,
				        (int32_t)nx_capnp_list_get_u32(&list, i));
	}
	nx_rpc_call_free(call);
	if (r < 0)
		return r;
	EXPECT(g_callback_calls == 5, "the callback was called %u times", g_callback_calls);
	/* The server must release the capability we lent it once the call is over. */
	if (eventually(e, no_live_callbacks, NULL) < 0)
		return failf(e, "server never released the callback (%u live)", g_live_callbacks);
	return 0;
}

/* increment(by) on `counter`; 0 with the value, or -1. */
static int increment(struct env *e, struct interop_counter *counter, int64_t by, int64_t *ret)
{
	interop_counter_increment_results out;
	nx_rpc_call *call;
	int r;

	r = interop_counter_increment_wait(counter, by, deadline(), &call, &out);
	r = call_ok(e, r, call, "increment");
	if (r == 0)
		*ret = interop_counter_increment_results_get_value(out);
	nx_rpc_call_free(call);
	return r;
}

static int counters_back_to(struct env *e, void *arg)
{
	struct stats s;

	if (get_stats(e, &s) < 0)
		return -1;
	return s.live_counters == *(uint32_t *)arg;
}

static int check_counter(struct env *e)
{
	static const int64_t steps[] = {1, 5, -200};
	struct interop_counter *counter = NULL;
	interop_new_counter_results out;
	struct stats before, during;
	int64_t want = 100, got = 0;
	nx_rpc_call *call;
	size_t i;
	int r;

	if (get_stats(e, &before) < 0)
		return -1;
	r = interop_new_counter_wait(e->root, 100, deadline(), &call, &out);
	r = call_ok(e, r, call, "newCounter");
	if (r == 0 && interop_new_counter_results_get_counter(out, &counter) < 0)
		r = failf(e, "newCounter returned no capability");
	/* Only the cap is kept: the results (and their reference) go now. */
	nx_rpc_call_free(call);
	for (i = 0; r == 0 && i < sizeof(steps) / sizeof(steps[0]); i++) {
		want += steps[i];
		r = increment(e, counter, steps[i], &got);
		if (r == 0 && got != want)
			r = failf(e, "increment gave %lld, want %lld", (long long)got,
			        (long long)want);
	}
	if (r == 0 && get_stats(e, &during) < 0)
		r = -1;
	if (r == 0 && during.live_counters != before.live_counters + 1)
		r = failf(e, "%u live counters, want %u", during.live_counters,
		        before.live_counters + 1);
	/* Dropping our last reference sends Release; the server frees the object. */
	nx_rpc_cap_unref(interop_counter_cap(counter));
	if (r < 0)
		return r;
	if (eventually(e, counters_back_to, &before.live_counters) < 0)
		return e->why[0] ? -1 : failf(e, "server kept the counter after release");
	return 0;
}

/* Sends increment(by) on `target` (a promise) without waiting: the call is the caller's, to
 * wait for with wait_value(). */
static int send_increment(
        struct env *e, struct interop_counter *target, int64_t by, nx_rpc_call **ret)
{
	interop_counter_increment_params_b params;
	int r;

	r = interop_counter_increment_start(target, ret, &params);
	if (r < 0)
		return failf(e, "increment: %s", strerror(-r));
	interop_counter_increment_params_set_by(params, by);
	r = nx_rpc_call_send(*ret, NULL, NULL);
	if (r < 0)
		return failf(e, "sending a pipelined increment: %s", strerror(-r));
	return 0;
}

static int wait_value(struct env *e, nx_rpc_call *call, int64_t want, const char *what)
{
	interop_counter_increment_results out;
	int64_t got;
	int r;

	r = interop_counter_increment_send_wait(call, deadline(), &out);
	if (call_ok(e, r, call, what) < 0)
		return -1;
	got = interop_counter_increment_results_get_value(out);
	EXPECT(got == want, "%s gave %lld, want %lld", what, (long long)got, (long long)want);
	return 0;
}

static int check_pipeline(struct env *e)
{
	static const uint16_t box_counter[] = {0, 1}; /* results.box, then Box.counter */
	nx_rpc_call *box_call = NULL, *inc = NULL, *inc2 = NULL, *nc = NULL, *nc_inc = NULL;
	struct interop_counter *promise = NULL, *nc_promise = NULL, *counter = NULL;
	interop_new_counter_params_b nparams;
	interop_make_box_params_b bparams;
	interop_make_box_results out;
	struct stats before;
	nx_rpc_cap *cap;
	const char *tag;
	int64_t got = 0;
	interop_box box;
	size_t len;
	int r;

	if (get_stats(e, &before) < 0)
		return -1;
	/* Both calls leave before any answer arrives: the second targets a promised answer
	 * (box.counter) of the first. A capability inside a result struct has no generated
	 * pipeline helper: the path goes to nx-rpc as pointer indexes. */
	r = interop_make_box_start(e->root, &box_call, &bparams);
	if (r >= 0)
		r = interop_make_box_params_set_tag(bparams, "pipelined", 9);
	if (r >= 0) {
		interop_make_box_params_set_start(bparams, 40);
		r = nx_rpc_call_pipeline(box_call, box_counter, 2, &cap);
	}
	if (r >= 0) {
		promise = interop_counter_from_cap(cap);
		r = nx_rpc_call_send(box_call, NULL, NULL);
	}
	if (r < 0) {
		r = failf(e, "makeBox: %s", strerror(-r));
		goto out;
	}
	r = send_increment(e, promise, 2, &inc);
	if (r == 0)
		r = send_increment(e, promise, 3, &inc2);

	/* And one level down: a call on a call's direct result capability. */
	if (r == 0) {
		r = interop_new_counter_start(e->root, &nc, &nparams);
		if (r >= 0) {
			interop_new_counter_params_set_start(nparams, -5);
			r = interop_new_counter_pipeline_counter(nc, &nc_promise);
		}
		if (r >= 0)
			r = nx_rpc_call_send(nc, NULL, NULL);
		r = r < 0 ? failf(e, "newCounter: %s", strerror(-r)) : 0;
	}
	if (r == 0)
		r = send_increment(e, nc_promise, 5, &nc_inc);

	if (r == 0)
		r = wait_value(e, inc, 42, "pipelined increment(2)");
	if (r == 0)
		r = wait_value(e, inc2, 45, "pipelined increment(3)");
	if (r == 0)
		r = wait_value(e, nc_inc, 0, "pipelined increment on newCounter");
	if (r == 0) {
		r = interop_make_box_send_wait(box_call, deadline(), &out);
		r = call_ok(e, r, box_call, "makeBox");
	}
	if (r == 0) {
		box = interop_make_box_results_get_box(out);
		if (interop_box_get_tag(box, &tag, &len) < 0 || len != 9 ||
		        memcmp(tag, "pipelined", 9))
			r = failf(e, "box.tag differs");
	}
	if (r == 0 && interop_box_get_counter(box, &counter) < 0)
		r = failf(e, "box.counter is not a capability");
	if (r == 0)
		r = increment(e, counter, 1, &got);
	if (r == 0 && got != 46)
		r = failf(e, "box.counter.increment(1) gave %lld, want 46", (long long)got);
out:
	nx_rpc_call_free(inc);
	nx_rpc_call_free(inc2);
	nx_rpc_call_free(nc_inc);
	nx_rpc_cap_unref(interop_counter_cap(counter));
	nx_rpc_cap_unref(interop_counter_cap(promise));
	nx_rpc_cap_unref(interop_counter_cap(nc_promise));
	nx_rpc_call_free(box_call);
	nx_rpc_call_free(nc);
	if (r < 0)
		return r;
	if (eventually(e, counters_back_to, &before.live_counters) < 0)
		return e->why[0] ? -1 : failf(e, "server kept pipelined counters after release");
	return 0;
}

/* ---- Blobs ---- */

static int blobs_back_to(struct env *e, void *arg)
{
	struct stats s;

	if (get_stats(e, &s) < 0)
		return -1;
	return s.live_blobs == *(uint32_t *)arg;
}

static int check_blob_from_server(struct env *e)
{
	const uint64_t size = (1u << 20) + 123;
	const uint32_t seed = 7;
	const uint64_t want = interop_pattern_hash(size, seed);
	struct interop_blob *blob = NULL;
	interop_make_blob_results made;
	interop_blob_info_results info;
	struct interop_fd_contents c;
	struct stats before;
	nx_rpc_call *call;
	int r, fd;

	if (get_stats(e, &before) < 0)
		return -1;
	r = interop_make_blob_wait(e->root, size, seed, deadline(), &call, &made);
	r = call_ok(e, r, call, "makeBlob");
	if (r == 0 && interop_make_blob_results_get_blob(made, &blob) < 0)
		r = failf(e, "makeBlob returned no capability");
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	fd = nx_rpc_cap_peek_fd(interop_blob_cap(blob));
	if (fd < 0)
		r = failf(e, "the blob capability arrived without an fd");
	if (r == 0 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		r = failf(e, "received fd is not close-on-exec");
	if (r == 0) {
		int rr = interop_fd_read(fd, &c);

		if (rr < 0)
			r = failf(e, "reading the blob: %s", strerror(-rr));
	}
	if (r == 0 && !c.sealed)
		r = failf(e, "server blob is not sealed");
	if (r == 0 && c.size != size)
		r = failf(e, "blob is %llu bytes, want %llu", (unsigned long long)c.size,
		        (unsigned long long)size);
	if (r == 0 && c.hash != want)
		r = failf(e, "blob contents differ from the pattern");

	if (r == 0) {
		r = interop_blob_info_wait(blob, deadline(), &call, &info);
		r = call_ok(e, r, call, "info");
		if (r == 0 && (interop_blob_info_results_get_size(info) != size ||
		                      interop_blob_info_results_get_hash(info) != want))
			r = failf(e, "info() disagrees with the fd");
		nx_rpc_call_free(call);
	}
	nx_rpc_cap_unref(interop_blob_cap(blob));
	if (r < 0)
		return r;
	if (eventually(e, blobs_back_to, &before.live_blobs) < 0)
		return e->why[0] ? -1 : failf(e, "server kept the blob after release");
	return 0;
}

static uint32_t g_live_client_blobs;

struct client_blob {
	uint64_t size;
	uint64_t hash;
};

static int serve_info(void *impl, nx_rpc_incoming *in, interop_blob_info_params params)
{
	struct client_blob *b = impl;

	(void)params;
	return interop_blob_info_return(in, b->size, b->hash);
}

static const struct interop_blob_server client_blob_vt = {
        .info = serve_info,
};

static void client_blob_destroy(void *impl)
{
	g_live_client_blobs--;
	free(impl);
}

static int no_live_client_blobs(struct env *e, void *arg)
{
	(void)e;
	(void)arg;
	return g_live_client_blobs == 0;
}

static int check_blob_to_server(struct env *e)
{
	const uint64_t size = 300001;
	const uint32_t seed = 99;
	const uint64_t want = interop_pattern_hash(size, seed);
	interop_consume_blob_results out;
	struct interop_blob *blob;
	struct client_blob *b;
	nx_rpc_call *call;
	const uint8_t *head;
	size_t head_len, i;
	int fd, r;

	b = calloc(1, sizeof(*b));
	if (!b)
		return failf(e, "out of memory");
	b->size = size;
	b->hash = want;
	r = interop_memfd_make(size, seed, &fd);
	/* The cap takes fd: it rides with the cap to the server. */
	if (r >= 0)
		r = interop_blob_server_new_with_fd(
		        &client_blob_vt, b, client_blob_destroy, fd, &blob);
	if (r < 0) {
		free(b);
		return failf(e, "making the blob: %s", strerror(-r));
	}
	g_live_client_blobs++;
	r = interop_consume_blob_wait(e->root, blob, deadline(), &call, &out);
	nx_rpc_cap_unref(interop_blob_cap(blob)); /* ours; the call holds one until freed */
	r = call_ok(e, r, call, "consumeBlob");
	if (r == 0) {
		if (interop_consume_blob_results_get_size(out) != size)
			r = failf(e, "server read %llu bytes, want %llu",
			        (unsigned long long)interop_consume_blob_results_get_size(out),
			        (unsigned long long)size);
		else if (interop_consume_blob_results_get_hash(out) != want)
			r = failf(e, "server read other bytes through the fd");
		else if (!interop_consume_blob_results_get_sealed(out))
			r = failf(e, "server did not see the seals");
		else if (interop_consume_blob_results_get_head(out, &head, &head_len) < 0 ||
		         head_len != INTEROP_BLOB_HEAD_BYTES)
			r = failf(
			        e, "head is %zu bytes, want %u", head_len, INTEROP_BLOB_HEAD_BYTES);
		for (i = 0; r == 0 && i < head_len; i++)
			if (head[i] != interop_pattern(seed, i))
				r = failf(e, "head[%zu] differs", i);
	}
	nx_rpc_call_free(call);
	if (r < 0)
		return r;
	/* Released by the server once the call is over: our memfd closes with the object. */
	if (eventually(e, no_live_client_blobs, NULL) < 0)
		return failf(e, "server never released the blob (%u live)", g_live_client_blobs);
	return 0;
}

/* ---- Stream ---- */

static void on_stream_ready(nx_rpc_cap *target, int error, void *userdata)
{
	int *ready = userdata;

	(void)target;
	*ready = error < 0 ? error : 1;
}

/* Sends one chunk, waiting for the window when it is full; *saw_full records that it was. */
static int stream_chunk(
        struct env *e, struct interop_sink *sink, const uint8_t *buf, size_t len, bool *saw_full)
{
	uint64_t end;
	int r, ready;

	/* -EAGAIN: the window is full and nothing was sent; any other answer is final. */
	while ((r = interop_sink_write(sink, buf, len)) == -EAGAIN) {
		*saw_full = true;
		ready = 0;
		r = nx_rpc_stream_on_ready(interop_sink_cap(sink), on_stream_ready, &ready);
		if (r < 0)
			return failf(e, "stream failed: %s", strerror(-r));
		end = deadline();
		while (r == 0 && ready == 0 && nx_clock_monotonic_ns() < end)
			run_briefly(e);
		if (r == 0 && ready == 0)
			return failf(e, "the stream window never reopened");
		if (ready < 0)
			return failf(e, "stream failed: %s", strerror(-ready));
	}
	return r < 0 ? failf(e, "write: %s", strerror(-r)) : 0;
}

static int check_stream(struct env *e)
{
	enum { CHUNKS = 200, CHUNK = 3000 };
	struct interop_sink *sink = NULL;
	interop_open_sink_results opened;
	interop_sink_done_results done;
	nx_rpc_call *call;
	uint8_t buf[CHUNK];
	uint64_t hash = INTEROP_FNV_INIT;
	bool saw_full = false;
	uint32_t i;
	int r;

	r = interop_open_sink_wait(e->root, deadline(), &call, &opened);
	r = call_ok(e, r, call, "openSink");
	if (r == 0 && interop_open_sink_results_get_sink(opened, &sink) < 0)
		r = failf(e, "openSink returned no capability");
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	for (i = 0; r == 0 && i < CHUNKS; i++) {
		interop_pattern_fill(1, (uint64_t)i * CHUNK, buf, CHUNK);
		hash = interop_fnv1a64(hash, buf, CHUNK);
		/* Streaming: the flow controller, not our round trips, paces the writes. */
		r = stream_chunk(e, sink, buf, CHUNK, &saw_full);
	}
	if (r == 0) {
		r = interop_sink_done_wait(sink, deadline(), &call, &done);
		r = call_ok(e, r, call, "done");
		if (r == 0 && interop_sink_done_results_get_chunks(done) != CHUNKS)
			r = failf(e, "server counted %llu chunks",
			        (unsigned long long)interop_sink_done_results_get_chunks(done));
		else if (r == 0 &&
		         interop_sink_done_results_get_bytes(done) != (uint64_t)CHUNKS * CHUNK)
			r = failf(e, "server counted %llu bytes",
			        (unsigned long long)interop_sink_done_results_get_bytes(done));
		else if (r == 0 && interop_sink_done_results_get_hash(done) != hash)
			r = failf(e, "stream bytes differ");
		nx_rpc_call_free(call);
	}
	/* 600 kB through a window of NX_RPC_STREAM_WINDOW bytes, without running the loop
	 * between sends: had the window never filled, nothing paced the writes. */
	if (r == 0 && !saw_full)
		r = failf(e, "the stream window never filled: no flow control");
	/* done() is answered after every write before it: nothing may be in flight now. */
	if (r == 0 && nx_rpc_stream_in_flight(interop_sink_cap(sink)) != 0)
		r = failf(e, "%zu stream bytes still in flight after done()",
		        nx_rpc_stream_in_flight(interop_sink_cap(sink)));
	nx_rpc_cap_unref(interop_sink_cap(sink));
	return r;
}

/* ---- Concurrency, cancellation, death ---- */

/* Calls outstanding at once in the second half of the concurrency check: well past what a
 * one-at-a-time peer would notice, well under NX_RPC_MAX_QUESTIONS. */
#define MANY_CALLS 100u

/* The answers to calls sent with a callback, in arrival order (a ping as tag 0). The check
 * and each call not yet answered hold a reference, so an answer that comes after its check
 * gave up still has somewhere to land. */
struct arrivals {
	unsigned refs;
	uint32_t n;
	int error;
	uint32_t tags[MANY_CALLS];
};

static struct arrivals *arrivals_new(void)
{
	struct arrivals *a = calloc(1, sizeof(*a));

	if (a)
		a->refs = 1;
	return a;
}

static void arrivals_unref(struct arrivals *a)
{
	if (--a->refs == 0)
		free(a);
}

static void arrived(struct arrivals *a, int error, uint32_t tag)
{
	if (error < 0)
		a->error = error;
	else if (a->n < MANY_CALLS)
		a->tags[a->n] = tag;
	a->n++;
	arrivals_unref(a);
}

static void on_slow(void *userdata, int error, const char *reason, interop_slow_results results)
{
	(void)reason;
	arrived(userdata, error, error < 0 ? 0 : interop_slow_results_get_tag(results));
}

static void on_ping(void *userdata, int error, const char *reason, interop_ping_results results)
{
	(void)reason;
	(void)results;
	arrived(userdata, error, 0);
}

/* slow(millis, tag), its answer to `a`. */
static int send_slow(struct env *e, uint32_t millis, uint32_t tag, struct arrivals *a)
{
	int r = interop_slow(e->root, millis, tag, on_slow, a);

	if (r < 0)
		return failf(e, "slow: %s", strerror(-r));
	a->refs++;
	return 0;
}

/* Runs the loop until `want` answers arrived; 0, or -1 with e->why set. */
static int await_arrivals(struct env *e, struct arrivals *a, uint32_t want)
{
	uint64_t end = deadline();

	while (a->n < want && nx_clock_monotonic_ns() < end)
		run_briefly(e);
	if (a->n < want)
		return failf(e, "only %u of %u answers came", a->n, want);
	if (a->error < 0)
		return failf(e, "a call failed: %s", strerror(-a->error));
	return 0;
}

/* MANY_CALLS slow calls of short, mixed delays, all sent before any answer is awaited: every
 * one must come back, each with its own tag. */
static int concurrency_many(struct env *e)
{
	struct arrivals *a = arrivals_new();
	bool seen[MANY_CALLS] = {false};
	unsigned peak;
	uint32_t i, k;
	int r = 0;

	if (!a)
		return failf(e, "out of memory");
	for (i = 0; r == 0 && i < MANY_CALLS; i++)
		r = send_slow(e, (i % 7) * 5, 1000 + i, a);
	/* Callbacks run only from the loop, which has not run since the first send. */
	peak = nx_rpc_conn_questions(e->conn);
	if (r == 0 && peak < MANY_CALLS)
		r = failf(e, "only %u questions were outstanding at once", peak);
	if (r == 0)
		r = await_arrivals(e, a, MANY_CALLS);
	for (i = 0; r == 0 && i < MANY_CALLS; i++) {
		k = a->tags[i] - 1000;
		if (k >= MANY_CALLS || seen[k])
			r = failf(
			        e, "a concurrent call answered another call's tag %u", a->tags[i]);
		else
			seen[k] = true;
	}
	arrivals_unref(a);
	return r;
}

static int check_concurrency(struct env *e)
{
	/* Three slow calls sent in order of decreasing delay, then a fast one. A server that
	 * handles calls one at a time answers in send order; a concurrent one answers the fast
	 * call first and the slow ones shortest first. The delays differ by far more than a
	 * round trip, so the order does not depend on scheduling. */
	static const uint32_t delays[] = {600, 400, 200};
	struct arrivals *a = arrivals_new();
	uint32_t i;
	int r = 0;

	if (!a)
		return failf(e, "out of memory");
	for (i = 0; r == 0 && i < 3; i++)
		r = send_slow(e, delays[i], i + 1, a);
	if (r == 0) {
		r = interop_ping(e->root, on_ping, a);
		if (r < 0)
			r = failf(e, "ping: %s", strerror(-r));
		else
			a->refs++;
	}
	if (r == 0)
		r = await_arrivals(e, a, 4);
	if (r == 0 && !(a->tags[0] == 0 && a->tags[1] == 3 && a->tags[2] == 2 && a->tags[3] == 1))
		r = failf(e, "answers came in the wrong order: %u %u %u %u", a->tags[0], a->tags[1],
		        a->tags[2], a->tags[3]);
	arrivals_unref(a);
	return r < 0 ? r : concurrency_many(e);
}

/* slow(millis, tag) sent without a callback: the call stays the caller's, to wait for with
 * interop_slow_send_wait() or to cancel by freeing it. */
static int send_slow_held(struct env *e, uint32_t millis, uint32_t tag, nx_rpc_call **ret)
{
	interop_slow_params_b params;
	int r;

	r = interop_slow_start(e->root, ret, &params);
	if (r < 0)
		return failf(e, "slow: %s", strerror(-r));
	interop_slow_params_set_millis(params, millis);
	interop_slow_params_set_tag(params, tag);
	r = nx_rpc_call_send(*ret, NULL, NULL);
	if (r < 0)
		return failf(e, "sending slow: %s", strerror(-r));
	return 0;
}

static int cancelled_reaches(struct env *e, void *arg)
{
	struct stats s;

	if (get_stats(e, &s) < 0)
		return -1;
	return s.cancelled == *(uint32_t *)arg;
}

static int check_cancel(struct env *e)
{
	nx_rpc_call *slow = NULL;
	struct stats before;
	uint32_t want;
	int r;

	if (get_stats(e, &before) < 0)
		return -1;
	r = send_slow_held(e, 30000, 5, &slow);
	/* Make sure the call reached the server before we drop it. */
	if (r == 0)
		r = check_ping(e);
	/* Freeing the call before its answer sends Finish; the server must drop the call. */
	nx_rpc_call_free(slow);
	if (r < 0)
		return r;
	want = before.cancelled + 1;
	if (eventually(e, cancelled_reaches, &want) < 0)
		return e->why[0] ? -1 : failf(e, "server never cancelled the call");
	return 0;
}

static int check_die(struct env *e)
{
	const nx_rpc_result *res = NULL;
	nx_rpc_call *slow = NULL, *die = NULL;
	interop_slow_results slowed;
	interop_die_results died;
	int r;

	/* One call in flight when the peer dies, and the call that kills it: both must fail as
	 * disconnected, not hang. */
	r = send_slow_held(e, 30000, 9, &slow);
	if (r == 0) {
		r = interop_die_wait(e->root, deadline(), &die, &died);
		r = call_failed(e, r, die, "die()", &res);
	}
	if (r == 0 && res->exc_type != NX_RPC_EXC_DISCONNECTED)
		r = failf(e, "die(): exception type %d, want disconnected", (int)res->exc_type);
	if (r == 0) {
		r = interop_slow_send_wait(slow, deadline(), &slowed);
		r = call_failed(e, r, slow, "slow() after the server died", &res);
	}
	if (r == 0 && res->exc_type != NX_RPC_EXC_DISCONNECTED)
		r = failf(e, "slow(): exception type %d, want disconnected", (int)res->exc_type);
	nx_rpc_call_free(slow);
	nx_rpc_call_free(die);
	if (r < 0)
		return r;
	if (check_ping(e) == 0)
		return failf(e, "a call succeeded after the server died");
	e->why[0] = '\0';
	return 0;
}

/* Answers nothing: the server stays mid-call into us. */
static int serve_call_stuck(void *impl, nx_rpc_incoming *in, interop_callback_call_params params)
{
	(void)in;
	(void)params;
	*(bool *)impl = true;
	return NX_RPC_ASYNC;
}

static const struct interop_callback_server stuck_vt = {
        .call = serve_call_stuck,
};

static int check_vanish(struct env *e)
{
	interop_call_back_params_b params;
	nx_rpc_call *slow = NULL, *cb_call = NULL;
	struct interop_callback *cb;
	bool called = false;
	uint64_t end;
	int r;

	/* The client dies with a call pending in each direction: a slow call of ours, and the
	 * server's call into our callback. A server must drop both and keep serving others;
	 * run only by name (the process exits here, so both calls are held, never freed). */
	r = send_slow_held(e, 30000, 1, &slow);
	if (r < 0)
		return r;
	r = interop_callback_server_new(&stuck_vt, &called, NULL, &cb);
	if (r < 0)
		return failf(e, "interop_callback_server_new: %s", strerror(-r));
	r = interop_call_back_start(e->root, &cb_call, &params);
	if (r >= 0)
		r = interop_call_back_params_set_cb(params, cb);
	nx_rpc_cap_unref(interop_callback_cap(cb));
	if (r >= 0) {
		interop_call_back_params_set_value(params, 1);
		interop_call_back_params_set_times(params, 1);
		r = nx_rpc_call_send(cb_call, NULL, NULL);
	}
	if (r < 0)
		return failf(e, "callBack: %s", strerror(-r));
	end = deadline();
	while (!called && nx_clock_monotonic_ns() < end)
		run_briefly(e);
	if (!called)
		return failf(e, "the server never called the callback");
	printf("ok vanish\n");
	fflush(stdout);
	_exit(0);
}

struct check {
	const char *name;
	int (*fn)(struct env *e);
	bool by_name_only; /* not part of the default run */
};

static const struct check checks[] = {
        {"ping", check_ping, false},
        {"sample", check_sample, false},
        {"echo", check_echo, false},
        {"echo-defaults", check_echo_defaults, false},
        {"exceptions", check_exceptions, false},
        {"unimplemented", check_unimplemented, false},
        {"limits", check_limits, false},
        {"callback", check_callback, false},
        {"counter", check_counter, false},
        {"pipeline", check_pipeline, false},
        {"blob-from-server", check_blob_from_server, false},
        {"blob-to-server", check_blob_to_server, false},
        {"stream", check_stream, false},
        {"concurrency", check_concurrency, false},
        {"cancel", check_cancel, false},
        {"die", check_die, false},
        {"vanish", check_vanish, true},
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

static void usage(void)
{
	fprintf(stderr, "usage: nx-interop-client (--fd N | --connect PATH) [--only NAME]... "
	                "[--skip NAME]... [--list]\n");
	exit(2);
}

static bool listed(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *only[MAX_NAMES], *skip[MAX_NAMES], *path = NULL;
	size_t nonly = 0, nskip = 0, i;
	struct env env = {0};
	nx_rpc_cap *root;
	int conn_fd = -1, fds_before, failed = 0, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--fd") && a + 1 < argc) {
			conn_fd = atoi(argv[++a]);
		} else if (!strcmp(argv[a], "--connect") && a + 1 < argc) {
			path = argv[++a];
		} else if (!strcmp(argv[a], "--only") && a + 1 < argc && nonly < MAX_NAMES) {
			only[nonly++] = argv[++a];
		} else if (!strcmp(argv[a], "--skip") && a + 1 < argc && nskip < MAX_NAMES) {
			skip[nskip++] = argv[++a];
		} else if (!strcmp(argv[a], "--list")) {
			for (i = 0; i < NCHECKS; i++)
				printf("%s\n", checks[i].name);
			return 0;
		} else {
			usage();
		}
	}
	if ((conn_fd < 0) == (path == NULL))
		usage();
	for (i = 0; i < nonly; i++) {
		bool known = false;

		for (size_t k = 0; k < NCHECKS; k++)
			known = known || !strcmp(checks[k].name, only[i]);
		if (!known) {
			fprintf(stderr, "nx-interop-client: no check named %s\n", only[i]);
			return 2;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	if (path) {
		r = nx_connect_unix(path, &conn_fd);
		if (r < 0) {
			fprintf(stderr, "nx-interop-client: connect %s: %s\n", path, strerror(-r));
			return 1;
		}
	} else {
		r = nx_fd_set_nonblock(conn_fd, 1);
		if (r >= 0 && fcntl(conn_fd, F_SETFD, FD_CLOEXEC) < 0)
			r = -errno;
		if (r < 0) {
			fprintf(stderr, "nx-interop-client: fd %d: %s\n", conn_fd, strerror(-r));
			return 1;
		}
	}
	r = nx_loop_new(&env.loop);
	if (r >= 0)
		r = nx_rpc_conn_new(env.loop, conn_fd, NULL, &env.conn); /* takes conn_fd */
	else
		nx_fd_close(conn_fd);
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(env.conn, &root);
	if (r >= 0)
		env.root = interop_from_cap(root);
	if (r < 0) {
		fprintf(stderr, "nx-interop-client: %s\n", strerror(-r));
		nx_rpc_conn_free(env.conn);
		nx_loop_free(env.loop);
		return 1;
	}

	/* Every fd a check receives (blobs) must be closed once its capability is released. */
	fds_before = fdcheck_count();
	for (i = 0; i < NCHECKS; i++) {
		const struct check *c = &checks[i];

		if (nonly ? !listed(only, nonly, c->name) : c->by_name_only)
			continue;
		if (listed(skip, nskip, c->name))
			continue;
		env.why[0] = '\0';
		if (c->fn(&env) < 0) {
			printf("FAIL %s: %s\n", c->name, env.why[0] ? env.why : "(no reason)");
			failed++;
		} else {
			printf("ok %s\n", c->name);
		}
		fflush(stdout);
	}
	/* nx-rpc closes the channel as soon as the connection dies (die): one fd fewer is
	 * the socket, not a received fd; any received fd still open shows up the same. */
	if (nx_rpc_conn_error(env.conn) != 0)
		fds_before--;
	if (fdcheck_leaked(fds_before, "nx-interop-client") != 0) {
		printf("FAIL fds: an fd received during the checks is still open\n");
		failed++;
	}

	nx_rpc_cap_unref(interop_cap(env.root));
	nx_rpc_conn_free(env.conn);
	nx_loop_free(env.loop);
	return failed ? 1 : 0;
}
