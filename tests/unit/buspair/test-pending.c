/* SPDX-License-Identifier: MIT */
/* buspair pending pairings with an injected clock: complete only once both sides confirmed,
 * expiry after BUSPAIR_PENDING_TTL_NS, at most BUSPAIR_PENDING_MAX at once, a new session
 * starts over, a session's end drops its pairings, bad ids and strings refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buspair/pending.h"
#include "fdcheck.h"

#define DEV_A "0123456789abcdef0123456789abcdef"

static void device(unsigned n, char out[BUSPAIR_ID_LEN + 1])
{
	(void)snprintf(out, BUSPAIR_ID_LEN + 1, "%032x", n);
}

static int setup(void **state)
{
	buspair_pending *p;

	if (buspair_pending_new(&p) < 0)
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	buspair_pending_free(*state);
	return 0;
}

static void both_sides_confirm(void **state)
{
	buspair_pending *p = *state;
	struct buspair_request q;
	bool done = true;

	assert_int_equal(buspair_pending_begin(p, DEV_A, "123456", 7, 100), 0);
	assert_int_equal(buspair_pending_get(p, DEV_A, 100, &q), 0);
	assert_string_equal(q.sas, "123456");
	assert_int_equal(q.session, 7);
	assert_false(q.local_confirmed);
	assert_int_equal(buspair_pending_confirm(p, DEV_A, false, 101, &done), 0);
	assert_false(done);
	/* The same session again keeps the remote confirmation. */
	assert_int_equal(buspair_pending_begin(p, DEV_A, "123456", 7, 102), 0);
	assert_int_equal(buspair_pending_confirm(p, DEV_A, true, 103, &done), 0);
	assert_true(done);
	assert_int_equal(buspair_pending_get(p, DEV_A, 104, &q), -ENOENT);
	assert_int_equal(buspair_pending_confirm(p, DEV_A, true, 105, &done), -ENOENT);
}

static void new_session_starts_over(void **state)
{
	buspair_pending *p = *state;
	bool done;

	assert_int_equal(buspair_pending_begin(p, DEV_A, "123456", 7, 0), 0);
	assert_int_equal(buspair_pending_confirm(p, DEV_A, true, 0, &done), 0);
	assert_int_equal(buspair_pending_begin(p, DEV_A, "654321", 8, 0), 0);
	assert_int_equal(buspair_pending_confirm(p, DEV_A, false, 0, &done), 0);
	assert_false(done); /* the local confirmation was for the old session's string */
	assert_int_equal(buspair_pending_drop_session(p, 8), 1);
	assert_int_equal(buspair_pending_drop_session(p, 8), 0);
	assert_int_equal(buspair_pending_confirm(p, DEV_A, true, 0, &done), -ENOENT);
}

static void expiry(void **state)
{
	buspair_pending *p = *state;
	struct buspair_request q;
	bool done;

	assert_int_equal(buspair_pending_begin(p, DEV_A, "123456", 1, 1000), 0);
	assert_int_equal(buspair_pending_get(p, DEV_A, 1000 + BUSPAIR_PENDING_TTL_NS - 1, &q), 0);
	assert_int_equal(
	        buspair_pending_confirm(p, DEV_A, true, 1000 + BUSPAIR_PENDING_TTL_NS, &done),
	        -ENOENT);
	assert_int_equal(buspair_pending_list(p, 1000 + BUSPAIR_PENDING_TTL_NS, &q, 1), 0);
}

static void bounded(void **state)
{
	buspair_pending *p = *state;
	struct buspair_request all[BUSPAIR_PENDING_MAX + 1];
	char id[BUSPAIR_ID_LEN + 1];

	for (unsigned i = 0; i < BUSPAIR_PENDING_MAX; i++) {
		device(i, id);
		assert_int_equal(buspair_pending_begin(p, id, "000000", i, i), 0);
	}
	device(BUSPAIR_PENDING_MAX, id);
	assert_int_equal(buspair_pending_begin(p, id, "000000", 99, 10), -EBUSY);
	assert_int_equal(
	        buspair_pending_list(p, 10, all, BUSPAIR_PENDING_MAX + 1), BUSPAIR_PENDING_MAX);
	/* The oldest expires: room again. */
	assert_int_equal(buspair_pending_begin(p, id, "000000", 99, BUSPAIR_PENDING_TTL_NS), 0);
	device(0, id);
	assert_int_equal(buspair_pending_cancel(p, id), -ENOENT);
	device(1, id);
	assert_int_equal(buspair_pending_cancel(p, id), 0);
}

static void refuses_bad_input(void **state)
{
	buspair_pending *p = *state;

	assert_int_equal(buspair_pending_begin(p, "0123", "123456", 1, 0), -EINVAL);
	assert_int_equal(
	        buspair_pending_begin(p, "0123456789ABCDEF0123456789ABCDEF", "123456", 1, 0),
	        -EINVAL);
	assert_int_equal(buspair_pending_begin(p, DEV_A, "12345", 1, 0), -EINVAL);
	assert_int_equal(buspair_pending_begin(p, DEV_A, "12345x", 1, 0), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

FDCHECK_GROUP("buspair pending tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(both_sides_confirm),
	        T(new_session_starts_over),
	        T(expiry),
	        T(bounded),
	        T(refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
