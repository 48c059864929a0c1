/* SPDX-License-Identifier: MIT */
/* nx-abi event loop: fds, timers, defers, signals, children, freeing from callbacks, quit. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"

/* Runs iterations until `*flag` is set; blocks in the loop, never sleeps or measures time. */
static void run_until(nx_loop *l, const int *flag)
{
	while (!*flag)
		assert_true(nx_loop_run_once(l, UINT64_MAX) >= 0);
}

/* ---- fd sources ---- */

struct fd_rec {
	int calls;
	uint32_t events;
	char byte;
};

static void on_fd_read(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct fd_rec *r = userdata;

	r->calls++;
	r->events = events;
	if (events & NX_EV_IN)
		assert_true(read(fd, &r->byte, 1) >= 0);
}

static void test_fd_events(void **state)
{
	int before = fdcheck_count();
	struct fd_rec rec = {0};
	nx_source *s;
	nx_loop *l;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_fd(l, p[0], NX_EV_IN, on_fd_read, &rec, &s), 0);

	/* Nothing ready: a poll runs nothing. */
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	assert_int_equal(rec.calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.events, NX_EV_IN);
	assert_int_equal(rec.byte, 'x');

	/* Level-triggered: two bytes, one read per call, two iterations. */
	assert_int_equal(write(p[1], "yz", 2), 2);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(rec.byte, 'y');
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(rec.byte, 'z');
	assert_int_equal(nx_loop_run_once(l, 0), 0);

	/* Not asked for: no call even when readable, except for HUP. */
	assert_int_equal(nx_source_set_events(s, 0), 0);
	assert_int_equal(write(p[1], "w", 1), 1);
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	close(p[1]);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_true(rec.events & NX_EV_HUP);
	assert_false(rec.events & NX_EV_IN);

	s = nx_source_free(s);
	assert_null(s);
	l = nx_loop_free(l);
	assert_null(l);
	close(p[0]);
	fdcheck_assert(before);
}

static void on_fd_out(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct fd_rec *r = userdata;

	r->calls++;
	r->events = events;
	assert_int_equal(nx_source_set_events(s, NX_EV_IN), 0);
}

static void test_fd_out_and_set_events(void **state)
{
	int before = fdcheck_count();
	struct fd_rec rec = {0};
	nx_source *s;
	nx_loop *l;
	int ch[2];

	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_fd(l, ch[0], NX_EV_OUT, on_fd_out, &rec, &s), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(rec.events, NX_EV_OUT);
	/* The callback switched to IN only; nothing to read, so nothing more. */
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(nx_source_set_events(s, 1u << 7), -EINVAL);

	nx_source_free(s);
	nx_loop_free(l);
	close(ch[0]);
	close(ch[1]);
	fdcheck_assert(before);
}

/* ---- timers ---- */

struct timer_log {
	int order[8];
	int n;
};

struct timer_ctx {
	struct timer_log *log;
	int id;
};

static void on_timer(nx_source *s, void *userdata)
{
	struct timer_ctx *c = userdata;

	c->log->order[c->log->n++] = c->id;
}

