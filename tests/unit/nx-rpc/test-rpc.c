/* SPDX-License-Identifier: MIT */
/*
 * nx-rpc end to end within one process: a server connection and a client connection over
 * nx_chan_pair, one nx_loop. The test schema is built by hand with the raw builder API:
 *
 *   interface Test @0x9e1d0c2b3a495867 {
 *     add      @0 (a :UInt64, b :UInt64) -> (sum :UInt64);       # sum = a + b + bias
 *     fail     @1 () -> ();                                       # not_found: ...
 *     callback @2 (cb :Test, a :UInt64, b :UInt64) -> (sum :UInt64); # calls cb.add
 *     child    @3 () -> (obj :Test);                              # bias 1000
 *     hold     @4 () -> (v :UInt64);                              # answered by the test
 *     vmo      @5 (v :Vmo) -> (data :Data, back :Vmo);
 *     write    @6 (chunk :Data) -> stream;                        # held by the test
 *     big      @7 () -> (data :Data);                             # too large
 *     echoCap  @8 (c :Test) -> (c :Test);                         # returns its param
 *   }
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-capnp/capnp.h"
#include "nx-rpc/forward.h"
#include "nx-rpc/rpc.h"
#include "nx-rpc/wire.h"
#include "nx-util/macro.h"

#define IFACE 0x9e1d0c2b3a495867ull
enum {
	M_ADD,
	M_FAIL,
	M_CALLBACK,
	M_CHILD,
	M_HOLD,
	M_VMO,
	M_WRITE,
	M_BIG,
	M_ECHOCAP,
	M_LONGFAIL,
	M_TAKEBACK,
	M_SILENT,
	M_ANSWERED_ASYNC,
	M_FILL
};
#define MAX_HELD 300

#define FILL_BYTES 3000u

struct server {
	uint64_t bias;
	int calls;
	int *destroyed; /* incremented on destroy */
	nx_rpc_incoming *held[MAX_HELD];
	int nheld;
	bool own;     /* freed on destroy */
	int taken_fd; /* the fd M_TAKEBACK took out of its cap, the test's to close */
};

static const struct nx_rpc_server_ops server_ops;

static void held_push(struct server *s, nx_rpc_incoming *in)
{
	assert_true(s->nheld < MAX_HELD);
	s->held[s->nheld++] = in;
}

static void cb_add_done(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	nx_rpc_incoming *in = userdata;
	nx_capnp_bstruct out;

	if (res->error) {
		nx_rpc_incoming_fail(in, res->exc_type, res->reason);
	} else {
		assert_int_equal(nx_rpc_incoming_results(in, 1, 0, &out), 0);
		nx_capnp_bstruct_set_u64(&out, 0, nx_capnp_struct_get_u64(&res->results, 0, 0), 0);
		assert_int_equal(nx_rpc_incoming_return(in), 0);
	}
	nx_rpc_call_free(call);
}

static int srv_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	struct server *s = impl;
	nx_capnp_struct p;
	nx_capnp_bstruct out;
	nx_capnp_bptr bp;
	nx_capnp_ptr pp;
	nx_rpc_cap *cap;
	uint32_t idx;
	int r;

	s->calls++;
	if (iface != IFACE)
		return -ENOSYS;
	assert_int_equal(nx_rpc_incoming_params(in, &p), 0);
	switch (method) {
	case M_ADD:
		assert_int_equal(nx_rpc_incoming_results(in, 1, 0, &out), 0);
		nx_capnp_bstruct_set_u64(&out, 0,
		        nx_capnp_struct_get_u64(&p, 0, 0) + nx_capnp_struct_get_u64(&p, 1, 0) +
		                s->bias,
		        0);
		return nx_rpc_incoming_return(in);
	case M_FAIL:
		return nx_rpc_incoming_failf(in, -ENOENT, "no such %s here", "thing");
	case M_LONGFAIL: {
		static char longer[NX_RPC_REASON_MAX + 2];

		memset(longer, 'x', sizeof(longer) - 1);
		return nx_rpc_incoming_failf(in, -EMSGSIZE, "field: %s", longer);
	}
	case M_CALLBACK: {
		nx_rpc_call *call;
		nx_capnp_bstruct cp;

		pp = nx_capnp_struct_ptr(&p, 0);
		r = nx_rpc_incoming_cap_at(in, &pp, &cap);
		if (r < 0)
			return r;
		r = nx_rpc_call_new(cap, IFACE, M_ADD, 2, 0, &call, &cp);
		nx_rpc_cap_unref(cap);
		if (r < 0)
			return r;
		nx_capnp_bstruct_set_u64(&cp, 0, nx_capnp_struct_get_u64(&p, 0, 0), 0);
		nx_capnp_bstruct_set_u64(&cp, 1, nx_capnp_struct_get_u64(&p, 1, 0), 0);
		r = nx_rpc_call_send(call, cb_add_done, in);
		if (r < 0) {
			nx_rpc_call_free(call);
			return r;
		}
		return NX_RPC_ASYNC;
	}
	case M_CHILD: {
		struct server *child = calloc(1, sizeof(*child));

		assert_non_null(child);
		child->bias = 1000;
		child->own = true;
		child->destroyed = s->destroyed;
		assert_int_equal(nx_rpc_server_new(&server_ops, child, &cap), 0);
		assert_int_equal(nx_rpc_incoming_results(in, 0, 1, &out), 0);
		assert_int_equal(nx_rpc_incoming_add_cap(in, cap, &idx), 0);
		nx_rpc_cap_unref(cap);
		bp = nx_capnp_bstruct_ptr(&out, 0);
		assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
		return nx_rpc_incoming_return(in);
	}
	case M_FILL: { /* results of FILL_BYTES bytes of data */
		static const char fill[FILL_BYTES];

		assert_int_equal(nx_rpc_incoming_results(in, 0, 1, &out), 0);
		bp = nx_capnp_bstruct_ptr(&out, 0);
		assert_int_equal(nx_capnp_bptr_set_data(&bp, fill, sizeof(fill)), 0);
		return nx_rpc_incoming_return(in);
	}
	case M_SILENT: /* breaks the convention: says answered, did not */
		return 0;
	case M_ANSWERED_ASYNC: /* breaks it too: answered, says kept */
		(void)nx_rpc_incoming_return(in);
		return NX_RPC_ASYNC;
	case M_HOLD:
	case M_WRITE:
		held_push(s, in);
		return NX_RPC_ASYNC;
	case M_VMO: {
		char buf[64] = {0};
		size_t size;
		int fd;

		pp = nx_capnp_struct_ptr(&p, 0);
		r = nx_rpc_incoming_cap_at(in, &pp, &cap);
		if (r < 0)
			return r;
		fd = nx_rpc_cap_peek_fd(cap);
		assert_true(fd >= 0);
		assert_int_equal(nx_vmo_size(fd, &size), 0);
		assert_true(size < sizeof(buf));
		assert_int_equal(nx_vmo_read(fd, 0, buf, size), 0);
		nx_rpc_cap_unref(cap);
		assert_int_equal(nx_rpc_incoming_results(in, 0, 2, &out), 0);
		bp = nx_capnp_bstruct_ptr(&out, 0);
		assert_int_equal(nx_capnp_bptr_set_data(&bp, buf, strlen(buf)), 0);
		assert_int_equal(nx_vmo_create("pong", 4, &fd), 0);
		assert_int_equal(nx_vmo_write(fd, 0, "pong", 4), 0);
		assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
		assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &cap), 0);
		assert_int_equal(nx_rpc_incoming_add_cap(in, cap, &idx), 0);
		nx_rpc_cap_unref(cap);
		bp = nx_capnp_bstruct_ptr(&out, 1);
		assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
		return nx_rpc_incoming_return(in);
	}
	case M_BIG: {
		static char big[NX_MSG_MAX_BYTES];

		assert_int_equal(nx_rpc_incoming_results(in, 0, 1, &out), 0);
		bp = nx_capnp_bstruct_ptr(&out, 0);
		assert_int_equal(nx_capnp_bptr_set_data(&bp, big, sizeof(big)), 0);
		return nx_rpc_incoming_return(in); /* the caller gets too_large */
	}
	case M_TAKEBACK: {
		int fd;

		/* The fd leaves the cap before it is exported: it travels without one. */
		assert_int_equal(nx_vmo_create("take", 4, &fd), 0);
		assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &cap), 0);
		s->taken_fd = nx_rpc_cap_take_fd(cap);
		assert_int_equal(s->taken_fd, fd);
		assert_int_equal(nx_rpc_incoming_results(in, 0, 1, &out), 0);
		assert_int_equal(nx_rpc_incoming_add_cap(in, cap, &idx), 0);
		nx_rpc_cap_unref(cap);
		bp = nx_capnp_bstruct_ptr(&out, 0);
		assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
		return nx_rpc_incoming_return(in);
	}
	case M_ECHOCAP:
		pp = nx_capnp_struct_ptr(&p, 0);
		r = nx_rpc_incoming_cap_at(in, &pp, &cap);
		if (r < 0)
			return r;
		assert_int_equal(nx_rpc_incoming_results(in, 0, 1, &out), 0);
		assert_int_equal(nx_rpc_incoming_add_cap(in, cap, &idx), 0);
		nx_rpc_cap_unref(cap);
		bp = nx_capnp_bstruct_ptr(&out, 0);
		assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
		return nx_rpc_incoming_return(in);
	default:
		return -ENOSYS;
	}
}

static void srv_destroy(void *impl)
{
	struct server *s = impl;

	if (!s)
		return;
	if (s->destroyed)
		(*s->destroyed)++;
	if (s->own)
		free(s);
}

static const struct nx_rpc_server_ops server_ops = {
        .dispatch = srv_dispatch,
        .destroy = srv_destroy,
};

/* ---- fixture ----------------------------------------------------------------------------- */

struct env {
	int fds_before;
	nx_loop *loop;
	nx_rpc_conn *srv, *cli;
	struct server server; /* the server's bootstrap object */
	struct server local;  /* a client-side object (callbacks) */
	int destroyed;
	nx_rpc_cap *boot; /* client's promise on the server's bootstrap */
	int srv_disc, cli_disc;
	int srv_err, cli_err;
};

static void on_srv_disc(nx_rpc_conn *c, int err, void *ud)
{
	struct env *e = ud;

	e->srv_disc++;
	e->srv_err = err;
}

static void on_cli_disc(nx_rpc_conn *c, int err, void *ud)
{
	struct env *e = ud;

	e->cli_disc++;
	e->cli_err = err;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	nx_rpc_cap *bootcap;
	int fds[2];

	assert_non_null(e);
	e->fds_before = fdcheck_count();
	e->server.destroyed = &e->destroyed;
	e->local.destroyed = &e->destroyed;
	assert_int_equal(nx_loop_new(&e->loop), 0);
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_server_new(&server_ops, &e->server, &bootcap), 0);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[0], bootcap, &e->srv), 0);
	nx_rpc_cap_unref(bootcap);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[1], NULL, &e->cli), 0);
	nx_rpc_conn_set_disconnect_cb(e->srv, on_srv_disc, e);
	nx_rpc_conn_set_disconnect_cb(e->cli, on_cli_disc, e);
	assert_int_equal(nx_rpc_conn_bootstrap(e->cli, &e->boot), 0);
	*state = e;
	return 0;
}

static void release_held(struct server *s)
{
	while (s->nheld > 0)
		nx_rpc_incoming_fail(s->held[--s->nheld], NX_RPC_EXC_FAILED, "internal: test over");
}

static int teardown(void **state)
{
	struct env *e = *state;

	e->boot = nx_rpc_cap_unref(e->boot);
	e->cli = nx_rpc_conn_free(e->cli);
	e->srv = nx_rpc_conn_free(e->srv);
	release_held(&e->server);
	release_held(&e->local);
	e->loop = nx_loop_free(e->loop);
	fdcheck_assert(e->fds_before);
	free(e);
	return 0;
}

/* Runs the loop until *flag becomes true. The bound is on iterations, not time. */
static void run_until(struct env *e, const int *flag, int want)
{
	int i;

	for (i = 0; i < 10000 && *flag < want; i++)
		assert_true(nx_loop_run_once(e->loop, 2000000000ull) >= 0);
	assert_true(*flag >= want);
}

