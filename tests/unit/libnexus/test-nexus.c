/* SPDX-License-Identifier: MIT */
/*
 * libnexus against a fake samgrd and a fake echod, both served on the nexus's own loop (so a
 * blocking call serves them too): connect errors, resolve not_found/denied with
 * their section 9 message, invalid params answered naming the field, the per-name cache,
 * re-resolve after the service's channel died, reconnect to samgr.sock after samgrd's channel
 * died, the untyped wait, the timeout. Every test checks fds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "echo.capnp.h"
#include "fdcheck.h"
#include "nexus-types.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "samgr.capnp.h"

struct fake {
	nexus *nx;
	struct samgr *samgr;
	struct echo *echo;
	nx_rpc_conn *samgr_conn, *echo_conn;
	nx_rpc_incoming *held;
	nx_source *listen_src;
	int listen_fd;
	unsigned resolves, echoes, gone;
	char gone_name[16];
};

static const struct nexus_endpoint_server endpoint_vt = {0};

static int serve_echo(void *impl, nx_rpc_incoming *in, echo_echo_params params)
{
	struct fake *f = impl;
	const char *text;
	size_t len;

	f->echoes++;
	(void)echo_echo_params_get_text(params, &text, &len); /* validated: no inner NUL */
	return echo_echo_return(in, text, "uid:test");        /* answers, or fails saying why */
}

static const struct echo_server echo_vt = {.echo = serve_echo};

static int serve_resolve(void *impl, nx_rpc_incoming *in, samgr_resolve_params params)
{
	struct fake *f = impl;
	struct nexus_endpoint *ep;
	const char *name;
	size_t len;
	int fds[2];

	f->resolves++;
	(void)samgr_resolve_params_get_name(params, &name, &len);
	if (strcmp(name, "slow") == 0) {
		f->held = in;
		return NX_RPC_ASYNC;
	}
	if (strcmp(name, "secret") == 0)
		return nx_rpc_incoming_failf(
		        in, -EPERM, "this subject does not hold ipc.connect.%s", name);
	if (strcmp(name, "echod") != 0)
		return nx_rpc_incoming_failf(in, -ENOENT, "nobody registered it");
	/* A fresh channel per resolve, like samgrd; the old echo channel is replaced. */
	assert_int_equal(nx_chan_pair(fds), 0);
	f->echo_conn = nx_rpc_conn_free(f->echo_conn);
	assert_int_equal(
	        nx_rpc_conn_new(nexus_loop(f->nx), fds[1], echo_cap(f->echo), &f->echo_conn), 0);
	assert_int_equal(
	        nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, fds[0], &ep), 0);
	(void)samgr_resolve_return(in, ep); /* the results hold their own reference */
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	return 0;
}

static const struct samgr_server samgr_vt = {.resolve = serve_resolve};

static void on_gone(nexus *nx, const char *name, int error, void *userdata)
{
	struct fake *f = userdata;

	assert_true(error < 0);
	f->gone++;
	snprintf(f->gone_name, sizeof(f->gone_name), "%s", name);
}

/* The fake's servers, not connected yet. */
static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->listen_fd = -1;
	assert_int_equal(samgr_server_new(&samgr_vt, f, NULL, &f->samgr), 0);
	assert_int_equal(echo_server_new(&echo_vt, f, NULL, &f->echo), 0);
}

/* Serves the fake samgrd on `fd` (taken), on the nexus's loop, replacing the last channel. */
static void fake_serve_samgr(struct fake *f, int fd)
{
	f->samgr_conn = nx_rpc_conn_free(f->samgr_conn);
	assert_int_equal(
	        nx_rpc_conn_new(nexus_loop(f->nx), fd, samgr_cap(f->samgr), &f->samgr_conn), 0);
}

/* A fake with its samgr on the other end of a socketpair. */
static void fake_start(struct fake *f)
{
	int fds[2];

	fake_init(f);
	assert_int_equal(nx_chan_pair(fds), 0);
	assert_int_equal(nexus_connect_fd(fds[0], &f->nx), 0);
	fake_serve_samgr(f, fds[1]);
	nexus_set_gone_cb(f->nx, on_gone, f);
}

