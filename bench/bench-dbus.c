/* SPDX-License-Identifier: MIT */
/*
 * The same null call through D-Bus, for comparison with bench-system call: a tiny echo
 * service (a child process, libdbus) owns org.nexus.BenchEcho on a private bus and answers
 * Echo(s) -> s; the client calls it with dbus_connection_send_with_reply_and_block, one call
 * at a time. Every call crosses the bus daemon twice (client -> daemon -> service and back).
 *
 *   bench-dbus --address ADDR [--cpus same|split|free] [--iters N] [--rounds R]
 *
 * The client is pinned to CPU 0, the service to CPU 0 (same) or 1 (split); bench.sh pins the
 * dbus-daemon it started beside the service. Same RESULT line as bench-nx-rpc.
 */
#include <dbus/dbus.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "bench-util.h"

#define BD_NAME    "org.nexus.BenchEcho"
#define BD_PATH    "/org/nexus/BenchEcho"
#define BD_IFACE   "org.nexus.BenchEcho"
#define BD_WARMUP  200u
#define BD_TIMEOUT 5000 /* ms, per call */

static DBusConnection *bus_open(const char *address)
{
	DBusConnection *conn;
	DBusError err;

	dbus_error_init(&err);
	conn = dbus_connection_open_private(address, &err);
	if (conn && !dbus_bus_register(conn, &err)) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		conn = NULL;
	}
	if (!conn) {
		(void)fprintf(stderr, "bench-dbus: %s: %s\n", address, err.message);
		dbus_error_free(&err);
	}
	return conn;
}

/* The service: owns the name, says so on `ready`, answers until the bus goes away. */
static void serve(const char *address, int cpu, int ready)
{
	DBusConnection *conn;
	DBusMessage *msg, *reply;
	DBusError err;
	const char *text;

	if (cpu >= 0 && bench_pin(cpu) < 0)
		_exit(1);
	conn = bus_open(address);
	if (!conn)
		_exit(1);
	dbus_error_init(&err);
	if (dbus_bus_request_name(conn, BD_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err) !=
	        DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
		_exit(1);
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	while (dbus_connection_read_write(conn, -1)) {
		while ((msg = dbus_connection_pop_message(conn))) {
			if (dbus_message_is_method_call(msg, BD_IFACE, "Echo") &&
			        dbus_message_get_args(
			                msg, &err, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID)) {
				reply = dbus_message_new_method_return(msg);
				if (reply && dbus_message_append_args(reply, DBUS_TYPE_STRING,
				                     &text, DBUS_TYPE_INVALID))
					dbus_connection_send(conn, reply, NULL);
				if (reply)
					dbus_message_unref(reply);
			}
			dbus_error_free(&err);
			dbus_message_unref(msg);
		}
	}
	_exit(0);
}

static int echo_once(DBusConnection *conn)
{
	DBusMessage *msg, *reply;
	const char *text = "";
	DBusError err;
	int r = 0;

	msg = dbus_message_new_method_call(BD_NAME, BD_PATH, BD_IFACE, "Echo");
	if (!msg || !dbus_message_append_args(msg, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID)) {
		if (msg)
			dbus_message_unref(msg);
		return -ENOMEM;
	}
	dbus_error_init(&err);
	reply = dbus_connection_send_with_reply_and_block(conn, msg, BD_TIMEOUT, &err);
	dbus_message_unref(msg);
	if (!reply) {
		(void)fprintf(stderr, "bench-dbus: Echo: %s\n", err.message);
		dbus_error_free(&err);
		return -EPROTO;
	}
	if (!dbus_message_get_args(reply, &err, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID)) {
		dbus_error_free(&err);
		r = -EBADMSG;
	}
	dbus_message_unref(reply);
	return r;
}

int main(int argc, char **argv)
{
	const char *address = NULL, *cpus = "split";
	size_t iters = 2000, rounds = 3, i, k, n = 0;
	uint64_t *samples, round_ops[64];
	DBusConnection *conn = NULL;
	int ac, p[2], r = 0;
	bool pinned;
	char c;
	pid_t pid;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--address") && ac + 1 < argc)
			address = argv[++ac];
		else if (!strcmp(argv[ac], "--cpus") && ac + 1 < argc)
			cpus = argv[++ac];
		else if (!strcmp(argv[ac], "--iters") && ac + 1 < argc)
			iters = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc)
			rounds = strtoul(argv[++ac], NULL, 10);
		else
			goto usage;
	}
	if (!address || iters == 0 || rounds == 0 || rounds > 64 ||
	        (strcmp(cpus, "same") != 0 && strcmp(cpus, "split") != 0 &&
	                strcmp(cpus, "free") != 0))
		goto usage;
	pinned = strcmp(cpus, "free") != 0;

	if (pipe(p) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(p[0]);
		serve(address, pinned ? (strcmp(cpus, "same") != 0 ? 1 : 0) : -1, p[1]);
	}
	close(p[1]);
	samples = calloc(iters * rounds, sizeof(*samples));
	if (!samples || (pinned && bench_pin(0) < 0) || read(p[0], &c, 1) != 1 ||
	        !(conn = bus_open(address))) {
		(void)fprintf(stderr, "bench-dbus: setup failed\n");
		r = -EIO;
		goto out;
	}

	for (i = 0; i < BD_WARMUP && r == 0; i++)
		r = echo_once(conn);
	for (k = 0; k < rounds && r == 0; k++) {
		uint64_t start = bench_now_ns(), t0 = start, t1;

		for (i = 0; i < iters && r == 0; i++) {
			r = echo_once(conn);
			t1 = bench_now_ns();
			samples[n++] = t1 - t0;
			t0 = t1;
		}
		round_ops[k] = (uint64_t)((double)iters * 1e9 / (double)(t0 - start));
	}
	if (r == 0)
		bench_report_latency("dbus-call",
		        !pinned                 ? "free"
		        : !strcmp(cpus, "same") ? "same-cpu"
		                                : "split-cpu",
		        samples, n, round_ops, rounds);
out:
	close(p[0]);
	if (conn) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(samples);
	return r < 0 ? 1 : 0;

usage:
	(void)fprintf(stderr, "usage: bench-dbus --address ADDR [--cpus same|split|free] "
	                      "[--iters N] [--rounds 1..64]\n");
	return 2;
}