/* Runs until the loop has nothing to do right now. */
static void run_idle(struct env *e)
{
	int i;

	for (i = 0; i < 1000; i++)
		if (nx_loop_run_once(e->loop, 0) == 0)
			return;
}

static nx_rpc_call *new_add(nx_rpc_cap *target, uint64_t a, uint64_t b)
{
	nx_rpc_call *call;
	nx_capnp_bstruct p;

	assert_int_equal(nx_rpc_call_new(target, IFACE, M_ADD, 2, 0, &call, &p), 0);
	nx_capnp_bstruct_set_u64(&p, 0, a, 0);
	nx_capnp_bstruct_set_u64(&p, 1, b, 0);
	return call;
}

static nx_rpc_call *new_empty(nx_rpc_cap *target, uint16_t method)
{
	nx_rpc_call *call;
	nx_capnp_bstruct p;

	assert_int_equal(nx_rpc_call_new(target, IFACE, method, 0, 0, &call, &p), 0);
	return call;
}

static const nx_rpc_result *wait_ok(nx_rpc_call *call)
{
	const nx_rpc_result *res;

	assert_int_equal(nx_rpc_call_wait(call, nx_clock_monotonic_ns() + 10000000000ull, &res), 0);
	return res;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_bootstrap_call(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_add(e->boot, 40, 2);
	const nx_rpc_result *res = wait_ok(call);

	assert_int_equal(res->error, 0);
	assert_int_equal(res->exc_type, NX_RPC_EXC_NONE);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 42);
	nx_rpc_call_free(call);
	assert_int_equal(e->server.calls, 1);
	/* Bootstrap question (held by the promise) is the only one left after Finish. */
	run_idle(e);
	assert_int_equal(nx_rpc_conn_questions(e->cli), 1);
}

static void test_exception(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_FAIL);
	const nx_rpc_result *res = wait_ok(call);

	assert_int_equal(res->error, -ENOENT);
	assert_int_equal(res->exc_type, NX_RPC_EXC_FAILED);
	assert_string_equal(res->reason, "not_found: no such thing here");
	nx_rpc_call_free(call);

	/* Unknown method → unimplemented-ish mapping through -ENOSYS. */
	call = new_empty(e->boot, 99);
	res = wait_ok(call);
	assert_int_equal(res->error, -EOPNOTSUPP);
	assert_int_equal(res->exc_type, NX_RPC_EXC_UNIMPLEMENTED);
	assert_non_null(strstr(res->reason, "unsupported:"));
	nx_rpc_call_free(call);
}

/* NX_RPC_REASON_MAX: a failf reason past it is cut to exactly that many bytes, code kept. */
static void test_failf_reason_max(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_LONGFAIL);
	const nx_rpc_result *res = wait_ok(call);

	assert_int_equal(res->error, -EMSGSIZE);
	assert_int_equal(strlen(res->reason), NX_RPC_REASON_MAX);
	assert_true(strncmp(res->reason, "too_large: field: xxx", 21) == 0);
	nx_rpc_call_free(call);
}

/* The answering convention (rpc.h) is asserted: a handler whose return value lies about
 * whether it answered stops the process (a child here, with a fresh env per case: the child
 * shares the parent's epoll instance). */
static void expect_dispatch_abort(struct env *e, uint16_t method)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		nx_rpc_call *call = new_empty(e->boot, method);

		(void)signal(SIGABRT, SIG_DFL); /* cmocka's handler would run more tests */
		(void)nx_rpc_call_send(call, NULL, NULL);
		run_idle(e);
		_exit(0); /* not reached when the assertion holds */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void test_silent_handler_asserted(void **state)
{
	expect_dispatch_abort(*state, M_SILENT);
}

static void test_answered_async_asserted(void **state)
{
	expect_dispatch_abort(*state, M_ANSWERED_ASYNC);
}

/* take: the fd leaves the cap for good; peek, dup and a second take see none. */
static void test_take_fd(void **state)
{
	nx_rpc_cap *cap, *ref;
	int fd, taken;

	(void)state;
	assert_int_equal(nx_vmo_create("take", 4, &fd), 0);
	assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &cap), 0);
	ref = nx_rpc_cap_ref(cap);
	taken = nx_rpc_cap_take_fd(cap);
	assert_int_equal(taken, fd);
	assert_int_equal(nx_rpc_cap_peek_fd(ref), -EBADF);
	assert_int_equal(nx_rpc_cap_dup_fd(ref), -EBADF);
	assert_int_equal(nx_rpc_cap_take_fd(ref), -EBADF);
	assert_int_equal(nx_rpc_cap_take_fd(NULL), -EINVAL);
	nx_rpc_cap_unref(ref);
	nx_rpc_cap_unref(cap);
	/* The cap did not close what it gave away. */
	assert_int_equal(nx_vmo_write(taken, 0, "mine", 4), 0);
	nx_fd_close(taken);
}

/* A cap whose fd was taken is exported without one: the peer gets a plain capability. */
static void test_take_fd_then_export(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_TAKEBACK);
	const nx_rpc_result *res;
	nx_rpc_cap *back;
	nx_capnp_ptr pp;

	e->server.taken_fd = -1;
	res = wait_ok(call);
	assert_int_equal(res->error, 0);
	assert_true(e->server.taken_fd >= 0);
	pp = nx_capnp_struct_ptr(&res->results, 0);
	assert_int_equal(nx_rpc_call_result_cap_at(call, &pp, &back), 0);
	assert_int_equal(nx_rpc_cap_peek_fd(back), -EBADF);
	nx_rpc_cap_unref(back);
	nx_rpc_call_free(call);
	e->server.taken_fd = nx_fd_close(e->server.taken_fd);
	run_idle(e);
}

/* NX_RPC_PIPELINE_DEPTH_MAX: a promise may follow that many pointer fields, not one more. */
static void test_pipeline_depth_max(void **state)
{
	struct env *e = *state;
	uint16_t path[NX_RPC_PIPELINE_DEPTH_MAX + 1] = {0};
	nx_rpc_call *call = new_empty(e->boot, M_CHILD);
	nx_rpc_cap *promise = NULL;

	assert_int_equal(
	        nx_rpc_call_pipeline(call, path, NX_RPC_PIPELINE_DEPTH_MAX + 1, &promise), -EINVAL);
	assert_null(promise);
	assert_int_equal(nx_rpc_call_pipeline(call, path, NX_RPC_PIPELINE_DEPTH_MAX, &promise), 0);
	nx_rpc_cap_unref(promise);
	nx_rpc_call_free(call);
}

static void test_errno_table(void **state)
{
	static const int errs[] = {-EINVAL, -EPERM, -ENOENT, -EEXIST, -EMSGSIZE, -EDQUOT, -EBADMSG,
	        -EAGAIN, -ETIMEDOUT, -EOPNOTSUPP, -EIO};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		snprintf(buf, sizeof(buf), "%s: x", nx_rpc_reason_code(errs[i]));
		assert_int_equal(
		        nx_rpc_errno_from_exception(NX_RPC_EXC_FAILED, buf, strlen(buf)), errs[i]);
	}
	assert_int_equal(nx_rpc_errno_from_exception(NX_RPC_EXC_OVERLOADED, "x", 1), -EBUSY);
	assert_int_equal(
	        nx_rpc_errno_from_exception(NX_RPC_EXC_DISCONNECTED, NULL, 0), -ECONNRESET);
	assert_int_equal(nx_rpc_errno_from_exception(NX_RPC_EXC_FAILED, "denied", 6), -EIO);
	assert_int_equal(nx_rpc_exc_type_for_errno(-EDQUOT), NX_RPC_EXC_OVERLOADED);
	/* A socket nobody listens on (samgrd restarting) is unavailable, not internal. */
	assert_string_equal(nx_rpc_reason_code(-ECONNREFUSED), "unavailable");
}

static void test_callback(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	nx_rpc_cap *cb;
	const nx_rpc_result *res;
	uint32_t idx;

	e->local.bias = 7;
	assert_int_equal(nx_rpc_server_new(&server_ops, &e->local, &cb), 0);
	assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_CALLBACK, 2, 1, &call, &p), 0);
	nx_capnp_bstruct_set_u64(&p, 0, 1, 0);
	nx_capnp_bstruct_set_u64(&p, 1, 2, 0);
	assert_int_equal(nx_rpc_call_add_cap(call, cb, &idx), 0);
	bp = nx_capnp_bstruct_ptr(&p, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
	nx_rpc_cap_unref(cb);
	res = wait_ok(call);
	assert_int_equal(res->error, 0);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 10);
	assert_int_equal(e->local.calls, 1);
	nx_rpc_call_free(call);
	/* The server dropped its import: Release reaches us and our export goes away. */
	run_idle(e);
	assert_int_equal(nx_rpc_conn_exports(e->cli), 0);
	assert_int_equal(nx_rpc_conn_imports(e->srv), 0);
	assert_int_equal(e->destroyed, 1);
}

static void test_cap_in_results(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_CHILD), *c2;
	const nx_rpc_result *res = wait_ok(call);
	nx_capnp_ptr pp;
	nx_rpc_cap *child;

	assert_int_equal(res->error, 0);
	pp = nx_capnp_struct_ptr(&res->results, 0);
	assert_int_equal(nx_rpc_call_result_cap_at(call, &pp, &child), 0);
	nx_rpc_call_free(call);
	c2 = new_add(child, 1, 1);
	res = wait_ok(c2);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 1002);
	nx_rpc_call_free(c2);
	assert_int_equal(nx_rpc_conn_exports(e->srv), 2); /* bootstrap + child */
	nx_rpc_cap_unref(child);
	run_idle(e);
	assert_int_equal(nx_rpc_conn_exports(e->srv), 1);
	assert_int_equal(e->destroyed, 1);
}

static void test_pipeline(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_CHILD), *c2;
	const nx_rpc_result *res;
	static const uint16_t path[] = {0};
	nx_rpc_cap *promise;

	assert_int_equal(nx_rpc_call_pipeline(call, path, 1, &promise), 0);
	c2 = new_add(promise, 2, 3);
	/* The question it pipelines on has no id before it is sent. */
	assert_int_equal(nx_rpc_call_send(c2, NULL, NULL), -EINVAL);
	assert_int_equal(nx_rpc_call_send(call, NULL, NULL), 0);
	/* Sent before the first call has even reached the server. */
	assert_int_equal(nx_rpc_call_send(c2, NULL, NULL), 0);
	assert_null(nx_rpc_call_result(call));
	res = wait_ok(c2);
	assert_int_equal(res->error, 0);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 1005);
	nx_rpc_call_free(c2);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(promise);
	run_idle(e);
	assert_int_equal(nx_rpc_conn_questions(e->cli), 1);
	assert_int_equal(nx_rpc_conn_exports(e->srv), 1);
	assert_int_equal(e->destroyed, 1);
}

/* Results without a capability are not kept for pipelining (nx_rpc_incoming_return): a call
 * pipelined on them fails the same way queued before the Return and sent after it. */
static void test_pipeline_on_plain_results(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_add(e->boot, 1, 2), *early, *late;
	static const uint16_t path[] = {0};
	const nx_rpc_result *res;
	nx_rpc_cap *promise;

	assert_int_equal(nx_rpc_call_pipeline(call, path, 1, &promise), 0);
	assert_int_equal(nx_rpc_call_send(call, NULL, NULL), 0);
	early = new_add(promise, 2, 3);
	assert_int_equal(nx_rpc_call_send(early, NULL, NULL), 0);
	res = wait_ok(call);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 3);
	late = new_add(promise, 4, 5);
	res = wait_ok(late);
	assert_int_equal(res->error, -EINVAL);
	assert_string_equal(res->reason, "invalid_argument: pipelined field holds no capability");
	res = wait_ok(early);
	assert_int_equal(res->error, -EINVAL);
	assert_string_equal(res->reason, "invalid_argument: pipelined field holds no capability");
	assert_int_equal(e->server.calls, 1);
	nx_rpc_call_free(early);
	nx_rpc_call_free(late);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(promise);
	run_idle(e);
	assert_int_equal(nx_rpc_conn_questions(e->cli), 1);
}

static int returned;

static void count_return(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	(*(int *)userdata)++;
	returned++;
}

