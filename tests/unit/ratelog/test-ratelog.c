/* SPDX-License-Identifier: MIT */
/* userspace/ratelog: first event logged, the rest of the window counted and summarised once,
 * keys apart, the table full (overflow key), long keys cut. An injected clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ratelog/ratelog.h"

#define W NX_RATELOG_WINDOW_NS

struct seen {
	unsigned n;
	char key[8][NX_RATELOG_KEY_MAX + 1];
	uint64_t count[8];
};

static void emit(void *userdata, const char *key, uint64_t suppressed)
{
	struct seen *s = userdata;

	assert_true(s->n < 8);
	snprintf(s->key[s->n], sizeof(s->key[0]), "%s", key);
	s->count[s->n++] = suppressed;
}

static void flood(void **state)
{
	struct ratelog *rl;
	struct seen s = {0};
	unsigned logged = 0;

	assert_int_equal(ratelog_new(&rl), 0);
	/* 2,000 events of one key within one window: one logged, 1,999 summarised once. */
	for (unsigned i = 0; i < 2000; i++)
		logged += ratelog_event(rl, "uid:0 limit_exceeded", 1000 + i);
	assert_int_equal(logged, 1);
	assert_int_equal(ratelog_flush(rl, 1000 + W - 1, emit, &s), 1000 + W);
	assert_int_equal(s.n, 0);
	assert_int_equal(ratelog_flush(rl, 1000 + W, emit, &s), UINT64_MAX);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.key[0], "uid:0 limit_exceeded");
	assert_int_equal(s.count[0], 1999);
	/* Summarised: the next one is logged again, and nothing is pending. */
	assert_true(ratelog_event(rl, "uid:0 limit_exceeded", 1000 + 2 * W));
	assert_int_equal(ratelog_flush(rl, 1000 + 3 * W, emit, &s), UINT64_MAX);
	assert_int_equal(s.n, 1);
	ratelog_free(rl);
}

static void keys_apart(void **state)
{
	struct ratelog *rl;
	struct seen s = {0};

	assert_int_equal(ratelog_new(&rl), 0);
	assert_true(ratelog_event(rl, "uid:0 limit_exceeded", 0));
	assert_true(ratelog_event(rl, "uid:1 limit_exceeded", 0));
	assert_true(ratelog_event(rl, "uid:0 permission_denied", 0));
	assert_false(ratelog_event(rl, "uid:1 limit_exceeded", 1));
	/* A window over but its count not summarised: still counted, so lines stay in order. */
	assert_false(ratelog_event(rl, "uid:1 limit_exceeded", W + 5));
	assert_int_equal(ratelog_flush(rl, W + 5, emit, &s), UINT64_MAX);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.key[0], "uid:1 limit_exceeded");
	assert_int_equal(s.count[0], 2);
	ratelog_free(rl);
}

static void table_full(void **state)
{
	struct ratelog *rl;
	struct seen s = {0};
	char key[32], lng[NX_RATELOG_KEY_MAX + 20];

	assert_int_equal(ratelog_new(&rl), 0);
	for (unsigned i = 0; i < NX_RATELOG_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "uid:%u x", i);
		assert_true(ratelog_event(rl, key, 0));
	}
	/* Every entry inside its window: one more key goes to the overflow entry. */
	assert_true(ratelog_event(rl, "uid:9999 x", 1));
	assert_false(ratelog_event(rl, "uid:9998 x", 2));
	assert_int_equal(ratelog_flush(rl, 1 + W, emit, &s), UINT64_MAX);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.key[0], RATELOG_OVERFLOW_KEY);
	assert_int_equal(s.count[0], 1);
	/* Windows over, nothing pending: a new key takes a quiet entry. */
	assert_true(ratelog_event(rl, "uid:7777 x", 2 * W));
	assert_false(ratelog_event(rl, "uid:7777 x", 2 * W + 1));
	/* Keys past NX_RATELOG_KEY_MAX are cut: these two share an entry. */
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_true(ratelog_event(rl, lng, 2 * W));
	lng[sizeof(lng) - 2] = 'b';
	assert_false(ratelog_event(rl, lng, 2 * W));
	assert_int_equal(ratelog_new(NULL), -EINVAL);
	assert_null(ratelog_free(NULL));
	ratelog_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(flood),
	        cmocka_unit_test(keys_apart),
	        cmocka_unit_test(table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
