/* SPDX-License-Identifier: MIT */
/*
 * The generator's reseed policy (userspace/entropy/gen.h), on an injected clock: refuses
 * before the first seed, after RNGD-style byte and time thresholds, and after the DRBG's
 * reseed interval; a reseed is counted and restarts both thresholds; requests over one DRBG
 * call are cut into several and equal the DRBG's own output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entropy/gen.h"
#include "fdcheck.h"

FDCHECK_GROUP("entropy gen tests")

#define SEC 1000000000ull

static const uint8_t seed[ENT_DRBG_SEED_MIN] = {1, 2, 3};
static const uint8_t nonce[ENT_DRBG_NONCE_MIN] = {4, 5, 6};

static void refuses_until_seeded_and_when_due(void **state)
{
	struct ent_gen g;
	uint8_t out[64];

	(void)state;
	ent_gen_init(&g, 100, 10 * SEC);
	assert_true(ent_gen_reseed_due(&g, 0));
	assert_int_equal(ent_gen_fill(&g, out, sizeof(out), 0), -ESTALE);
	assert_int_equal(ent_gen_reseed(&g, seed, sizeof(seed), 0), -EINVAL);
	assert_int_equal(
	        ent_gen_instantiate(&g, seed, sizeof(seed), nonce, sizeof(nonce), "p", 1, 5 * SEC),
	        0);
	assert_false(ent_gen_reseed_due(&g, 5 * SEC));
	assert_int_equal(ent_gen_fill(&g, out, 0, 5 * SEC), -EINVAL);

	/* Bytes: the request that reaches the threshold is served, the next one waits. */
	assert_int_equal(ent_gen_fill(&g, out, 64, 5 * SEC), 0);
	assert_int_equal(ent_gen_fill(&g, out, 36, 5 * SEC), 0);
	assert_true(ent_gen_reseed_due(&g, 5 * SEC));
	assert_int_equal(ent_gen_fill(&g, out, 1, 5 * SEC), -ESTALE);
	assert_int_equal(ent_gen_reseed(&g, seed, sizeof(seed), 6 * SEC), 0);
	assert_int_equal(g.reseeds, 1);
	assert_int_equal(g.bytes_served, 100);

	/* Time: just before the interval is fine, at it a reseed is due. */
	assert_int_equal(ent_gen_fill(&g, out, 1, 16 * SEC - 1), 0);
	assert_int_equal(ent_gen_fill(&g, out, 1, 16 * SEC), -ESTALE);
	assert_int_equal(ent_gen_reseed(&g, seed, sizeof(seed), 16 * SEC), 0);
	assert_int_equal(g.reseeds, 2);

	/* The DRBG's own interval (SP 800-90A) is a threshold too. */
	g.drbg.reseed_counter = ENT_DRBG_RESEED_INTERVAL + 1;
	assert_true(ent_gen_reseed_due(&g, 16 * SEC));
	ent_gen_wipe(&g);
	assert_true(ent_gen_reseed_due(&g, 16 * SEC));
}

static void large_requests_are_cut_into_drbg_calls(void **state)
{
	const size_t n = 3 * ENT_DRBG_REQUEST_MAX + 100;
	uint8_t *a = malloc(n), *b = malloc(n);
	struct ent_drbg d;
	struct ent_gen g;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	ent_gen_init(&g, 1u << 30, 60 * SEC);
	assert_int_equal(
	        ent_gen_instantiate(&g, seed, sizeof(seed), nonce, sizeof(nonce), NULL, 0, 0), 0);
	assert_int_equal(ent_gen_fill(&g, a, n, 0), 0);
	assert_int_equal(g.drbg.reseed_counter, 1 + 4);

	assert_int_equal(
	        ent_drbg_instantiate(&d, seed, sizeof(seed), nonce, sizeof(nonce), NULL, 0), 0);
	for (size_t off = 0; off < n; off += ENT_DRBG_REQUEST_MAX)
		assert_int_equal(
		        ent_drbg_generate(&d, b + off,
		                n - off < ENT_DRBG_REQUEST_MAX ? n - off : ENT_DRBG_REQUEST_MAX,
		                NULL, 0),
		        0);
	assert_memory_equal(a, b, n);
	ent_drbg_wipe(&d);
	ent_gen_wipe(&g);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(refuses_until_seeded_and_when_due),
	        cmocka_unit_test(large_requests_are_cut_into_drbg_calls),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