static void test_cancel(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_HOLD);
	nx_rpc_incoming *in;
	int n = 0;

	assert_int_equal(nx_rpc_call_send(call, count_return, &n), 0);
	run_until(e, &e->server.nheld, 1);
	in = e->server.held[--e->server.nheld];
	assert_false(nx_rpc_incoming_is_canceled(in));
	nx_rpc_call_free(call);
	assert_int_equal(nx_rpc_conn_questions(e->cli), 2); /* until the Return arrives */
	run_idle(e);
	assert_true(nx_rpc_incoming_is_canceled(in));
	assert_int_equal(nx_rpc_conn_questions(e->cli), 1);
	assert_int_equal(nx_rpc_incoming_return(in), 0); /* consumed, nothing sent */
	run_idle(e);
	assert_int_equal(n, 0);
}

static int cancel_seen, cancel_ret;

static void on_cancel(nx_rpc_incoming *in, void *userdata)
{
	cancel_seen++;
	assert_true(nx_rpc_incoming_is_canceled(in));
	cancel_ret = nx_rpc_incoming_return(in);
}

static void test_cancel_cb(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_HOLD);
	nx_rpc_incoming *in;

	cancel_seen = 0;
	assert_int_equal(nx_rpc_call_send(call, NULL, NULL), 0);
	run_until(e, &e->server.nheld, 1);
	in = e->server.held[--e->server.nheld];
	nx_rpc_incoming_set_cancel_cb(in, on_cancel, NULL);
	nx_rpc_call_free(call);
	run_until(e, &cancel_seen, 1);
	assert_int_equal(cancel_ret, 0);
	/* And when the connection dies under a held call. */
	call = new_empty(e->boot, M_HOLD);
	assert_int_equal(nx_rpc_call_send(call, NULL, NULL), 0);
	run_until(e, &e->server.nheld, 1);
	nx_rpc_incoming_set_cancel_cb(e->server.held[--e->server.nheld], on_cancel, NULL);
	e->srv = nx_rpc_conn_free(e->srv);
	assert_int_equal(cancel_seen, 2);
	nx_rpc_call_free(call);
}

static void test_timeout_cancels(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_HOLD);
	const nx_rpc_result *res;

	/* A deadline already passed: the call is sent, then canceled at once. */
	assert_int_equal(nx_rpc_call_wait(call, 0, &res), -ETIMEDOUT);
	run_until(e, &e->server.nheld, 1);
	run_idle(e);
	assert_true(nx_rpc_incoming_is_canceled(e->server.held[0]));
	nx_rpc_call_free(call);
}

static void test_async(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_HOLD);
	nx_rpc_incoming *in;
	nx_capnp_bstruct out;
	int n = 0;

	assert_int_equal(nx_rpc_call_send(call, count_return, &n), 0);
	run_until(e, &e->server.nheld, 1);
	run_idle(e);
	assert_int_equal(n, 0);
	in = e->server.held[--e->server.nheld];
	assert_int_equal(nx_rpc_incoming_results(in, 1, 0, &out), 0);
	nx_capnp_bstruct_set_u64(&out, 0, 77, 0);
	assert_int_equal(nx_rpc_incoming_return(in), 0);
	run_until(e, &n, 1);
	assert_int_equal(nx_capnp_struct_get_u64(&nx_rpc_call_result(call)->results, 0, 0), 77);
	nx_rpc_call_free(call);
}

static void test_fd_both_ways(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	nx_capnp_ptr pp;
	nx_rpc_cap *vmo, *back;
	const nx_rpc_result *res;
	const uint8_t *data;
	size_t len;
	uint32_t idx;
	char buf[8] = {0};
	int fd;

	assert_int_equal(nx_vmo_create("ping", 9, &fd), 0);
	assert_int_equal(nx_vmo_write(fd, 0, "hello vmo", 9), 0);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &vmo), 0);
	assert_int_equal(nx_rpc_cap_peek_fd(vmo), fd);
	assert_false(nx_rpc_conn_peer_sent_fds(e->srv));
	assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_VMO, 0, 1, &call, &p), 0);
	assert_int_equal(nx_rpc_call_add_cap(call, vmo, &idx), 0);
	bp = nx_capnp_bstruct_ptr(&p, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
	nx_rpc_cap_unref(vmo);
	res = wait_ok(call);
	assert_int_equal(res->error, 0);
	pp = nx_capnp_struct_ptr(&res->results, 0);
	assert_int_equal(nx_capnp_ptr_read_data(&pp, &data, &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(data, "hello vmo", 9);
	pp = nx_capnp_struct_ptr(&res->results, 1);
	assert_int_equal(nx_rpc_call_result_cap_at(call, &pp, &back), 0);
	fd = nx_rpc_cap_peek_fd(back);
	assert_true(fd >= 0);
	assert_int_equal(nx_vmo_read(fd, 0, buf, 4), 0);
	assert_string_equal(buf, "pong");
	assert_true(nx_rpc_conn_peer_sent_fds(e->srv));
	assert_true(nx_rpc_conn_peer_sent_fds(e->cli));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(back);
	run_idle(e);
	assert_int_equal(nx_rpc_conn_exports(e->srv), 1);
	assert_int_equal(nx_rpc_conn_exports(e->cli), 0);
}

static int ready_called, ready_err;

static void on_ready(nx_rpc_cap *target, int error, void *userdata)
{
	ready_called++;
	ready_err = error;
}

static void test_stream_window(void **state)
{
	struct env *e = *state;
	static char chunk[1000];
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	int sent = 0, r, i;

	ready_called = 0;
	for (;;) {
		assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_WRITE, 0, 1, &call, &p), 0);
		bp = nx_capnp_bstruct_ptr(&p, 0);
		assert_int_equal(nx_capnp_bptr_set_data(&bp, chunk, sizeof(chunk)), 0);
		r = nx_rpc_stream_send(call);
		if (r == -EAGAIN) {
			nx_rpc_call_free(call);
			break;
		}
		assert_int_equal(r, 0);
		sent++;
		assert_true(sent < 100);
	}
	assert_true(sent >= (int)(NX_RPC_STREAM_WINDOW / (sizeof(chunk) + 256)));
	assert_int_equal(nx_rpc_stream_ready(e->boot), 0);
	assert_true(nx_rpc_stream_in_flight(e->boot) >= NX_RPC_STREAM_WINDOW);
	assert_int_equal(nx_rpc_stream_on_ready(e->boot, on_ready, NULL), 0);
	/* The server holds every chunk: however long the loop runs, the window stays shut. */
	run_until(e, &e->server.nheld, sent);
	for (i = 0; i < 5; i++)
		run_idle(e);
	assert_int_equal(ready_called, 0);
	assert_int_equal(nx_rpc_stream_ready(e->boot), 0);
	/* Acknowledge one chunk: room again. */
	assert_int_equal(nx_rpc_incoming_return(e->server.held[0]), 0);
	memmove(e->server.held, e->server.held + 1, --e->server.nheld * sizeof(e->server.held[0]));
	run_until(e, &ready_called, 1);
	assert_int_equal(ready_err, 0);
	assert_int_equal(nx_rpc_stream_ready(e->boot), 1);
	while (e->server.nheld > 0)
		assert_int_equal(nx_rpc_incoming_return(e->server.held[--e->server.nheld]), 0);
	run_idle(e);
	assert_int_equal(nx_rpc_stream_in_flight(e->boot), 0);
	/* A failed stream call is sticky. */
	assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_WRITE, 0, 0, &call, &p), 0);
	assert_int_equal(nx_rpc_stream_send(call), 0);
	run_until(e, &e->server.nheld, 1);
	nx_rpc_incoming_failf(e->server.held[--e->server.nheld], -EIO, "disk on fire");
	run_idle(e);
	assert_int_equal(nx_rpc_stream_ready(e->boot), -EIO);
}

/* How each notified stream call ended: runs and the error of the last run. */
struct stream_end {
	int runs, error;
};

static void on_stream_done(int error, void *userdata)
{
	struct stream_end *end = userdata;

	end->runs++;
	end->error = error;
}

static void test_stream_notify(void **state)
{
	struct env *e = *state;
	struct stream_end ends[3] = {{0}};
	nx_rpc_call *call;
	nx_capnp_bstruct p;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_WRITE, 0, 0, &call, &p), 0);
		assert_int_equal(nx_rpc_stream_send_notify(call, on_stream_done, &ends[i]), 0);
	}
	run_until(e, &e->server.nheld, 3);
	assert_int_equal(ends[0].runs + ends[1].runs + ends[2].runs, 0);
	/* Answered, failed, and lost with the connection: each told once, with its outcome. */
	assert_int_equal(nx_rpc_incoming_return(e->server.held[0]), 0);
	nx_rpc_incoming_failf(e->server.held[1], -EIO, "disk on fire");
	e->server.held[0] = e->server.held[2];
	e->server.nheld = 1;
	run_until(e, &ends[1].runs, 1);
	assert_int_equal(ends[0].runs, 1);
	assert_int_equal(ends[0].error, 0);
	assert_int_equal(ends[1].error, -EIO);
	assert_int_equal(ends[2].runs, 0);
	e->srv = nx_rpc_conn_free(e->srv);
	run_until(e, &ends[2].runs, 1);
	assert_true(ends[2].error < 0);
	run_idle(e);
	assert_int_equal(ends[0].runs + ends[1].runs + ends[2].runs, 3);
	assert_int_equal(nx_rpc_stream_in_flight(e->boot), 0);
}

static void test_100_concurrent(void **state)
{
	struct env *e = *state;
	nx_rpc_call *calls[100];
	int n = 0, i;

	for (i = 0; i < 100; i++) {
		calls[i] = new_add(e->boot, (uint64_t)i, 1000);
		assert_int_equal(nx_rpc_call_send(calls[i], count_return, &n), 0);
	}
	run_until(e, &n, 100);
	for (i = 0; i < 100; i++) {
		const nx_rpc_result *res = nx_rpc_call_result(calls[i]);

		assert_non_null(res);
		assert_int_equal(res->error, 0);
		assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 1000 + (uint64_t)i);
		nx_rpc_call_free(calls[i]);
	}
}

static void test_overloaded(void **state)
{
	struct env *e = *state;
	static nx_rpc_call *calls[NX_RPC_MAX_QUESTIONS];
	nx_rpc_call *extra;
	const nx_rpc_result *res;
	unsigned i, n;

	/* The bootstrap promise holds one question already. */
	n = NX_RPC_MAX_QUESTIONS - nx_rpc_conn_questions(e->cli);
	for (i = 0; i < n; i++) {
		calls[i] = new_empty(e->boot, M_HOLD);
		assert_int_equal(nx_rpc_call_send(calls[i], NULL, NULL), 0);
	}
	assert_int_equal(nx_rpc_conn_questions(e->cli), NX_RPC_MAX_QUESTIONS);
	extra = new_empty(e->boot, M_HOLD);
	assert_int_equal(nx_rpc_call_send(extra, NULL, NULL), -EBUSY);
	res = nx_rpc_call_result(extra);
	assert_non_null(res);
	assert_int_equal(res->exc_type, NX_RPC_EXC_OVERLOADED);
	assert_non_null(strstr(res->reason, "limit_exceeded:"));
	nx_rpc_call_free(extra);
	run_until(e, &e->server.nheld, (int)n);
	for (i = 0; i < n; i++)
		nx_rpc_call_free(calls[i]);
	run_idle(e);
	assert_int_equal(nx_rpc_conn_questions(e->cli), NX_RPC_MAX_QUESTIONS - n);
}

static void test_too_large(void **state)
{
	struct env *e = *state;
	static char big[NX_MSG_MAX_BYTES];
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	const nx_rpc_result *res;

	/* Outgoing: refused locally. */
	assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_ADD, 0, 1, &call, &p), 0);
	bp = nx_capnp_bstruct_ptr(&p, 0);
	assert_int_equal(nx_capnp_bptr_set_data(&bp, big, sizeof(big)), 0);
	assert_int_equal(nx_rpc_call_send(call, NULL, NULL), -EMSGSIZE);
	res = nx_rpc_call_result(call);
	assert_non_null(res);
	assert_int_equal(res->error, -EMSGSIZE);
	assert_non_null(strstr(res->reason, "too_large:"));
	nx_rpc_call_free(call);
	/* Results too large: the caller gets too_large, the connection lives. */
	call = new_empty(e->boot, M_BIG);
	res = wait_ok(call);
	assert_int_equal(res->error, -EMSGSIZE);
	nx_rpc_call_free(call);
	call = new_add(e->boot, 1, 1);
	res = wait_ok(call);
	assert_int_equal(res->error, 0);
	nx_rpc_call_free(call);
}