static void test_timers_in_order(void **state)
{
	int before = fdcheck_count();
	struct timer_log log = {{0}, 0};
	struct timer_ctx c[5];
	/* Past deadlines, added out of order, two equal: they all fire in one iteration, by
	 * deadline, ties in arming order. */
	const uint64_t deadline[5] = {30, 10, 20, 10, 5};
	nx_source *s[5];
	nx_loop *l;
	int i;

	assert_int_equal(nx_loop_new(&l), 0);
	for (i = 0; i < 5; i++) {
		c[i].log = &log;
		c[i].id = i;
		assert_int_equal(nx_loop_add_timer(l, deadline[i], on_timer, &c[i], &s[i]), 0);
	}
	/* Re-arming moves timer 4 after the tie at 10 but before 20. */
	assert_int_equal(nx_source_set_deadline(s[4], 15), 0);
	assert_int_equal(nx_loop_run_once(l, UINT64_MAX), 5);
	assert_int_equal(log.n, 5);
	assert_int_equal(log.order[0], 1);
	assert_int_equal(log.order[1], 3);
	assert_int_equal(log.order[2], 4);
	assert_int_equal(log.order[3], 2);
	assert_int_equal(log.order[4], 0);

	/* One-shot: nothing fires again until re-armed. */
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	assert_int_equal(nx_source_set_deadline(s[2], 1), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(log.order[5], 2);

	for (i = 0; i < 5; i++)
		nx_source_free(s[i]);
	nx_loop_free(l);
	fdcheck_assert(before);
}

struct stress_timer {
	nx_source *s;
	uint64_t deadline;
	bool armed;
	int fired;
};

static uint64_t stress_last;
static int stress_fired;

static void on_stress_timer(nx_source *s, void *userdata)
{
	struct stress_timer *t = userdata;

	/* Never out of order, never twice, never a disarmed or freed one. */
	assert_true(t->armed);
	assert_true(t->deadline >= stress_last);
	stress_last = t->deadline;
	t->armed = false;
	t->fired++;
	stress_fired++;
}

static void test_timer_heap_stress(void **state)
{
	int before = fdcheck_count();
	enum { N = 300 };
	static struct stress_timer t[N];
	uint32_t rng = 12345;
	int i, round, want = 0;
	nx_loop *l;

	memset(t, 0, sizeof(t));
	stress_last = 0;
	stress_fired = 0;
	assert_int_equal(nx_loop_new(&l), 0);
	for (i = 0; i < N; i++) {
		rng = rng * 1103515245u + 12345u;
		t[i].deadline = 1 + (rng >> 8) % 1000; /* past deadlines: all due now */
		t[i].armed = true;
		assert_int_equal(
		        nx_loop_add_timer(l, t[i].deadline, on_stress_timer, &t[i], &t[i].s), 0);
	}
	/* Re-arm, disarm and free at random positions of the heap. */
	for (round = 0; round < 3 * N; round++) {
		rng = rng * 1103515245u + 12345u;
		i = (int)((rng >> 8) % N);
		if (!t[i].s)
			continue;
		switch ((rng >> 4) % 4) {
		case 0:
			t[i].s = nx_source_free(t[i].s);
			t[i].armed = false;
			break;
		case 1:
			assert_int_equal(nx_source_set_deadline(t[i].s, UINT64_MAX), 0);
			t[i].armed = false;
			break;
		default:
			t[i].deadline = 1 + (rng >> 12) % 1000;
			assert_int_equal(nx_source_set_deadline(t[i].s, t[i].deadline), 0);
			t[i].armed = true;
			break;
		}
	}
	for (i = 0; i < N; i++)
		want += t[i].armed;
	assert_int_equal(nx_loop_run_once(l, 0), want);
	assert_int_equal(stress_fired, want);
	for (i = 0; i < N; i++) {
		assert_false(t[i].armed);
		nx_source_free(t[i].s);
	}
	nx_loop_free(l);
	fdcheck_assert(before);
}

static void on_timer_rearm_past(nx_source *s, void *userdata)
{
	int *calls = userdata;

	/* Re-armed in the past from its own callback: due again, but in the next iteration,
	 * not in an endless loop inside this one. */
	if (++*calls < 3)
		assert_int_equal(nx_source_set_deadline(s, 1), 0);
}

static void test_timer_rearm_from_callback(void **state)
{
	int before = fdcheck_count();
	int calls = 0;
	nx_source *s;
	nx_loop *l;

	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_timer(l, 1, on_timer_rearm_past, &calls, &s), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(calls, 2);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(calls, 3);
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	nx_source_free(s);
	nx_loop_free(l);
	fdcheck_assert(before);
}

static void on_timer_flag(nx_source *s, void *userdata)
{
	(*(int *)userdata)++;
}

static void test_timer_future_and_disarm(void **state)
{
	int before = fdcheck_count();
	int near = 0, far = 0, never = 0;
	nx_source *sn, *sf, *sv;
	nx_loop *l;
	uint64_t now = nx_clock_monotonic_ns();

	assert_int_equal(nx_loop_new(&l), 0);
	/* The far one (an hour) must not fire; the near one wakes a blocking wait. */
	assert_int_equal(
	        nx_loop_add_timer(l, now + 3600ull * 1000000000u, on_timer_flag, &far, &sf), 0);
	assert_int_equal(nx_loop_add_timer(l, now + 1000000u, on_timer_flag, &near, &sn), 0);
	assert_int_equal(nx_loop_add_timer(l, 1, on_timer_flag, &never, &sv), 0);
	assert_int_equal(nx_source_set_deadline(sv, UINT64_MAX), 0); /* disarmed */
	run_until(l, &near);
	assert_true(nx_clock_monotonic_ns() >= now + 1000000u);
	assert_int_equal(near, 1);
	assert_int_equal(far, 0);
	assert_int_equal(never, 0);
	assert_int_equal(nx_loop_run_once(l, 0), 0);

	nx_source_free(sn);
	nx_source_free(sf);
	nx_source_free(sv);
	nx_loop_free(l);
	fdcheck_assert(before);
}

static void test_run_once_timeout_returns(void **state)
{
	int before = fdcheck_count();
	nx_loop *l;

	/* Nothing attached: a finite wait returns with no callback run. */
	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_run_once(l, 1000), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	nx_loop_free(l);
	fdcheck_assert(before);
}

/* ---- defers ---- */

struct defer_ctx {
	int calls;
	bool reenable;
};

static void on_defer(nx_source *s, void *userdata)
{
	struct defer_ctx *c = userdata;

	c->calls++;
	if (c->reenable)
		assert_int_equal(nx_source_enable(s), 0);
}

static void test_defer(void **state)
{
	int before = fdcheck_count();
	struct defer_ctx once = {0}, again = {0, true};
	nx_source *s1, *s2;
	nx_loop *l;

	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_defer(l, on_defer, &once, &s1), 0);
	assert_int_equal(nx_loop_add_defer(l, on_defer, &again, &s2), 0);

	/* Both run once; the self-enabling one waits for the next iteration. */
	assert_int_equal(nx_loop_run_once(l, UINT64_MAX), 2);
	assert_int_equal(once.calls, 1);
	assert_int_equal(again.calls, 1);
	assert_int_equal(nx_loop_run_once(l, UINT64_MAX), 1);
	assert_int_equal(once.calls, 1);
	assert_int_equal(again.calls, 2);

	/* Enabling twice before it runs still runs it once. */
	again.reenable = false;
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(nx_source_enable(s1), 0);
	assert_int_equal(nx_source_enable(s1), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(once.calls, 2);
	assert_int_equal(nx_loop_run_once(l, 0), 0);

	/* Disabling an enabled defer takes it back: it does not run; disabling again is a no-op. */
	assert_int_equal(nx_source_enable(s1), 0);
	assert_int_equal(nx_source_disable(s1), 0);
	assert_int_equal(nx_source_disable(s1), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	assert_int_equal(once.calls, 2);
	assert_int_equal(nx_source_enable(s1), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(once.calls, 3);

	nx_source_free(s1);
	nx_source_free(s2);
	nx_loop_free(l);
	fdcheck_assert(before);
}

/* ---- signals ---- */

static void on_signal(nx_source *s, int signo, void *userdata)
{
	*(int *)userdata = signo;
}

static void test_signal(void **state)
{
	int before = fdcheck_count();
	int got = 0;
	nx_source *s, *dup;
	nx_loop *l;

	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_signal(l, SIGUSR1, on_signal, &got, &s), 0);
	assert_int_equal(nx_loop_add_signal(l, SIGUSR1, on_signal, &got, &dup), -EBUSY);
	assert_int_equal(nx_loop_add_signal(l, SIGKILL, on_signal, &got, &dup), -EINVAL);
	/* Blocked by add_signal: without that, raise would kill the test. */
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(l, &got);
	assert_int_equal(got, SIGUSR1);
	assert_int_equal(nx_loop_run_once(l, 0), 0);

	nx_source_free(s);
	nx_loop_free(l);
	fdcheck_assert(before);
}

/* ---- children ---- */

struct child_rec {
	int calls;
	int pid;
	int status;
	bool signaled;
};

static void on_child(nx_source *s, int pid, int status, bool signaled, void *userdata)
{
	struct child_rec *r = userdata;

	r->calls++;
	r->pid = pid;
	r->status = status;
	r->signaled = signaled;
}

static void test_child_exit_code(void **state)
{
	int before = fdcheck_count();
	struct child_rec rec = {0};
	nx_source *s;
	nx_loop *l;
	pid_t pid;

	assert_int_equal(nx_loop_new(&l), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(7);
	assert_int_equal(nx_loop_add_child(l, pid, on_child, &rec, &s), 0);
	run_until(l, &rec.calls);
	assert_int_equal(rec.pid, pid);
	assert_int_equal(rec.status, 7);
	assert_false(rec.signaled);
	/* Reaped by the loop, and not reported twice. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	assert_int_equal(rec.calls, 1);

	nx_source_free(s);
	nx_loop_free(l);
	fdcheck_assert(before);
}

static void test_child_killed(void **state)
{
	int before = fdcheck_count();
	struct child_rec rec = {0};
	nx_source *s;
	nx_loop *l;
	pid_t pid;

	assert_int_equal(nx_loop_new(&l), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	assert_int_equal(nx_loop_add_child(l, pid, on_child, &rec, &s), 0);
	assert_int_equal(nx_loop_run_once(l, 0), 0); /* alive: nothing to report */
	assert_int_equal(kill(pid, SIGKILL), 0);
	run_until(l, &rec.calls);
	assert_int_equal(rec.pid, pid);
	assert_int_equal(rec.status, SIGKILL);
	assert_true(rec.signaled);

	nx_source_free(s);
	nx_loop_free(l);
	fdcheck_assert(before);
}

/* ---- freeing sources from callbacks ---- */

struct pair_ctx {
	nx_source *self;
	nx_source **other; /* freed by whichever callback runs first */
	int *other_fd;
	int calls;
};

static void on_fd_free_other(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct pair_ctx *c = userdata;

	c->calls++;
	if (*c->other) {
		*c->other = nx_source_free(*c->other);
		/* Closing right after free is what the header allows; the loop must neither see
		 * the fd again nor call the freed source for the event it already holds. */
		close(*c->other_fd);
		*c->other_fd = -1;
	}
}

static void test_free_other_in_same_batch(void **state)
{
	int before = fdcheck_count();
	struct pair_ctx a = {0}, b = {0};
	nx_source *sa, *sb;
	nx_loop *l;
	int pa[2], pb[2];

	assert_int_equal(pipe2(pa, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pb, O_CLOEXEC), 0);
	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_fd(l, pa[0], NX_EV_IN, on_fd_free_other, &a, &sa), 0);
	assert_int_equal(nx_loop_add_fd(l, pb[0], NX_EV_IN, on_fd_free_other, &b, &sb), 0);
	a.other = &sb;
	a.other_fd = &pb[0];
	b.other = &sa;
	b.other_fd = &pa[0];
	/* Both readable before the wait: one epoll_wait returns both events. */
	assert_int_equal(write(pa[1], "a", 1), 1);
	assert_int_equal(write(pb[1], "b", 1), 1);

	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(a.calls + b.calls, 1);
	/* The survivor still works (its byte is still unread: level-triggered). */
	assert_int_equal(nx_loop_run_once(l, 0), 1);
	assert_int_equal(a.calls + b.calls, 2);

	nx_source_free(sa ? sa : sb);
	nx_loop_free(l);
	close(pa[0] >= 0 ? pa[0] : pb[0]);
	close(pa[1]);
	close(pb[1]);
	fdcheck_assert(before);
}

static void on_fd_free_self(nx_source *s, int fd, uint32_t events, void *userdata)
{
	int *calls = userdata;
	char c;

	(*calls)++;
	assert_int_equal(read(fd, &c, 1), 1);
	assert_null(nx_source_free(s));
	close(fd);
}

static void on_timer_free_self(nx_source *s, void *userdata)
{
	(*(int *)userdata)++;
	nx_source_free(s);
}

static void on_defer_free_self(nx_source *s, void *userdata)
{
	(*(int *)userdata)++;
	nx_source_free(s);
	/* Enabling through a stale pointer would be a bug in the caller; not tested. */
}

static void test_free_self(void **state)
{
	int before = fdcheck_count();
	int fd_calls = 0, timer_calls = 0, defer_calls = 0;
	nx_source *sf, *st, *sd;
	nx_loop *l;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_fd(l, p[0], NX_EV_IN, on_fd_free_self, &fd_calls, &sf), 0);
	assert_int_equal(nx_loop_add_timer(l, 1, on_timer_free_self, &timer_calls, &st), 0);
	assert_int_equal(nx_loop_add_defer(l, on_defer_free_self, &defer_calls, &sd), 0);
	assert_int_equal(write(p[1], "ab", 2), 2); /* would call again if still attached */

	assert_int_equal(nx_loop_run_once(l, 0), 3);
	assert_int_equal(nx_loop_run_once(l, 0), 0);
	assert_int_equal(fd_calls, 1);
	assert_int_equal(timer_calls, 1);
	assert_int_equal(defer_calls, 1);

	nx_loop_free(l);
	close(p[1]);
	fdcheck_assert(before);
}

struct timer_free_ctx {
	nx_source **victim;
	int calls;
};

static void on_timer_free_other(nx_source *s, void *userdata)
{
	struct timer_free_ctx *c = userdata;

	c->calls++;
	if (*c->victim)
		*c->victim = nx_source_free(*c->victim);
}

static void on_defer_free_other(nx_source *s, void *userdata)
{
	struct timer_free_ctx *c = userdata;

	c->calls++;
	if (*c->victim)
		*c->victim = nx_source_free(*c->victim);
}

static void test_free_other_timer_and_defer(void **state)
{
	int before = fdcheck_count();
	struct timer_free_ctx t1 = {0}, t2 = {0}, d1 = {0}, d2 = {0};
	nx_source *st1, *st2, *sd1, *sd2;
	nx_loop *l;

	assert_int_equal(nx_loop_new(&l), 0);
	/* Both expired in the same pass: the first frees the second before it runs. */
	assert_int_equal(nx_loop_add_timer(l, 1, on_timer_free_other, &t1, &st1), 0);
	assert_int_equal(nx_loop_add_timer(l, 2, on_timer_free_other, &t2, &st2), 0);
	t1.victim = &st2;
	t2.victim = &st1;
	/* Same for two queued defers. */
	assert_int_equal(nx_loop_add_defer(l, on_defer_free_other, &d1, &sd1), 0);
	assert_int_equal(nx_loop_add_defer(l, on_defer_free_other, &d2, &sd2), 0);
	d1.victim = &sd2;
	d2.victim = &sd1;

	assert_int_equal(nx_loop_run_once(l, 0), 2);
	assert_int_equal(t1.calls, 1);
	assert_int_equal(t2.calls, 0);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d2.calls, 0);
	assert_null(st2);
	assert_null(sd2);

	nx_source_free(st1);
	nx_source_free(sd1);
	nx_loop_free(l);
	fdcheck_assert(before);
}

