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
	nx_rpc_cap *root;
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

/* Waits for `call` (sending it first if needed); 0 with *ret on a normal return, else -1 with
 * e->why saying what went wrong. */
static int wait_ok(struct env *e, nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	const nx_rpc_result *res = NULL;
	int r = nx_rpc_call_wait(call, deadline(), &res);

	if (r < 0)
		return failf(e, "%s: %s", what, strerror(-r));
	if (res->error < 0)
		return failf(e, "%s: exception type %d: %s", what, (int)res->exc_type, res->reason);
	*ret = res;
	return 0;
}

/* Waits for a call that must fail with an exception; -1 if it returned or timed out. */
static int wait_exception(
        struct env *e, nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	const nx_rpc_result *res = NULL;
	int r = nx_rpc_call_wait(call, deadline(), &res);

	if (r == -ETIMEDOUT)
		return failf(e, "%s: no answer", what);
	if (r < 0)
		res = nx_rpc_call_result(call);
	if (!res)
		return failf(e, "%s: %s", what, strerror(-r));
	if (res->error >= 0)
		return failf(e, "%s returned normally", what);
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
	const nx_rpc_result *res = NULL;
	Interop_stats_Params_b params;
	Interop_stats_Results s;
	nx_rpc_call *call;
	int r;

	r = Interop_stats_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "stats: %s", strerror(-r));
	r = wait_ok(e, call, "stats", &res);
	if (r == 0) {
		s = Interop_stats_results(res);
		ret->live_counters = Interop_stats_Results_get_live_counters(s);
		ret->live_blobs = Interop_stats_Results_get_live_blobs(s);
		ret->cancelled = Interop_stats_Results_get_cancelled(s);
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
	const nx_rpc_result *res = NULL;
	Interop_ping_Params_b params;
	nx_rpc_call *call;
	int r;

	r = Interop_ping_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "ping: %s", strerror(-r));
	r = wait_ok(e, call, "ping", &res);
	nx_rpc_call_free(call);
	return r;
}

/* ---- Values ---- */

/* The canonical bytes of the value interop_sample_build() makes for `shape`, built in a
 * message of its own. */
static int expected_canonical(
        struct env *e, enum interop_shape shape, void **ret_buf, size_t *ret_len)
{
	struct nx_capnp_seg segs[NX_CAPNP_BUILDER_MAX_SEGS];
	nx_capnp_builder b;
	nx_capnp_reader rd;
	nx_capnp_struct root;
	AllTypes_b v;
	int r;

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	r = AllTypes_init_root(&b, &v);
	if (r >= 0)
		r = interop_sample_build(v, shape);
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
static int same_as_built(struct env *e, AllTypes got, enum interop_shape shape, const char *what)
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
	const nx_rpc_result *res = NULL;
	Interop_sample_Params_b params;
	AllTypes got, constant;
	nx_rpc_call *call;
	char why[256];
	int r;

	/* Our hand-built value and the generated constant must agree before we judge the peer. */
	r = SAMPLE_VALUE_get(&constant);
	if (r < 0)
		return failf(e, "SAMPLE_VALUE_get: %s", strerror(-r));
	if (interop_sample_check(constant, why, sizeof(why)) < 0)
		return failf(e, "generated sampleValue: %s", why);
	r = same_as_built(e, constant, INTEROP_SHAPE_SAMPLE, "generated sampleValue vs hand-built");
	if (r < 0)
		return r;

	r = Interop_sample_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "sample: %s", strerror(-r));
	r = wait_ok(e, call, "sample", &res);
	if (r == 0) {
		got = Interop_sample_Results_get_value(Interop_sample_results(res));
		if (interop_sample_check(got, why, sizeof(why)) < 0)
			r = failf(e, "sample differs from sampleValue: %s", why);
		else
			r = same_as_built(e, got, INTEROP_SHAPE_SAMPLE, "sample");
	}
	nx_rpc_call_free(call);
	return r;
}

