/* SPDX-License-Identifier: MIT */
/*
 * Calls into a running system (nexus-init started by scripts/bench.sh, its socket in
 * $NEXUS_RUNTIME_DIR/samgr.sock), one blocking call at a time:
 *
 *   bench-system resolve [--cpus same|split|free] [--iters N] [--rounds R]
 *       Samgr.resolve("echod") over samgr.sock, the endpoint closed after each call
 *       (bench=samgr-resolve). samgrd asks echod for a fresh channel every time.
 *   bench-system call [--cpus same|split|free] [--iters N] [--rounds R]
 *       resolves echod once, then Echo.echo("") on its channel in a loop (bench=echod-call).
 *   bench-system proxied [--cpus same|split|free] [--iters N] [--rounds R]
 *       resolves echod once, then Echo.echo("") on the Endpoint capability itself: samgrd
 *       forwards each call over its own channel to echod, as for a client that cannot take
 *       the fd (bench=echod-proxied).
 *
 * Only this process is pinned (to CPU 0); bench.sh pins the system it started (same: CPU 0,
 * split: CPU 1; free: nothing pinned). Same RESULT line as bench-nx-rpc.
 */
#include "bench-util.h"
#include "echo.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "samgr.capnp.h"

#define BS_WARMUP     200u
#define BS_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

/* Prints the reason of a failed call (the server's words) and frees the call. */
static int call_done(const char *what, nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	if (r < 0 && res && res->error < 0)
		(void)fprintf(stderr, "bench-system: %s: %s\n", what, res->reason);
	nx_rpc_call_free(call);
	return r;
}

static int resolve_echod(struct samgr *samgr, struct nexus_endpoint **ret_ep)
{
	samgr_resolve_results out;
	nx_rpc_call *call;
	int r;

	r = samgr_resolve_wait(
	        samgr, "echod", nx_clock_monotonic_ns() + BS_TIMEOUT_NS, &call, &out);
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, ret_ep);
	return call_done("resolve", call, r);
}

/* One resolve; dropping the endpoint closes its channel, which echod sees as a hangup. */
static int resolve_once(struct samgr *samgr)
{
	struct nexus_endpoint *ep = NULL;
	int r = resolve_echod(samgr, &ep);

	nx_rpc_cap_unref(nexus_endpoint_cap(ep)); /* takes NULL */
	return r;
}

static int echo_once(struct echo *echod)
{
	echo_echo_results out;
	nx_rpc_call *call;
	int r;

	r = echo_echo_wait(echod, "", nx_clock_monotonic_ns() + BS_TIMEOUT_NS, &call, &out);
	return call_done("echo", call, r);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR"), *cpus = "split";
	size_t iters = 2000, rounds = 3, i, k, n = 0;
	uint64_t *samples = NULL, round_ops[64];
	nx_rpc_conn *conn = NULL, *econn = NULL;
	nx_rpc_cap *samgr = NULL, *echod = NULL;
	struct nexus_endpoint *ep = NULL;
	nx_loop *loop = NULL;
	bool call, proxied;
	char path[256];
	int ac, fd, r;

	if (argc < 2 || (strcmp(argv[1], "resolve") != 0 && strcmp(argv[1], "call") != 0 &&
	                        strcmp(argv[1], "proxied") != 0))
		goto usage;
	proxied = !strcmp(argv[1], "proxied");
	call = proxied || !strcmp(argv[1], "call");
	for (ac = 2; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--cpus") && ac + 1 < argc)
			cpus = argv[++ac];
		else if (!strcmp(argv[ac], "--iters") && ac + 1 < argc)
			iters = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc)
			rounds = strtoul(argv[++ac], NULL, 10);
		else
			goto usage;
	}
	if (!dir || iters == 0 || rounds == 0 || rounds > 64 ||
	        (strcmp(cpus, "same") != 0 && strcmp(cpus, "split") != 0 &&
	                strcmp(cpus, "free") != 0))
		goto usage;
	if (strcmp(cpus, "free") != 0 && bench_pin(0) < 0)
		return 1;

	samples = calloc(iters * rounds, sizeof(*samples));
	if (!samples)
		return 1;
	(void)snprintf(path, sizeof(path), "%s/samgr.sock", dir);
	r = nx_connect_unix(path, &fd);
	if (r >= 0 && (r = nx_loop_new(&loop)) < 0)
		nx_fd_close(fd);
	if (r >= 0)
		r = nx_rpc_conn_new(loop, fd, NULL, &conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &samgr);
	if (r >= 0 && proxied) {
		r = resolve_echod(samgr_from_cap(samgr), &ep);
		echod = r >= 0 ? nx_rpc_cap_ref(nexus_endpoint_cap(ep)) : NULL;
	} else if (r >= 0 && call) {
		r = resolve_echod(samgr_from_cap(samgr), &ep);
		fd = r >= 0 ? nx_rpc_cap_take_fd(nexus_endpoint_cap(ep)) : r;
		r = fd;
		if (r >= 0)
			r = nx_rpc_conn_new(loop, fd, NULL, &econn);
		if (r >= 0)
			r = nx_rpc_conn_bootstrap(econn, &echod);
	}
	if (r < 0) {
		(void)fprintf(stderr, "bench-system: setup failed: %s\n", strerror(-r));
		goto out;
	}

	for (i = 0; i < BS_WARMUP && r >= 0; i++)
		r = call ? echo_once(echo_from_cap(echod)) : resolve_once(samgr_from_cap(samgr));
	for (k = 0; k < rounds && r >= 0; k++) {
		uint64_t start = bench_now_ns(), t0 = start, t1;

		for (i = 0; i < iters && r >= 0; i++) {
			r = call ? echo_once(echo_from_cap(echod))
			         : resolve_once(samgr_from_cap(samgr));
			t1 = bench_now_ns();
			samples[n++] = t1 - t0;
			t0 = t1;
		}
		round_ops[k] = (uint64_t)((double)iters * 1e9 / (double)(t0 - start));
	}
	if (r < 0)
		(void)fprintf(stderr, "bench-system: %s failed: %s\n", argv[1], strerror(-r));
	else
		bench_report_latency(proxied ? "echod-proxied"
		                     : call  ? "echod-call"
		                             : "samgr-resolve",
		        !strcmp(cpus, "free")   ? "free"
		        : !strcmp(cpus, "same") ? "same-cpu"
		                                : "split-cpu",
		        samples, n, round_ops, rounds);
out:
	nx_rpc_cap_unref(echod);
	nx_rpc_conn_free(econn);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_cap_unref(samgr);
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	free(samples);
	return r < 0 ? 1 : 0;

usage:
	(void)fprintf(stderr, "usage: bench-system resolve|call|proxied [--cpus same|split|free] "
	                      "[--iters N] [--rounds 1..64] (needs $NEXUS_RUNTIME_DIR)\n");
	return 2;
}
