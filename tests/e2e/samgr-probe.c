/* SPDX-License-Identifier: MIT */
/*
 * samgr-probe: calls what `nx` never would, to test samgrd's refusals end to end.
 *   samgr-probe register NAME   Samgr.register(NAME, <a ServiceHost>) over samgr.sock
 *   samgr-probe watch NAME [N]  Samgr.watch(NAME, <a ServiceWatcher>), then waits for N
 *                               (default 1) changed() calls and prints each
 *   samgr-probe resolve-many NAME N
 *                               resolves NAME up to N times, holding every channel, and stops
 *                               at the first refusal: prints "probe: resolved <k>" then it
 * Prints "probe: ok" or "probe: <exception reason>"; exit 0 on success, 1 on refusal, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "samgr.capnp.h"

#define TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

static int host_accept(void *impl, nx_rpc_incoming *in, nexus_service_host_accept_params params)
{
	return -EOPNOTSUPP;
}

static const struct nexus_service_host_server host_vt = {.accept = host_accept};

static int changed_seen;

static int watcher_changed(void *impl, nx_rpc_incoming *in, samgr_service_watcher_changed_params p)
{
	const char *name;
	size_t len;

	(void)samgr_service_watcher_changed_params_get_name(p, &name, &len); /* validated */
	printf("probe: changed %s %s\n", name,
	        samgr_service_watcher_changed_params_get_up(p) ? "up" : "down");
	changed_seen++;
	return nx_rpc_incoming_return(in);
}

static const struct samgr_service_watcher_server watcher_vt = {.changed = watcher_changed};

/* Prints why the blocking call `call` failed with `r`: the exception's reason, or strerror. */
static void print_failure(const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	printf("probe: %s\n", res && res->reason ? res->reason : strerror(-r));
}

/* Resolves `name` up to `n` times, keeping each endpoint so the service holds n channels. */
static int resolve_many(struct samgr *samgr, const char *name, unsigned n)
{
	struct nexus_endpoint **held = calloc(n, sizeof(*held));
	samgr_resolve_results out;
	nx_rpc_call *call;
	unsigned k = 0;
	int r = 0;

	if (!held)
		return 1;
	for (; k < n; k++) {
		r = samgr_resolve_wait(
		        samgr, name, nx_clock_monotonic_ns() + TIMEOUT_NS, &call, &out);
		if (r >= 0)
			r = samgr_resolve_results_get_endpoint(out, &held[k]);
		if (r < 0) {
			printf("probe: resolved %u\n", k);
			print_failure(call, r);
			nx_rpc_call_free(call);
			break;
		}
		nx_rpc_call_free(call);
	}
	if (k == n)
		printf("probe: resolved %u\n", k);
	for (unsigned i = 0; i < k; i++)
		nx_rpc_cap_unref(nexus_endpoint_cap(held[i]));
	free(held);
	return k == n ? 0 : 1;
}

/* Samgr.register(name, <a ServiceHost>) or Samgr.watch(name, <a ServiceWatcher>), blocking. */
static int register_or_watch(struct samgr *samgr, bool watch, const char *name,
        nx_rpc_cap **ret_obj, nx_rpc_call **ret_call)
{
	uint64_t deadline = nx_clock_monotonic_ns() + TIMEOUT_NS;
	struct samgr_service_watcher *watcher = NULL;
	struct nexus_service_host *host = NULL;
	samgr_register_results rout;
	samgr_watch_results wout;
	int r;

	*ret_call = NULL;
	if (watch) {
		r = samgr_service_watcher_server_new(&watcher_vt, NULL, NULL, &watcher);
		*ret_obj = samgr_service_watcher_cap(watcher);
		if (r >= 0)
			r = samgr_watch_wait(samgr, name, watcher, deadline, ret_call, &wout);
	} else {
		r = nexus_service_host_server_new(&host_vt, NULL, NULL, &host);
		*ret_obj = nexus_service_host_cap(host);
		if (r >= 0)
			r = samgr_register_wait(samgr, name, host, deadline, ret_call, &rout);
	}
	return r;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	nx_rpc_cap *samgr = NULL;
	nx_rpc_conn *conn = NULL;
	nx_rpc_call *call = NULL;
	nx_loop *loop = NULL;
	nx_rpc_cap *obj = NULL;
	uint64_t deadline;
	bool watch;
	int want;
	char path[256];
	int fd, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "resolve-many") == 0 && dir) {
		snprintf(path, sizeof(path), "%s/samgr.sock", dir);
		r = nx_connect_unix(path, &fd);
		if (r >= 0 && (r = nx_loop_new(&loop)) < 0)
			nx_fd_close(fd);
		if (r >= 0)
			r = nx_rpc_conn_new(loop, fd, NULL, &conn);
		if (r >= 0)
			r = nx_rpc_conn_bootstrap(conn, &samgr);
		r = r < 0 ? 1
		          : resolve_many(samgr_from_cap(samgr), argv[2], (unsigned)atoi(argv[3]));
		nx_rpc_cap_unref(samgr);
		nx_rpc_conn_free(conn);
		nx_loop_free(loop);
		return r;
	}
	watch = argc >= 3 && strcmp(argv[1], "watch") == 0;
	if (!dir || (argc != 3 && !(watch && argc == 4)) ||
	        (!watch && strcmp(argv[1], "register") != 0))
		return 2;
	want = argc == 4 ? atoi(argv[3]) : 1;
	snprintf(path, sizeof(path), "%s/samgr.sock", dir);
	r = nx_connect_unix(path, &fd);
	if (r >= 0 && (r = nx_loop_new(&loop)) < 0)
		nx_fd_close(fd);
	if (r >= 0)
		r = nx_rpc_conn_new(loop, fd, NULL, &conn);
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &samgr);
	if (r >= 0)
		r = register_or_watch(samgr_from_cap(samgr), watch, argv[2], &obj, &call);
	if (r < 0) {
		print_failure(call, r);
		r = 1;
	} else {
		printf("probe: ok\n");
		r = 0;
		deadline = nx_clock_monotonic_ns() + 4 * TIMEOUT_NS;
		while (watch && changed_seen < want && nx_clock_monotonic_ns() < deadline)
			nx_loop_run_once(loop, 100ull * 1000 * 1000);
		if (watch && changed_seen < want)
			r = 1;
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(obj);
	nx_rpc_cap_unref(samgr);
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	return r;
}