static void fake_stop(struct fake *f)
{
	if (f->held) {
		assert_true(nx_rpc_incoming_is_canceled(f->held));
		assert_int_equal(nx_rpc_incoming_failf(f->held, -EIO, "x"), 0);
	}
	f->echo_conn = nx_rpc_conn_free(f->echo_conn);
	f->samgr_conn = nx_rpc_conn_free(f->samgr_conn);
	nx_source_free(f->listen_src);
	if (f->listen_fd >= 0)
		nx_fd_close(f->listen_fd);
	f->nx = nexus_free(f->nx);
	nx_rpc_cap_unref(samgr_cap(f->samgr));
	nx_rpc_cap_unref(echo_cap(f->echo));
}

/* Calls Echo.echo(text) on `cap` the way a tool does: the generated blocking call with the
 * handle's deadline, a failure kept by the handle. 0 or the negative errno. */
static int echo_call(struct fake *f, nx_rpc_cap *cap, const char *text)
{
	echo_echo_results out;
	nx_rpc_call *call;
	const char *back;
	size_t len;
	int r;

	r = echo_echo_wait(echo_from_cap(cap), text, nexus_deadline(f->nx), &call, &out);
	if (r < 0) {
		r = nexus_call_failed(f->nx, call, r, "echo");
	} else {
		assert_int_equal(echo_echo_results_get_text(out, &back, &len), 0);
		assert_int_equal(len, strlen(text));
		assert_memory_equal(back, text, len);
	}
	nx_rpc_call_free(call);
	return r;
}

/* ---- connect ----------------------------------------------------------------------------- */

static void test_connect_errors(void **state)
{
	int before = fdcheck_count();
	char longdir[400];
	nexus *nx = NULL;

	unsetenv("NEXUS_BOOTSTRAP_FD");
	setenv("NEXUS_RUNTIME_DIR", "/nonexistent-nexus-dir", 1);
	assert_int_equal(nexus_connect(&nx), -ENOENT);
	assert_null(nx);
	assert_string_equal(nexus_last_error(NULL),
	        "not_found: /nonexistent-nexus-dir/samgr.sock: No such file or directory");

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	setenv("NEXUS_RUNTIME_DIR", longdir, 1);
	assert_int_equal(nexus_connect(&nx), -ENAMETOOLONG);
	assert_null(nx);
	assert_non_null(strstr(nexus_last_error(NULL), "NEXUS_RUNTIME_DIR"));

	setenv("NEXUS_BOOTSTRAP_FD", "3x", 1);
	assert_int_equal(nexus_connect(&nx), -EBADF);
	assert_non_null(strstr(nexus_last_error(NULL), "NEXUS_BOOTSTRAP_FD"));
	unsetenv("NEXUS_BOOTSTRAP_FD");

	assert_int_equal(nexus_connect_fd(-1, &nx), -EBADF);
	assert_null(nx);
	assert_int_equal(nexus_connect(NULL), -EINVAL);
	assert_null(nexus_free(NULL));
	unsetenv("NEXUS_RUNTIME_DIR");
	fdcheck_assert(before);
}

/* ---- resolve ----------------------------------------------------------------------------- */

static void test_resolve_not_found(void **state)
{
	int before = fdcheck_count();
	nx_rpc_cap *cap = NULL;
	struct fake f;

	fake_start(&f);
	assert_int_equal(nexus_resolve(f.nx, "nosuch", &cap), -ENOENT);
	assert_null(cap);
	assert_string_equal(nexus_last_error(f.nx), "not_found: nobody registered it");
	assert_int_equal(nexus_resolve(f.nx, "secret", &cap), -EPERM);
	assert_null(cap);
	assert_string_equal(
	        nexus_last_error(f.nx), "denied: this subject does not hold ipc.connect.secret");
	/* Failures are not cached. */
	assert_int_equal(nexus_resolve(f.nx, "nosuch", &cap), -ENOENT);
	assert_int_equal(f.resolves, 3);
	assert_int_equal(nexus_resolve(f.nx, NULL, &cap), -EINVAL);
	assert_int_equal(nexus_resolve(f.nx, "echod", NULL), -EINVAL);
	assert_int_equal(nexus_resolve(NULL, "echod", &cap), -EINVAL);
	fake_stop(&f);
	fdcheck_assert(before);
}