static void test_loop_free_frees_sources(void **state)
{
	int before = fdcheck_count();
	struct child_rec child = {0};
	struct defer_ctx defer = {0};
	int calls = 0;
	nx_source *s;
	nx_loop *l;
	pid_t pid;

	/* Sources that own fds (signalfd, pidfd) are closed by the loop's free. */
	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_loop_add_signal(l, SIGUSR2, on_signal, &calls, &s), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(nx_loop_add_child(l, pid, on_child, &child, &s), 0);
	assert_int_equal(nx_loop_add_timer(l, 1, on_timer_flag, &calls, &s), 0);
	assert_int_equal(nx_loop_add_defer(l, on_defer, &defer, &s), 0);
	assert_null(nx_loop_free(l));
	assert_null(nx_loop_free(NULL));
	assert_null(nx_source_free(NULL));
	assert_int_equal(calls + child.calls + defer.calls, 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	fdcheck_assert(before);
}

/* ---- nested iterations (a blocking call made from inside a callback) ---- */

struct nested_shared {
	nx_loop *l;
	int fd_calls;
	int timer_calls;
	nx_source **victim;
	int *victim_fd;
};

struct nested_side {
	struct nested_shared *sh;
	nx_source **other;
	int *other_fd;
};

static void on_nested_timer(nx_source *s, void *userdata)
{
	struct nested_shared *sh = userdata;

	sh->timer_calls++;
	*sh->victim = nx_source_free(*sh->victim);
	close(*sh->victim_fd);
	*sh->victim_fd = -1;
}

static void on_fd_nested(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct nested_side *side = userdata;
	struct nested_shared *sh = side->sh;
	nx_source *t;
	char b;

	assert_int_equal(read(fd, &b, 1), 1);
	if (++sh->fd_calls > 1)
		return;
	/* The first callback waits in the same loop until its timer ran, like an RPC call
	 * with a deadline. The nested iteration dispatches the other (still readable) source,
	 * then the timer frees it while the outer batch still holds an event for it. */
	sh->victim = side->other;
	sh->victim_fd = side->other_fd;
	assert_int_equal(nx_loop_add_timer(sh->l, 1, on_nested_timer, sh, &t), 0);
	while (sh->timer_calls == 0)
		assert_true(nx_loop_run_once(sh->l, UINT64_MAX) >= 0);
	nx_source_free(t);
}

static void test_nested_run_once(void **state)
{
	int before = fdcheck_count();
	struct nested_shared sh = {0};
	struct nested_side a = {&sh, NULL, NULL}, b = {&sh, NULL, NULL};
	nx_source *sa, *sb;
	int pa[2], pb[2];

	assert_int_equal(pipe2(pa, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pb, O_CLOEXEC), 0);
	assert_int_equal(nx_loop_new(&sh.l), 0);
	assert_int_equal(nx_loop_add_fd(sh.l, pa[0], NX_EV_IN, on_fd_nested, &a, &sa), 0);
	assert_int_equal(nx_loop_add_fd(sh.l, pb[0], NX_EV_IN, on_fd_nested, &b, &sb), 0);
	a.other = &sb;
	a.other_fd = &pb[0];
	b.other = &sa;
	b.other_fd = &pa[0];
	assert_int_equal(write(pa[1], "a", 1), 1);
	assert_int_equal(write(pb[1], "b", 1), 1);

	/* Outer: the first callback only (the second event belongs to a freed source). */
	assert_int_equal(nx_loop_run_once(sh.l, 0), 1);
	assert_int_equal(sh.fd_calls, 2);
	assert_int_equal(sh.timer_calls, 1);
	assert_true((sa == NULL) != (sb == NULL));
	assert_int_equal(nx_loop_run_once(sh.l, 0), 0);

	nx_source_free(sa ? sa : sb);
	nx_loop_free(sh.l);
	close(pa[0] >= 0 ? pa[0] : pb[0]);
	close(pa[1]);
	close(pb[1]);
	fdcheck_assert(before);
}

/* ---- quit ---- */

struct quit_ctx {
	nx_loop *l;
	int runs;
};

static void on_defer_quit(nx_source *s, void *userdata)
{
	struct quit_ctx *c = userdata;

	/* Quit on the third run: the loop keeps iterating until then. */
	if (++c->runs == 3)
		nx_loop_quit(c->l, 42);
	else
		assert_int_equal(nx_source_enable(s), 0);
}

static void test_quit_code(void **state)
{
	int before = fdcheck_count();
	struct quit_ctx ctx = {0};
	nx_source *s;

	assert_int_equal(nx_loop_new(&ctx.l), 0);
	assert_int_equal(nx_loop_add_defer(ctx.l, on_defer_quit, &ctx, &s), 0);
	assert_int_equal(nx_loop_run(ctx.l), 42);
	assert_int_equal(ctx.runs, 3);
	/* The quit was consumed: the next run goes on until the next quit. */
	ctx.runs = 0;
	assert_int_equal(nx_source_enable(s), 0);
	assert_int_equal(nx_loop_run(ctx.l), 42);
	assert_int_equal(ctx.runs, 3);

	nx_source_free(s);
	nx_loop_free(ctx.l);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fd_events),
	        cmocka_unit_test(test_fd_out_and_set_events),
	        cmocka_unit_test(test_timers_in_order),
	        cmocka_unit_test(test_timer_heap_stress),
	        cmocka_unit_test(test_timer_rearm_from_callback),
	        cmocka_unit_test(test_timer_future_and_disarm),
	        cmocka_unit_test(test_run_once_timeout_returns),
	        cmocka_unit_test(test_defer),
	        cmocka_unit_test(test_signal),
	        cmocka_unit_test(test_child_exit_code),
	        cmocka_unit_test(test_child_killed),
	        cmocka_unit_test(test_free_self),
	        cmocka_unit_test(test_free_other_in_same_batch),
	        cmocka_unit_test(test_free_other_timer_and_defer),
	        cmocka_unit_test(test_loop_free_frees_sources),
	        cmocka_unit_test(test_nested_run_once),
	        cmocka_unit_test(test_quit_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
