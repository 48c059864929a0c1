/* SPDX-License-Identifier: MIT */
/* supervise: every limit crossed with an injected clock (no sleeping, no real time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "supervise/supervise.h"

#define MS 1000000ull
#define S  (1000 * MS)

static void backoff_doubles_to_the_cap(void **state)
{
	static const uint64_t want[] = {100 * MS, 200 * MS, 400 * MS, 800 * MS, 1600 * MS,
	        3200 * MS, SUP_BACKOFF_MAX_NS, SUP_BACKOFF_MAX_NS};
	struct sup_backoff b = {0};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(sup_backoff_next(&b), want[i]);
	sup_backoff_reset(&b);
	assert_int_equal(sup_backoff_next(&b), SUP_BACKOFF_FIRST_NS);
	assert_int_equal(sup_backoff_next(&b), 2 * SUP_BACKOFF_FIRST_NS);
}

/* Exits 1 s apart: restarts with growing delays, the fifth exit is a storm. */
static void storm_within_window_fails(void **state)
{
	struct sup_child c;
	uint64_t now = 1000 * S, delay = 0;

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++) {
		assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
		assert_int_equal(delay, SUP_BACKOFF_FIRST_NS << i);
		now += S;
	}
	delay = 0;
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_FAILED);
	assert_int_equal(delay, 0); /* untouched */
}

/* Five exits spread just over the window are no storm; exactly on it they are. */
static void storm_window_edge(void **state)
{
	struct sup_child c;
	uint64_t now = 5 * S, delay;
	const uint64_t step = SUP_STORM_WINDOW_NS / (SUP_STORM_EXITS - 1);

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++, now += step)
		assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	/* now is the first exit + the window: the fifth exit 1 ns later is no storm... */
	assert_int_equal(sup_child_exited(&c, true, now + 1, &delay), SUP_RESTART);

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	now = 5 * S;
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++, now += step)
		assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	/* ...exactly at the end of the window it is. */
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_FAILED);
}

/* The window slides: after a quiet spell old exits no longer count. */
static void storm_window_slides(void **state)
{
	struct sup_child c;
	uint64_t now = 0, delay;

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++, now += MS)
		assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	now += SUP_STORM_WINDOW_NS;
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++, now += MS)
		assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_FAILED);
}

static void restart_policies(void **state)
{
	struct sup_child c;
	uint64_t delay = 42;

	sup_child_init(&c, SUP_RESTART_NEVER);
	assert_int_equal(sup_child_exited(&c, true, S, &delay), SUP_STAY_DOWN);
	assert_int_equal(delay, 42);

	sup_child_init(&c, SUP_RESTART_ON_FAILURE);
	assert_int_equal(sup_child_exited(&c, false, S, &delay), SUP_STAY_DOWN);
	assert_int_equal(sup_child_exited(&c, true, 2 * S, &delay), SUP_RESTART);
	assert_int_equal(delay, SUP_BACKOFF_FIRST_NS);

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	assert_int_equal(sup_child_exited(&c, false, S, &delay), SUP_RESTART);
}

/* Exits the policy does not restart are never a storm. */
static void stay_down_is_not_failed(void **state)
{
	struct sup_child c;
	uint64_t delay;

	sup_child_init(&c, SUP_RESTART_ON_FAILURE);
	for (unsigned i = 0; i < 2 * SUP_STORM_EXITS; i++)
		assert_int_equal(sup_child_exited(&c, false, S + i, &delay), SUP_STAY_DOWN);
}

/* A run up SUP_STABLE_NS resets the backoff; one ns shorter does not; no readiness never. */
static void stable_run_resets_backoff(void **state)
{
	struct sup_child c;
	uint64_t now = 100 * S, delay;

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	assert_int_equal(delay, SUP_BACKOFF_FIRST_NS);

	now += 60 * S; /* out of the storm window from here on */
	sup_child_up(&c, now);
	now += SUP_STABLE_NS - 1;
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	assert_int_equal(delay, 2 * SUP_BACKOFF_FIRST_NS); /* not stable: doubled */

	now += 60 * S; /* never became ready: not stable however long */
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	assert_int_equal(delay, 4 * SUP_BACKOFF_FIRST_NS);

	now += 60 * S;
	sup_child_up(&c, now);
	now += SUP_STABLE_NS;
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	assert_int_equal(delay, SUP_BACKOFF_FIRST_NS); /* stable: starts over */

	/* The stable mark belongs to one run: the next exit, without readiness, doubles. */
	now += 60 * S;
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	assert_int_equal(delay, 2 * SUP_BACKOFF_FIRST_NS);
}

/* A stable run does not forgive the storm: exits close together still fail. */
static void stable_run_keeps_storm_history(void **state)
{
	struct sup_child c;
	uint64_t now = S, delay;

	sup_child_init(&c, SUP_RESTART_ALWAYS);
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++, now += MS)
		assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_RESTART);
	sup_child_up(&c, now);
	now += SUP_STABLE_NS;
	assert_int_equal(sup_child_exited(&c, true, now, &delay), SUP_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(backoff_doubles_to_the_cap),
	        cmocka_unit_test(storm_within_window_fails),
	        cmocka_unit_test(storm_window_edge),
	        cmocka_unit_test(storm_window_slides),
	        cmocka_unit_test(restart_policies),
	        cmocka_unit_test(stay_down_is_not_failed),
	        cmocka_unit_test(stable_run_resets_backoff),
	        cmocka_unit_test(stable_run_keeps_storm_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