static void test_peer_dies(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call = new_empty(e->boot, M_HOLD);
	nx_rpc_incoming *in;
	int n = 0;

	assert_int_equal(nx_rpc_call_send(call, count_return, &n), 0);
	run_until(e, &e->server.nheld, 1);
	e->srv = nx_rpc_conn_free(e->srv);
	run_until(e, &n, 1);
	assert_int_equal(nx_rpc_call_result(call)->exc_type, NX_RPC_EXC_DISCONNECTED);
	assert_int_equal(nx_rpc_call_result(call)->error, -ECONNRESET);
	assert_int_equal(e->cli_disc, 1);
	assert_int_equal(e->cli_err, -ECONNRESET);
	assert_true(nx_rpc_cap_is_broken(e->boot));
	nx_rpc_call_free(call);
	/* Calls on the dead promise fail at once. */
	call = new_add(e->boot, 1, 1);
	assert_int_equal(nx_rpc_call_send(call, NULL, NULL), -ENOTCONN);
	nx_rpc_call_free(call);
	in = e->server.held[--e->server.nheld];
	assert_true(nx_rpc_incoming_is_canceled(in));
	assert_int_equal(nx_rpc_incoming_return(in), 0);
	assert_int_equal(nx_rpc_conn_questions(e->cli), 0);
}

/* ---- raw peers: a socket we write bytes to by hand --------------------------------------- */

struct rawenv {
	int fds_before;
	nx_loop *loop;
	nx_rpc_conn *srv;         /* served connection under attack */
	int raw;                  /* the attacker's end */
	nx_rpc_conn *srv2, *cli2; /* a healthy pair in the same loop */
	struct server server;
	int disc, err, destroyed;
};

static void on_raw_disc(nx_rpc_conn *c, int err, void *ud)
{
	struct rawenv *e = ud;

	e->disc++;
	e->err = err;
}

static struct rawenv *raw_setup(void)
{
	struct rawenv *e = calloc(1, sizeof(*e));
	nx_rpc_cap *boot;
	int fds[2];

	assert_non_null(e);
	e->fds_before = fdcheck_count();
	e->server.destroyed = &e->destroyed;
	assert_int_equal(nx_loop_new(&e->loop), 0);
	assert_int_equal(nx_rpc_server_new(&server_ops, &e->server, &boot), 0);
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[0], boot, &e->srv), 0);
	e->raw = fds[1];
	nx_rpc_conn_set_disconnect_cb(e->srv, on_raw_disc, e);
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[0], boot, &e->srv2), 0);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[1], NULL, &e->cli2), 0);
	nx_rpc_cap_unref(boot);
	return e;
}

static void raw_run(struct rawenv *e)
{
	int i;

	for (i = 0; i < 100 && !e->disc; i++)
		assert_true(nx_loop_run_once(e->loop, 2000000000ull) >= 0);
}

/* The healthy connection in the same loop still answers. */
static void raw_check_healthy(struct rawenv *e)
{
	nx_rpc_cap *boot;
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	const nx_rpc_result *res;

	assert_int_equal(nx_rpc_conn_bootstrap(e->cli2, &boot), 0);
	assert_int_equal(nx_rpc_call_new(boot, IFACE, M_ADD, 2, 0, &call, &p), 0);
	nx_capnp_bstruct_set_u64(&p, 0, 5, 0);
	assert_int_equal(nx_rpc_call_wait(call, nx_clock_monotonic_ns() + 10000000000ull, &res), 0);
	assert_int_equal(res->error, 0);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 5);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(boot);
}

static void raw_teardown(struct rawenv *e)
{
	e->raw = nx_fd_close(e->raw);
	e->srv = nx_rpc_conn_free(e->srv);
	e->srv2 = nx_rpc_conn_free(e->srv2);
	e->cli2 = nx_rpc_conn_free(e->cli2);
	e->loop = nx_loop_free(e->loop);
	assert_int_equal(e->destroyed, 1);
	fdcheck_assert(e->fds_before);
	free(e);
}

/* Reads whatever the server sent back and checks an Abort came before EOF. */
static void raw_expect_abort(struct rawenv *e)
{
	uint64_t buf[1024];
	struct nx_capnp_seg segs[4];
	nx_capnp_reader r;
	nx_capnp_struct root;
	uint32_t nsegs;
	size_t len = 0, bytes;
	ssize_t n;

	size_t off = 0;
	uint16_t last = 0xffff;

	while ((n = read(e->raw, (char *)buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	/* Answers to what came before may precede it; the Abort is the last word. */
	while (off < len) {
		assert_int_equal(nx_capnp_frame_parse((char *)buf + off, len - off,
		                         NX_MSG_MAX_BYTES, segs, 4, &nsegs, &bytes),
		        0);
		nx_capnp_reader_init(&r, segs, nsegs);
		assert_int_equal(nx_capnp_reader_root_struct(&r, &root), 0);
		last = nx_capnp_struct_get_u16(&root, 0, 0);
		off += bytes;
	}
	assert_int_equal(last, W_MSG_ABORT);
}

static void test_garbage(void **state)
{
	struct rawenv *e = raw_setup();
	static const uint8_t junk[] = {0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0xff, 0xff,
	        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41};

	assert_int_equal(write(e->raw, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	raw_run(e);
	assert_int_equal(e->disc, 1);
	assert_true(e->err < 0);
	raw_expect_abort(e);
	raw_check_healthy(e);
	raw_teardown(e);
}

static void test_oversized_incoming(void **state)
{
	struct rawenv *e = raw_setup();
	/* One segment of 600 words: 4808 bytes framed, refused from the table alone. */
	static const uint32_t hdr[2] = {0, 600};

	assert_int_equal(write(e->raw, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	raw_run(e);
	assert_int_equal(e->disc, 1);
	assert_int_equal(e->err, -EMSGSIZE);
	raw_expect_abort(e);
	raw_check_healthy(e);
	raw_teardown(e);
}

static void test_five_fds(void **state)
{
	struct rawenv *e = raw_setup();
	/* A Message with no member: any bytes do, the fds alone must kill it. */
	static const uint32_t frame[4] = {0, 1, 0, 0};
	char cbuf[CMSG_SPACE(5 * sizeof(int))];
	struct iovec iov = {.iov_base = (void *)frame, .iov_len = sizeof(frame)};
	struct msghdr mh = {.msg_iov = &iov,
	        .msg_iovlen = 1,
	        .msg_control = cbuf,
	        .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int fds[5], i;

	for (i = 0; i < 5; i++)
		assert_int_equal(nx_vmo_create("fd", 1, &fds[i]), 0);
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(5 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	assert_int_equal(sendmsg(e->raw, &mh, 0), (ssize_t)sizeof(frame));
	for (i = 0; i < 5; i++)
		close(fds[i]);
	raw_run(e);
	assert_int_equal(e->disc, 1);
	assert_int_equal(e->err, -EPROTO);
	raw_check_healthy(e);
	raw_teardown(e);
}

/* ---- a hand-driven peer, to reach what our own client never sends ---------------------- */

static nx_capnp_bstruct raw_begin(
        nx_capnp_builder *b, uint64_t *buf, size_t bytes, uint16_t which, uint16_t dw, uint16_t np)
{
	nx_capnp_bstruct m, s;
	nx_capnp_bptr p;

	nx_capnp_builder_init(b, buf, bytes, NULL);
	assert_int_equal(nx_capnp_builder_init_root(b, W_MSG_DW, W_MSG_NP, &m), 0);
	nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, which, 0);
	p = nx_capnp_bstruct_ptr(&m, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, dw, np, &s), 0);
	return s;
}

static void raw_send(int fd, nx_capnp_builder *b)
{
	uint64_t out[512];
	size_t len;

	assert_int_equal(nx_capnp_frame_write(b, out, sizeof(out), &len), 0);
	assert_int_equal(write(fd, out, len), (ssize_t)len);
}

/* Every frame the server wrote so far, parsed into `msgs` (views into `buf`). */
struct rawin {
	uint64_t buf[4096];
	size_t len;
	struct nx_capnp_seg segs[64][4];
	nx_capnp_reader r[64];
	nx_capnp_struct root[64];
	unsigned n;
};

static void raw_drain(struct rawenv *e, struct rawin *ri)
{
	size_t off = 0, bytes;
	uint32_t nsegs;
	ssize_t n;
	int i;

	for (i = 0; i < 20; i++)
		if (nx_loop_run_once(e->loop, 0) == 0)
			break;
	while ((n = read(e->raw, (char *)ri->buf + ri->len, sizeof(ri->buf) - ri->len)) > 0)
		ri->len += (size_t)n;
	ri->n = 0;
	while (off < ri->len && ri->n < 64) {
		assert_int_equal(nx_capnp_frame_parse((char *)ri->buf + off, ri->len - off,
		                         NX_MSG_MAX_BYTES, ri->segs[ri->n], 4, &nsegs, &bytes),
		        0);
		nx_capnp_reader_init(&ri->r[ri->n], ri->segs[ri->n], nsegs);
		ri->r[ri->n].ncaps = 16;
		assert_int_equal(nx_capnp_reader_root_struct(&ri->r[ri->n], &ri->root[ri->n]), 0);
		ri->n++;
		off += bytes;
	}
}

/* The k-th message of kind `which` (its member struct), or fails the test. */
static nx_capnp_struct raw_find(struct rawin *ri, uint16_t which, unsigned k)
{
	nx_capnp_struct s;
	nx_capnp_ptr p;
	unsigned i;

	for (i = 0; i < ri->n; i++) {
		if (nx_capnp_struct_get_u16(&ri->root[i], W_MSG_TAG, 0) != which)
			continue;
		if (k-- > 0)
			continue;
		p = nx_capnp_struct_ptr(&ri->root[i], 0);
		assert_int_equal(nx_capnp_ptr_read_struct(&p, &s), 0);
		return s;
	}
	fail_msg("no message of kind %u", which);
	return s;
}

static void raw_call(struct rawenv *e, uint32_t qid, const struct w_target *t, uint16_t method,
        int cap_id, uint64_t a)
{
	static uint64_t buf[512];
	nx_capnp_builder b;
	nx_capnp_bstruct call = raw_begin(&b, buf, sizeof(buf), W_MSG_CALL, W_CALL_DW, W_CALL_NP);
	nx_capnp_bstruct pay, params, d;
	nx_capnp_blist l;
	nx_capnp_bptr p;

	nx_capnp_bstruct_set_u32(&call, W_CALL_QID, qid, 0);
	nx_capnp_bstruct_set_u64(&call, W_CALL_IFACE, IFACE, 0);
	nx_capnp_bstruct_set_u16(&call, W_CALL_METHOD, method, 0);
	p = nx_capnp_bstruct_ptr(&call, W_CALL_P_TARGET);
	assert_int_equal(w_write_target(&p, t), 0);
	p = nx_capnp_bstruct_ptr(&call, W_CALL_P_PARAMS);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 0, 2, &pay), 0);
	p = nx_capnp_bstruct_ptr(&pay, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 2, 1, &params), 0);
	nx_capnp_bstruct_set_u64(&params, 0, a, 0);
	if (cap_id >= 0) {
		p = nx_capnp_bstruct_ptr(&params, 0);
		assert_int_equal(nx_capnp_bptr_set_cap(&p, 0), 0);
		p = nx_capnp_bstruct_ptr(&pay, 1);
		assert_int_equal(
		        nx_capnp_bptr_init_struct_list(&p, W_CAPD_DW, W_CAPD_NP, 1, &l), 0);
		nx_capnp_blist_get_struct(&l, 0, &d);
		nx_capnp_bstruct_set_u16(&d, W_CAPD_TAG, W_CAPD_SENDER_HOSTED, 0);
		nx_capnp_bstruct_set_u32(&d, W_CAPD_ID, (uint32_t)cap_id, 0);
	}
	raw_send(e->raw, &b);
}

/* NX_RPC_TX_QUEUE_MAX: a peer that calls and never reads the returns gets them queued up to the
 * limit, then loses the connection (-ENOBUFS); the other connection in the loop keeps serving. */
static void test_tx_queue_max(void **state)
{
	static uint64_t buf[64];
	struct w_target boot = {.promised = true, .id = 0};
	struct rawenv *e = raw_setup();
	nx_capnp_builder b;
	nx_capnp_bstruct s;
	uint32_t calls = 0;

	(void)state;
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
	raw_send(e->raw, &b);
	while (!e->disc && calls < 4 * NX_RPC_TX_QUEUE_MAX / FILL_BYTES) {
		calls++;
		raw_call(e, calls, &boot, M_FILL, -1, 0);
		/* Finished at once: the answer is not kept, only its Return waits to be sent. */
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_FINISH, W_FIN_DW, W_FIN_NP);
		nx_capnp_bstruct_set_u32(&s, W_FIN_QID, calls, 0);
		raw_send(e->raw, &b);
		while (nx_loop_run_once(e->loop, 0) > 0)
			;
	}
	assert_int_equal(e->disc, 1);
	assert_int_equal(e->err, -ENOBUFS);
	/* Everything up to the limit was queued (the socket buffer took some more first). */
	assert_true((size_t)calls * FILL_BYTES > NX_RPC_TX_QUEUE_MAX);
	raw_check_healthy(e);
	raw_teardown(e);
}

/* What libcapnp does when a promise it pipelined on resolves to one of its own objects:
 * Disembargo(senderLoopback) through us, and calls on the promise that we must reflect. */
static void test_disembargo_and_reflect(void **state)
{
	struct rawenv *e = raw_setup();
	static struct rawin ri;
	static uint64_t buf[512];
	struct w_target boot = {.promised = true, .id = 0};
	struct w_target pipe = {.promised = true, .id = 1, .path = {0}, .depth = 1};
	nx_capnp_builder b;
	nx_capnp_bstruct s, pay, res;
	nx_capnp_ptr p;
	struct w_target t;
	uint32_t fwd_qid;

	memset(&ri, 0, sizeof(ri));
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
	raw_send(e->raw, &b);
	raw_call(e, 1, &boot, M_ECHOCAP, 5, 0);
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_DISEMBARGO, W_DIS_DW, W_DIS_NP);
	nx_capnp_bstruct_set_u32(&s, W_DIS_ID, 9, 0);
	{
		nx_capnp_bptr bp = nx_capnp_bstruct_ptr(&s, W_DIS_P_TARGET);

		assert_int_equal(w_write_target(&bp, &pipe), 0);
	}
	raw_send(e->raw, &b);
	raw_call(e, 2, &pipe, M_ADD, -1, 40);
	raw_drain(e, &ri);
	assert_int_equal(e->disc, 0);

	/* The reflected Disembargo names our import of their object 5. */
	s = (nx_capnp_bstruct){0};
	{
		nx_capnp_struct d = raw_find(&ri, W_MSG_DISEMBARGO, 0);

		assert_int_equal(
		        nx_capnp_struct_get_u16(&d, W_DIS_TAG, 0), W_DIS_RECEIVER_LOOPBACK);
		assert_int_equal(nx_capnp_struct_get_u32(&d, W_DIS_ID, 0), 9);
		p = nx_capnp_struct_ptr(&d, W_DIS_P_TARGET);
		assert_int_equal(w_read_target(&p, &t), 0);
		assert_false(t.promised);
		assert_int_equal(t.id, 5);
	}
	/* The pipelined call went back to object 5, where it lives. */
	{
		nx_capnp_struct c = raw_find(&ri, W_MSG_CALL, 0);

		p = nx_capnp_struct_ptr(&c, W_CALL_P_TARGET);
		assert_int_equal(w_read_target(&p, &t), 0);
		assert_false(t.promised);
		assert_int_equal(t.id, 5);
		assert_int_equal(nx_capnp_struct_get_u16(&c, W_CALL_METHOD, 0), M_ADD);
		fwd_qid = nx_capnp_struct_get_u32(&c, W_CALL_QID, 0);
	}
	/* Answer the reflected call; the answer travels on to question 2. */
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_RETURN, W_RET_DW, W_RET_NP);
	nx_capnp_bstruct_set_u32(&s, W_RET_AID, fwd_qid, 0);
	{
		nx_capnp_bptr bp = nx_capnp_bstruct_ptr(&s, W_RET_P);

		assert_int_equal(nx_capnp_bptr_init_struct(&bp, 0, 2, &pay), 0);
		bp = nx_capnp_bstruct_ptr(&pay, 0);
		assert_int_equal(nx_capnp_bptr_init_struct(&bp, 1, 0, &res), 0);
		nx_capnp_bstruct_set_u64(&res, 0, 99, 0);
	}
	raw_send(e->raw, &b);
	memset(&ri, 0, sizeof(ri));
	raw_drain(e, &ri);
	{
		unsigned k;
		bool found = false;

		for (k = 0; k < 4 && !found; k++) {
			nx_capnp_struct r = raw_find(&ri, W_MSG_RETURN, k);
			nx_capnp_struct rp, rc;

			if (nx_capnp_struct_get_u32(&r, W_RET_AID, 0) != 2)
				continue;
			p = nx_capnp_struct_ptr(&r, W_RET_P);
			assert_int_equal(nx_capnp_ptr_read_struct(&p, &rp), 0);
			p = nx_capnp_struct_ptr(&rp, 0);
			assert_int_equal(nx_capnp_ptr_read_struct(&p, &rc), 0);
			assert_int_equal(nx_capnp_struct_get_u64(&rc, 0, 0), 99);
			found = true;
		}
		assert_true(found);
	}
	/* Finish both questions: the import of object 5 is released with its count. */
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_FINISH, W_FIN_DW, W_FIN_NP);
	nx_capnp_bstruct_set_u32(&s, W_FIN_QID, 1, 0);
	raw_send(e->raw, &b);
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_FINISH, W_FIN_DW, W_FIN_NP);
	nx_capnp_bstruct_set_u32(&s, W_FIN_QID, 2, 0);
	raw_send(e->raw, &b);
	memset(&ri, 0, sizeof(ri));
	raw_drain(e, &ri);
	{
		nx_capnp_struct r = raw_find(&ri, W_MSG_RELEASE, 0);

		assert_int_equal(nx_capnp_struct_get_u32(&r, W_REL_ID, 0), 5);
		assert_int_equal(nx_capnp_struct_get_u32(&r, W_REL_COUNT, 0), 1);
	}
	assert_int_equal(nx_rpc_conn_imports(e->srv), 0);
	assert_int_equal(e->disc, 0);
	raw_check_healthy(e);
	raw_teardown(e);
}

