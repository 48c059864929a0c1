/* SPDX-License-Identifier: MIT */
/* nx-log queue and sink: buffering before logd, bounded drops and their report, batches in
 * order, backpressure, sink loss and re-buffering, times kept from when a record was logged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"
#include "nx-abi/clock.h"

static int msg_num(const struct fake *f, size_t i)
{
	int n = -1;

	assert_int_equal(sscanf(f->recs[i].r.message, "n=%d", &n), 1);
	return n;
}

static void test_buffer_then_flush_in_order(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;
	size_t i;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	for (i = 0; i < 3; i++)
		nx_log(NX_LOG_INFO, "s", "n=%zu", i);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 3);
	assert_int_equal(st.sent, 0);

	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(msg_num(fk, i), i);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.queued_bytes, 0);
	assert_int_equal(st.sent, 3);

	/* With the sink in place a record goes straight through. */
	nx_log(NX_LOG_INFO, "s", "n=%d", 3);
	assert_int_equal(fk->n, 4);
	assert_int_equal(msg_num(fk, 3), 3);
	assert_int_equal(fk->jrn_errors, 0);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* Past NX_LOG_QUEUE_RECORDS the oldest go; the sink first hears how many, then the rest in
 * order, in batches of at most NX_LOG_SINK_BATCH (+1 for the report). */
static void test_drop_oldest_and_report(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;
	const struct nx_log_record *r;
	size_t i;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	for (i = 0; i < NX_LOG_QUEUE_RECORDS + 10; i++)
		nx_log(NX_LOG_INFO, "s", "n=%zu", i);
	nx_log_stats(&st);
	assert_int_equal(st.queued, NX_LOG_QUEUE_RECORDS);
	assert_int_equal(st.dropped, 10);
	assert_int_equal(st.dropped_unreported, 10);

	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, NX_LOG_QUEUE_RECORDS + 1);
	assert_int_equal(fk->max_batch, NX_LOG_SINK_BATCH + 1); /* report + a full batch */
	r = &fk->recs[0].r;
	assert_int_equal(r->level, NX_LOG_WARN);
	assert_string_equal(r->scope, NX_LOG_SELF_SCOPE);
	assert_string_equal(r->message, "dropped 10 records");
	assert_int_equal(r->n_fields, 1);
	assert_string_equal(r->fields[0].key, "dropped");
	assert_string_equal(r->fields[0].value, "10");
	/* Stamped like the oldest surviving record: the lost ones came before it. */
	assert_int_equal(r->monotonic_ns, fk->recs[1].r.monotonic_ns);
	for (i = 1; i < fk->n; i++)
		assert_int_equal(msg_num(fk, i), i - 1 + 10);
	assert_int_equal(fk->jrn_errors, 0);
	nx_log_stats(&st);
	assert_int_equal(st.dropped, 10);
	assert_int_equal(st.dropped_unreported, 0);
	assert_int_equal(st.queued, 0);

	/* Reported once only. */
	nx_log(NX_LOG_INFO, "s", "n=%d", 9999);
	assert_int_equal(fk->n, NX_LOG_QUEUE_RECORDS + 2);
	assert_int_equal(msg_num(fk, fk->n - 1), 9999);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* Big records hit the byte limit long before the record limit. */
static void test_byte_limit(void **state)
{
	int before = fdcheck_count();
	static char msg[NX_LOG_MESSAGE_MAX + 1], val[NX_LOG_VALUE_MAX + 1];
	struct nx_log_field f[NX_LOG_FIELDS_MAX];
	struct nx_log_stats st;
	struct fake *fk = fake_new();
	size_t i, n = 200;

	memset(msg, 'm', NX_LOG_MESSAGE_MAX);
	memset(val, 'v', NX_LOG_VALUE_MAX);
	for (i = 0; i < NX_LOG_FIELDS_MAX; i++) {
		f[i].key = "key";
		f[i].value = val;
	}
	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	for (i = 0; i < n; i++) {
		nx_log_fields(NX_LOG_INFO, "big", msg, f, NX_LOG_FIELDS_MAX);
		nx_log_stats(&st);
		assert_true(st.queued_bytes <= NX_LOG_QUEUE_BYTES);
	}
	assert_true(st.queued < n);
	assert_true(st.queued < NX_LOG_QUEUE_RECORDS);
	assert_int_equal(st.dropped, n - st.queued);
	/* It was full: one more record of this size would not fit. */
	assert_true(st.queued_bytes + st.queued_bytes / st.queued > NX_LOG_QUEUE_BYTES);
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, st.queued + 1);
	assert_int_equal(fk->jrn_errors, 0);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* A sink that takes only part of a batch keeps the rest queued, in order, until the next
 * flush; the facade does not spin on it. */
