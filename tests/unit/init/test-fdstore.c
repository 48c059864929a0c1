/* SPDX-License-Identifier: MIT */
/*
 * nexus-init's fd store: the table (names, replace, remove, the NX_FDSTORE_MAX bound, drop)
 * and FdStore over a real channel, served by init_link and called by nx-svc's initlink as a
 * service does: a deposited pipe comes back as the same pipe, also after the first channel
 * (the first run of the service) is gone; unknown names, bad names and the bound are refused
 * with their errors. No fd leaks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "fdstore.h"
#include "initlink.h"
#include "nx-abi/sock.h"

static void pipe_pair(int p[2])
{
	assert_int_equal(pipe(p), 0);
}

static void test_table(void **state)
{
	struct init_fdstore st = {0};
	int before = fdcheck_count(), p[2], q[2];
	char name[16];

	(void)state;
	pipe_pair(p);
	assert_int_equal(init_fdstore_put(&st, "ring", p[0]), 0);
	assert_int_equal(init_fdstore_get(&st, "ring"), p[0]);
	assert_int_equal(init_fdstore_get(&st, "other"), -ENOENT);
	pipe_pair(q);
	assert_int_equal(init_fdstore_put(&st, "ring", q[0]), 0); /* replaces, closes p[0] */
	assert_int_equal(init_fdstore_get(&st, "ring"), q[0]);
	assert_int_equal(st.n, 1);
	nx_fd_close(p[1]);
	nx_fd_close(q[1]);
	/* Bad names take the fd all the same. */
	pipe_pair(p);
	nx_fd_close(p[1]);
	assert_int_equal(init_fdstore_put(&st, "Ring/1", p[0]), -EINVAL);
	pipe_pair(p);
	nx_fd_close(p[1]);
	char longer[NX_FDSTORE_NAME_MAX + 2];
	memset(longer, 'a', NX_FDSTORE_NAME_MAX + 1);
	longer[NX_FDSTORE_NAME_MAX + 1] = '\0'; /* one byte over */
	assert_int_equal(init_fdstore_put(&st, longer, p[0]), -EINVAL);
	longer[NX_FDSTORE_NAME_MAX] = '\0'; /* at the limit */
	pipe_pair(p);
	nx_fd_close(p[1]);
	assert_int_equal(init_fdstore_put(&st, longer, p[0]), 0);
	assert_int_equal(init_fdstore_remove(&st, longer), 0);
	/* The bound: NX_FDSTORE_MAX names, one more refused (and closed). */
	for (unsigned i = 1; i < NX_FDSTORE_MAX; i++) {
		pipe_pair(p);
		nx_fd_close(p[1]);
		snprintf(name, sizeof(name), "fd%u", i);
		assert_int_equal(init_fdstore_put(&st, name, p[0]), 0);
	}
	pipe_pair(p);
	nx_fd_close(p[1]);
	assert_int_equal(init_fdstore_put(&st, "one-more", p[0]), -EDQUOT);
	assert_int_equal(init_fdstore_remove(&st, "fd1"), 0);
	assert_int_equal(init_fdstore_remove(&st, "fd1"), -ENOENT);
	assert_int_equal(st.n, NX_FDSTORE_MAX - 1);
	init_fdstore_drop(&st);
	assert_int_equal(st.n, 0);
	fdcheck_assert(before);
}

/* What init answers without a samgrd and a journal (both paths are end-to-end tested:
 * restart.sh, state.sh). */
static int no_reconnect(void *userdata, nx_rpc_incoming *in)
{
	(void)userdata;
	return nx_rpc_incoming_failf(in, -EAGAIN, "no samgrd here");
}

static int no_journal(void *userdata, struct log *log)
{
	(void)userdata;
	(void)log;
	return -EPERM;
}

static const struct init_link_ops test_ops = {.reconnect = no_reconnect, .journal = no_journal};

/* One run of a service: init's end served over the store, the service's end as initlink. */
struct run {
	init_link *link;
	nx_initlink *svc;
};

static void run_start(nx_loop *loop, struct init_fdstore *st, struct run *r)
{
	int ch[2];

	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(init_link_new(loop, ch[0], st, &test_ops, NULL, &r->link), 0);
	assert_int_equal(nx_initlink_new(loop, ch[1], &r->svc), 0);
}

static void run_end(struct run *r)
{
	r->svc = nx_initlink_free(r->svc);
	r->link = init_link_free(r->link);
}

static void test_over_a_channel(void **state)
{
	struct init_fdstore st = {0};
	int before = fdcheck_count(), p[2], fd = -1;
	struct run run;
	char name[16], c = 0;
	nx_loop *loop;

	(void)state;
	assert_int_equal(nx_loop_new(&loop), 0);
	run_start(loop, &st, &run);
	pipe_pair(p);
	assert_int_equal(nx_initlink_deposit(run.svc, "ring", p[1]), 0);
	nx_fd_close(p[1]); /* deposit sent a copy */
	assert_int_equal(nx_initlink_fetch(run.svc, "nothing", &fd), -ENOENT);
	assert_int_equal(nx_initlink_fetch(run.svc, "Bad/Name", &fd), -EINVAL);
	assert_int_equal(fd, -1);
	run_end(&run);

	/* The service's next run gets the same pipe back. */
	run_start(loop, &st, &run);
	assert_int_equal(nx_initlink_fetch(run.svc, "ring", &fd), 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	nx_fd_close(fd);
	/* The bound, over the wire: limit_exceeded comes back as -EDQUOT. */
	for (unsigned i = 1; i < NX_FDSTORE_MAX; i++) {
		snprintf(name, sizeof(name), "fd%u", i);
		assert_int_equal(nx_initlink_deposit(run.svc, name, p[0]), 0);
	}
	assert_int_equal(nx_initlink_deposit(run.svc, "one-more", p[0]), -EDQUOT);
	assert_int_equal(nx_initlink_deposit(run.svc, "ring", p[0]), 0); /* a replace is fine */
	run_end(&run);
	nx_fd_close(p[0]);
	init_fdstore_drop(&st);
	nx_loop_free(loop);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_over_a_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