static int echo_shape(struct env *e, enum interop_shape shape)
{
	const nx_rpc_result *res = NULL;
	Interop_echo_Params_b params;
	nx_rpc_call *call;
	AllTypes got;
	AllTypes_b v;
	char why[256];
	int r;

	r = Interop_echo_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "echo: %s", strerror(-r));
	r = Interop_echo_Params_init_value(params, &v);
	if (r >= 0)
		r = interop_sample_build(v, shape);
	if (r < 0) {
		nx_rpc_call_free(call);
		return failf(e, "echo: building the value: %s", strerror(-r));
	}
	r = wait_ok(e, call, "echo", &res);
	if (r == 0) {
		got = Interop_echo_Results_get_value(Interop_echo_results(res));
		if (shape == INTEROP_SHAPE_SAMPLE &&
		        interop_sample_check(got, why, sizeof(why)) < 0)
			r = failf(e, "echo changed the value: %s", why);
		else
			r = same_as_built(e, got, shape, "echo changed the value");
		if (r == 0 && shape == INTEROP_SHAPE_WIDE &&
		        AllTypes_choice_which(AllTypes_get_choice(got)) !=
		                ALL_TYPES_CHOICE_WHICH_INNER)
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

static int echo_defaults(struct env *e, AllTypes v)
{
	const char *t;
	const uint8_t *d;
	nx_capnp_list l;
	size_t n;
	Leaf leaf;
	int r;

	EXPECT(AllTypes_get_default_bool(v) == true, "defaultBool is false");
	EXPECT(AllTypes_get_default_int32(v) == -123456, "defaultInt32 is %d",
	        AllTypes_get_default_int32(v));
	EXPECT(AllTypes_get_default_uint64(v) == 0xfedcba9876543210ull, "defaultUInt64 is %llx",
	        (unsigned long long)AllTypes_get_default_uint64(v));
	EXPECT(AllTypes_get_default_float32(v) == 2.5f, "defaultFloat32 is %g",
	        (double)AllTypes_get_default_float32(v));
	EXPECT(AllTypes_get_default_float64(v) == -7.25, "defaultFloat64 is %g",
	        AllTypes_get_default_float64(v));
	EXPECT(AllTypes_get_default_enum(v) == COLOR_BLUE, "defaultEnum is %u",
	        AllTypes_get_default_enum(v));
	r = AllTypes_get_default_text(v, &t, &n);
	EXPECT(text_is(r, t, n, "default text"), "defaultText differs");
	r = AllTypes_get_default_data(v, &d, &n);
	EXPECT(r == 0 && n == 4 && d[0] == 0xde && d[3] == 0xef, "defaultData differs");
	leaf = AllTypes_get_default_struct(v);
	EXPECT(Leaf_get_id(leaf) == 99, "defaultStruct.id is %u", Leaf_get_id(leaf));
	r = Leaf_get_label(leaf, &t, &n);
	EXPECT(text_is(r, t, n, "default leaf"), "defaultStruct.label differs");
	r = AllTypes_get_default_list(v, &l);
	EXPECT(r == 0 && l.count == 3 && (int16_t)nx_capnp_list_get_u16(&l, 0) == 1 &&
	                (int16_t)nx_capnp_list_get_u16(&l, 1) == -2 &&
	                (int16_t)nx_capnp_list_get_u16(&l, 2) == 3,
	        "defaultList differs");
	EXPECT(AllTypes_choice_which(AllTypes_get_choice(v)) == ALL_TYPES_CHOICE_WHICH_NONE,
	        "choice is not `none`");
	EXPECT(AllTypes_point_get_x(AllTypes_get_point(v)) == 7, "point.x is not 7");
	EXPECT(AllTypes_point_get_y(AllTypes_get_point(v)) == -3, "point.y is not -3");
	EXPECT(Inner_get_weight(AllTypes_get_struct_field(v)) == 1.5, "structField.weight is %g",
	        Inner_get_weight(AllTypes_get_struct_field(v)));
	EXPECT(!AllTypes_has_text_field(v) && !AllTypes_has_struct_list(v),
	        "unset pointers came back set");
	return 0;
}

static int sample_zeroed_defaults(struct env *e, AllTypes s)
{
	/* The sample sets several defaulted fields to zero: XOR encoding on the wire. */
	EXPECT(AllTypes_get_default_bool(s) == false, "sample defaultBool is true");
	EXPECT(AllTypes_get_default_int32(s) == 0, "sample defaultInt32 is %d",
	        AllTypes_get_default_int32(s));
	EXPECT(AllTypes_get_default_uint64(s) == 1, "sample defaultUInt64 is %llu",
	        (unsigned long long)AllTypes_get_default_uint64(s));
	EXPECT(AllTypes_get_default_float32(s) == 0.0f, "sample defaultFloat32 is not 0");
	EXPECT(AllTypes_get_default_enum(s) == COLOR_RED, "sample defaultEnum is not red");
	EXPECT(AllTypes_point_get_x(AllTypes_get_point(s)) == 0 &&
	                AllTypes_point_get_y(AllTypes_get_point(s)) == 11,
	        "sample point differs");
	EXPECT(Inner_get_weight(AllTypes_get_struct_field(s)) == 0.0,
	        "sample structField.weight is not 0");
	return 0;
}

static int check_echo_defaults(struct env *e)
{
	const nx_rpc_result *res = NULL;
	Interop_echo_Params_b params;
	Interop_sample_Params_b sparams;
	nx_rpc_call *call;
	AllTypes_b v;
	int r;

	/* Nothing set: every default must read back as declared. */
	r = Interop_echo_new(e->root, &call, &params);
	if (r >= 0)
		r = Interop_echo_Params_init_value(params, &v);
	if (r < 0) {
		nx_rpc_call_free(call);
		return failf(e, "echo: %s", strerror(-r));
	}
	r = wait_ok(e, call, "echo", &res);
	if (r == 0)
		r = echo_defaults(e, Interop_echo_Results_get_value(Interop_echo_results(res)));
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	r = Interop_sample_new(e->root, &call, &sparams);
	if (r < 0)
		return failf(e, "sample: %s", strerror(-r));
	r = wait_ok(e, call, "sample", &res);
	if (r == 0)
		r = sample_zeroed_defaults(
		        e, Interop_sample_Results_get_value(Interop_sample_results(res)));
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
		FailType type;
		enum nx_rpc_exc want;
	} cases[] = {
	        {FAIL_TYPE_FAILED, NX_RPC_EXC_FAILED},
	        {FAIL_TYPE_OVERLOADED, NX_RPC_EXC_OVERLOADED},
	        {FAIL_TYPE_DISCONNECTED, NX_RPC_EXC_DISCONNECTED},
	        {FAIL_TYPE_UNIMPLEMENTED, NX_RPC_EXC_UNIMPLEMENTED},
	};
	const nx_rpc_result *res = NULL;
	Interop_fail_Params_b params;
	nx_rpc_call *call;
	char reason[64];
	size_t i;
	int r, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(reason, sizeof(reason), "invalid_argument: field `x` is %d",
		        (int)cases[i].type);
		r = Interop_fail_new(e->root, &call, &params);
		if (r >= 0)
			r = Interop_fail_Params_set_reason(params, reason, (size_t)n);
		if (r < 0) {
			nx_rpc_call_free(call);
			return failf(e, "fail: %s", strerror(-r));
		}
		Interop_fail_Params_set_type(params, cases[i].type);
		r = wait_exception(e, call, "fail()", &res);
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
	Interop_notImplemented_Params_b params;
	nx_rpc_call *call;
	int r;

	r = Interop_not_implemented_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "notImplemented: %s", strerror(-r));
	r = wait_exception(e, call, "notImplemented()", &res);
	if (r == 0 && res->exc_type != NX_RPC_EXC_UNIMPLEMENTED)
		r = failf(e, "exception type %d, want unimplemented (%s)", (int)res->exc_type,
		        res->reason);
	nx_rpc_call_free(call);
	return r < 0 ? r : check_ping(e);
}