static void test_resolve_cached(void **state)
{
	int before = fdcheck_count();
	nx_rpc_cap *a = NULL, *b = NULL;
	struct fake f;

	fake_start(&f);
	assert_int_equal(nexus_resolve(f.nx, "echod", &a), 0);
	assert_string_equal(nexus_last_error(f.nx), "");
	assert_int_equal(echo_call(&f, a, "one"), 0);
	assert_int_equal(nexus_resolve(f.nx, "echod", &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(echo_call(&f, b, "two"), 0);
	assert_int_equal(f.resolves, 1);
	assert_int_equal(f.echoes, 2);
	nx_rpc_cap_unref(a);
	nx_rpc_cap_unref(b);
	fake_stop(&f);
	fdcheck_assert(before);
}

/* The service dies (its channel closes), comes back: the next resolve asks samgrd again and
 * calls work; the old cap only fails. */
static void test_reresolve_after_restart(void **state)
{
	int before = fdcheck_count();
	nx_rpc_cap *old = NULL, *cap = NULL;
	struct fake f;

	fake_start(&f);
	assert_int_equal(nexus_resolve(f.nx, "echod", &old), 0);
	assert_int_equal(echo_call(&f, old, "before"), 0);

	f.echo_conn = nx_rpc_conn_free(f.echo_conn); /* echod killed */
	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), 0);
	assert_int_equal(f.gone, 1);
	assert_string_equal(f.gone_name, "echod");
	assert_int_equal(f.resolves, 2);
	assert_ptr_not_equal(cap, old);
	assert_int_equal(echo_call(&f, cap, "after"), 0);
	assert_int_equal(echo_call(&f, old, "stale"), -ENOTCONN); /* its channel is gone */
	assert_non_null(strstr(nexus_last_error(f.nx), "unavailable"));
	nx_rpc_cap_unref(old);
	nx_rpc_cap_unref(cap);
	fake_stop(&f);
	fdcheck_assert(before);
}

/* Generated validation answers before the fake's handlers run, naming the field; the handle
 * keeps that reason. */
static void test_invalid_params_name_the_field(void **state)
{
	int before = fdcheck_count();
	nx_rpc_cap *cap = NULL;
	char text[ECHO_TEXT_MAX_LEN + 2];
	struct fake f;

	fake_start(&f);
	assert_int_equal(nexus_resolve(f.nx, "", &cap), -EINVAL);
	assert_null(cap);
	assert_string_equal(nexus_last_error(f.nx), "invalid_argument: name: empty");
	assert_int_equal(f.resolves, 0);

	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), 0);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0'; /* one byte over the schema's limit */
	assert_int_equal(echo_call(&f, cap, text), -EMSGSIZE);
	assert_string_equal(nexus_last_error(f.nx), "too_large: text: longer than 256 bytes");
	text[ECHO_TEXT_MAX_LEN] = '\0'; /* at the limit */
	assert_int_equal(echo_call(&f, cap, text), 0);
	assert_int_equal(f.echoes, 1);
	nx_rpc_cap_unref(cap);
	fake_stop(&f);
	fdcheck_assert(before);
}

/* nexus_call_wait(): the untyped wait, for a call built with the generated _start(). */
static void test_call_wait(void **state)
{
	int before = fdcheck_count();
	const nx_rpc_result *res = NULL;
	echo_echo_params_b params;
	echo_echo_results out;
	nx_rpc_cap *cap = NULL;
	nx_rpc_call *call;
	const char *subject;
	size_t len;
	struct fake f;

	fake_start(&f);
	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), 0);
	assert_int_equal(echo_echo_start(echo_from_cap(cap), &call, &params), 0);
	assert_int_equal(echo_echo_params_set_text(params, "untyped", 7), 0);
	assert_int_equal(nexus_call_wait(f.nx, call, "echo", &res), 0);
	out.s = res->results;
	assert_int_equal(echo_echo_results_validate(&out.s, NULL), 0);
	assert_int_equal(echo_echo_results_get_subject(out, &subject, &len), 0);
	assert_string_equal(subject, "uid:test");
	nx_rpc_call_free(call);
	assert_int_equal(nexus_call_wait(f.nx, NULL, "echo", &res), -EINVAL);
	assert_string_equal(nexus_last_error(f.nx), "invalid_argument: echo: Invalid argument");
	assert_int_equal(nexus_call_wait(NULL, NULL, NULL, NULL), -EINVAL);
	nx_rpc_cap_unref(cap);
	fake_stop(&f);
	fdcheck_assert(before);
}