static void test_add_cap_limits(void **state)
{
	struct env *e = *state;
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_rpc_cap *vmo[NX_MSG_MAX_FDS + 1];
	uint32_t idx, i;
	int fd;

	assert_int_equal(nx_rpc_call_new(e->boot, IFACE, M_ADD, 0, 0, &call, &p), 0);
	for (i = 0; i < NX_MSG_MAX_FDS + 1; i++) {
		assert_int_equal(nx_vmo_create("lim", 1, &fd), 0);
		assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &vmo[i]), 0);
	}
	for (i = 0; i < NX_MSG_MAX_FDS; i++)
		assert_int_equal(nx_rpc_call_add_cap(call, vmo[i], &idx), 0);
	assert_int_equal(nx_rpc_call_add_cap(call, vmo[NX_MSG_MAX_FDS], &idx), -EMSGSIZE);
	for (i = NX_MSG_MAX_FDS; i < NX_RPC_MAX_CAPS; i++)
		assert_int_equal(nx_rpc_call_add_cap(call, NULL, &idx), 0);
	assert_int_equal(nx_rpc_call_add_cap(call, NULL, &idx), -EMSGSIZE);
	for (i = 0; i < NX_MSG_MAX_FDS + 1; i++)
		nx_rpc_cap_unref(vmo[i]);
	nx_rpc_call_free(call);
	/* A server cap without an fd refuses the fd calls. */
	assert_int_equal(nx_rpc_cap_peek_fd(e->boot), -EBADF);
	assert_int_equal(nx_rpc_cap_dup_fd(e->boot), -EBADF);
	assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, -1, &vmo[0]), -EBADF);
}

/* fds nobody claims are closed with their message; the connection goes on. */
static void test_unclaimed_fds(void **state)
{
	struct rawenv *e = raw_setup();
	static struct rawin ri;
	static uint64_t buf[64];
	nx_capnp_builder b;
	uint64_t out[64];
	size_t len;
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov,
	        .msg_iovlen = 1,
	        .msg_control = cbuf,
	        .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int fds[2];

	(void)raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
	assert_int_equal(nx_capnp_frame_write(&b, out, sizeof(out), &len), 0);
	iov = (struct iovec){.iov_base = out, .iov_len = len};
	assert_int_equal(nx_vmo_create("a", 1, &fds[0]), 0);
	assert_int_equal(nx_vmo_create("b", 1, &fds[1]), 0);
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	assert_int_equal(sendmsg(e->raw, &mh, 0), (ssize_t)len);
	close(fds[0]);
	close(fds[1]);
	memset(&ri, 0, sizeof(ri));
	raw_drain(e, &ri);
	assert_int_equal(e->disc, 0);
	(void)raw_find(&ri, W_MSG_RETURN, 0);
	raw_teardown(e);
}

/* The peer's 257th outstanding question is answered `overloaded`. */
static void test_server_overloaded(void **state)
{
	struct rawenv *e = raw_setup();
	static struct rawin ri;
	static uint64_t buf[64];
	struct w_target boot = {.promised = true, .id = 0};
	nx_capnp_builder b;
	nx_capnp_struct r;
	uint16_t type;
	char reason[128];
	nx_capnp_ptr p;
	uint32_t q;
	unsigned k;

	(void)raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
	raw_send(e->raw, &b);
	for (q = 1; q <= NX_RPC_MAX_QUESTIONS; q++) {
		raw_call(e, q, &boot, M_HOLD, -1, 0);
		if (q % 32 == 0) {
			memset(&ri, 0, sizeof(ri));
			raw_drain(e, &ri);
		}
	}
	for (k = 0; k < 10; k++)
		raw_drain(e, &ri);
	assert_int_equal(e->server.nheld, NX_RPC_MAX_QUESTIONS - 1);
	assert_int_equal(e->disc, 0);
	/* The only Return besides the bootstrap's is the refused one. */
	r = raw_find(&ri, W_MSG_RETURN, 0);
	assert_int_equal(nx_capnp_struct_get_u32(&r, W_RET_AID, 0), NX_RPC_MAX_QUESTIONS);
	assert_int_equal(nx_capnp_struct_get_u16(&r, W_RET_TAG, 0), W_RET_EXCEPTION);
	p = nx_capnp_struct_ptr(&r, W_RET_P);
	w_read_exception(&p, &type, reason, sizeof(reason));
	assert_int_equal(type, NX_RPC_EXC_OVERLOADED);
	assert_non_null(strstr(reason, "limit_exceeded:"));
	release_held(&e->server);
	raw_teardown(e);
}

/* A peer that does not read: our writes queue up without blocking the loop, and drain
 * (NX_EV_OUT) once it reads again. */
static void test_backpressure(void **state)
{
	struct rawenv *e = raw_setup();
	static char big[3000];
	static uint64_t rbuf[8192];
	nx_rpc_conn *cli;
	nx_rpc_cap *boot;
	nx_rpc_call *calls[NX_RPC_MAX_QUESTIONS];
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	int fds[2], frames = 0, i, n;
	size_t have = 0, need;
	ssize_t got;

	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[0], NULL, &cli), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(cli, &boot), 0);
	n = NX_RPC_MAX_QUESTIONS - 1;
	for (i = 0; i < n; i++) {
		assert_int_equal(nx_rpc_call_new(boot, IFACE, M_ADD, 0, 1, &calls[i], &p), 0);
		bp = nx_capnp_bstruct_ptr(&p, 0);
		assert_int_equal(nx_capnp_bptr_set_data(&bp, big, sizeof(big)), 0);
		assert_int_equal(nx_rpc_call_send(calls[i], NULL, NULL), 0);
	}
	/* ~750 KiB queued: more than the socket holds. Now read it all, frame by frame. */
	for (i = 0; i < 100000 && frames < n + 1; i++) {
		got = read(fds[1], (char *)rbuf + have, sizeof(rbuf) - have);
		if (got > 0)
			have += (size_t)got;
		while (nx_capnp_frame_size(rbuf, have, NX_MSG_MAX_BYTES, &need) == 0 &&
		        need <= have) {
			memmove(rbuf, (char *)rbuf + need, have - need);
			have -= need;
			frames++;
		}
		(void)nx_loop_run_once(e->loop, 0);
	}
	assert_int_equal(frames, n + 1);
	for (i = 0; i < n; i++)
		nx_rpc_call_free(calls[i]);
	nx_rpc_cap_unref(boot);
	nx_rpc_conn_free(cli);
	nx_fd_close(fds[1]);
	raw_teardown(e);
}