/* Waits for `call`, which crosses an interface limit: it must fail with a `failed` exception
 * whose reason starts with the DESIGN.md section 9 `code` and a colon. */
static int expect_reason(struct env *e, nx_rpc_call *call, const char *what, const char *code)
{
	const nx_rpc_result *res = NULL;
	size_t n = strlen(code);
	const char *reason;
	int r;

	r = wait_exception(e, call, what, &res);
	if (r < 0)
		return r;
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
	Interop_makeBlob_Params_b bparams;
	Interop_callBack_Params_b cparams;
	nx_rpc_call *call;
	int r;

	/* Each interface limit crossed by one: refused with the section 9 code, and the
	 * connection still serves. */
	r = Interop_make_blob_new(e->root, &call, &bparams);
	if (r < 0)
		return failf(e, "makeBlob: %s", strerror(-r));
	Interop_makeBlob_Params_set_size(bparams, (uint64_t)INTEROP_BLOB_MAX_BYTES + 1);
	r = expect_reason(e, call, "makeBlob over the cap", "too_large");
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	r = Interop_call_back_new(e->root, &call, &cparams);
	if (r < 0)
		return failf(e, "callBack: %s", strerror(-r));
	Interop_callBack_Params_set_times(cparams, INTEROP_CALLBACK_MAX + 1);
	r = expect_reason(e, call, "callBack over the cap", "invalid_argument");
	nx_rpc_call_free(call);
	return r < 0 ? r : check_ping(e);
}

/* ---- Capabilities both ways ---- */

static uint32_t g_live_callbacks;
static uint32_t g_callback_calls;