static void test_timeout(void **state)
{
	int before = fdcheck_count();
	nx_rpc_cap *cap = NULL;
	struct fake f;

	fake_start(&f);
	nexus_set_timeout(f.nx, 1000 * 1000); /* 1 ms: the fake never answers "slow" */
	assert_int_equal(nexus_resolve(f.nx, "slow", &cap), -ETIMEDOUT);
	assert_null(cap);
	assert_string_equal(nexus_last_error(f.nx), "timeout: resolve slow: Connection timed out");
	nexus_set_timeout(f.nx, UINT64_MAX);
	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), 0);
	nx_rpc_cap_unref(cap);
	fake_stop(&f);
	fdcheck_assert(before);
}

/* A process started by nexus-init/execd: the channel to samgrd is an inherited fd, named by
 * $NEXUS_BOOTSTRAP_FD, and taken by the nexus. */
static void test_connect_bootstrap_fd(void **state)
{
	int before = fdcheck_count();
	nx_rpc_cap *cap = NULL;
	struct fake f;
	char num[16];
	int fds[2];

	fake_init(&f);
	assert_int_equal(nx_chan_pair(fds), 0);
	snprintf(num, sizeof(num), "%d", fds[0]);
	setenv("NEXUS_BOOTSTRAP_FD", num, 1);
	setenv("NEXUS_RUNTIME_DIR", "/nonexistent-nexus-dir", 1); /* not used */
	assert_int_equal(nexus_connect(&f.nx), 0);
	unsetenv("NEXUS_BOOTSTRAP_FD");
	unsetenv("NEXUS_RUNTIME_DIR");
	fake_serve_samgr(&f, fds[1]);
	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), 0);
	assert_int_equal(echo_call(&f, cap, "inherited"), 0);
	nx_rpc_cap_unref(cap);
	/* Without a path there is nothing to reconnect to. */
	f.samgr_conn = nx_rpc_conn_free(f.samgr_conn);
	f.echo_conn = nx_rpc_conn_free(f.echo_conn);
	cap = NULL;
	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), -ENOTCONN);
	assert_null(cap);
	assert_string_equal(
	        nexus_last_error(f.nx), "unavailable: samgrd: Transport endpoint is not connected");
	fake_stop(&f); /* closes fds[0] with the nexus */
	fdcheck_assert(before);
}

/* ---- connect by path, reconnect ---------------------------------------------------------- */

static void on_accept(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct fake *f = userdata;
	int cfd;

	if (nx_accept(fd, &cfd) == 0)
		fake_serve_samgr(f, cfd);
}

static void test_connect_path_and_reconnect(void **state)
{
	int before = fdcheck_count();
	char dir[] = "/tmp/libnexus-test-XXXXXX", path[64];
	nx_rpc_cap *cap = NULL, *samgr = NULL;
	struct fake f;

	fake_init(&f);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/samgr.sock", dir);
	assert_int_equal(nx_listen_unix(path, 0600, &f.listen_fd), 0);
	setenv("NEXUS_RUNTIME_DIR", dir, 1);
	assert_int_equal(nexus_connect(&f.nx), 0); /* accepted from the loop, on the first call */
	assert_int_equal(nx_loop_add_fd(nexus_loop(f.nx), f.listen_fd, NX_EV_IN, on_accept, &f,
	                         &f.listen_src),
	        0);
	assert_int_equal(nexus_resolve(f.nx, "nosuch", &cap), -ENOENT);
	assert_int_equal(nexus_samgr(f.nx, &samgr), 0);
	samgr = nx_rpc_cap_unref(samgr);

	f.samgr_conn = nx_rpc_conn_free(f.samgr_conn); /* samgrd restarted */
	assert_int_equal(nexus_resolve(f.nx, "echod", &cap), 0);
	assert_int_equal(echo_call(&f, cap, "again"), 0);
	assert_int_equal(f.resolves, 2);
	nx_rpc_cap_unref(cap);
	fake_stop(&f);
	unlink(path);
	rmdir(dir);
	unsetenv("NEXUS_RUNTIME_DIR");
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_connect_errors),
	        cmocka_unit_test(test_resolve_not_found),
	        cmocka_unit_test(test_resolve_cached),
	        cmocka_unit_test(test_reresolve_after_restart),
	        cmocka_unit_test(test_invalid_params_name_the_field),
	        cmocka_unit_test(test_call_wait),
	        cmocka_unit_test(test_timeout),
	        cmocka_unit_test(test_connect_bootstrap_fd),
	        cmocka_unit_test(test_connect_path_and_reconnect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
