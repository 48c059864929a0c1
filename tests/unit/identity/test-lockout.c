/* SPDX-License-Identifier: MIT */
/* userspace/identity lockout: free failures, the doubling wait and its cap, expiry of a lock,
 * a success clearing it, keys independent (user vs subject), forgetting after a quiet spell,
 * a full table, all with an injected clock (no sleeping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fdcheck.h"
#include "identity/lockout.h"

#define S 1000000000ull

static int setup(void **state)
{
	idn_lockout *l;

	if (idn_lockout_new(&l) < 0)
		return -1;
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	idn_lockout_free(*state);
	return 0;
}

static void free_failures_then_doubling_to_cap(void **state)
{
	idn_lockout *l = *state;
	uint64_t now = 5000 * S, wait = 0, want = IDN_LOCKOUT_FIRST_NS;

	for (unsigned i = 0; i < IDN_LOCKOUT_FREE_FAILURES; i++) {
		assert_int_equal(idn_lockout_check(l, "u/alice", now, &wait), 0);
		assert_int_equal(idn_lockout_fail(l, "u/alice", now), 0);
	}
	assert_int_equal(idn_lockout_check(l, "u/alice", now, &wait), 0);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(idn_lockout_fail(l, "u/alice", now), 0);
		assert_int_equal(idn_lockout_check(l, "u/alice", now, &wait), -EAGAIN);
		assert_int_equal(wait, want);
		/* Locked until exactly then. */
		assert_int_equal(idn_lockout_check(l, "u/alice", now + want - 1, &wait), -EAGAIN);
		assert_int_equal(wait, 1);
		now += want;
		assert_int_equal(idn_lockout_check(l, "u/alice", now, &wait), 0);
		want = want * 2 > IDN_LOCKOUT_MAX_NS ? IDN_LOCKOUT_MAX_NS : want * 2;
	}
	assert_int_equal(want, IDN_LOCKOUT_MAX_NS);
}

static void success_clears_and_keys_are_apart(void **state)
{
	idn_lockout *l = *state;
	uint64_t now = 100 * S, wait = 0;

	for (unsigned i = 0; i <= IDN_LOCKOUT_FREE_FAILURES; i++) {
		assert_int_equal(idn_lockout_fail(l, "u/bob", now), 0);
		assert_int_equal(idn_lockout_fail(l, "s/uid:1000", now), 0);
	}
	assert_int_equal(idn_lockout_check(l, "u/bob", now, &wait), -EAGAIN);
	assert_int_equal(idn_lockout_check(l, "s/uid:1000", now, &wait), -EAGAIN);
	/* Other keys are untouched. */
	assert_int_equal(idn_lockout_check(l, "u/carol", now, &wait), 0);
	assert_int_equal(idn_lockout_check(l, "s/uid:1001", now, &wait), 0);
	idn_lockout_clear(l, "u/bob");
	assert_int_equal(idn_lockout_check(l, "u/bob", now, &wait), 0);
	assert_int_equal(idn_lockout_check(l, "s/uid:1000", now, &wait), -EAGAIN);
	/* After the clear, the free failures are free again. */
	assert_int_equal(idn_lockout_fail(l, "u/bob", now), 0);
	assert_int_equal(idn_lockout_check(l, "u/bob", now, &wait), 0);
}

static void forgotten_after_quiet_spell(void **state)
{
	idn_lockout *l = *state;
	uint64_t now = 100 * S, wait = 0;

	for (unsigned i = 0; i < IDN_LOCKOUT_FREE_FAILURES + 2; i++)
		assert_int_equal(idn_lockout_fail(l, "u/dave", now), 0);
	assert_int_equal(idn_lockout_check(l, "u/dave", now, &wait), -EAGAIN);
	now += IDN_LOCKOUT_FORGET_NS - 1;
	/* Unlocked but remembered: one more failure locks again, longer. */
	assert_int_equal(idn_lockout_fail(l, "u/dave", now), 0);
	assert_int_equal(idn_lockout_check(l, "u/dave", now, &wait), -EAGAIN);
	assert_int_equal(wait, 4 * IDN_LOCKOUT_FIRST_NS);
	now += IDN_LOCKOUT_FORGET_NS;
	/* Quiet long enough: starts over, the next failure is a free one. */
	assert_int_equal(idn_lockout_fail(l, "u/dave", now), 0);
	assert_int_equal(idn_lockout_check(l, "u/dave", now, &wait), 0);
}

static void bad_keys(void **state)
{
	idn_lockout *l = *state;
	char key[IDN_LOCKOUT_KEY_MAX + 2];
	uint64_t wait;

	memset(key, 'k', sizeof(key));
	key[IDN_LOCKOUT_KEY_MAX] = '\0';
	assert_int_equal(idn_lockout_fail(l, key, 1), 0);
	key[IDN_LOCKOUT_KEY_MAX] = 'k';
	key[IDN_LOCKOUT_KEY_MAX + 1] = '\0';
	assert_int_equal(idn_lockout_fail(l, key, 1), -EINVAL);
	assert_int_equal(idn_lockout_check(l, key, 1, &wait), -EINVAL);
	assert_int_equal(idn_lockout_check(l, "", 1, &wait), -EINVAL);
}

/* A full table forgets an unlocked key before any locked one. */
static void full_table_keeps_locked_keys(void **state)
{
	idn_lockout *l = *state;
	uint64_t now = 100 * S, wait;
	char key[32];

	for (unsigned i = 0; i <= IDN_LOCKOUT_FREE_FAILURES; i++)
		assert_int_equal(idn_lockout_fail(l, "u/locked", now), 0);
	for (unsigned i = 0; i < IDN_LOCKOUT_KEYS_MAX + 10; i++) {
		(void)snprintf(key, sizeof(key), "u/user%u", i);
		assert_int_equal(idn_lockout_fail(l, key, now + 1 + i), 0);
	}
	assert_int_equal(idn_lockout_check(l, "u/locked", now, &wait), -EAGAIN);
	/* The most recent keys are remembered: two more failures lock the last one. */
	(void)snprintf(key, sizeof(key), "u/user%u", IDN_LOCKOUT_KEYS_MAX + 9);
	for (unsigned i = 0; i < IDN_LOCKOUT_FREE_FAILURES; i++)
		assert_int_equal(idn_lockout_fail(l, key, now + 5000), 0);
	assert_int_equal(idn_lockout_check(l, key, now + 5000, &wait), -EAGAIN);
}

FDCHECK_GROUP("lockout tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                free_failures_then_doubling_to_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(success_clears_and_keys_are_apart, setup, teardown),
	        cmocka_unit_test_setup_teardown(forgotten_after_quiet_spell, setup, teardown),
	        cmocka_unit_test_setup_teardown(bad_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(full_table_keeps_locked_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