static void test_backpressure(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;
	size_t i;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	for (i = 0; i < 5; i++)
		nx_log(NX_LOG_INFO, "s", "n=%zu", i);
	fk->room = 2;
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->calls, 1);
	assert_int_equal(fk->n, 2);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 3);

	assert_int_equal(nx_log_flush(), 2);
	assert_int_equal(fk->n, 4);
	fk->room = 0;
	assert_int_equal(nx_log_flush(), 0);
	nx_log(NX_LOG_INFO, "s", "n=%d", 5);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 2);
	fk->room = -1;
	assert_int_equal(nx_log_flush(), 2);
	for (i = 0; i < 6; i++)
		assert_int_equal(msg_num(fk, i), i);

	/* A drop report that was not taken stays pending and goes first next time. */
	fk->room = 0;
	for (i = 0; i < NX_LOG_QUEUE_RECORDS + 1; i++)
		nx_log(NX_LOG_INFO, "s", "n=%zu", 100 + i);
	nx_log_stats(&st);
	assert_int_equal(st.dropped_unreported, 1);
	fk->room = 1;
	assert_int_equal(nx_log_flush(), 1);
	assert_string_equal(fk->recs[6].r.message, "dropped 1 records");
	nx_log_stats(&st);
	assert_int_equal(st.dropped_unreported, 0);
	assert_int_equal(st.queued, NX_LOG_QUEUE_RECORDS);
	fk->room = -1;
	assert_int_equal(nx_log_flush(), NX_LOG_QUEUE_RECORDS);
	assert_int_equal(msg_num(fk, 7), 101);
	assert_int_equal(fk->jrn_errors, 0);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* The sink fails: the facade forgets it, keeps the records and buffers again; a new sink
 * gets everything, in order. */
static void test_sink_lost_rebuffers(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;
	size_t calls, i;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	nx_log(NX_LOG_INFO, "s", "n=%d", 0);
	assert_int_equal(fk->n, 1);

	fk->fail = 1;
	nx_log(NX_LOG_INFO, "s", "n=%d", 1);
	calls = fk->calls;
	nx_log(NX_LOG_INFO, "s", "n=%d", 2);
	assert_int_equal(fk->calls, calls); /* forgotten: not called again */
	assert_int_equal(nx_log_flush(), 0);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 2);

	fk->fail = 0;
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(msg_num(fk, i), i);

	/* Detaching by hand buffers too. */
	assert_int_equal(nx_log_set_sink(NULL, NULL), 0);
	nx_log(NX_LOG_INFO, "s", "n=%d", 3);
	assert_int_equal(fk->n, 3);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 1);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* A sink settles what it took: confirmed, or lost with the channel (counted, never sent
 * again); the next sink hears of the lost ones first, with the drops when there are both. */
static void test_settled_lost_reported(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;
	const struct nx_log_record *r;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	for (int i = 0; i < 5; i++)
		nx_log(NX_LOG_INFO, "s", "n=%d", i);
	assert_int_equal(fk->n, 5);
	nx_log_sink_settled(2, true);
	nx_log_sink_settled(3, false);
	nx_log_stats(&st);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.confirmed, 2);
	assert_int_equal(st.lost, 3);
	assert_int_equal(st.lost_unreported, 3);
	assert_int_equal(st.queued, 0);

	nx_log(NX_LOG_INFO, "s", "n=%d", 5);
	assert_int_equal(fk->n, 7);
	r = &fk->recs[5].r;
	assert_int_equal(r->level, NX_LOG_WARN);
	assert_string_equal(r->scope, NX_LOG_SELF_SCOPE);
	assert_string_equal(r->message, "lost 3 records");
	assert_int_equal(r->n_fields, 1);
	assert_string_equal(r->fields[0].key, "lost");
	assert_string_equal(r->fields[0].value, "3");
	assert_int_equal(msg_num(fk, 6), 5);
	nx_log_stats(&st);
	assert_int_equal(st.lost_unreported, 0);
	assert_int_equal(st.lost, 3);

	/* Lost and dropped while no sink is in place: one report says both. */
	nx_log_sink_settled(7, true);
	nx_log_sink_settled(1, false);
	assert_int_equal(nx_log_set_sink(NULL, NULL), 0);
	for (size_t i = 0; i < NX_LOG_QUEUE_RECORDS + 4; i++)
		nx_log(NX_LOG_INFO, "s", "n=%zu", i);
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	r = &fk->recs[7].r;
	assert_string_equal(r->message, "dropped 4 records, lost 1");
	assert_int_equal(r->n_fields, 2);
	assert_string_equal(r->fields[0].key, "dropped");
	assert_string_equal(r->fields[0].value, "4");
	assert_string_equal(r->fields[1].key, "lost");
	assert_string_equal(r->fields[1].value, "1");
	assert_int_equal(msg_num(fk, 8), 4);
	nx_log_stats(&st);
	assert_int_equal(st.confirmed, 9);
	assert_int_equal(st.lost, 4);
	assert_int_equal(st.lost_unreported + st.dropped_unreported, 0);
	assert_int_equal(fk->jrn_errors, 0);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

