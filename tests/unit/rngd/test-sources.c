/* SPDX-License-Identifier: MIT */
/*
 * rngd's sources (source.c) through real fds, and its knobs (config.c): a good hwrng seeds
 * the generator after its startup test; a stuck one fails the startup test, a silent one
 * times out after RNGD_HWRNG_TIMEOUT_MS, one that goes stuck after starting fails the
 * continuous test at the next reseed, each time getrandom takes over; with no source left
 * rngd_reseed says -EAGAIN. The rate and source knobs refuse what they cannot take; the device
 * nexus-init hands over as RNGD_HWRNG_FD is taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "rngd.h"

FDCHECK_GROUP("rngd sources tests")

/* What rngd_reseed reads: the startup samples, then 256 + 128 bits at the claimed min-entropy. */
#define FIRST_SEED (ENT_HEALTH_STARTUP_SAMPLES + 64 + 32)

struct fixture {
	struct rngd d;
	int w; /* the write end of the hwrng pipe */
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int p[2];

	assert_non_null(f);
	f->d.in_use = -1;
	ent_gen_init(&f->d.gen, RNGD_RESEED_BYTES, RNGD_RESEED_INTERVAL_NS);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	f->w = p[1];
	assert_int_equal(rngd_source_add_fd(&f->d, "hwrng", p[0]), 0);
	assert_int_equal(rngd_source_add_kernel(&f->d), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	rngd_sources_free(&f->d);
	ent_gen_wipe(&f->d.gen);
	close(f->w);
	free(f);
}

static void put_random(int fd, size_t n)
{
	uint8_t buf[4096];

	assert_true(n <= sizeof(buf));
	assert_int_equal(getrandom(buf, n, 0), (ssize_t)n);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
}

static void put_zeros(int fd, size_t n)
{
	uint8_t buf[4096] = {0};

	assert_true(n <= sizeof(buf));
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
}

static void good_hwrng_seeds(void **state)
{
	struct fixture *f = fixture_new();

	(void)state;
	put_random(f->w, FIRST_SEED);
	assert_int_equal(rngd_reseed(&f->d), 0);
	assert_int_equal(f->d.in_use, 0);
	assert_true(f->d.gen.drbg.instantiated);
	assert_int_equal(f->d.sources[0].health.samples, FIRST_SEED);
	assert_false(f->d.sources[0].failed);
	/* The interval passed: due again, and the reseed comes from hwrng too. */
	assert_false(ent_gen_reseed_due(&f->d.gen, f->d.gen.seeded_ns));
	assert_true(ent_gen_reseed_due(&f->d.gen, f->d.gen.seeded_ns + RNGD_RESEED_INTERVAL_NS));
	put_random(f->w, 64);
	assert_int_equal(rngd_reseed(&f->d), 0);
	assert_int_equal(f->d.gen.reseeds, 1);
	assert_int_equal(f->d.in_use, 0);
	fixture_free(f);
}

static void stuck_hwrng_falls_back(void **state)
{
	struct fixture *f = fixture_new();

	(void)state;
	put_zeros(f->w, FIRST_SEED);
	assert_int_equal(rngd_reseed(&f->d), 0);
	assert_true(f->d.sources[0].failed);
	assert_int_equal(f->d.sources[0].fd, -1); /* closed at once */
	assert_true(f->d.sources[0].health.rct_failures >= 1);
	assert_int_equal(f->d.in_use, 1);
	assert_string_equal(f->d.sources[1].name, "getrandom");
	assert_true(f->d.gen.drbg.instantiated);
	fixture_free(f);
}

static void silent_hwrng_times_out(void **state)
{
	struct fixture *f = fixture_new();

	(void)state;
	/* Nothing written: the read gives up after RNGD_HWRNG_TIMEOUT_MS. */
	assert_int_equal(rngd_reseed(&f->d), 0);
	assert_true(f->d.sources[0].failed);
	assert_int_equal(f->d.sources[0].health.samples, 0);
	assert_int_equal(f->d.in_use, 1);
	fixture_free(f);
}

static void hwrng_going_stuck_fails_the_continuous_test(void **state)
{
	struct fixture *f = fixture_new();

	(void)state;
	put_random(f->w, FIRST_SEED);
	assert_int_equal(rngd_reseed(&f->d), 0);
	assert_int_equal(f->d.in_use, 0);
	put_zeros(f->w, 64);
	assert_int_equal(rngd_reseed(&f->d), 0);
	assert_true(f->d.sources[0].failed);
	assert_true(f->d.sources[0].health.rct_failures >= 1);
	assert_int_equal(f->d.in_use, 1);
	assert_int_equal(f->d.gen.reseeds, 1);
	fixture_free(f);
}

static void no_source_left_is_eagain(void **state)
{
	struct fixture *f = fixture_new();

	(void)state;
	f->d.sources[1].failed = true; /* as if getrandom had failed before */
	put_zeros(f->w, FIRST_SEED);
	assert_int_equal(rngd_reseed(&f->d), -EAGAIN);
	assert_int_equal(f->d.in_use, -1);
	assert_false(f->d.gen.drbg.instantiated);
	fixture_free(f);
}

static void rate_knobs(void **state)
{
	char text[32];
	struct rngd d = {0};

	(void)state;
	unsetenv(RNGD_ENV_RATE);
	unsetenv(RNGD_ENV_BURST);
	assert_int_equal(rngd_config_rate(&d), 0);
	assert_int_equal(d.rate->rate, RNGD_RATE_DEFAULT);
	assert_int_equal(d.rate->burst, RNGD_BURST_DEFAULT);
	free(d.rate);
	d.rate = NULL;

	snprintf(text, sizeof(text), "%u", RNGD_RATE_MAX);
	setenv(RNGD_ENV_RATE, text, 1);
	setenv(RNGD_ENV_BURST, "0", 1);
	assert_int_equal(rngd_config_rate(&d), 0);
	assert_int_equal(d.rate->rate, RNGD_RATE_MAX);
	assert_int_equal(d.rate->burst, 0);
	free(d.rate);
	d.rate = NULL;

	snprintf(text, sizeof(text), "%llu", RNGD_RATE_MAX + 1ull);
	setenv(RNGD_ENV_RATE, text, 1);
	assert_int_equal(rngd_config_rate(&d), -EINVAL);
	for (size_t i = 0; i < 3; i++) {
		static const char *const bad[] = {"", "-1", "12k"};

		setenv(RNGD_ENV_RATE, "1", 1);
		setenv(RNGD_ENV_BURST, bad[i], 1);
		/* An empty knob keeps the default. */
		assert_int_equal(rngd_config_rate(&d), i == 0 ? 0 : -EINVAL);
		free(d.rate);
		d.rate = NULL;
	}
	unsetenv(RNGD_ENV_RATE);
	unsetenv(RNGD_ENV_BURST);
}

static void source_knobs(void **state)
{
	struct rngd d = {.in_use = -1};

	(void)state;
	setenv(RNGD_ENV_SOURCES, "getrandom", 1);
	assert_int_equal(rngd_config_sources(&d), 0);
	assert_int_equal(d.n_sources, 1);
	rngd_sources_free(&d);

	/* A hardware source that cannot be opened is listed, failed. */
	setenv(RNGD_ENV_SOURCES, "hwrng,getrandom", 1);
	setenv(RNGD_ENV_HWRNG, "/nonexistent/hwrng", 1);
	assert_int_equal(rngd_config_sources(&d), 0);
	assert_int_equal(d.n_sources, 2);
	assert_true(d.sources[0].failed);
	assert_int_equal(rngd_reseed(&d), 0);
	assert_int_equal(d.in_use, 1);
	rngd_sources_free(&d);
	ent_gen_wipe(&d.gen);

	for (size_t i = 0; i < 4; i++) {
		static const char *const bad[] = {"frob", "getrandom,", ",getrandom",
		        "getrandom,getrandom,getrandom,getrandom,getrandom"};

		setenv(RNGD_ENV_SOURCES, bad[i], 1);
		/* Past RNG_SOURCES_MAX: -E2BIG. */
		assert_int_equal(rngd_config_sources(&d), i == 3 ? -E2BIG : -EINVAL);
		assert_true(d.n_sources <= RNG_SOURCES_MAX);
		rngd_sources_free(&d);
	}
	unsetenv(RNGD_ENV_SOURCES);
	unsetenv(RNGD_ENV_HWRNG);
}

/* Under nexus-init the device comes open as RNGD_HWRNG_FD (open= in services.conf): rngd
 * takes it over (non-blocking, the original fd closed) unless RNGD_ENV_HWRNG names a path. */
static void hwrng_handed_over_as_fd(void **state)
{
	struct rngd d = {.in_use = -1};
	int p[2];

	(void)state;
	assert_int_equal(fcntl(RNGD_HWRNG_FD, F_GETFD), -1); /* free in this test process */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dup2(p[0], RNGD_HWRNG_FD), RNGD_HWRNG_FD);
	close(p[0]);
	put_random(p[1], FIRST_SEED);
	ent_gen_init(&d.gen, RNGD_RESEED_BYTES, RNGD_RESEED_INTERVAL_NS);
	setenv(RNGD_ENV_SOURCES, "hwrng", 1);
	unsetenv(RNGD_ENV_HWRNG);
	assert_int_equal(rngd_config_sources(&d), 0);
	assert_int_equal(fcntl(RNGD_HWRNG_FD, F_GETFD), -1); /* taken over, not left behind */
	assert_int_equal(d.n_sources, 1);
	assert_false(d.sources[0].failed);
	assert_true(fcntl(d.sources[0].fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(rngd_reseed(&d), 0);
	assert_int_equal(d.in_use, 0);
	assert_int_equal(d.sources[0].health.samples, FIRST_SEED);
	rngd_sources_free(&d);
	ent_gen_wipe(&d.gen);
	close(p[1]);
	unsetenv(RNGD_ENV_SOURCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(good_hwrng_seeds),
	        cmocka_unit_test(stuck_hwrng_falls_back),
	        cmocka_unit_test(silent_hwrng_times_out),
	        cmocka_unit_test(hwrng_going_stuck_fails_the_continuous_test),
	        cmocka_unit_test(no_source_left_is_eagain),
	        cmocka_unit_test(rate_knobs),
	        cmocka_unit_test(source_knobs),
	        cmocka_unit_test(hwrng_handed_over_as_fd),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
