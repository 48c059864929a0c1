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

static int host_accept(void *impl, nx_rpc_incoming *in, ServiceHost_accept_Params params)
{
	return -EOPNOTSUPP;
}

static const struct ServiceHost_server host_vt = {.accept = host_accept};

static int changed_seen;

static int watcher_changed(void *impl, nx_rpc_incoming *in, ServiceWatcher_changed_Params p)
{
	const char *name;
	size_t len;

	if (ServiceWatcher_changed_Params_get_name(p, &name, &len) == 0)
		printf("probe: changed %.*s %s\n", (int)len, name,
		        ServiceWatcher_changed_Params_get_up(p) ? "up" : "down");
	changed_seen++;
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct ServiceWatcher_server watcher_vt = {.changed = watcher_changed};

/* Resolves `name` up to `n` times, keeping each endpoint so the service holds n channels. */
static int resolve_many(nx_rpc_cap *samgr, const char *name, unsigned n)
{
	nx_rpc_cap **held = calloc(n, sizeof(nx_rpc_cap *));
	const nx_rpc_result *res = NULL;
	Samgr_resolve_Params_b params;
	nx_rpc_call *call;
	nx_capnp_ptr p;
	unsigned k = 0;
	int r = 0;

	if (!held)
		return 1;
	for (; k < n; k++) {
		r = Samgr_resolve_new(samgr, &call, &params);
		if (r >= 0)
			r = Samgr_resolve_Params_set_name(params, name, strlen(name));
		if (r >= 0)
			r = nx_rpc_call_wait(call, nx_clock_monotonic_ns() + TIMEOUT_NS, &res);
		if (r >= 0 && res->error == 0) {
			p = nx_capnp_struct_ptr(&res->results, 0);
			r = nx_rpc_call_result_cap_at(call, &p, &held[k]);
		}
		if (r < 0 || res->error < 0) {
			printf("probe: resolved %u\nprobe: %s\n", k,
			        r < 0 ? strerror(-r) : res->reason);
			nx_rpc_call_free(call);
			break;
		}
		nx_rpc_call_free(call);
	}
	if (k == n)
		printf("probe: resolved %u\n", k);
	for (unsigned i = 0; i < k; i++)
		nx_rpc_cap_unref(held[i]);
	free(held);
	return k == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	const nx_rpc_result *res = NULL;
	nx_rpc_cap *samgr = NULL, *obj = NULL;
	nx_rpc_conn *conn = NULL;
	nx_rpc_call *call = NULL;
	Samgr_watch_Params_b wp;
	Samgr_register_Params_b rp;
	nx_loop *loop = NULL;
	uint64_t deadline;
	bool watch;
	int want;
	char path[256];
	uint32_t index;
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
		r = r < 0 ? 1 : resolve_many(samgr, argv[2], (unsigned)atoi(argv[3]));
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
		r = watch ? ServiceWatcher_server_new(&watcher_vt, NULL, NULL, &obj)
		          : ServiceHost_server_new(&host_vt, NULL, NULL, &obj);
	if (r >= 0)
		r = watch ? Samgr_watch_new(samgr, &call, &wp)
		          : Samgr_register_new(samgr, &call, &rp);
	if (r >= 0)
		r = nx_rpc_call_add_cap(call, obj, &index);
	if (r >= 0 && watch) {
		r = Samgr_watch_Params_set_name(wp, argv[2], strlen(argv[2]));
		if (r >= 0)
			r = Samgr_watch_Params_set_cb(wp, index);
	} else if (r >= 0) {
		r = Samgr_register_Params_set_name(rp, argv[2], strlen(argv[2]));
		if (r >= 0)
			r = Samgr_register_Params_set_host(rp, index);
	}
	if (r >= 0)
		r = nx_rpc_call_wait(call, nx_clock_monotonic_ns() + TIMEOUT_NS, &res);
	if (r < 0) {
		printf("probe: %s\n", strerror(-r));
		r = 1;
	} else if (res->error < 0) {
		printf("probe: %s\n", res->reason);
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
