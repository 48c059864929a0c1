/* SPDX-License-Identifier: MIT */
/* exec run: restart decisions per manifest policy, stops, pipes, the storm limit, uid slots
 * and the capability lookup. An injected clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/run.h"

#define S 1000000000ull

static void never_stays_down(void **state)
{
	struct app_run r;
	uint64_t delay = 7;

	app_run_init(&r, NXB_RESTART_NEVER, false);
	app_run_started(&r, S);
	assert_true(app_run_crashed(&r, 0, 11));
	assert_int_equal(app_run_exited(&r, 0, 11, 2 * S, &delay), APP_NEXT_FAILED);
	app_run_init(&r, NXB_RESTART_NEVER, false);
	assert_false(app_run_crashed(&r, 0, 0));
	assert_int_equal(app_run_exited(&r, 0, 0, 2 * S, &delay), APP_NEXT_EXITED);
	assert_int_equal(delay, 7);
	assert_int_equal(r.restarts, 0);
}

static void on_failure_restarts_failures_only(void **state)
{
	struct app_run r;
	uint64_t delay = 0;

	app_run_init(&r, NXB_RESTART_ON_FAILURE, false);
	app_run_started(&r, S);
	assert_int_equal(app_run_exited(&r, 3, 0, 2 * S, &delay), APP_NEXT_RESTART);
	assert_int_equal(delay, SUP_BACKOFF_FIRST_NS);
	assert_int_equal(r.restarts, 1);
	app_run_started(&r, 3 * S);
	assert_int_equal(app_run_exited(&r, 0, 0, 4 * S, &delay), APP_NEXT_EXITED);
}

/* always: restarts with doubling delays until SUP_STORM_EXITS exits fall in the window. */
static void always_until_the_storm(void **state)
{
	struct app_run r;
	uint64_t now = 100 * S, delay = 0;

	app_run_init(&r, NXB_RESTART_ALWAYS, false);
	for (unsigned i = 0; i + 1 < SUP_STORM_EXITS; i++) {
		app_run_started(&r, now);
		now += S;
		assert_int_equal(app_run_exited(&r, 0, 0, now, &delay), APP_NEXT_RESTART);
		assert_int_equal(delay, SUP_BACKOFF_FIRST_NS << i);
	}
	app_run_started(&r, now);
	assert_int_equal(app_run_exited(&r, 0, 9, now + S, &delay), APP_NEXT_FAILED);
	assert_int_equal(r.restarts, SUP_STORM_EXITS - 1);
}

static void stopped_or_piped_never_restart(void **state)
{
	struct app_run r;
	uint64_t delay = 0;

	app_run_init(&r, NXB_RESTART_ALWAYS, false);
	app_run_started(&r, S);
	app_run_stop(&r);
	assert_false(app_run_crashed(&r, 0, 15)); /* killed on request: no crash report */
	assert_int_equal(app_run_exited(&r, 0, 15, 2 * S, &delay), APP_NEXT_EXITED);
	app_run_init(&r, NXB_RESTART_ALWAYS, true);
	app_run_started(&r, S);
	assert_true(app_run_crashed(&r, 1, 0));
	assert_int_equal(app_run_exited(&r, 1, 0, 2 * S, &delay), APP_NEXT_FAILED);
	assert_int_equal(delay, 0);
}

static void restart_names(void **state)
{
	assert_string_equal(app_restart_name(NXB_RESTART_NEVER), "never");
	assert_string_equal(app_restart_name(NXB_RESTART_ON_FAILURE), "on-failure");
	assert_string_equal(app_restart_name(NXB_RESTART_ALWAYS), "always");
	assert_string_equal(app_restart_name(NXB_RESTART_COUNT), "never");
}

/* APP_PROCESSES_MAX slots, lowest first; one more is -EAGAIN; a freed one is reused. */
static void uid_slots(void **state)
{
	struct app_slots s = {0};

	for (int i = 0; i < (int)APP_PROCESSES_MAX; i++)
		assert_int_equal(app_slot_take(&s), i);
	assert_int_equal(app_slot_take(&s), -EAGAIN);
	app_slot_put(&s, 5);
	assert_int_equal(app_slot_take(&s), 5);
	assert_int_equal(app_slot_take(&s), -EAGAIN);
}

static void caps_lookup(void **state)
{
	const char *caps[] = {"log.append", APP_CAP_NET, "ipc.connect.echod"};

	assert_true(app_caps_has(caps, 3, APP_CAP_NET));
	assert_true(app_caps_has(caps, 3, "log.append"));
	assert_false(app_caps_has(caps, 3, "log.appen"));
	assert_false(app_caps_has(caps, 2, "ipc.connect.echod"));
	assert_false(app_caps_has(NULL, 0, APP_CAP_NET));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(never_stays_down),
	        cmocka_unit_test(on_failure_restarts_failures_only),
	        cmocka_unit_test(always_until_the_storm),
	        cmocka_unit_test(stopped_or_piped_never_restart),
	        cmocka_unit_test(restart_names),
	        cmocka_unit_test(uid_slots),
	        cmocka_unit_test(caps_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