static int callback_call(void *impl, nx_rpc_incoming *in, Callback_call_Params params)
{
	Callback_call_Results_b res;
	int r;

	(void)impl;
	g_callback_calls++;
	r = Callback_call_results_init(in, &res);
	if (r < 0)
		return r;
	/* Wrapping arithmetic: the value is the peer's. */
	Callback_call_Results_set_result(
	        res, (int32_t)((uint32_t)Callback_call_Params_get_value(params) * 3u + 1u));
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct Callback_server callback_vt = {
        .call = callback_call,
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
	const nx_rpc_result *res = NULL;
	Interop_callBack_Params_b params;
	nx_capnp_list list;
	nx_rpc_call *call;
	nx_rpc_cap *cb;
	uint32_t index, i;
	int r;

	g_callback_calls = 0;
	r = Callback_server_new(&callback_vt, NULL, callback_destroy, &cb);
	if (r < 0)
		return failf(e, "Callback_server_new: %s", strerror(-r));
	g_live_callbacks++;
	r = Interop_call_back_new(e->root, &call, &params);
	if (r < 0) {
		nx_rpc_cap_unref(cb);
		return failf(e, "callBack: %s", strerror(-r));
	}
	r = nx_rpc_call_add_cap(call, cb, &index);
	if (r >= 0)
		r = Interop_callBack_Params_set_cb(params, index);
	nx_rpc_cap_unref(cb); /* the call holds its own reference */
	Interop_callBack_Params_set_value(params, 10);
	Interop_callBack_Params_set_times(params, 5);
	if (r < 0) {
		nx_rpc_call_free(call);
		return failf(e, "callBack: %s", strerror(-r));
	}
	r = wait_ok(e, call, "callBack", &res);
	if (r == 0) {
		r = Interop_callBack_Results_get_results(Interop_call_back_results(res), &list);
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
static int increment(struct env *e, nx_rpc_cap *counter, int64_t by, int64_t *ret)
{
	const nx_rpc_result *res = NULL;
	Counter_increment_Params_b params;
	nx_rpc_call *call;
	int r;

	r = Counter_increment_new(counter, &call, &params);
	if (r < 0)
		return failf(e, "increment: %s", strerror(-r));
	Counter_increment_Params_set_by(params, by);
	r = wait_ok(e, call, "increment", &res);
	if (r == 0)
		*ret = Counter_increment_Results_get_value(Counter_increment_results(res));
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
	const nx_rpc_result *res = NULL;
	Interop_newCounter_Params_b params;
	nx_rpc_cap *counter = NULL;
	nx_rpc_call *call;
	struct stats before, during;
	int64_t want = 100, got = 0;
	uint32_t index;
	size_t i;
	int r;

	if (get_stats(e, &before) < 0)
		return -1;
	r = Interop_new_counter_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "newCounter: %s", strerror(-r));
	Interop_newCounter_Params_set_start(params, 100);
	r = wait_ok(e, call, "newCounter", &res);
	if (r == 0 && (Interop_newCounter_Results_get_counter(
	                       Interop_new_counter_results(res), &index) < 0 ||
	                      nx_rpc_call_result_cap(call, index, &counter) < 0))
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
	nx_rpc_cap_unref(counter);
	if (r < 0)
		return r;
	if (eventually(e, counters_back_to, &before.live_counters) < 0)
		return e->why[0] ? -1 : failf(e, "server kept the counter after release");
	return 0;
}

/* Sends increment(by) on `target` without waiting. */
static int send_increment(struct env *e, nx_rpc_cap *target, int64_t by, nx_rpc_call **ret)
{
	Counter_increment_Params_b params;
	int r;

	r = Counter_increment_new(target, ret, &params);
	if (r < 0)
		return failf(e, "increment: %s", strerror(-r));
	Counter_increment_Params_set_by(params, by);
	r = nx_rpc_call_send(*ret, NULL, NULL);
	if (r < 0)
		return failf(e, "sending a pipelined increment: %s", strerror(-r));
	return 0;
}

static int wait_value(struct env *e, nx_rpc_call *call, int64_t want, const char *what)
{
	const nx_rpc_result *res = NULL;
	int64_t got;

	if (wait_ok(e, call, what, &res) < 0)
		return -1;
	got = Counter_increment_Results_get_value(Counter_increment_results(res));
	EXPECT(got == want, "%s gave %lld, want %lld", what, (long long)got, (long long)want);
	return 0;
}

static int check_pipeline(struct env *e)
{
	static const uint16_t box_counter[] = {0, 1}; /* results.box, then Box.counter */
	static const uint16_t counter_field[] = {0};  /* results.counter */
	const nx_rpc_result *res = NULL;
	Interop_makeBox_Params_b bparams;
	Interop_newCounter_Params_b nparams;
	nx_rpc_call *box_call = NULL, *inc = NULL, *inc2 = NULL, *nc = NULL, *nc_inc = NULL;
	nx_rpc_cap *promise = NULL, *nc_promise = NULL, *counter = NULL;
	struct stats before;
	const char *tag;
	size_t len;
	uint32_t index;
	int64_t got = 0;
	Box box;
	int r;

	if (get_stats(e, &before) < 0)
		return -1;
	/* Both calls leave before any answer arrives: the second targets a promised answer
	 * (box.counter) of the first. */
	r = Interop_make_box_new(e->root, &box_call, &bparams);
	if (r >= 0)
		r = Interop_makeBox_Params_set_tag(bparams, "pipelined", 9);
	if (r < 0) {
		r = failf(e, "makeBox: %s", strerror(-r));
		goto out;
	}
	Interop_makeBox_Params_set_start(bparams, 40);
	r = nx_rpc_call_pipeline(box_call, box_counter, 2, &promise);
	if (r >= 0)
		r = nx_rpc_call_send(box_call, NULL, NULL);
	if (r < 0) {
		r = failf(e, "makeBox: %s", strerror(-r));
		goto out;
	}
	r = send_increment(e, promise, 2, &inc);
	if (r == 0)
		r = send_increment(e, promise, 3, &inc2);

	/* And one level down: a call on a call's direct result capability. */
	if (r == 0) {
		r = Interop_new_counter_new(e->root, &nc, &nparams);
		if (r >= 0) {
			Interop_newCounter_Params_set_start(nparams, -5);
			r = nx_rpc_call_pipeline(nc, counter_field, 1, &nc_promise);
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
	if (r == 0)
		r = wait_ok(e, box_call, "makeBox", &res);
	if (r == 0) {
		box = Interop_makeBox_Results_get_box(Interop_make_box_results(res));
		if (Box_get_tag(box, &tag, &len) < 0 || len != 9 || memcmp(tag, "pipelined", 9))
			r = failf(e, "box.tag differs");
	}
	if (r == 0 && (Box_get_counter(box, &index) < 0 ||
	                      nx_rpc_call_result_cap(box_call, index, &counter) < 0))
		r = failf(e, "box.counter is not a capability");
	if (r == 0)
		r = increment(e, counter, 1, &got);
	if (r == 0 && got != 46)
		r = failf(e, "box.counter.increment(1) gave %lld, want 46", (long long)got);
out:
	nx_rpc_call_free(inc);
	nx_rpc_call_free(inc2);
	nx_rpc_call_free(nc_inc);
	nx_rpc_cap_unref(counter);
	nx_rpc_cap_unref(promise);
	nx_rpc_cap_unref(nc_promise);
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
	const nx_rpc_result *res = NULL;
	Interop_makeBlob_Params_b params;
	Blob_info_Params_b iparams;
	Blob_info_Results info;
	struct interop_fd_contents c;
	nx_rpc_cap *blob = NULL;
	nx_rpc_call *call, *icall;
	struct stats before;
	uint32_t index;
	int r, fd;

	if (get_stats(e, &before) < 0)
		return -1;
	r = Interop_make_blob_new(e->root, &call, &params);
	if (r < 0)
		return failf(e, "makeBlob: %s", strerror(-r));
	Interop_makeBlob_Params_set_size(params, size);
	Interop_makeBlob_Params_set_seed(params, seed);
	r = wait_ok(e, call, "makeBlob", &res);
	if (r == 0 &&
	        (Interop_makeBlob_Results_get_blob(Interop_make_blob_results(res), &index) < 0 ||
	                nx_rpc_call_result_cap(call, index, &blob) < 0))
		r = failf(e, "makeBlob returned no capability");
	nx_rpc_call_free(call);
	if (r < 0)
		return r;

	fd = nx_rpc_cap_peek_fd(blob);
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
		r = Blob_info_new(blob, &icall, &iparams);
		if (r < 0) {
			r = failf(e, "info: %s", strerror(-r));
		} else {
			r = wait_ok(e, icall, "info", &res);
			if (r == 0) {
				info = Blob_info_results(res);
				if (Blob_info_Results_get_size(info) != size ||
				        Blob_info_Results_get_hash(info) != want)
					r = failf(e, "info() disagrees with the fd");
			}
			nx_rpc_call_free(icall);
		}
	}
	nx_rpc_cap_unref(blob);
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

static int client_blob_info(void *impl, nx_rpc_incoming *in, Blob_info_Params params)
{
	struct client_blob *b = impl;
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

static const struct Blob_server client_blob_vt = {
        .info = client_blob_info,
};

static int client_blob_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	return Blob_dispatch(&client_blob_vt, impl, in, iface, method);
}

static void client_blob_destroy(void *impl)
{
	g_live_client_blobs--;
	free(impl);
}

static const struct nx_rpc_server_ops client_blob_ops = {
        .dispatch = client_blob_dispatch,
        .destroy = client_blob_destroy,
};

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
	const nx_rpc_result *res = NULL;
	Interop_consumeBlob_Params_b params;
	Interop_consumeBlob_Results out;
	struct client_blob *b;
	nx_rpc_cap *blob;
	nx_rpc_call *call;
	const uint8_t *head;
	size_t head_len, i;
	uint32_t index;
	int fd, r;

	b = calloc(1, sizeof(*b));
	if (!b)
		return failf(e, "out of memory");
	b->size = size;
	b->hash = want;
	r = interop_memfd_make(size, seed, &fd);
	if (r < 0) {
		free(b);
		return failf(e, "making the memfd: %s", strerror(-r));
	}
	r = nx_rpc_server_new_with_fd(&client_blob_ops, b, fd, &blob); /* takes fd */
	if (r < 0) {
		free(b);
		return failf(e, "nx_rpc_server_new_with_fd: %s", strerror(-r));
	}
	g_live_client_blobs++;
	r = Interop_consume_blob_new(e->root, &call, &params);
	if (r >= 0)
		r = nx_rpc_call_add_cap(call, blob, &index);
	if (r >= 0)
		r = Interop_consumeBlob_Params_set_blob(params, index);
	nx_rpc_cap_unref(blob); /* the call holds its own reference */
	if (r < 0) {
		nx_rpc_call_free(call);
		return failf(e, "consumeBlob: %s", strerror(-r));
	}
	r = wait_ok(e, call, "consumeBlob", &res);
	if (r == 0) {
		out = Interop_consume_blob_results(res);
		if (Interop_consumeBlob_Results_get_size(out) != size)
			r = failf(e, "server read %llu bytes, want %llu",
			        (unsigned long long)Interop_consumeBlob_Results_get_size(out),
			        (unsigned long long)size);
		else if (Interop_consumeBlob_Results_get_hash(out) != want)
			r = failf(e, "server read other bytes through the fd");
		else if (!Interop_consumeBlob_Results_get_sealed(out))
			r = failf(e, "server did not see the seals");
		else if (Interop_consumeBlob_Results_get_head(out, &head, &head_len) < 0 ||
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
        struct env *e, nx_rpc_cap *sink, const uint8_t *buf, size_t len, bool *saw_full)
{
	Sink_write_Params_b params;
	nx_rpc_call *call;
	uint64_t end;
	int r, ready;

	r = Sink_write_new(sink, &call, &params);
	if (r >= 0)
		r = Sink_write_Params_set_chunk(params, buf, len);
	if (r < 0) {
		nx_rpc_call_free(call);
		return failf(e, "write: %s", strerror(-r));
	}
	for (;;) {
		r = Sink_write_send(call);
		if (r != -EAGAIN)
			break;
		*saw_full = true;
		ready = 0;
		r = nx_rpc_stream_on_ready(sink, on_stream_ready, &ready);
		if (r < 0) {
			nx_rpc_call_free(call);
			return failf(e, "stream failed: %s", strerror(-r));
		}
		end = deadline();
		while (r == 0 && ready == 0 && nx_clock_monotonic_ns() < end)
			run_briefly(e);
		if (r == 0 && ready == 0) {
			nx_rpc_call_free(call);
			return failf(e, "the stream window never reopened");
		}
		if (ready < 0) {
			nx_rpc_call_free(call);
			return failf(e, "stream failed: %s", strerror(-ready));
		}
	}
	/* Consumed, sent or not. */
	return r < 0 ? failf(e, "write: %s", strerror(-r)) : 0;
}

static int check_stream(struct env *e)
{
	enum { CHUNKS = 200, CHUNK = 3000 };
	const nx_rpc_result *res = NULL;
	Interop_openSink_Params_b oparams;
	Sink_done_Params_b dparams;
	Sink_done_Results done;
	nx_rpc_cap *sink = NULL;
	nx_rpc_call *call;
	uint8_t buf[CHUNK];
	uint64_t hash = INTEROP_FNV_INIT;
	bool saw_full = false;
	uint32_t index, i;
	int r;

	r = Interop_open_sink_new(e->root, &call, &oparams);
	if (r < 0)
		return failf(e, "openSink: %s", strerror(-r));
	r = wait_ok(e, call, "openSink", &res);
	if (r == 0 &&
	        (Interop_openSink_Results_get_sink(Interop_open_sink_results(res), &index) < 0 ||
	                nx_rpc_call_result_cap(call, index, &sink) < 0))
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
		r = Sink_done_new(sink, &call, &dparams);
		if (r < 0) {
			r = failf(e, "done: %s", strerror(-r));
		} else {
			r = wait_ok(e, call, "done", &res);
			if (r == 0) {
				done = Sink_done_results(res);
				if (Sink_done_Results_get_chunks(done) != CHUNKS)
					r = failf(e, "server counted %llu chunks",
					        (unsigned long long)Sink_done_Results_get_chunks(
					                done));
				else if (Sink_done_Results_get_bytes(done) !=
				         (uint64_t)CHUNKS * CHUNK)
					r = failf(e, "server counted %llu bytes",
					        (unsigned long long)Sink_done_Results_get_bytes(
					                done));
				else if (Sink_done_Results_get_hash(done) != hash)
					r = failf(e, "stream bytes differ");
			}
			nx_rpc_call_free(call);
		}
	}
	/* 600 kB through a window of NX_RPC_STREAM_WINDOW bytes, without running the loop
	 * between sends: had the window never filled, nothing paced the writes. */
	if (r == 0 && !saw_full)
		r = failf(e, "the stream window never filled: no flow control");
	/* done() is answered after every write before it: nothing may be in flight now. */
	if (r == 0 && nx_rpc_stream_in_flight(sink) != 0)
		r = failf(e, "%zu stream bytes still in flight after done()",
		        nx_rpc_stream_in_flight(sink));
	nx_rpc_cap_unref(sink);
	return r;
}

/* ---- Concurrency, cancellation, death ---- */

struct arrivals {
	uint32_t order[4];
	uint32_t n;
	int error;
};

struct slow_cookie {
	struct arrivals *a;
	uint32_t tag;
};

static void on_slow(nx_rpc_call *call, const nx_rpc_result *result, void *userdata)
{
	struct slow_cookie *c = userdata;
	uint32_t tag;

	(void)call;
	if (result->error < 0) {
		c->a->error = result->error;
	} else if (c->tag != 0) {
		tag = Interop_slow_Results_get_tag(Interop_slow_results(result));
		if (tag != c->tag)
			c->a->error = -EBADMSG;
	}
	if (c->a->n < 4)
		c->a->order[c->a->n] = c->tag;
	c->a->n++;
}

static int send_slow(struct env *e, uint32_t millis, uint32_t tag, nx_rpc_return_cb cb,
        void *userdata, nx_rpc_call **ret)
{
	Interop_slow_Params_b params;
	int r;

	r = Interop_slow_new(e->root, ret, &params);
	if (r < 0)
		return failf(e, "slow: %s", strerror(-r));
	Interop_slow_Params_set_millis(params, millis);
	Interop_slow_Params_set_tag(params, tag);
	r = nx_rpc_call_send(*ret, cb, userdata);
	if (r < 0)
		return failf(e, "sending slow: %s", strerror(-r));
	return 0;
}

/* Calls outstanding at once in the second half of the concurrency check: well past what a
 * one-at-a-time peer would notice, well under NX_RPC_MAX_QUESTIONS. */
#define MANY_CALLS 100u

/* MANY_CALLS slow calls of short, mixed delays, all sent before any answer is awaited: every
 * one must come back with its own tag. */
static int concurrency_many(struct env *e)
{
	struct arrivals a = {{0}, 0, 0};
	struct slow_cookie cookies[MANY_CALLS];
	nx_rpc_call *calls[MANY_CALLS] = {NULL};
	unsigned peak;
	uint64_t end;
	uint32_t i;
	int r = 0;

	for (i = 0; r == 0 && i < MANY_CALLS; i++) {
		cookies[i] = (struct slow_cookie){&a, 1000 + i};
		r = send_slow(e, (i % 7) * 5, 1000 + i, on_slow, &cookies[i], &calls[i]);
	}
	/* Callbacks run only from the loop, which has not run since the first send. */
	peak = nx_rpc_conn_questions(e->conn);
	end = deadline();
	while (r == 0 && a.n < MANY_CALLS && nx_clock_monotonic_ns() < end)
		run_briefly(e);
	if (r == 0 && peak < MANY_CALLS)
		r = failf(e, "only %u questions were outstanding at once", peak);
	if (r == 0 && a.n < MANY_CALLS)
		r = failf(e, "only %u of %u concurrent calls answered", a.n, MANY_CALLS);
	if (r == 0 && a.error < 0)
		r = failf(e, "a concurrent call failed or answered another tag: %s",
		        strerror(-a.error));
	for (i = 0; i < MANY_CALLS; i++)
		nx_rpc_call_free(calls[i]);
	return r;
}

static int check_concurrency(struct env *e)
{
	/* Three slow calls sent in order of decreasing delay, then a fast one. A server that
	 * handles calls one at a time answers in send order; a concurrent one answers the fast
	 * call first and the slow ones shortest first. The delays differ by far more than a
	 * round trip, so the order does not depend on scheduling. */
	static const uint32_t delays[] = {600, 400, 200};
	struct arrivals a = {{0}, 0, 0};
	struct slow_cookie cookies[4];
	nx_rpc_call *calls[4] = {NULL};
	Interop_ping_Params_b pparams;
	uint64_t end;
	uint32_t i;
	int r = 0;

	for (i = 0; r == 0 && i < 3; i++) {
		cookies[i] = (struct slow_cookie){&a, i + 1};
		r = send_slow(e, delays[i], i + 1, on_slow, &cookies[i], &calls[i]);
	}
	if (r == 0) {
		cookies[3] = (struct slow_cookie){&a, 0};
		r = Interop_ping_new(e->root, &calls[3], &pparams);
		if (r >= 0)
			r = nx_rpc_call_send(calls[3], on_slow, &cookies[3]);
		r = r < 0 ? failf(e, "ping: %s", strerror(-r)) : 0;
	}
	end = deadline();
	while (r == 0 && a.n < 4 && nx_clock_monotonic_ns() < end)
		run_briefly(e);
	if (r == 0 && a.n < 4)
		r = failf(e, "only %u of 4 answers came", a.n);
	if (r == 0 && a.error < 0)
		r = failf(e, "a call failed or answered the wrong tag: %s", strerror(-a.error));
	if (r == 0 && !(a.order[0] == 0 && a.order[1] == 3 && a.order[2] == 2 && a.order[3] == 1))
		r = failf(e, "answers came in the wrong order: %u %u %u %u", a.order[0], a.order[1],
		        a.order[2], a.order[3]);
	for (i = 0; i < 4; i++)
		nx_rpc_call_free(calls[i]);
	return r < 0 ? r : concurrency_many(e);
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
	r = send_slow(e, 30000, 5, NULL, NULL, &slow);
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
	Interop_die_Params_b params;
	nx_rpc_call *slow = NULL, *die = NULL;
	int r;

	/* One call in flight when the peer dies, and the call that kills it: both must fail as
	 * disconnected, not hang. */
	r = send_slow(e, 30000, 9, NULL, NULL, &slow);
	if (r == 0) {
		r = Interop_die_new(e->root, &die, &params);
		if (r >= 0)
			r = nx_rpc_call_send(die, NULL, NULL);
		r = r < 0 ? failf(e, "die: %s", strerror(-r)) : 0;
	}
	if (r == 0)
		r = wait_exception(e, die, "die()", &res);
	if (r == 0 && res->exc_type != NX_RPC_EXC_DISCONNECTED)
		r = failf(e, "die(): exception type %d, want disconnected", (int)res->exc_type);
	if (r == 0)
		r = wait_exception(e, slow, "slow() after the server died", &res);
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
static int stuck_call(void *impl, nx_rpc_incoming *in, Callback_call_Params params)
{
	(void)in;
	(void)params;
	*(bool *)impl = true;
	return NX_RPC_ASYNC;
}

static const struct Callback_server stuck_vt = {
        .call = stuck_call,
};

static int check_vanish(struct env *e)
{
	Interop_callBack_Params_b params;
	nx_rpc_call *slow = NULL, *cb_call = NULL;
	nx_rpc_cap *cb;
	bool called = false;
	uint32_t index;
	uint64_t end;
	int r;

	/* The client dies with a call pending in each direction: a slow call of ours, and the
	 * server's call into our callback. A server must drop both and keep serving others;
	 * run only by name (the process exits here). */
	r = send_slow(e, 30000, 1, NULL, NULL, &slow);
	if (r < 0)
		return r;
	r = Callback_server_new(&stuck_vt, &called, NULL, &cb);
	if (r < 0)
		return failf(e, "Callback_server_new: %s", strerror(-r));
	r = Interop_call_back_new(e->root, &cb_call, &params);
	if (r >= 0)
		r = nx_rpc_call_add_cap(cb_call, cb, &index);
	if (r >= 0)
		r = Interop_callBack_Params_set_cb(params, index);
	nx_rpc_cap_unref(cb);
	if (r >= 0) {
		Interop_callBack_Params_set_value(params, 1);
		Interop_callBack_Params_set_times(params, 1);
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
		r = nx_rpc_conn_bootstrap(env.conn, &env.root);
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

	nx_rpc_cap_unref(env.root);
	nx_rpc_conn_free(env.conn);
	nx_loop_free(env.loop);
	return failed ? 1 : 0;
}
