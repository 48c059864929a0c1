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

static void fail(const char *step, int err, const nx_rpc_result *res)
{
	failures++;
	printf("example-client: FAIL %s: %s\n", step,
	        res && res->reason && *res->reason ? res->reason : strerror(-err));
}

/* Waits for `call`; on success returns its result, else reports and returns NULL. */
static const nx_rpc_result *wait_ok(nx_rpc_call *call, const char *step)
{
	const nx_rpc_result *res = NULL;
	int r = nx_rpc_call_wait(call, deadline(), &res);

	if (r < 0 || res->error < 0) {
		fail(step, r < 0 ? r : res->error, r < 0 ? NULL : res);
		return NULL;
	}
	return res;
}

static void show_call(nx_rpc_cap *greeter)
{
	Greeter_greet_Params_b params;
	const nx_rpc_result *res;
	nx_rpc_call *call;
	const char *msg;
	size_t len;

	if (Greeter_greet_new(greeter, &call, &params) < 0)
		return fail("greet", -ENOMEM, NULL);
	Greeter_greet_Params_set_name(params, "newcomer", 8);
	res = wait_ok(call, "greet");
	if (res && Greeter_greet_Results_get_message(Greeter_greet_results(res), &msg, &len) == 0)
		printf("example-client: call  greet(\"newcomer\") -> \"%.*s\"\n", (int)len, msg);
	nx_rpc_call_free(call);
}

static int64_t increment(nx_rpc_cap *counter, int64_t by, const char *step)
{
	Counter_increment_Params_b params;
	const nx_rpc_result *res;
	nx_rpc_call *call;
	int64_t value = -1;

	if (Counter_increment_new(counter, &call, &params) < 0) {
		fail(step, -ENOMEM, NULL);
		return -1;
	}
	Counter_increment_Params_set_by(params, by);
	res = wait_ok(call, step);
	if (res)
		value = Counter_increment_Results_get_value(Counter_increment_results(res));
	nx_rpc_call_free(call);
	return value;
}

static void show_capability(nx_rpc_cap *greeter)
{
	static const uint16_t counter_field[] = {0}; /* results.counter: pointer 0 */
	Greeter_newCounter_Params_b params;
	nx_rpc_cap *promised = NULL;
	nx_rpc_call *call;
	int64_t first, second;

	if (Greeter_new_counter_new(greeter, &call, &params) < 0)
		return fail("newCounter", -ENOMEM, NULL);
	Greeter_newCounter_Params_set_start(params, 40);
	/* Pipelining: call the counter before newCounter has even been answered. */
	if (nx_rpc_call_pipeline(call, counter_field, 1, &promised) < 0 ||
	        nx_rpc_call_send(call, NULL, NULL) < 0) {
		nx_rpc_cap_unref(promised);
		nx_rpc_call_free(call);
		return fail("newCounter", -EIO, NULL);
	}
	first = increment(promised, 1, "pipelined increment");
	second = increment(promised, 1, "increment");
	if (first == 41 && second == 42)
		printf("example-client: cap   newCounter(40) -> Counter; increment(1) sent before "
		       "it arrived (pipelined) -> %lld; increment(1) -> %lld\n",
		        (long long)first, (long long)second);
	else if (first >= 0 && second >= 0)
		fail("counter values", -EIO, NULL);
	nx_rpc_cap_unref(promised);
	nx_rpc_call_free(call);
}

/* Blob has no methods: the memory is the capability. */
static const struct Blob_server blob_vt = {0};

/* A sealed memfd holding BLOB_BYTES of a pattern, wrapped as a Blob capability. */
static int make_blob(uint64_t *ret_sum, nx_rpc_cap **ret)
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
	return Blob_server_new_with_fd(&blob_vt, NULL, NULL, fd, ret); /* takes fd */
fail:
	nx_fd_close(fd);
	return r;
}

static void show_vmo(nx_rpc_cap *greeter)
{
	Greeter_checksum_Params_b params;
	Greeter_checksum_Results out;
	const nx_rpc_result *res;
	nx_rpc_cap *blob;
	nx_rpc_call *call;
	uint64_t sum = 0;
	uint32_t index;
	int r;

	r = make_blob(&sum, &blob);
	if (r < 0)
		return fail("make a VMO", r, NULL);
	r = Greeter_checksum_new(greeter, &call, &params);
	if (r >= 0)
		r = nx_rpc_call_add_cap(call, blob, &index);
	if (r >= 0)
		r = Greeter_checksum_Params_set_blob(params, index);
	nx_rpc_cap_unref(blob); /* the call holds its own reference */
	if (r < 0) {
		nx_rpc_call_free(call);
		return fail("checksum", r, NULL);
	}
	res = wait_ok(call, "checksum");
	if (res) {
		out = Greeter_checksum_results(res);
		if (Greeter_checksum_Results_get_size(out) == BLOB_BYTES &&
		        Greeter_checksum_Results_get_sum(out) == sum)
			printf("example-client: vmo   a sealed 1 MiB memfd sent as a Blob capability; "
			       "the server mapped it read-only: size=%u sum=%llu (matches ours)\n",
			        BLOB_BYTES, (unsigned long long)sum);
		else
			fail("checksum values", -EIO, NULL);
	}
	nx_rpc_call_free(call);
}

static void show_refusal(nx_rpc_cap *greeter)
{
	Greeter_greet_Params_b params;
	const nx_rpc_result *res = NULL;
	nx_rpc_call *call;
	char name[100];

	memset(name, 'x', sizeof(name));
	if (Greeter_greet_new(greeter, &call, &params) < 0)
		return fail("greet", -ENOMEM, NULL);
	Greeter_greet_Params_set_name(params, name, sizeof(name));
	if (nx_rpc_call_wait(call, deadline(), &res) == 0 && res->error == -EMSGSIZE)
		printf("example-client: check greet(<100 bytes>) is refused by the schema's "
		       "$maxLen(64): \"%s\"\n",
		        res->reason);
	else
		fail("over-long name accepted", -EIO, res);
	nx_rpc_call_free(call);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	nx_rpc_cap *greeter = NULL;
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
		r = nx_rpc_conn_bootstrap(conn, &greeter);
	if (r < 0) {
		fprintf(stderr, "example-client: %s\n", strerror(-r));
		return 1;
	}
	printf("example-client: connected to %s\n", path);

	show_call(greeter);
	show_capability(greeter);
	show_vmo(greeter);
	show_refusal(greeter);

	nx_rpc_cap_unref(greeter);
	nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	printf("example-client: %s\n", failures ? "something went wrong (see FAIL above)" : "done");
	return failures ? 1 : 0;
}