/* A cap imported from one connection, passed on through another: calls are forwarded. */
static void test_forward_between_connections(void **state)
{
	struct env *e = *state;
	struct server s2 = {.bias = 0};
	nx_rpc_conn *srv2, *cli2;
	nx_rpc_cap *boot2, *root2, *child;
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	nx_capnp_ptr pp;
	const nx_rpc_result *res;
	uint32_t idx;
	int fds[2];

	s2.destroyed = &e->destroyed;
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_server_new(&server_ops, &s2, &root2), 0);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[0], root2, &srv2), 0);
	nx_rpc_cap_unref(root2);
	assert_int_equal(nx_rpc_conn_new(e->loop, fds[1], NULL, &cli2), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(cli2, &boot2), 0);

	/* child lives on the first server; we only hold an import of it. */
	call = new_empty(e->boot, M_CHILD);
	res = wait_ok(call);
	pp = nx_capnp_struct_ptr(&res->results, 0);
	assert_int_equal(nx_rpc_call_result_cap_at(call, &pp, &child), 0);
	nx_rpc_call_free(call);

	/* The second server calls it back through us. */
	assert_int_equal(nx_rpc_call_new(boot2, IFACE, M_CALLBACK, 2, 1, &call, &p), 0);
	nx_capnp_bstruct_set_u64(&p, 0, 20, 0);
	nx_capnp_bstruct_set_u64(&p, 1, 3, 0);
	assert_int_equal(nx_rpc_call_add_cap(call, child, &idx), 0);
	bp = nx_capnp_bstruct_ptr(&p, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
	res = wait_ok(call);
	assert_int_equal(res->error, 0);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 1023);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(child);
	nx_rpc_cap_unref(boot2);
	run_idle(e);
	assert_int_equal(nx_rpc_conn_exports(cli2), 0);
	assert_int_equal(nx_rpc_conn_exports(e->srv), 1);
	assert_int_equal(e->destroyed, 1); /* the child */
	nx_rpc_conn_free(cli2);
	nx_rpc_conn_free(srv2);
}

/* ---- forward.h: a proxy object on a front connection forwarding to the server ------------ */

/* The results of M_VMO as a schema would describe them, to name the refused field. */
static const struct nx_capnp_vtype t_data = {.kind = NX_CAPNP_V_DATA};
static const struct nx_capnp_vtype t_ptr = {.kind = NX_CAPNP_V_PTR};
static const struct nx_capnp_vfield vmo_results_fields[] = {
        {"data", &t_data, 0, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, false},
        {"back", &t_ptr, 1, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, false},
};
static const struct nx_capnp_desc vmo_results_desc = {"Test.vmo$Results", 0, 2, vmo_results_fields};
static const struct nx_capnp_method_desc test_methods[M_VMO + 1] = {
        [M_VMO] = {"vmo", false, NULL, &vmo_results_desc},
};
static const struct nx_capnp_iface_desc test_iface = {"Test", IFACE, M_VMO + 1, test_methods};
static const struct nx_capnp_iface_desc *const test_interfaces[] = {&test_iface, NULL};
static const struct nx_capnp_iface_desc *const *const test_schemas[] = {test_interfaces, NULL};

struct proxy {
	nx_rpc_cap *target;
	const struct nx_rpc_forward_opts *opts;
};

static int proxy_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	struct proxy *px = impl;

	return nx_rpc_forward(in, px->target, px->opts);
}

static const struct nx_rpc_server_ops proxy_ops = {.dispatch = proxy_dispatch};

/* A front connection pair whose server side's bootstrap forwards to `target`. */
struct front {
	struct proxy px;
	nx_rpc_conn *srv, *cli;
	nx_rpc_cap *boot;
};

static void front_open(
        nx_loop *loop, nx_rpc_cap *target, struct front *f, const struct nx_rpc_forward_opts *opts)
{
	nx_rpc_cap *root;
	int fds[2];

	f->px.target = target;
	f->px.opts = opts;
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_server_new(&proxy_ops, &f->px, &root), 0);
	assert_int_equal(nx_rpc_conn_new(loop, fds[0], root, &f->srv), 0);
	nx_rpc_cap_unref(root);
	assert_int_equal(nx_rpc_conn_new(loop, fds[1], NULL, &f->cli), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(f->cli, &f->boot), 0);
}

static void front_close(struct front *f)
{
	f->boot = nx_rpc_cap_unref(f->boot);
	f->cli = nx_rpc_conn_free(f->cli);
	f->srv = nx_rpc_conn_free(f->srv);
}

static void on_returned(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
}

/* M_VMO through the front: sends a VMO, returns the call (returned, the caller's). */
static nx_rpc_call *vmo_call(nx_rpc_cap *target, int *ret_error)
{
	nx_rpc_call *call;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	nx_rpc_cap *vmo;
	const nx_rpc_result *res;
	uint32_t idx;
	int fd;

	assert_int_equal(nx_vmo_create("ping", 4, &fd), 0);
	assert_int_equal(nx_vmo_write(fd, 0, "ping", 4), 0);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &vmo), 0);
	assert_int_equal(nx_rpc_call_new(target, IFACE, M_VMO, 0, 1, &call, &p), 0);
	assert_int_equal(nx_rpc_call_add_cap(call, vmo, &idx), 0);
	bp = nx_capnp_bstruct_ptr(&p, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
	nx_rpc_cap_unref(vmo);
	res = wait_ok(call);
	*ret_error = res->error;
	return call;
}

/* Plain calls, exceptions, a cap returned and called, a pipelined call on it, a callback
 * passed as a param, fds refused for a caller that takes none (naming the field) and passed
 * to one that does; everything released at the end. */
static void test_forward_proxy(void **state)
{
	static const struct nx_rpc_forward_opts no_fds = {NX_RPC_FORWARD_NO_FDS, test_schemas};
	static const uint16_t path0[] = {0};
	struct env *e = *state;
	struct front f = {0}, g = {0};
	nx_rpc_call *call, *pcall;
	nx_rpc_cap *child, *promise, *local;
	const nx_rpc_result *res;
	nx_capnp_bstruct p;
	nx_capnp_bptr bp;
	nx_capnp_ptr pp;
	uint32_t idx;
	int err;

	front_open(e->loop, e->boot, &f, &no_fds);
	call = new_add(f.boot, 2, 3);
	res = wait_ok(call);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 5);
	nx_rpc_call_free(call);

	call = new_empty(f.boot, M_FAIL);
	res = wait_ok(call);
	assert_int_equal(res->error, -ENOENT);
	assert_string_equal(res->reason, "not_found: no such thing here");
	nx_rpc_call_free(call);

	/* A cap the server returns, through the membrane, and a call pipelined on it. */
	call = new_empty(f.boot, M_CHILD);
	assert_int_equal(nx_rpc_call_pipeline(call, path0, 1, &promise), 0);
	assert_int_equal(nx_rpc_call_send(call, on_returned, NULL), 0);
	pcall = new_add(promise, 1, 2);
	nx_rpc_cap_unref(promise);
	res = wait_ok(pcall);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 1003);
	nx_rpc_call_free(pcall);
	res = wait_ok(call);
	pp = nx_capnp_struct_ptr(&res->results, 0);
	assert_int_equal(nx_rpc_call_result_cap_at(call, &pp, &child), 0);
	nx_rpc_call_free(call);
	call = new_add(child, 4, 5);
	res = wait_ok(call);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 1009);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(child);

	/* A callback passed in: the server calls it back through the front. */
	assert_int_equal(nx_rpc_server_new(&server_ops, &e->local, &local), 0);
	assert_int_equal(nx_rpc_call_new(f.boot, IFACE, M_CALLBACK, 2, 1, &call, &p), 0);
	nx_capnp_bstruct_set_u64(&p, 0, 20, 0);
	nx_capnp_bstruct_set_u64(&p, 1, 3, 0);
	assert_int_equal(nx_rpc_call_add_cap(call, local, &idx), 0);
	bp = nx_capnp_bstruct_ptr(&p, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
	nx_rpc_cap_unref(local);
	res = wait_ok(call);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 23);
	assert_int_equal(e->local.calls, 1);
	nx_rpc_call_free(call);

	/* The returned VMO cannot reach a caller that takes no fds: refused, field named. */
	call = vmo_call(f.boot, &err);
	assert_int_equal(err, -EOPNOTSUPP);
	assert_non_null(strstr(
	        nx_rpc_call_result(call)->reason, "unsupported: back: carries a file descriptor"));
	nx_rpc_call_free(call);
	/* Without schemas the field is "results"; with fds allowed the VMO comes through. */
	front_open(e->loop, e->boot, &g, NULL);
	call = vmo_call(g.boot, &err);
	assert_int_equal(err, 0);
	pp = nx_capnp_struct_ptr(&nx_rpc_call_result(call)->results, 1);
	assert_int_equal(nx_rpc_call_result_cap_at(call, &pp, &child), 0);
	assert_true(nx_rpc_cap_peek_fd(child) >= 0);
	nx_rpc_cap_unref(child);
	nx_rpc_call_free(call);

	front_close(&g);
	front_close(&f);
	run_idle(e);
	/* Only the server's bootstrap stays exported: the child, the VMOs and the membrane's
	 * proxies were all released. */
	assert_int_equal(nx_rpc_conn_exports(e->srv), 1);
	assert_int_equal(nx_rpc_conn_imports(e->cli), 1);
}

/* The name of a capability found through nested structs and groups, and what is unknown. */
static void test_forward_name_cap(void **state)
{
	static const struct nx_capnp_vtype t_inner = {.kind = NX_CAPNP_V_STRUCT, .desc = NULL};
	static const struct nx_capnp_vfield box_fields[] = {
	        {"counter", &t_ptr, 1, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT,
	                false},
	};
	static const struct nx_capnp_desc box_desc = {"Box", 0, 1, box_fields};
	static const struct nx_capnp_vtype t_box = {.kind = NX_CAPNP_V_STRUCT, .desc = &box_desc};
	static const struct nx_capnp_vfield res_fields[] = {
	        {"other", &t_inner, 0, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT,
	                false},
	        {"box", &t_box, 1, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT,
	                false},
	};
	static const struct nx_capnp_desc res_desc = {"R", 0, 2, res_fields};
	static const struct nx_capnp_method_desc methods[] = {{"m", false, NULL, &res_desc}};
	static const struct nx_capnp_iface_desc iface = {"I", 42, 1, methods};
	static const struct nx_capnp_iface_desc *const ifaces[] = {&iface, NULL};
	static const struct nx_capnp_iface_desc *const *const schemas[] = {ifaces, NULL};
	uint64_t words[32] = {0};
	struct nx_capnp_seg segs[1];
	nx_capnp_builder b;
	nx_capnp_bstruct root, box, other;
	nx_capnp_bptr bp;
	nx_capnp_reader rd;
	nx_capnp_struct rs;
	char name[8];

	(void)state;
	nx_capnp_builder_init(&b, words, sizeof(words), &nx_capnp_malloc_allocator);
	assert_int_equal(nx_capnp_builder_init_root(&b, 0, 2, &root), 0);
	bp = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, 0, 1, &other), 0);
	bp = nx_capnp_bstruct_ptr(&other, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, 0), 0);
	bp = nx_capnp_bstruct_ptr(&root, 1);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, 0, 2, &box), 0);
	bp = nx_capnp_bstruct_ptr(&box, 1);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, 1), 0);
	nx_capnp_builder_as_reader(&b, segs, &rd);
	rd.ncaps = 2;
	assert_int_equal(nx_capnp_reader_root_struct(&rd, &rs), 0);

	char path[NX_CAPNP_PATH_MAX];

	assert_int_equal(nx_rpc_forward_name_cap(schemas, 42, 0, &rs, 1, path, sizeof(path)), 0);
	assert_string_equal(path, "box.counter");
	assert_int_equal(nx_rpc_forward_name_cap(schemas, 42, 0, &rs, 0, path, sizeof(path)), 0);
	assert_string_equal(path, "other"); /* its struct names no fields */
	assert_int_equal(nx_rpc_forward_name_cap(schemas, 42, 0, &rs, 1, name, sizeof(name)), 0);
	assert_string_equal(name, "box"); /* cut to fit */
	assert_int_equal(
	        nx_rpc_forward_name_cap(schemas, 42, 0, &rs, 2, path, sizeof(path)), -ENOENT);
	assert_int_equal(
	        nx_rpc_forward_name_cap(schemas, 43, 0, &rs, 1, path, sizeof(path)), -ENOENT);
	assert_int_equal(
	        nx_rpc_forward_name_cap(schemas, 42, 1, &rs, 1, path, sizeof(path)), -ENOENT);
	assert_int_equal(nx_rpc_forward_name_cap(NULL, 42, 0, &rs, 1, path, sizeof(path)), -ENOENT);
	nx_capnp_builder_done(&b);
}

