/* SPDX-License-Identifier: MIT */
/*
 * nx-svc's policy client crosses NX_POLICY_HELD_MAX: while policyd is being resolved (samgrd
 * said it is up, the resolve has not returned) every call needing a decision is held; the one
 * past the limit is answered limit_exceeded at once, and the held ones are canceled when the
 * client is freed. In one process: a fake samgrd that says "policyd is up" and never answers
 * the resolve, and a gate service (Echo) whose handler asks with one nx_policy_allowed call,
 * reached over two connections (each stays within NX_RPC_MAX_QUESTIONS).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "echo.capnp.h"
#include "fdcheck.h"
#include "nx-abi/sock.h"
#include "policy.h"
#include "samgr.capnp.h"

#define CALLS (NX_POLICY_HELD_MAX + 1)

struct fake_samgr {
	nx_rpc_incoming *resolve; /* kept unanswered */
};

static int fake_watch(void *impl, nx_rpc_incoming *in, samgr_watch_params params);
static int fake_resolve(void *impl, nx_rpc_incoming *in, samgr_resolve_params params);

static const struct samgr_server fake_samgr_vt = {
        .resolve = fake_resolve,
        .watch = fake_watch,
};

static void on_changed(
        void *userdata, int error, const char *reason, samgr_service_watcher_changed_results out)
{
}

static int fake_watch(void *impl, nx_rpc_incoming *in, samgr_watch_params params)
{
	struct samgr_service_watcher *cb = NULL;

	assert_int_equal(samgr_watch_params_get_cb(params, &cb), 0);
	assert_int_equal(samgr_service_watcher_changed(cb, "policyd", true, on_changed, NULL), 0);
	nx_rpc_cap_unref(samgr_service_watcher_cap(cb));
	return samgr_watch_return(in);
}

static int fake_resolve(void *impl, nx_rpc_incoming *in, samgr_resolve_params params)
{
	struct fake_samgr *s = impl;

	assert_null(s->resolve);
	s->resolve = in;
	return NX_RPC_ASYNC;
}

static int gate_echo(void *impl, nx_rpc_incoming *in, echo_echo_params params)
{
	bool allowed;
	int r = nx_policy_allowed(impl, in, "svc:client", "gate.x", &allowed);

	if (r != 0)
		return r;
	return echo_echo_return(in, "", "svc:client");
}

static const struct echo_server gate_vt = {.echo = gate_echo};

static int rerun(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	fail_msg("nothing was decided, nothing runs again");
	return -ENOSYS;
}

struct counts {
	unsigned done, busy, canceled;
};

static void on_echo(void *userdata, int error, const char *reason, echo_echo_results out)
{
	struct counts *n = userdata;
	const char *busy = nx_rpc_reason_code(-EBUSY);

	n->done++;
	if (error < 0 && strncmp(reason, busy, strlen(busy)) == 0)
		n->busy++;
	else if (error < 0)
		n->canceled++;
}

/* A connection pair on `loop`: the server end serving `bootstrap`, the client end's
 * bootstrap in *ret_remote. */
static void pair(nx_loop *loop, nx_rpc_cap *bootstrap, nx_rpc_conn **ret_server,
        nx_rpc_conn **ret_client, nx_rpc_cap **ret_remote)
{
	int fds[2];

	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_conn_new(loop, fds[0], bootstrap, ret_server), 0);
	assert_int_equal(nx_rpc_conn_new(loop, fds[1], NULL, ret_client), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(*ret_client, ret_remote), 0);
}

static void test_held_max(void **state)
{
	int before = fdcheck_count();
	struct fake_samgr fake = {0};
	struct counts n = {0};
	nx_rpc_conn *samgr_server, *samgr_client, *gate_server[2], *gate_client[2];
	nx_rpc_cap *samgr, *gate[2];
	struct samgr *fake_cap;
	struct echo *gate_cap;
	nx_policy *pc;
	nx_loop *loop;

	(void)state;
	assert_int_equal(nx_loop_new(&loop), 0);
	assert_int_equal(samgr_server_new(&fake_samgr_vt, &fake, NULL, &fake_cap), 0);
	pair(loop, samgr_cap(fake_cap), &samgr_server, &samgr_client, &samgr);
	assert_int_equal(nx_policy_new(loop, NULL, 0, rerun, NULL, &pc), 0);
	assert_int_equal(nx_policy_follow(pc, samgr_from_cap(samgr)), 0);
	while (!fake.resolve)
		assert_true(nx_loop_run_once(loop, UINT64_MAX) >= 0);

	assert_int_equal(echo_server_new(&gate_vt, pc, NULL, &gate_cap), 0);
	for (int i = 0; i < 2; i++)
		pair(loop, echo_cap(gate_cap), &gate_server[i], &gate_client[i], &gate[i]);
	for (unsigned i = 0; i < CALLS; i++)
		assert_int_equal(echo_echo(echo_from_cap(gate[i % 2]), "x", on_echo, &n), 0);
	while (nx_policy_held(pc) + n.done < CALLS)
		assert_true(nx_loop_run_once(loop, UINT64_MAX) >= 0);
	assert_int_equal(nx_policy_held(pc), NX_POLICY_HELD_MAX);
	assert_int_equal(n.busy, 1);
	assert_int_equal(n.done, 1);

	/* Freeing the client cancels what it holds. */
	pc = nx_policy_free(pc);
	while (n.done < CALLS)
		assert_true(nx_loop_run_once(loop, UINT64_MAX) >= 0);
	assert_int_equal(n.canceled, NX_POLICY_HELD_MAX);

	assert_int_equal(nx_rpc_incoming_failf(fake.resolve, -ENOENT, "never"), 0);
	for (int i = 0; i < 2; i++) {
		nx_rpc_cap_unref(gate[i]);
		nx_rpc_conn_free(gate_client[i]);
		nx_rpc_conn_free(gate_server[i]);
	}
	nx_rpc_cap_unref(echo_cap(gate_cap));
	nx_rpc_cap_unref(samgr);
	nx_rpc_conn_free(samgr_client);
	nx_rpc_conn_free(samgr_server);
	nx_rpc_cap_unref(samgr_cap(fake_cap));
	nx_loop_free(loop);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_held_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
