/* SPDX-License-Identifier: MIT */
/*
 * gate-probe: one client of tests/e2e/gated.c over one channel. Resolves "gated" through
 * $NEXUS_RUNTIME_DIR/samgr.sock once, then for each line of stdin calls Echo.echo(line) on
 * the channel it got and prints "probe: <line> ok" or "probe: <line> <exception reason>".
 * Keeping one channel lets the test see policyd's answers cached per connection and dropped
 * on a reload. Exit 0 at EOF, 1 if the channel could not be had, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "samgr.capnp.h"

#define TIMEOUT_NS (60ull * 1000 * 1000 * 1000)

/* A channel of our own to `name`: 0 with conn and its bootstrap, or a negative errno. */
static int resolve(nx_loop *loop, struct samgr *samgr, const char *name, nx_rpc_conn **ret_conn,
        struct echo **ret_echo)
{
	struct nexus_endpoint *end = NULL;
	samgr_resolve_results out;
	nx_rpc_call *call;
	nx_rpc_cap *cap;
	int r, fd = -1;

	r = samgr_resolve_wait(samgr, name, nx_clock_monotonic_ns() + TIMEOUT_NS, &call, &out);
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, &end);
	if (r >= 0)
		fd = r = nx_rpc_cap_take_fd(nexus_endpoint_cap(end));
	nx_rpc_cap_unref(nexus_endpoint_cap(end));
	nx_rpc_call_free(call);
	if (r >= 0)
		r = nx_rpc_conn_new(loop, fd, NULL, ret_conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(*ret_conn, &cap);
	if (r >= 0)
		*ret_echo = echo_from_cap(cap);
	return r;
}

static void call_echo(struct echo *gated, const char *text)
{
	echo_echo_results out;
	nx_rpc_call *call;
	int r;

	r = echo_echo_wait(gated, text, nx_clock_monotonic_ns() + TIMEOUT_NS, &call, &out);
	if (r >= 0)
		printf("probe: %s ok\n", text);
	else if (call && nx_rpc_call_result(call))
		printf("probe: %s %s\n", text, nx_rpc_call_result(call)->reason);
	else
		printf("probe: %s %s\n", text, strerror(-r));
	nx_rpc_call_free(call);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	nx_rpc_conn *conn = NULL, *gconn = NULL;
	nx_rpc_cap *samgr = NULL;
	struct echo *gated = NULL;
	nx_loop *loop = NULL;
	char path[256], line[128];
	int fd, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir || argc != 1)
		return 2;
	snprintf(path, sizeof(path), "%s/samgr.sock", dir);
	r = nx_connect_unix(path, &fd);
	if (r >= 0 && (r = nx_loop_new(&loop)) < 0)
		nx_fd_close(fd);
	if (r >= 0)
		r = nx_rpc_conn_new(loop, fd, NULL, &conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &samgr);
	if (r >= 0)
		r = resolve(loop, samgr_from_cap(samgr), "gated", &gconn, &gated);
	if (r < 0)
		printf("probe: no channel to gated: %s\n", strerror(-r));
	else
		printf("probe: resolved\n");
	while (r >= 0 && fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		call_echo(gated, line);
	}
	nx_rpc_cap_unref(echo_cap(gated));
	nx_rpc_conn_free(gconn);
	nx_rpc_cap_unref(samgr);
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	return r < 0 ? 1 : 0;
}