static int held_answered;

static void on_held_answer(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	held_answered++;
}

/* A target that answers nothing: past NX_RPC_FORWARD_WINDOW forwards the front stops reading
 * the sender, so the server sees at most the window plus what one read brought in; once the
 * target answers, the rest flows. Then the target's connection dies mid-call: disconnected. */
static void test_forward_window(void **state)
{
	/* Three times the window of calls, within the sender's own question limit (its
	 * bootstrap promise holds one more). */
	enum { N = 3 * NX_RPC_FORWARD_WINDOW };
	_Static_assert(N < NX_RPC_MAX_QUESTIONS, "the sender may have them all in flight");
	struct env *e = *state;
	struct front f = {0};
	nx_rpc_call *calls[N], *last;
	const nx_rpc_result *res;
	int i, seen;

	front_open(e->loop, e->boot, &f, NULL);
	held_answered = 0;
	for (i = 0; i < N; i++) {
		calls[i] = new_empty(f.boot, M_HOLD);
		assert_int_equal(nx_rpc_call_send(calls[i], on_held_answer, NULL), 0);
	}
	run_idle(e);
	/* One read takes at most NX_MSG_MAX_BYTES of frames, each call well over 64 bytes. */
	assert_true(e->server.nheld >= (int)NX_RPC_FORWARD_WINDOW);
	assert_true(e->server.nheld <= (int)(NX_RPC_FORWARD_WINDOW + NX_MSG_MAX_BYTES / 64));
	assert_true(e->server.nheld < N);
	/* Answering what arrived lets the rest in, window by window. */
	for (seen = 0; seen < N;) {
		while (e->server.nheld > 0) {
			nx_rpc_incoming *in = e->server.held[--e->server.nheld];

			seen++;
			assert_int_equal(nx_rpc_incoming_return(in), 0);
		}
		run_idle(e);
		assert_true(e->server.nheld > 0 || seen == N);
	}
	run_until(e, &held_answered, N);
	for (i = 0; i < N; i++)
		nx_rpc_call_free(calls[i]);

	/* The target's connection dies with a forwarded call in flight. */
	last = new_empty(f.boot, M_HOLD);
	assert_int_equal(nx_rpc_call_send(last, on_returned, NULL), 0);
	run_until(e, &e->server.nheld, 1);
	e->srv = nx_rpc_conn_free(e->srv);
	res = wait_ok(last);
	assert_int_equal(res->error, -ECONNRESET);
	nx_rpc_call_free(last);
	front_close(&f);
}

/* Resolve (from a peer that exported a promise), Provide (level 3) and an echoed call. */
static void test_resolve_unimplemented(void **state)
{
	struct rawenv *e = raw_setup();
	static struct rawin ri;
	static uint64_t buf[128];
	nx_capnp_builder b;
	nx_capnp_bstruct s, d, inner;
	nx_capnp_bptr bp;
	nx_capnp_struct r;

	/* Resolve handing us a new import: we do not keep it, so it goes back at once. */
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_RESOLVE, W_RES_DW, W_RES_NP);
	nx_capnp_bstruct_set_u32(&s, W_RES_PID, 3, 0);
	bp = nx_capnp_bstruct_ptr(&s, W_RES_P);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, W_CAPD_DW, W_CAPD_NP, &d), 0);
	nx_capnp_bstruct_set_u16(&d, W_CAPD_TAG, W_CAPD_SENDER_HOSTED, 0);
	nx_capnp_bstruct_set_u32(&d, W_CAPD_ID, 44, 0);
	raw_send(e->raw, &b);
	/* Provide: level 3, answered with Unimplemented echoing it. */
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_PROVIDE, 1, 2);
	nx_capnp_bstruct_set_u32(&s, 0, 77, 0);
	raw_send(e->raw, &b);
	/* An Unimplemented echo of a call we never made is ignored. */
	s = raw_begin(&b, buf, sizeof(buf), W_MSG_UNIMPLEMENTED, W_MSG_DW, W_MSG_NP);
	nx_capnp_bstruct_set_u16(&s, W_MSG_TAG, W_MSG_CALL, 0);
	bp = nx_capnp_bstruct_ptr(&s, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, W_CALL_DW, W_CALL_NP, &inner), 0);
	nx_capnp_bstruct_set_u32(&inner, W_CALL_QID, 5, 0);
	raw_send(e->raw, &b);
	memset(&ri, 0, sizeof(ri));
	raw_drain(e, &ri);
	assert_int_equal(e->disc, 0);
	r = raw_find(&ri, W_MSG_RELEASE, 0);
	assert_int_equal(nx_capnp_struct_get_u32(&r, W_REL_ID, 0), 44);
	assert_int_equal(nx_capnp_struct_get_u32(&r, W_REL_COUNT, 0), 1);
	r = raw_find(&ri, W_MSG_UNIMPLEMENTED, 0);
	assert_int_equal(nx_capnp_struct_get_u16(&r, W_MSG_TAG, 0), W_MSG_PROVIDE);
	raw_check_healthy(e);
	raw_teardown(e);
}

/* Answers question `qid` with one capability of the raw peer's, senderHosted `id`, as the
 * results' first pointer (a bootstrap Return). */
static void raw_return_cap(int fd, uint32_t qid, uint32_t id)
{
	static uint64_t buf[128];
	nx_capnp_builder b;
	nx_capnp_bstruct s = raw_begin(&b, buf, sizeof(buf), W_MSG_RETURN, W_RET_DW, W_RET_NP);
	nx_capnp_bstruct pay, d;
	nx_capnp_blist l;
	nx_capnp_bptr bp;

	nx_capnp_bstruct_set_u32(&s, W_RET_AID, qid, 0);
	bp = nx_capnp_bstruct_ptr(&s, W_RET_P);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, W_PAY_DW, W_PAY_NP, &pay), 0);
	bp = nx_capnp_bstruct_ptr(&pay, 0);
	assert_int_equal(nx_capnp_bptr_set_cap(&bp, 0), 0);
	bp = nx_capnp_bstruct_ptr(&pay, 1);
	assert_int_equal(nx_capnp_bptr_init_struct_list(&bp, W_CAPD_DW, W_CAPD_NP, 1, &l), 0);
	nx_capnp_blist_get_struct(&l, 0, &d);
	nx_capnp_bstruct_set_u16(&d, W_CAPD_TAG, W_CAPD_SENDER_HOSTED, 0);
	nx_capnp_bstruct_set_u32(&d, W_CAPD_ID, id, 0);
	raw_send(fd, &b);
}

/* Answers question `qid` of an add with `sum`. */
static void raw_return_sum(int fd, uint32_t qid, uint64_t sum)
{
	static uint64_t buf[128];
	nx_capnp_builder b;
	nx_capnp_bstruct s = raw_begin(&b, buf, sizeof(buf), W_MSG_RETURN, W_RET_DW, W_RET_NP);
	nx_capnp_bstruct pay, res;
	nx_capnp_bptr bp;

	nx_capnp_bstruct_set_u32(&s, W_RET_AID, qid, 0);
	bp = nx_capnp_bstruct_ptr(&s, W_RET_P);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, W_PAY_DW, W_PAY_NP, &pay), 0);
	bp = nx_capnp_bstruct_ptr(&pay, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&bp, 1, 0, &res), 0);
	nx_capnp_bstruct_set_u64(&res, 0, sum, 0);
	raw_send(fd, &b);
}

/* The k-th Call the raw peer received: its question id and target. */
static uint32_t raw_call_target(struct rawin *ri, unsigned k, struct w_target *ret)
{
	nx_capnp_struct c = raw_find(ri, W_MSG_CALL, k);
	nx_capnp_ptr p = nx_capnp_struct_ptr(&c, W_CALL_P_TARGET);

	assert_int_equal(w_read_target(&p, ret), 0);
	return nx_capnp_struct_get_u32(&c, W_CALL_QID, 0);
}

/* Our client against a hand-driven server: calls on the bootstrap promise name the answer
 * until its Return arrives, then the capability it returned (an import), as libcapnp's do;
 * the promise's question stays until the promise goes, and its Finish releases nothing. */
static void test_promise_resolves_to_import(void **state)
{
	struct rawenv e = {.fds_before = fdcheck_count()};
	static struct rawin ri;
	nx_rpc_call *before, *after;
	const nx_rpc_result *res;
	nx_rpc_conn *cli;
	nx_rpc_cap *boot;
	struct w_target t;
	uint32_t qid;
	int fds[2];

	assert_int_equal(nx_loop_new(&e.loop), 0);
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_conn_new(e.loop, fds[0], NULL, &cli), 0);
	e.raw = fds[1];
	assert_int_equal(nx_rpc_conn_bootstrap(cli, &boot), 0);
	before = new_add(boot, 1, 2);
	assert_int_equal(nx_rpc_call_send(before, NULL, NULL), 0);
	memset(&ri, 0, sizeof(ri));
	raw_drain(&e, &ri);
	qid = raw_call_target(&ri, 0, &t);
	assert_true(t.promised);
	assert_int_equal(t.id, 0); /* the bootstrap question */
	assert_int_equal(t.depth, 0);

	raw_return_cap(e.raw, 0, 7);
	raw_return_sum(e.raw, qid, 3);
	res = wait_ok(before);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 3);
	nx_rpc_call_free(before);

	after = new_add(boot, 4, 5);
	assert_int_equal(nx_rpc_call_send(after, NULL, NULL), 0);
	memset(&ri, 0, sizeof(ri));
	raw_drain(&e, &ri);
	qid = raw_call_target(&ri, 0, &t);
	assert_false(t.promised);
	assert_int_equal(t.id, 7);
	raw_return_sum(e.raw, qid, 9);
	res = wait_ok(after);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 9);
	nx_rpc_call_free(after);
	assert_int_equal(nx_rpc_conn_imports(cli), 1);
	assert_int_equal(nx_rpc_conn_questions(cli), 1);

	/* Dropping the promise drops the import (Release 7 x1) and finishes question 0. */
	nx_rpc_cap_unref(boot);
	memset(&ri, 0, sizeof(ri));
	raw_drain(&e, &ri);
	{
		nx_capnp_struct r = raw_find(&ri, W_MSG_RELEASE, 0);

		assert_int_equal(nx_capnp_struct_get_u32(&r, W_REL_ID, 0), 7);
		assert_int_equal(nx_capnp_struct_get_u32(&r, W_REL_COUNT, 0), 1);
		/* The lazy Finish of `after` (question 1) may come first. */
		r = raw_find(&ri, W_MSG_FINISH, 0);
		if (nx_capnp_struct_get_u32(&r, W_FIN_QID, 0) != 0)
			r = raw_find(&ri, W_MSG_FINISH, 1);
		assert_int_equal(nx_capnp_struct_get_u32(&r, W_FIN_QID, 0), 0);
	}
	assert_int_equal(nx_rpc_conn_imports(cli), 0);
	assert_int_equal(nx_rpc_conn_questions(cli), 0);
	nx_rpc_conn_free(cli);
	nx_fd_close(e.raw);
	nx_loop_free(e.loop);
	fdcheck_assert(e.fds_before);
}

/* A forwarded call's Finish (no caps in its results) waits for the next call to the target
 * instead of waking the target with a write of its own: a hand-driven target sees nothing
 * after the answer, then the Finish and the next Call together. */
