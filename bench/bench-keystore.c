/* SPDX-License-Identifier: MIT */
/*
 * keystored's sign latency on a running system ($NEXUS_RUNTIME_DIR/samgr.sock, as uid:0 with
 * crypto.sign.*), each figure beside its baselines from the same run:
 *
 *   inproc-sign    crypto_sign_detached over 64 bytes in this process (bench=inproc-sign)
 *   null call      Echo.echo("") to echod, one blocking call at a time (bench=echod-call)
 *   keystore-sign  Keystore.sign("@device", "bench", 64 bytes), the same way
 *                  (bench=keystore-sign), and its ratio to inproc-sign + null call
 *
 * The target: keystore-sign <= 2 x (inproc-sign + one null call). Nothing asserts it.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "echo.capnp.h"
#include "keystore.capnp.h"
#include "nexus/nexus.h"

#define WARMUP   200
#define DATA_LEN 64

typedef int (*op_fn)(nexus *nx, void *target);

static uint8_t data[DATA_LEN];
static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

static int inproc_sign(nexus *nx, void *target)
{
	uint8_t sig[crypto_sign_BYTES];

	(void)nx;
	(void)target;
	return crypto_sign_detached(sig, NULL, data, sizeof(data), sk) == 0 ? 0 : -EIO;
}

static int null_call(nexus *nx, void *target)
{
	echo_echo_results out;
	nx_rpc_call *call = NULL;
	int r = echo_echo_wait(target, "", nexus_deadline(nx), &call, &out);

	nx_rpc_call_free(call);
	return r;
}

static int service_sign(nexus *nx, void *target)
{
	keystore_sign_params_b p;
	keystore_sign_results out;
	nx_rpc_call *call = NULL;
	int r = keystore_sign_start(target, &call, &p);

	if (r >= 0)
		r = keystore_sign_params_set_key(p, "@device", 7);
	if (r >= 0)
		r = keystore_sign_params_set_domain(p, "bench", 5);
	if (r >= 0)
		r = keystore_sign_params_set_data(p, data, sizeof(data));
	if (r >= 0)
		r = keystore_sign_send_wait(call, nexus_deadline(nx), &out);
	nx_rpc_call_free(call);
	return r;
}

/* Right after a first boot the device key waits for rngd: until it signs (at most ~10 s). */
static int device_key_ready(nexus *nx, void *target)
{
	int r = -EAGAIN;

	for (int i = 0; i < 200 && r == -EAGAIN; i++) {
		r = service_sign(nx, target);
		if (r == -EAGAIN)
			(void)usleep(50000);
	}
	return r;
}

/* Runs `op` rounds x iters times; prints its RESULT line and returns the p50 (0 on failure). */
static uint64_t measure(
        const char *name, op_fn op, nexus *nx, void *target, size_t iters, size_t rounds)
{
	uint64_t *samples = calloc(iters * rounds, sizeof(*samples)), round_ops[64], p50;
	size_t n = 0;
	int r = 0;

	if (!samples)
		return 0;
	for (size_t i = 0; i < WARMUP && r >= 0; i++)
		r = op(nx, target);
	for (size_t k = 0; k < rounds && r >= 0; k++) {
		uint64_t start = bench_now_ns(), t0 = start, t1;

		for (size_t i = 0; i < iters && r >= 0; i++) {
			r = op(nx, target);
			t1 = bench_now_ns();
			samples[n++] = t1 - t0;
			t0 = t1;
		}
		round_ops[k] = (uint64_t)((double)iters * 1e9 / (double)(t0 - start));
	}
	if (r < 0) {
		fprintf(stderr, "bench-keystore: %s failed: %s (%s)\n", name, strerror(-r),
		        nexus_last_error(nx));
		free(samples);
		return 0;
	}
	bench_report_latency(name, "free", samples, n, round_ops, rounds);
	p50 = bench_quantile(samples, n, 0.50);
	free(samples);
	return p50;
}

int main(int argc, char **argv)
{
	size_t iters = 2000, rounds = 3;
	nx_rpc_cap *echod = NULL, *keys = NULL;
	uint64_t base, null, sign, floor;
	nexus *nx = NULL;
	int code = 1;

	for (int ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--iters") && ac + 1 < argc)
			iters = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc)
			rounds = strtoul(argv[++ac], NULL, 10);
		else
			iters = 0;
	}
	if (iters == 0 || rounds == 0 || rounds > 64) {
		fprintf(stderr, "usage: bench-keystore [--iters N] [--rounds 1..64] "
		                "(a running system at $NEXUS_RUNTIME_DIR)\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(data, sizeof(data));
	crypto_sign_keypair(pk, sk);
	if (nexus_connect(&nx) < 0 || nexus_resolve(nx, "echod", &echod) < 0 ||
	        nexus_resolve(nx, "keystored", &keys) < 0) {
		fprintf(stderr, "bench-keystore: %s\n", nexus_last_error(nx));
		goto out;
	}
	if (device_key_ready(nx, keystore_from_cap(keys)) < 0) {
		fprintf(stderr, "bench-keystore: no device key: %s\n", nexus_last_error(nx));
		goto out;
	}
	base = measure("inproc-sign", inproc_sign, nx, NULL, iters, rounds);
	null = measure("echod-call", null_call, nx, echo_from_cap(echod), iters, rounds);
	sign = measure("keystore-sign", service_sign, nx, keystore_from_cap(keys), iters, rounds);
	floor = base + null;
	if (base && null && sign) {
		printf("keystore-sign p50 %llu ns = %.2fx inproc-sign (%llu ns) + null call (%llu "
		       "ns) = %llu ns; target <= 2x; %.2fx inproc-sign alone\n",
		        (unsigned long long)sign, (double)sign / (double)floor,
		        (unsigned long long)base, (unsigned long long)null,
		        (unsigned long long)floor, (double)sign / (double)base);
		code = 0;
	}
out:
	nx_rpc_cap_unref(echod);
	nx_rpc_cap_unref(keys);
	nexus_free(nx);
	return code;
}
