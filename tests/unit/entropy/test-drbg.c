/* SPDX-License-Identifier: MIT */
/*
 * HMAC_DRBG (userspace/entropy/drbg.h): NIST CAVP known answers (without and with
 * personalization, with reseeds, with additional input), the bounds of SP 800-90A Table 2
 * (request size, reseed interval) and of the inputs, and that a wiped state refuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "entropy/drbg.h"
#include "fdcheck.h"
#include "hmac-drbg-vectors.h"

FDCHECK_GROUP("entropy drbg tests")

struct bytes {
	uint8_t b[256];
	size_t len;
};

static struct bytes hex(const char *h)
{
	struct bytes out = {0};

	assert_int_equal(
	        sodium_hex2bin(out.b, sizeof(out.b), h, strlen(h), NULL, &out.len, NULL), 0);
	return out;
}

static void known_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(drbg_vectors) / sizeof(drbg_vectors[0]); i++) {
		const struct drbg_vector *v = &drbg_vectors[i];
		struct bytes e = hex(v->entropy), n = hex(v->nonce), p = hex(v->pers);
		struct bytes want = hex(v->returned), re = hex(v->reseed_entropy);
		struct bytes ra = hex(v->reseed_add), re2 = hex(v->reseed2_entropy);
		struct bytes ra2 = hex(v->reseed2_add);
		uint8_t out[128];
		struct ent_drbg d;

		print_message("%s\n", v->name);
		assert_int_equal(ent_drbg_instantiate(&d, e.b, e.len, n.b, n.len, p.b, p.len), 0);
		if (re.len > 0)
			assert_int_equal(ent_drbg_reseed(&d, re.b, re.len, ra.b, ra.len), 0);
		assert_int_equal(ent_drbg_generate(&d, out, want.len, NULL, 0), 0);
		if (re2.len > 0)
			assert_int_equal(ent_drbg_reseed(&d, re2.b, re2.len, ra2.b, ra2.len), 0);
		assert_int_equal(ent_drbg_generate(&d, out, want.len, NULL, 0), 0);
		assert_memory_equal(out, want.b, want.len);
		ent_drbg_wipe(&d);
	}
}

static void instantiate(struct ent_drbg *d, uint8_t fill)
{
	uint8_t seed[ENT_DRBG_SEED_MIN], nonce[ENT_DRBG_NONCE_MIN];

	memset(seed, fill, sizeof(seed));
	memset(nonce, 0x5a, sizeof(nonce));
	assert_int_equal(
	        ent_drbg_instantiate(d, seed, sizeof(seed), nonce, sizeof(nonce), NULL, 0), 0);
}

static void inputs_are_bounded(void **state)
{
	static uint8_t big[ENT_DRBG_INPUT_MAX + 1];
	uint8_t nonce[ENT_DRBG_NONCE_MIN] = {0};
	struct ent_drbg d = {0};
	uint8_t out[32];

	(void)state;
	/* Too little entropy or nonce for 256-bit strength, too much of anything. */
	assert_int_equal(
	        ent_drbg_instantiate(&d, big, ENT_DRBG_SEED_MIN - 1, nonce, sizeof(nonce), NULL, 0),
	        -EINVAL);
	assert_int_equal(ent_drbg_instantiate(&d, big, ENT_DRBG_SEED_MIN, nonce,
	                         ENT_DRBG_NONCE_MIN - 1, NULL, 0),
	        -EINVAL);
	assert_int_equal(ent_drbg_instantiate(&d, big, sizeof(big), nonce, sizeof(nonce), NULL, 0),
	        -EMSGSIZE);
	assert_int_equal(ent_drbg_instantiate(&d, big, ENT_DRBG_INPUT_MAX, nonce, sizeof(nonce),
	                         big, sizeof(big)),
	        -EMSGSIZE);
	/* Nothing instantiated: every other call refuses. */
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), NULL, 0), -EINVAL);
	assert_int_equal(ent_drbg_reseed(&d, big, ENT_DRBG_SEED_MIN, NULL, 0), -EINVAL);

	instantiate(&d, 1);
	assert_int_equal(ent_drbg_reseed(&d, big, ENT_DRBG_SEED_MIN - 1, NULL, 0), -EINVAL);
	assert_int_equal(ent_drbg_reseed(&d, big, ENT_DRBG_SEED_MIN, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ent_drbg_generate(&d, out, 0, NULL, 0), -EMSGSIZE);
	ent_drbg_wipe(&d);
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), NULL, 0), -EINVAL);
}

static void request_size_is_table_2s(void **state)
{
	static uint8_t out[ENT_DRBG_REQUEST_MAX + 1];
	struct ent_drbg d;

	(void)state;
	instantiate(&d, 2);
	assert_int_equal(ent_drbg_generate(&d, out, ENT_DRBG_REQUEST_MAX, NULL, 0), 0);
	assert_int_equal(ent_drbg_generate(&d, out, ENT_DRBG_REQUEST_MAX + 1, NULL, 0), -EMSGSIZE);
	ent_drbg_wipe(&d);
}

static void reseed_interval_is_enforced(void **state)
{
	uint8_t seed[ENT_DRBG_SEED_MIN] = {3}, out[16];
	struct ent_drbg d;

	(void)state;
	instantiate(&d, 3);
	assert_int_equal(d.reseed_counter, 1);
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), NULL, 0), 0);
	assert_int_equal(d.reseed_counter, 2);
	/* Jump to the last generate allowed: it works, the next one needs a reseed. */
	d.reseed_counter = ENT_DRBG_RESEED_INTERVAL;
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), NULL, 0), 0);
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), NULL, 0), -ESTALE);
	assert_int_equal(ent_drbg_reseed(&d, seed, sizeof(seed), NULL, 0), 0);
	assert_int_equal(d.reseed_counter, 1);
	assert_int_equal(ent_drbg_generate(&d, out, sizeof(out), NULL, 0), 0);
	ent_drbg_wipe(&d);
}

static void outputs_depend_on_seed_and_additional_input(void **state)
{
	struct ent_drbg a, b;
	uint8_t x[48], y[48];

	(void)state;
	instantiate(&a, 4);
	instantiate(&b, 5);
	assert_int_equal(ent_drbg_generate(&a, x, sizeof(x), NULL, 0), 0);
	assert_int_equal(ent_drbg_generate(&b, y, sizeof(y), NULL, 0), 0);
	assert_memory_not_equal(x, y, sizeof(x));
	/* Same state, with and without additional input. */
	instantiate(&a, 4);
	instantiate(&b, 4);
	assert_int_equal(ent_drbg_generate(&a, x, sizeof(x), NULL, 0), 0);
	assert_int_equal(ent_drbg_generate(&b, y, sizeof(y), "extra", 5), 0);
	assert_memory_not_equal(x, y, sizeof(x));
	ent_drbg_wipe(&a);
	ent_drbg_wipe(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(known_answers),
	        cmocka_unit_test(inputs_are_bounded),
	        cmocka_unit_test(request_size_is_table_2s),
	        cmocka_unit_test(reseed_interval_is_enforced),
	        cmocka_unit_test(outputs_depend_on_seed_and_additional_input),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