static void test_set_sink_rejects_bad_ops(void **state)
{
	int before = fdcheck_count();
	static const struct nx_log_sink no_send = {.send = NULL};

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	assert_int_equal(nx_log_set_sink(&no_send, NULL), -EINVAL);
	nx_log(NX_LOG_INFO, "s", "still buffered");
	assert_int_equal(nx_log_flush(), 0);
	nx_log_done();
	fdcheck_assert(before);
}

static void log_inside(struct fake *f)
{
	if (f->calls != 1)
		return;
	nx_log(NX_LOG_INFO, "s", "n=%d", 1000 + (int)f->calls);
	/* Neither a nested flush nor a sink change may run inside the call. */
	assert_int_equal(nx_log_flush(), 0);
	assert_int_equal(nx_log_set_sink(NULL, NULL), -EBUSY);
}

/* A sink that logs (say, about its own trouble) gets that record on a later flush. */
static void test_log_from_inside_sink(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	nx_log(NX_LOG_INFO, "s", "n=%d", 0);
	fk->inside = log_inside;
	fk->room = 1;
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	/* Call 1 took n=0 and logged n=1001, which was queued, not sent from inside; it took
	 * all it was offered, so the flush went on and call 2 took n=1001. */
	assert_int_equal(fk->calls, 2);
	assert_int_equal(fk->n, 2);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(msg_num(fk, 0), 0);
	assert_int_equal(msg_num(fk, 1), 1001);
	assert_int_equal(fk->jrn_errors, 0);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* A full queue while inside the sink: the new record is dropped (the batch points into the
 * queue, nothing may be evicted), and reported later. */
static void fill_inside(struct fake *f)
{
	size_t i;

	if (f->calls != 1)
		return;
	for (i = 0; i < NX_LOG_QUEUE_RECORDS; i++)
		nx_log(NX_LOG_INFO, "s", "n=%zu", 2000 + i);
}

static void test_full_inside_sink_drops_new(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	struct nx_log_stats st;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	nx_log(NX_LOG_INFO, "s", "n=%d", 0);
	fk->inside = fill_inside;
	fk->room = 0;
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	nx_log_stats(&st);
	assert_int_equal(st.queued, NX_LOG_QUEUE_RECORDS);
	assert_int_equal(st.dropped, 1);
	fk->room = -1;
	nx_log_flush();
	assert_string_equal(fk->recs[0].r.message, "dropped 1 records");
	assert_int_equal(msg_num(fk, 1), 0);
	assert_int_equal(msg_num(fk, 2), 2000);
	assert_int_equal(msg_num(fk, NX_LOG_QUEUE_RECORDS), 2000 + NX_LOG_QUEUE_RECORDS - 2);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* Times are from the log call, not from when the sink took the record. */
static void test_times_from_log_call(void **state)
{
	int before = fdcheck_count();
	struct fake *fk = fake_new();
	uint64_t m0, m1, r0, r1, m2;
	const struct nx_log_record *r;

	nx_log_init_fd("q", -1, NX_LOG_DEBUG);
	m0 = nx_clock_monotonic_ns();
	r0 = nx_clock_realtime_ns();
	nx_log(NX_LOG_INFO, "s", "n=%d", 0);
	m1 = nx_clock_monotonic_ns();
	r1 = nx_clock_realtime_ns();
	while ((m2 = nx_clock_monotonic_ns()) == m1)
		;
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	r = &fk->recs[0].r;
	assert_true(r->monotonic_ns >= m0 && r->monotonic_ns <= m1);
	assert_true(r->monotonic_ns < m2);
	assert_true(r->realtime_ns >= r0 && r->realtime_ns <= r1);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_buffer_then_flush_in_order),
	        cmocka_unit_test(test_drop_oldest_and_report),
	        cmocka_unit_test(test_byte_limit),
	        cmocka_unit_test(test_backpressure),
	        cmocka_unit_test(test_sink_lost_rebuffers),
	        cmocka_unit_test(test_settled_lost_reported),
	        cmocka_unit_test(test_set_sink_rejects_bad_ops),
	        cmocka_unit_test(test_log_from_inside_sink),
	        cmocka_unit_test(test_full_inside_sink_drops_new),
	        cmocka_unit_test(test_times_from_log_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
