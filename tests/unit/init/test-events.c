/* SPDX-License-Identifier: MIT */
/*
 * nexus-init's events on their way to logd: queued while no Log is attached, at most
 * INIT_EVENTS_QUEUE_MAX (the oldest dropped, counted, and the count sent as a record first),
 * then sent in order to a Log served over a real channel, with the service as a field; after
 * a detach they queue again. No fd leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "fdcheck.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"

#define SEEN_MAX (INIT_EVENTS_QUEUE_MAX + 8)

/* The fake logd: what each append carried. */
struct seen {
	unsigned n;
	char message[SEEN_MAX][256];
	char service[SEEN_MAX][64];
	log_level level[SEEN_MAX];
};

static void text(char *dst, size_t size, const char *src, size_t len)
{
	snprintf(dst, size, "%.*s", (int)len, src);
}

static int serve_append(void *impl, nx_rpc_incoming *in, log_append_params params)
{
	struct seen *seen = impl;
	log_entry e = log_append_params_get_entry(params);
	nx_capnp_list fields;
	const char *t;
	size_t len;

	assert_true(seen->n < SEEN_MAX);
	seen->level[seen->n] = log_entry_get_level(e);
	assert_int_equal(log_entry_get_message(e, &t, &len), 0);
	text(seen->message[seen->n], sizeof(seen->message[0]), t, len);
	assert_int_equal(log_entry_get_scope(e, &t, &len), 0);
	assert_int_equal(strncmp(t, "supervise", len), 0);
	seen->service[seen->n][0] = '\0';
	assert_int_equal(log_entry_get_fields(e, &fields), 0);
	if (fields.count == 1) {
		log_field f = log_field_at(&fields, 0);

		assert_int_equal(log_field_get_key(f, &t, &len), 0);
		assert_int_equal(strncmp(t, "service", len), 0);
		assert_int_equal(log_field_get_value(f, &t, &len), 0);
		text(seen->service[seen->n], sizeof(seen->service[0]), t, len);
	}
	seen->n++;
	return log_append_return(in, seen->n);
}

static const struct log_server log_vt = {.append = serve_append};

static void run_until(nx_loop *loop, const struct seen *seen, unsigned n)
{
	uint64_t deadline = nx_clock_monotonic_ns() + 5000000000ull;

	while (seen->n < n && nx_clock_monotonic_ns() < deadline)
		assert_true(nx_loop_run_once(loop, 100000000ull) >= 0);
	assert_int_equal(seen->n, n);
}

static void test_queue_then_send(void **state)
{
	int before = fdcheck_count(), ch[2];
	nx_rpc_conn *server_conn, *client_conn;
	struct seen seen = {0};
	nx_rpc_cap *served, *log;
	init_events *ev;
	nx_loop *loop;
	char msg[32];

	(void)state;
	assert_int_equal(nx_loop_new(&loop), 0);
	assert_int_equal(init_events_new(&ev), 0);
	/* logd not up: the queue keeps the newest INIT_EVENTS_QUEUE_MAX. */
	for (unsigned i = 0; i < INIT_EVENTS_QUEUE_MAX + 5; i++) {
		snprintf(msg, sizeof(msg), "start s%u", i);
		init_events_add(ev, LOG_LEVEL_INFO, i % 2 ? "svc" : NULL, msg);
	}
	assert_int_equal(init_events_dropped(ev), 5);

	struct log *server;
	assert_int_equal(log_server_new(&log_vt, &seen, NULL, &server), 0);
	served = log_cap(server);
	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(nx_rpc_conn_new(loop, ch[0], served, &server_conn), 0);
	assert_int_equal(nx_rpc_conn_new(loop, ch[1], NULL, &client_conn), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(client_conn, &log), 0);
	init_events_attach(ev, log_from_cap(log));
	run_until(loop, &seen, INIT_EVENTS_QUEUE_MAX + 1);
	assert_string_equal(seen.message[0], "dropped 5 events while logd was away");
	assert_int_equal(seen.level[0], LOG_LEVEL_WARN);
	assert_string_equal(seen.message[1], "start s5"); /* the oldest kept */
	assert_string_equal(seen.service[1], "svc");
	assert_string_equal(seen.service[2], "");
	snprintf(msg, sizeof(msg), "start s%u", INIT_EVENTS_QUEUE_MAX + 4);
	assert_string_equal(seen.message[INIT_EVENTS_QUEUE_MAX], msg);

	/* Attached: sent at once. Detached: queued until the next attach. */
	init_events_add(ev, LOG_LEVEL_WARN, "logd", "exit logd (signal 9)");
	run_until(loop, &seen, INIT_EVENTS_QUEUE_MAX + 2);
	init_events_detach(ev);
	init_events_add(ev, LOG_LEVEL_INFO, "logd", "restart logd");
	assert_int_equal(nx_loop_run_once(loop, 10000000ull) >= 0, 1);
	assert_int_equal(seen.n, INIT_EVENTS_QUEUE_MAX + 2);
	init_events_attach(ev, log_from_cap(log));
	run_until(loop, &seen, INIT_EVENTS_QUEUE_MAX + 3);
	assert_string_equal(seen.message[INIT_EVENTS_QUEUE_MAX + 2], "restart logd");

	init_events_free(ev);
	nx_rpc_cap_unref(log);
	nx_rpc_conn_free(client_conn);
	nx_rpc_conn_free(server_conn);
	nx_rpc_cap_unref(served);
	nx_loop_free(loop);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_queue_then_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
