/* SPDX-License-Identifier: MIT */
/*
 * SP 800-90B health tests (userspace/entropy/health.h): the cutoffs against the formulas and
 * Table 2 of SP 800-90B; a stuck source fails the repetition count test, a biased source that
 * never repeats fails only the adaptive proportion test, a good source fails neither; the
 * startup test needs ENT_HEALTH_STARTUP_SAMPLES.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entropy/drbg.h"
#include "entropy/health.h"
#include "fdcheck.h"

FDCHECK_GROUP("entropy health tests")

/* The claim rngd makes for its sources: 4 bits per byte. */
#define H4 4000u

static void cutoffs_follow_the_formulas(void **state)
{
	(void)state;
	/* Repetition count: 1 + ceil(20 / H). */
	assert_int_equal(ent_health_rct_cutoff(8000), 4);
	assert_int_equal(ent_health_rct_cutoff(H4), 6);
	assert_int_equal(ent_health_rct_cutoff(1000), 21);
	assert_int_equal(ent_health_rct_cutoff(3000), 8);
	/* Adaptive proportion, W = 512: SP 800-90B Table 2 (alpha = 2^-20, non-binary). */
	assert_int_equal(ENT_HEALTH_APT_WINDOW, 512);
	assert_int_equal(ENT_HEALTH_ALPHA_LOG2, 20);
	assert_int_equal(ent_health_apt_cutoff(500), 410);
	assert_int_equal(ent_health_apt_cutoff(1000), 311);
	assert_int_equal(ent_health_apt_cutoff(2000), 177);
	assert_int_equal(ent_health_apt_cutoff(H4), 62);
	assert_int_equal(ent_health_apt_cutoff(8000), 13);
	/* Claims out of range have no cutoff and no tests. */
	assert_int_equal(ent_health_rct_cutoff(0), 0);
	assert_int_equal(ent_health_apt_cutoff(ENT_HEALTH_MIN_ENTROPY_MAX + 1), 0);
	assert_int_equal(ent_health_apt_cutoff(1), ENT_HEALTH_APT_WINDOW);
}

static void seed_sizes_scale_with_the_claim(void **state)
{
	struct ent_health h;

	(void)state;
	assert_int_equal(ent_health_bytes_for(8000, 256), 32);
	assert_int_equal(ent_health_bytes_for(H4, 256), 64);
	assert_int_equal(ent_health_bytes_for(3000, 256), 86);
	assert_int_equal(ent_health_bytes_for(0, 256), 0);
	assert_int_equal(ent_health_init(&h, 0), -EINVAL);
	assert_int_equal(ent_health_init(&h, ENT_HEALTH_MIN_ENTROPY_MAX + 1), -EINVAL);
	assert_int_equal(ent_health_init(&h, ENT_HEALTH_MIN_ENTROPY_MAX), 0);
}

static void stuck_source_fails_repetition_count(void **state)
{
	uint8_t stuck[ENT_HEALTH_STARTUP_SAMPLES];
	struct ent_health h;

	(void)state;
	memset(stuck, 0x42, sizeof(stuck));
	assert_int_equal(ent_health_init(&h, H4), 0);
	assert_int_equal(ent_health_startup(&h, stuck, sizeof(stuck)), -EIO);
	/* One run, one failure, however long the run goes on. */
	assert_int_equal(h.rct_failures, 1);
	assert_int_equal(h.samples, sizeof(stuck));

	/* Exactly at the cutoff: cutoff - 1 repeats pass, the cutoff-th fails. */
	assert_int_equal(ent_health_init(&h, H4), 0);
	assert_int_equal(ent_health_feed(&h, stuck, h.rct_cutoff - 1), 0);
	assert_int_equal(ent_health_feed(&h, (const uint8_t *)"\x43", 1), 0);
	assert_int_equal(ent_health_feed(&h, stuck, h.rct_cutoff - 1), 0);
	assert_int_equal(ent_health_feed(&h, stuck, 1), -EIO);
	assert_int_equal(h.rct_failures, 1);
}

static void biased_source_fails_adaptive_proportion_only(void **state)
{
	uint8_t biased[ENT_HEALTH_STARTUP_SAMPLES];
	struct ent_health h;

	(void)state;
	/* Every other sample is 0, the others count up through 1..255: no value ever repeats
	 * in a row, but 0 fills half of every window. */
	for (size_t i = 0; i < sizeof(biased); i++)
		biased[i] = i % 2 ? (uint8_t)(1 + (i / 2) % 255) : 0;
	assert_int_equal(ent_health_init(&h, H4), 0);
	assert_int_equal(ent_health_startup(&h, biased, sizeof(biased)), -EIO);
	assert_int_equal(h.rct_failures, 0);
	assert_true(h.apt_failures >= 1);

	/* The reference recurring cutoff - 1 times in one window passes. */
	assert_int_equal(ent_health_init(&h, H4), 0);
	for (size_t i = 0; i < ENT_HEALTH_APT_WINDOW; i++)
		biased[i] = i < 2 * (h.apt_cutoff - 1) && i % 2 == 0 ? 0 : (uint8_t)(1 + i % 255);
	assert_int_equal(ent_health_feed(&h, biased, ENT_HEALTH_APT_WINDOW), 0);
	assert_int_equal(h.apt_failures, 0);
}

static void good_source_passes(void **state)
{
	uint8_t seed[ENT_DRBG_SEED_MIN] = {7}, nonce[ENT_DRBG_NONCE_MIN] = {9};
	uint8_t *buf = malloc(1u << 20);
	struct ent_health h;
	struct ent_drbg d;

	(void)state;
	assert_non_null(buf);
	/* A fixed seed: the same megabyte every run, so this test cannot flake. */
	assert_int_equal(
	        ent_drbg_instantiate(&d, seed, sizeof(seed), nonce, sizeof(nonce), NULL, 0), 0);
	for (size_t off = 0; off < (1u << 20); off += ENT_DRBG_REQUEST_MAX)
		assert_int_equal(
		        ent_drbg_generate(&d, buf + off, ENT_DRBG_REQUEST_MAX, NULL, 0), 0);
	assert_int_equal(ent_health_init(&h, H4), 0);
	assert_int_equal(ent_health_startup(&h, buf, ENT_HEALTH_STARTUP_SAMPLES), 0);
	assert_int_equal(ent_health_feed(&h, buf, 1u << 20), 0);
	assert_int_equal(h.rct_failures + h.apt_failures, 0);
	assert_int_equal(h.samples, ENT_HEALTH_STARTUP_SAMPLES + (1u << 20));
	ent_drbg_wipe(&d);
	free(buf);
}

static void startup_needs_enough_samples(void **state)
{
	uint8_t few[ENT_HEALTH_STARTUP_SAMPLES - 1] = {0};
	struct ent_health h;

	(void)state;
	assert_int_equal(ent_health_init(&h, H4), 0);
	assert_int_equal(ent_health_startup(&h, few, sizeof(few)), -EINVAL);
	assert_int_equal(h.samples, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(cutoffs_follow_the_formulas),
	        cmocka_unit_test(seed_sizes_scale_with_the_claim),
	        cmocka_unit_test(stuck_source_fails_repetition_count),
	        cmocka_unit_test(biased_source_fails_adaptive_proportion_only),
	        cmocka_unit_test(good_source_passes),
	        cmocka_unit_test(startup_needs_enough_samples),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
