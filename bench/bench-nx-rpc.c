/* SPDX-License-Identifier: MIT */
/*
 * The nx-rpc null call: our client calling Interop.ping() (interop.capnp) on our server in
 * another process over an nx-abi channel, one blocking call (nx_rpc_call_wait) at a time.
 * Same options and RESULT line as bench-cxx-rpc, so scripts/bench.sh prints it beside the
 * libcapnp figure and the raw floor.
 *
 *   bench-nx-rpc [--cpus same|split] [--iters N] [--rounds R] [--server-exe PATH]
 *
 * --server-exe runs PATH --fd N as the server instead (interop-cxx-server: our client
 * against the libcapnp server, reported as nx-client-cxx-server).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "interop-util.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-rpc/rpc.h"

#define NXB_WARMUP 1000u
#define NXB_PING   0 /* Interop.ping @0 */

static int ping_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	if (interface_id != INTEROP_ID_INTEROP || method_id != NXB_PING)
		return -ENOSYS;
	/* `in` is freed in every case; a ping the caller canceled is not our failure. */
	(void)nx_rpc_incoming_return(in);
	return 0;
}

static const struct nx_rpc_server_ops ping_ops = {
        .dispatch = ping_dispatch,
        .destroy = NULL,
};

static void on_disconnect(nx_rpc_conn *conn, int error, void *userdata)
{
	nx_loop_quit(nx_rpc_conn_loop(conn), 0);
}

static void serve(int fd, int cpu)
{
	nx_loop *loop = NULL;
	nx_rpc_cap *root = NULL;
	nx_rpc_conn *conn = NULL;

	if (bench_pin(cpu) < 0 || nx_loop_new(&loop) < 0 ||
	        nx_rpc_server_new(&ping_ops, NULL, &root) < 0)
		_exit(1);
	/* The connection takes fd, also on failure. */
	if (nx_rpc_conn_new(loop, fd, root, &conn) < 0)
		_exit(1);
	nx_rpc_conn_set_disconnect_cb(conn, on_disconnect, NULL);
	nx_loop_run(loop);
	nx_rpc_conn_free(conn);
	nx_rpc_cap_unref(root);
	nx_loop_free(loop);
	_exit(0);
}

/* The server as another program, given its end of the channel as --fd N. */
static void exec_server(const char *exe, int fd, int cpu)
{
	char num[16];

	if (bench_pin(cpu) < 0 || fcntl(fd, F_SETFD, 0) < 0)
		_exit(1);
	(void)snprintf(num, sizeof(num), "%d", fd);
	execl(exe, exe, "--fd", num, (char *)NULL);
	(void)fprintf(stderr, "bench-nx-rpc: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}

static int ping(nx_rpc_cap *root)
{
	const nx_rpc_result *res;
	nx_capnp_bstruct params;
	nx_rpc_call *call;
	int r;

	r = nx_rpc_call_new(root, INTEROP_ID_INTEROP, NXB_PING, 0, 0, &call, &params);
	if (r < 0)
		return r;
	r = nx_rpc_call_wait(call, UINT64_MAX, &res);
	if (r == 0)
		r = res->error;
	nx_rpc_call_free(call);
	return r;
}

int main(int argc, char **argv)
{
	enum bench_cpus cpus = BENCH_CPUS_SPLIT;
	const char *server_exe = NULL;
	size_t iters = 5000, rounds = 5, i, r, n = 0;
	uint64_t *samples, round_ops[64];
	nx_loop *loop = NULL;
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *root = NULL;
	int sv[2], ac, err = 0, chan;
	pid_t pid;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--cpus") && ac + 1 < argc) {
			if (bench_parse_cpus(argv[++ac], &cpus) < 0)
				goto usage;
		} else if (!strcmp(argv[ac], "--iters") && ac + 1 < argc) {
			iters = strtoul(argv[++ac], NULL, 10);
		} else if (!strcmp(argv[ac], "--server-exe") && ac + 1 < argc) {
			server_exe = argv[++ac];
		} else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc) {
			rounds = strtoul(argv[++ac], NULL, 10);
		} else {
			goto usage;
		}
	}
	if (iters == 0 || rounds == 0 || rounds > 64)
		goto usage;

	if (nx_chan_pair(sv) < 0) {
		(void)fprintf(stderr, "bench-nx-rpc: channel pair failed\n");
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(sv[0]);
		if (server_exe)
			exec_server(server_exe, sv[1], bench_cpu_for(cpus, 1));
		serve(sv[1], bench_cpu_for(cpus, 1));
	}
	close(sv[1]);
	chan = sv[0];
	samples = calloc(iters * rounds, sizeof(*samples));
	if (!samples || bench_pin(bench_cpu_for(cpus, 0)) < 0 || nx_loop_new(&loop) < 0) {
		err = -ENOMEM;
		goto setup_failed;
	}
	/* The connection takes the channel, on failure too. */
	err = nx_rpc_conn_new(loop, chan, NULL, &conn);
	chan = -1;
	if (err == 0)
		err = nx_rpc_conn_bootstrap(conn, &root);
	if (err < 0)
		goto setup_failed;

	for (i = 0; i < NXB_WARMUP && err == 0; i++)
		err = ping(root);
	for (r = 0; r < rounds && err == 0; r++) {
		uint64_t start = bench_now_ns(), t0 = start, t1;

		for (i = 0; i < iters && err == 0; i++) {
			err = ping(root);
			t1 = bench_now_ns();
			samples[n++] = t1 - t0;
			t0 = t1;
		}
		round_ops[r] = (uint64_t)((double)iters * 1e9 / (double)(t0 - start));
	}
	if (err < 0)
		(void)fprintf(stderr, "bench-nx-rpc: call failed: %s\n", strerror(-err));
	else
		bench_report_latency(server_exe ? "nx-client-cxx-server" : "nx-rpc-null",
		        bench_cpus_name(cpus), samples, n, round_ops, rounds);

	goto out;

setup_failed:
	(void)fprintf(stderr, "bench-nx-rpc: setup failed: %s\n", strerror(-err));
out:
	nx_rpc_cap_unref(root);
	/* Closing our end is the server's signal to exit. */
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	if (chan >= 0)
		close(chan);
	if (err < 0)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(samples);
	return err < 0 ? 1 : 0;

usage:
	(void)fprintf(stderr,
	        "usage: bench-nx-rpc [--cpus same|split] [--iters N] [--rounds 1..64] "
	        "[--server-exe PATH]\n");
	return 2;
}