static void test_forward_finish_held(void **state)
{
	struct rawenv e = {.fds_before = fdcheck_count()};
	static struct rawin ri;
	struct front f = {0};
	nx_rpc_call *first, *second;
	const nx_rpc_result *res;
	nx_rpc_conn *back;
	nx_rpc_cap *boot;
	struct w_target t;
	nx_capnp_struct fin;
	uint32_t qid;
	int fds[2];

	(void)state;
	assert_int_equal(nx_loop_new(&e.loop), 0);
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nx_rpc_conn_new(e.loop, fds[0], NULL, &back), 0);
	e.raw = fds[1];
	assert_int_equal(nx_rpc_conn_bootstrap(back, &boot), 0);
	front_open(e.loop, boot, &f, NULL);

	first = new_add(f.boot, 1, 2);
	assert_int_equal(nx_rpc_call_send(first, NULL, NULL), 0);
	memset(&ri, 0, sizeof(ri));
	raw_drain(&e, &ri);
	qid = raw_call_target(&ri, 0, &t);
	raw_return_sum(e.raw, qid, 3);
	res = wait_ok(first);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 3);
	nx_rpc_call_free(first);
	memset(&ri, 0, sizeof(ri));
	raw_drain(&e, &ri);
	assert_int_equal(ri.n, 0); /* no Finish on its own */

	second = new_add(f.boot, 4, 5);
	assert_int_equal(nx_rpc_call_send(second, NULL, NULL), 0);
	memset(&ri, 0, sizeof(ri));
	raw_drain(&e, &ri);
	assert_int_equal(ri.n, 2);
	assert_int_equal(nx_capnp_struct_get_u16(&ri.root[0], W_MSG_TAG, 0), W_MSG_FINISH);
	fin = raw_find(&ri, W_MSG_FINISH, 0);
	assert_int_equal(nx_capnp_struct_get_u32(&fin, W_FIN_QID, 0), qid);
	raw_return_sum(e.raw, raw_call_target(&ri, 0, &t), 9);
	res = wait_ok(second);
	assert_int_equal(nx_capnp_struct_get_u64(&res->results, 0, 0), 9);
	nx_rpc_call_free(second);

	front_close(&f);
	nx_rpc_cap_unref(boot);
	nx_rpc_conn_free(back);
	nx_fd_close(e.raw);
	nx_loop_free(e.loop);
	fdcheck_assert(e.fds_before);
}

/* Protocol violations, one per row: each costs the sender its connection (after an Abort),
 * and only that connection. */
enum bad_kind {
	BAD_RETURN_UNKNOWN,
	BAD_DUP_QUESTION,
	BAD_RELEASE_UNKNOWN,
	BAD_RELEASE_TOO_MANY,
	BAD_RECEIVER_LOOPBACK,
	BAD_RECEIVER_HOSTED_UNKNOWN,
	BAD_TOO_MANY_SEGMENTS,
	BAD_TARGET_UNION,
};

static void send_bad(struct rawenv *e, enum bad_kind k)
{
	static uint64_t buf[128];
	struct w_target boot = {.promised = true, .id = 0};
	nx_capnp_builder b;
	nx_capnp_bstruct s, d, pay;
	nx_capnp_blist l;
	nx_capnp_bptr bp;

	switch (k) {
	case BAD_RETURN_UNKNOWN:
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_RETURN, W_RET_DW, W_RET_NP);
		nx_capnp_bstruct_set_u32(&s, W_RET_AID, 77, 0);
		raw_send(e->raw, &b);
		break;
	case BAD_DUP_QUESTION:
		(void)raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
		raw_send(e->raw, &b);
		raw_call(e, 1, &boot, M_HOLD, -1, 0);
		raw_call(e, 1, &boot, M_HOLD, -1, 0);
		break;
	case BAD_RELEASE_UNKNOWN:
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_RELEASE, W_REL_DW, W_REL_NP);
		nx_capnp_bstruct_set_u32(&s, W_REL_ID, 12, 0);
		nx_capnp_bstruct_set_u32(&s, W_REL_COUNT, 1, 0);
		raw_send(e->raw, &b);
		break;
	case BAD_RELEASE_TOO_MANY:
		/* The bootstrap export holds one reference for the peer, not two. */
		(void)raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
		raw_send(e->raw, &b);
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_RELEASE, W_REL_DW, W_REL_NP);
		nx_capnp_bstruct_set_u32(&s, W_REL_ID, 0, 0);
		nx_capnp_bstruct_set_u32(&s, W_REL_COUNT, 2, 0);
		raw_send(e->raw, &b);
		break;
	case BAD_RECEIVER_LOOPBACK:
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_DISEMBARGO, W_DIS_DW, W_DIS_NP);
		nx_capnp_bstruct_set_u16(&s, W_DIS_TAG, W_DIS_RECEIVER_LOOPBACK, 0);
		raw_send(e->raw, &b);
		break;
	case BAD_RECEIVER_HOSTED_UNKNOWN:
		(void)raw_begin(&b, buf, sizeof(buf), W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP);
		raw_send(e->raw, &b);
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_CALL, W_CALL_DW, W_CALL_NP);
		nx_capnp_bstruct_set_u32(&s, W_CALL_QID, 1, 0);
		bp = nx_capnp_bstruct_ptr(&s, W_CALL_P_TARGET);
		assert_int_equal(w_write_target(&bp, &boot), 0);
		bp = nx_capnp_bstruct_ptr(&s, W_CALL_P_PARAMS);
		assert_int_equal(nx_capnp_bptr_init_struct(&bp, 0, 2, &pay), 0);
		bp = nx_capnp_bstruct_ptr(&pay, 1);
		assert_int_equal(
		        nx_capnp_bptr_init_struct_list(&bp, W_CAPD_DW, W_CAPD_NP, 1, &l), 0);
		nx_capnp_blist_get_struct(&l, 0, &d);
		nx_capnp_bstruct_set_u16(&d, W_CAPD_TAG, W_CAPD_RECEIVER_HOSTED, 0);
		nx_capnp_bstruct_set_u32(&d, W_CAPD_ID, 999, 0);
		raw_send(e->raw, &b);
		break;
	case BAD_TOO_MANY_SEGMENTS: {
		/* 65 segments of one word each: refused from the segment table. */
		static uint32_t frame[2 + 66];

		frame[0] = 64;
		for (int i = 1; i <= 65; i++)
			frame[i] = 1;
		assert_int_equal(write(e->raw, frame, sizeof(frame)), (ssize_t)sizeof(frame));
		break;
	}
	case BAD_TARGET_UNION:
		s = raw_begin(&b, buf, sizeof(buf), W_MSG_CALL, W_CALL_DW, W_CALL_NP);
		bp = nx_capnp_bstruct_ptr(&s, W_CALL_P_TARGET);
		assert_int_equal(nx_capnp_bptr_init_struct(&bp, W_TGT_DW, W_TGT_NP, &d), 0);
		nx_capnp_bstruct_set_u16(&d, W_TGT_TAG, 7, 0);
		raw_send(e->raw, &b);
		break;
	}
}

static void test_protocol_violations(void **state)
{
	static const enum bad_kind kinds[] = {BAD_RETURN_UNKNOWN, BAD_DUP_QUESTION,
	        BAD_RELEASE_UNKNOWN, BAD_RELEASE_TOO_MANY, BAD_RECEIVER_LOOPBACK,
	        BAD_RECEIVER_HOSTED_UNKNOWN, BAD_TOO_MANY_SEGMENTS, BAD_TARGET_UNION};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct rawenv *e = raw_setup();

		send_bad(e, kinds[i]);
		raw_run(e);
		if (e->disc != 1)
			fail_msg("row %zu: connection survived", i);
		assert_true(e->err < 0);
		raw_expect_abort(e);
		raw_check_healthy(e);
		release_held(&e->server);
		raw_teardown(e);
	}
}

/* Many calls queued before either end reads, fd-less and fd-carrying interleaved, so one read
 * carries several frames and fds: every result must echo its own VMO (fd attribution),
 * each VMO with its own contents. */
static void test_fd_interleaved(void **state)
{
	struct env *e = *state;
	enum { N = 12 };
	nx_rpc_call *call[N];
	int i;

	for (i = 0; i < N; i++) {
		nx_capnp_bstruct p;
		nx_capnp_bptr bp;
		uint32_t idx;

		if (i % 3 == 0) {
			assert_int_equal(
			        nx_rpc_call_new(e->boot, IFACE, M_ADD, 2, 0, &call[i], &p), 0);
			nx_capnp_bstruct_set_u64(&p, 0, (uint64_t)i, 0);
			nx_capnp_bstruct_set_u64(&p, 1, 1, 0);
		} else {
			nx_rpc_cap *vmo;
			char txt[16];
			int fd;

			snprintf(txt, sizeof(txt), "vmo-%02d", i);
			assert_int_equal(nx_vmo_create("x", strlen(txt), &fd), 0);
			assert_int_equal(nx_vmo_write(fd, 0, txt, strlen(txt)), 0);
			assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
			assert_int_equal(nx_rpc_server_new_with_fd(&server_ops, NULL, fd, &vmo), 0);
			assert_int_equal(
			        nx_rpc_call_new(e->boot, IFACE, M_VMO, 0, 1, &call[i], &p), 0);
			assert_int_equal(nx_rpc_call_add_cap(call[i], vmo, &idx), 0);
			bp = nx_capnp_bstruct_ptr(&p, 0);
			assert_int_equal(nx_capnp_bptr_set_cap(&bp, idx), 0);
			nx_rpc_cap_unref(vmo);
		}
		assert_int_equal(nx_rpc_call_send(call[i], NULL, NULL), 0);
	}
	for (i = 0; i < N; i++) {
		const nx_rpc_result *res = wait_ok(call[i]);

		assert_int_equal(res->error, 0);
		if (i % 3 != 0) {
			nx_capnp_ptr pp = nx_capnp_struct_ptr(&res->results, 0);
			const uint8_t *data;
			char txt[16];
			size_t len;
			nx_rpc_cap *back;

			snprintf(txt, sizeof(txt), "vmo-%02d", i);
			assert_int_equal(nx_capnp_ptr_read_data(&pp, &data, &len), 0);
			assert_int_equal(len, strlen(txt));
			assert_memory_equal(data, txt, len);
			pp = nx_capnp_struct_ptr(&res->results, 1);
			assert_int_equal(nx_rpc_call_result_cap_at(call[i], &pp, &back), 0);
			assert_true(nx_rpc_cap_peek_fd(back) >= 0);
			nx_rpc_cap_unref(back);
		}
	}
	for (i = 0; i < N; i++)
		nx_rpc_call_free(call[i]);
	run_idle(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_bootstrap_call, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exception, setup, teardown),
	        cmocka_unit_test(test_errno_table),
	        cmocka_unit_test_setup_teardown(test_failf_reason_max, setup, teardown),
	        cmocka_unit_test(test_take_fd),
	        cmocka_unit_test_setup_teardown(test_pipeline_depth_max, setup, teardown),
	        cmocka_unit_test(test_tx_queue_max),
	        cmocka_unit_test_setup_teardown(test_silent_handler_asserted, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_answered_async_asserted, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_take_fd_then_export, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_callback, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cap_in_results, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pipeline, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pipeline_on_plain_results, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cancel_cb, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_timeout_cancels, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_async, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fd_both_ways, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fd_interleaved, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stream_window, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_stream_notify, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_100_concurrent, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_overloaded, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_peer_dies, setup, teardown),
	        cmocka_unit_test(test_garbage),
	        cmocka_unit_test(test_oversized_incoming),
	        cmocka_unit_test(test_five_fds),
	        cmocka_unit_test(test_disembargo_and_reflect),
	        cmocka_unit_test_setup_teardown(test_add_cap_limits, setup, teardown),
	        cmocka_unit_test(test_unclaimed_fds),
	        cmocka_unit_test(test_server_overloaded),
	        cmocka_unit_test(test_backpressure),
	        cmocka_unit_test_setup_teardown(test_forward_between_connections, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_forward_proxy, setup, teardown),
	        cmocka_unit_test(test_forward_name_cap),
	        cmocka_unit_test_setup_teardown(test_forward_window, setup, teardown),
	        cmocka_unit_test(test_resolve_unimplemented),
	        cmocka_unit_test(test_promise_resolves_to_import),
	        cmocka_unit_test(test_forward_finish_held),
	        cmocka_unit_test(test_protocol_violations),
	};

	return cmocka_run_group_tests_name("nx-rpc", tests, NULL, NULL);
}
