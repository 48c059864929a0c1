/* SPDX-License-Identifier: MIT */
/*
 * example-client: connects to example-server and shows, one line each, a call, a capability
 * returned and called (with a pipelined call), a VMO passed as a capability, and a bad input
 * refused. Exits 0 when every step did what it says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "greeter.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

#define STEP_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)
#define BLOB_BYTES      (1u << 20)

static int failures;

static uint64_t deadline(void)
{
	return nx_clock_monotonic_ns() + STEP_TIMEOUT_NS;
}

/* `reason` is the section 9 sentence when there is one, else NULL. */
static void fail(const char *step, int err, const char *reason)
{
	failures++;
	printf("example-client: FAIL %s: %s\n", step, reason ? reason : strerror(-err));
}

/* The reason a failed blocking call holds, or NULL. */
static const char *reason_of(const nx_rpc_call *call)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	return res && res->reason && *res->reason ? res->reason : NULL;
}

static void show_call(struct greeter *greeter)
{
	greeter_greet_results out;
	nx_rpc_call *call;
	const char *msg;
	size_t len;
	int r;

	r = greeter_greet_wait(greeter, "newcomer", deadline(), &call, &out);
	if (r < 0) {
		fail("greet", r, reason_of(call));
	} else {
		(void)greeter_greet_results_get_message(
		        out, &msg, &len); /* results are validated */
		printf("example-client: call  greet(\"newcomer\") -> \"%s\"\n", msg);
	}
	nx_rpc_call_free(call);
}

static int64_t increment(struct greeter_counter *counter, const char *step)
{
	greeter_counter_increment_results out;
	nx_rpc_call *call;
	int64_t value = -1;
	int r;

	r = greeter_counter_increment_wait(counter, 1, deadline(), &call, &out);
	if (r < 0)
		fail(step, r, reason_of(call));
	else
		value = greeter_counter_increment_results_get_value(out);
	nx_rpc_call_free(call);
	return value;
}

/* newCounter's own answer, from the loop while the increments wait. */
static void counter_arrived(
        void *userdata, int error, const char *reason, greeter_new_counter_results results)
{
	if (error < 0)
		fail("newCounter", error, reason);
}

static void show_capability(struct greeter *greeter)
{
	greeter_new_counter_params_b params;
	struct greeter_counter *promised = NULL;
	nx_rpc_call *call;
	int64_t first, second;
	int r;

	r = greeter_new_counter_start(greeter, &call, &params);
	if (r < 0)
		return fail("newCounter", r, NULL);
	greeter_new_counter_params_set_start(params, 40);
	/* Pipelining: call the counter before newCounter has even been answered. */
	r = greeter_new_counter_pipeline_counter(call, &promised);
	if (r < 0) {
		nx_rpc_call_free(call);
		return fail("newCounter", r, NULL);
	}
	r = greeter_new_counter_send(call, counter_arrived, NULL); /* takes the call */
	if (r < 0) {
		nx_rpc_cap_unref(greeter_counter_cap(promised));
		return fail("newCounter", r, NULL);
	}
	first = increment(promised, "pipelined increment");
	second = increment(promised, "increment");
	if (first == 41 && second == 42)
		printf("example-client: cap   newCounter(40) -> Counter; increment(1) sent before "
		       "it arrived (pipelined) -> %lld; increment(1) -> %lld\n",
		        (long long)first, (long long)second);
	else if (first >= 0 && second >= 0)
		fail("counter values", -EIO, NULL);
	nx_rpc_cap_unref(greeter_counter_cap(promised));
}

/* Blob has no methods: the memory is the capability. */
static const struct greeter_blob_server blob_vt = {0};

/* A sealed memfd holding BLOB_BYTES of a pattern, wrapped as a Blob capability. */
static int make_blob(uint64_t *ret_sum, struct greeter_blob **ret)
{
	struct nx_vmo_map map;
	uint64_t sum = 0;
	int fd, r;

	r = nx_vmo_create("example-blob", BLOB_BYTES, &fd);
	if (r < 0)
		return r;
	r = nx_vmo_map_rw(fd, false, &map);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < map.size; i++) {
		((uint8_t *)map.addr)[i] = (uint8_t)(i * 31 + 7);
		sum += (uint8_t)(i * 31 + 7);
	}
	nx_vmo_unmap(&map);
	r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r < 0)
		goto fail;
	*ret_sum = sum;
	return greeter_blob_server_new_with_fd(&blob_vt, NULL, NULL, fd, ret); /* takes fd */
fail:
	nx_fd_close(fd);
	return r;
}

static void show_vmo(struct greeter *greeter)
{
	greeter_checksum_results out;
	struct greeter_blob *blob;
	nx_rpc_call *call;
	uint64_t sum = 0;
	int r;

	r = make_blob(&sum, &blob);
	if (r < 0)
		return fail("make a VMO", r, NULL);
	r = greeter_checksum_wait(greeter, blob, deadline(), &call, &out);
	nx_rpc_cap_unref(greeter_blob_cap(blob)); /* the call held its own reference */
	if (r < 0)
		fail("checksum", r, reason_of(call));
	else if (greeter_checksum_results_get_size(out) == BLOB_BYTES &&
	         greeter_checksum_results_get_sum(out) == sum)
		printf("example-client: vmo   a sealed 1 MiB memfd sent as a Blob capability; "
		       "the server mapped it read-only: size=%u sum=%llu (matches ours)\n",
		        BLOB_BYTES, (unsigned long long)sum);
	else
		fail("checksum values", -EIO, NULL);
	nx_rpc_call_free(call);
}

/* The schema's $maxLen(64) on greet's name: the server's generated code refuses the call
 * before its handler runs, naming the field. */
static void show_refusal(struct greeter *greeter)
{
	greeter_greet_results out;
	const char *reason;
	nx_rpc_call *call;
	char name[64 + 2]; /* one byte over, and the NUL */
	int r;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	r = greeter_greet_wait(greeter, name, deadline(), &call, &out);
	reason = reason_of(call);
	if (r == -EMSGSIZE && reason && strncmp(reason, "too_large: name: ", 17) == 0)
		printf("example-client: check greet(<65 bytes>) is refused by the schema's "
		       "$maxLen(64): \"%s\"\n",
		        reason);
	else
		fail("over-long name accepted", r < 0 ? r : -EIO, reason);
	nx_rpc_call_free(call);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	struct greeter *greeter;
	nx_rpc_cap *bootstrap;
	nx_rpc_conn *conn = NULL;
	nx_loop *loop = NULL;
	char path[256];
	int fd, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		printf("usage: example-client\n"
		       "Calls example-server at $NEXUS_RUNTIME_DIR/example.sock.\n");
		return strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (!dir || !*dir ||
	        (size_t)snprintf(path, sizeof(path), "%s/example.sock", dir) >= sizeof(path)) {
		fprintf(stderr,
		        "example-client: set NEXUS_RUNTIME_DIR to the server's directory\n");
		return 2;
	}
	r = nx_connect_unix(path, &fd);
	if (r < 0) {
		fprintf(stderr, "example-client: cannot connect to %s: %s\n", path, strerror(-r));
		return 1;
	}
	r = nx_loop_new(&loop);
	if (r >= 0)
		r = nx_rpc_conn_new(loop, fd, NULL, &conn);
	else
		nx_fd_close(fd);
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &bootstrap);
	if (r < 0) {
		fprintf(stderr, "example-client: %s\n", strerror(-r));
		return 1;
	}
	greeter = greeter_from_cap(bootstrap); /* the server's bootstrap is a Greeter */
	printf("example-client: connected to %s\n", path);

	show_call(greeter);
	show_capability(greeter);
	show_vmo(greeter);
	show_refusal(greeter);

	nx_rpc_cap_unref(greeter_cap(greeter));
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	printf("example-client: %s\n", failures ? "something went wrong (see FAIL above)" : "done");
	return failures ? 1 : 0;
}
