/* SPDX-License-Identifier: MIT */
/*
 * nx-abi event loop on epoll.
 *
 * - fd sources are level-triggered: a callback that leaves data unread is called again on the
 *   next iteration, so no readiness is ever lost and callbacks may read in bounded chunks.
 * - Timers share one timerfd armed at the earliest deadline of a min-heap. One fd per loop
 *   instead of one per timer: the RPC layer keeps a deadline per outstanding call and a
 *   per-connection timeout, so timer counts follow connection counts and must not cost fds;
 *   re-arming is a heap sift instead of a syscall. The timerfd (rather than just an epoll
 *   timeout) keeps the loop's epoll fd readable when a timer is due, so it can be nested.
 * - Signals use a signalfd per source, children a pidfd per source (both owned by the source).
 *
 * Freed sources: nx_source_free detaches at once (epoll, heap, defer queue, owned fds), but
 * while any iteration is dispatching, the memory goes to a graveyard freed when the outermost
 * nx_loop_run_once returns. Events already returned by epoll_wait, expired timers and queued
 * defers of the same batch hold plain pointers; they stay valid and carry `dead`, so the loop
 * skips them instead of touching freed memory.
 */
#include <assert.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/spawn.h"
#include "abi-internal.h"

#define LOOP_MAX_EVENTS 64

enum source_kind {
	SOURCE_FD,
	SOURCE_TIMER,
	SOURCE_DEFER,
	SOURCE_SIGNAL,
	SOURCE_CHILD,
};

enum timer_state {
	TIMER_IDLE,   /* not armed */
	TIMER_ARMED,  /* in the heap */
	TIMER_FIRING, /* expired, taken out of the heap, callback not yet run */
};

struct link {
	struct link *prev, *next;
};

struct nx_source {
	nx_loop *loop;
	enum source_kind kind;
	bool dead;
	void *userdata;
	struct link all;      /* loop->sources: every live source, for nx_loop_free */
	struct link queue;    /* defer: loop->defers or a batch being run */
	nx_source *next_dead; /* graveyard */
	union {
		nx_fd_cb fd;
		nx_timer_cb timer;
		nx_defer_cb defer;
		nx_signal_cb signal;
		nx_child_cb child;
	} cb;
	/* SOURCE_FD: borrowed. SOURCE_SIGNAL (signalfd): owned. SOURCE_CHILD (pidfd): owned
	 * from nx_loop_add_child, borrowed from nx_loop_add_process (owns_fd). */
	int fd;
	bool owns_fd;
	uint32_t events;         /* SOURCE_FD: NX_EV_* asked for */
	bool watched;            /* registered with epoll */
	uint64_t deadline;       /* SOURCE_TIMER */
	uint64_t seq;            /* SOURCE_TIMER: ties fire in arming order */
	size_t heap_idx;         /* SOURCE_TIMER, when TIMER_ARMED */
	enum timer_state tstate; /* SOURCE_TIMER */
	nx_source *next_expired; /* SOURCE_TIMER, when TIMER_FIRING */
	bool queued;             /* SOURCE_DEFER: in a queue */
	int signo;               /* SOURCE_SIGNAL */
	int pid;                 /* SOURCE_CHILD */
};

struct nx_loop {
	int epfd;
	int timerfd;
	uint64_t timerfd_armed; /* deadline the timerfd is set to; UINT64_MAX: disarmed */
	struct link sources;
	struct link defers;
	nx_source **heap;
	size_t heap_len, heap_cap;
	uint64_t timer_seq;
	unsigned depth; /* nested nx_loop_run_once calls currently dispatching */
	nx_source *graveyard;
	bool quit;
	int quit_code;
};

static void link_init(struct link *h)
{
	h->prev = h->next = h;
}

static bool link_linked(const struct link *n)
{
	return n->next != NULL && n->next != n;
}

static void link_append(struct link *h, struct link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void link_remove(struct link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	link_init(n);
}

#define link_entry(ptr, field) ((nx_source *)((char *)(ptr)-offsetof(nx_source, field)))

/* ---- timer heap ---- */

static bool timer_before(const nx_source *a, const nx_source *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void heap_set(nx_loop *l, size_t i, nx_source *s)
{
	l->heap[i] = s;
	s->heap_idx = i;
}

static void heap_up(nx_loop *l, size_t i)
{
	nx_source *s = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(s, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, s);
}

static void heap_down(nx_loop *l, size_t i)
{
	nx_source *s = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len && timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], s))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, s);
}

static int heap_insert(nx_loop *l, nx_source *s)
{
	if (l->heap_len == l->heap_cap) {
		size_t cap = l->heap_cap ? l->heap_cap * 2 : 16;
		nx_source **h;

		if (cap > SIZE_MAX / sizeof(nx_source *))
			return -ENOMEM;
		h = realloc(l->heap, cap * sizeof(nx_source *));
		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->heap_cap = cap;
	}
	heap_set(l, l->heap_len++, s);
	heap_up(l, s->heap_idx);
	return 0;
}

static void heap_remove(nx_loop *l, nx_source *s)
{
	size_t i = s->heap_idx;

	assert(i < l->heap_len && l->heap[i] == s);
	l->heap_len--;
	if (i != l->heap_len) {
		nx_source *last = l->heap[l->heap_len];

		/* The last element fills the hole; it may belong above or below it. */
		heap_set(l, i, last);
		heap_up(l, i);
		heap_down(l, last->heap_idx);
	}
}

/* Sets the timerfd to the earliest deadline, only when that changed. */
static int timerfd_sync(nx_loop *l)
{
	uint64_t want = l->heap_len ? l->heap[0]->deadline : UINT64_MAX;
	struct itimerspec its = {0};

	if (want == l->timerfd_armed)
		return 0;
	if (want != UINT64_MAX) {
		/* An all-zero it_value disarms; a deadline in the past must still fire. */
		uint64_t d = want ? want : 1;

		its.it_value.tv_sec = (time_t)(d / 1000000000u);
		its.it_value.tv_nsec = (long)(d % 1000000000u);
	}
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return nx_neg_errno();
	l->timerfd_armed = want;
	return 0;
}

/* ---- loop ---- */

int nx_loop_new(nx_loop **ret)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	nx_loop *l;
	int r;

	assert_return(ret, -EINVAL);

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = -1;
	l->timerfd = -1;
	l->timerfd_armed = UINT64_MAX;
	link_init(&l->sources);
	link_init(&l->defers);

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->timerfd < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	/* data.ptr NULL marks the timerfd; every source has a non-NULL pointer. */
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->timerfd, &ev) < 0) {
		r = nx_neg_errno();
		goto fail;
	}
	*ret = l;
	return 0;
fail:
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
	return r;
}

static void source_detach(nx_source *s);

nx_loop *nx_loop_free(nx_loop *l)
{
	if (!l)
		return NULL;
	/* Freeing the loop from one of its own callbacks would pull the batch from under the
	 * dispatcher. */
	assert(l->depth == 0);
	for (struct link *i = l->sources.next, *next; i != &l->sources; i = next) {
		nx_source *s = link_entry(i, all);

		next = i->next;
		source_detach(s);
		free(s);
	}
	while (l->graveyard) {
		nx_source *s = l->graveyard;

		l->graveyard = s->next_dead;
		free(s);
	}
	free(l->heap);
	close(l->timerfd);
	close(l->epfd);
	free(l);
	return NULL;
}

static nx_source *source_new(nx_loop *l, enum source_kind kind, void *userdata)
{
	nx_source *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = l;
	s->kind = kind;
	s->userdata = userdata;
	s->fd = -1;
	link_init(&s->queue);
	link_append(&l->sources, &s->all);
	return s;
}

/* Unlinks a source from everything the loop could reach it through, and closes what it owns.
 * After this only the current batch may still hold the pointer, and it checks `dead`. */
static void source_detach(nx_source *s)
{
	nx_loop *l = s->loop;

	s->dead = true;
	if (s->watched) {
		/* Cannot fail for an fd we registered, unless the caller already closed it, in
		 * which case the kernel dropped it from the set on its own. */
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		s->watched = false;
	}
	if (s->kind == SOURCE_TIMER && s->tstate == TIMER_ARMED)
		heap_remove(l, s);
	s->tstate = TIMER_IDLE;
	if (link_linked(&s->queue))
		link_remove(&s->queue);
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	link_remove(&s->all);
}

nx_source *nx_source_free(nx_source *s)
{
	nx_loop *l;

	if (!s)
		return NULL;
	l = s->loop;
	assert(!s->dead);
	source_detach(s);
	if (l->depth > 0) {
		s->next_dead = l->graveyard;
		l->graveyard = s;
	} else {
		free(s);
	}
	return NULL;
}

static uint32_t to_epoll(uint32_t events)
{
	uint32_t e = 0;

	if (events & NX_EV_IN)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & NX_EV_OUT)
		e |= EPOLLOUT;
	return e; /* EPOLLHUP and EPOLLERR are always reported */
}

static int source_watch(nx_source *s, int op, uint32_t epoll_events)
{
	struct epoll_event ev = {.events = epoll_events, .data.ptr = s};

	if (epoll_ctl(s->loop->epfd, op, s->fd, &ev) < 0)
		return nx_neg_errno();
	s->watched = true;
	return 0;
}

int nx_loop_add_fd(
        nx_loop *l, int fd, uint32_t events, nx_fd_cb cb, void *userdata, nx_source **ret)
{
	nx_source *s;
	int r;

	assert_return(l && fd >= 0 && cb && ret, -EINVAL);
	assert_return((events & ~(NX_EV_IN | NX_EV_OUT | NX_EV_HUP)) == 0, -EINVAL);

	s = source_new(l, SOURCE_FD, userdata);
	if (!s)
		return -ENOMEM;
	s->cb.fd = cb;
	s->fd = fd;
	s->events = events;
	r = source_watch(s, EPOLL_CTL_ADD, to_epoll(events));
	if (r < 0) {
		s->fd = -1; /* borrowed: not ours to close */
		link_remove(&s->all);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int nx_source_set_events(nx_source *s, uint32_t events)
{
	int r;

	assert_return(s && !s->dead && s->kind == SOURCE_FD, -EINVAL);
	assert_return((events & ~(NX_EV_IN | NX_EV_OUT | NX_EV_HUP)) == 0, -EINVAL);

	/* Callers re-state their interest after every write (nx-rpc does, per message): an
	 * unchanged mask must not cost an epoll_ctl. Level-triggered, so a MOD re-arms nothing. */
	if (s->watched && to_epoll(events) == to_epoll(s->events)) {
		s->events = events;
		return 0;
	}
	r = source_watch(s, EPOLL_CTL_MOD, to_epoll(events));
	if (r < 0)
		return r;
	s->events = events;
	return 0;
}

int nx_loop_add_timer(
        nx_loop *l, uint64_t deadline_ns, nx_timer_cb cb, void *userdata, nx_source **ret)
{
	nx_source *s;
	int r;

	assert_return(l && cb && ret, -EINVAL);

	s = source_new(l, SOURCE_TIMER, userdata);
	if (!s)
		return -ENOMEM;
	s->cb.timer = cb;
	r = nx_source_set_deadline(s, deadline_ns);
	if (r < 0) {
		link_remove(&s->all);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int nx_source_set_deadline(nx_source *s, uint64_t deadline_ns)
{
	nx_loop *l;
	int r;

	assert_return(s && !s->dead && s->kind == SOURCE_TIMER, -EINVAL);
	l = s->loop;

	if (s->tstate == TIMER_ARMED)
		heap_remove(l, s);
	s->tstate = TIMER_IDLE;
	if (deadline_ns == UINT64_MAX)
		return 0; /* never: stays disarmed */
	s->deadline = deadline_ns;
	s->seq = l->timer_seq++;
	r = heap_insert(l, s);
	if (r < 0)
		return r;
	s->tstate = TIMER_ARMED;
	return 0;
}

int nx_loop_add_defer(nx_loop *l, nx_defer_cb cb, void *userdata, nx_source **ret)
{
	nx_source *s;

	assert_return(l && cb && ret, -EINVAL);

	s = source_new(l, SOURCE_DEFER, userdata);
	if (!s)
		return -ENOMEM;
	s->cb.defer = cb;
	link_append(&l->defers, &s->queue);
	*ret = s;
	return 0;
}

int nx_source_enable(nx_source *s)
{
	assert_return(s && !s->dead && s->kind == SOURCE_DEFER, -EINVAL);

	/* Already queued (for the next iteration, or in the batch running now): runs once. */
	if (!link_linked(&s->queue))
		link_append(&s->loop->defers, &s->queue);
	return 0;
}

int nx_source_disable(nx_source *s)
{
	assert_return(s && !s->dead && s->kind == SOURCE_DEFER, -EINVAL);

	/* Queued for the next iteration or in the batch running now: either way it leaves. */
	if (link_linked(&s->queue))
		link_remove(&s->queue);
	return 0;
}

int nx_loop_add_signal(nx_loop *l, int signo, nx_signal_cb cb, void *userdata, nx_source **ret)
{
	struct link *i;
	sigset_t mask;
	nx_source *s;
	int r, fd;

	assert_return(l && cb && ret, -EINVAL);
	assert_return(signo > 0 && signo < _NSIG && signo != SIGKILL && signo != SIGSTOP, -EINVAL);

	/* Two signalfds for one signal would race for each delivery. */
	for (i = l->sources.next; i != &l->sources; i = i->next) {
		nx_source *o = link_entry(i, all);

		if (o->kind == SOURCE_SIGNAL && o->signo == signo)
			return -EBUSY;
	}

	sigemptyset(&mask);
	sigaddset(&mask, signo);
	/* Blocked before the signalfd exists so no delivery slips through to the default action.
	 * It stays blocked when the source is freed: unblocking could run the default action
	 * (often termination) for a signal that arrived meanwhile. */
	r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
	if (r != 0)
		return -r;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return nx_neg_errno();

	s = source_new(l, SOURCE_SIGNAL, userdata);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->cb.signal = cb;
	s->fd = fd;
	s->owns_fd = true;
	s->signo = signo;
	r = source_watch(s, EPOLL_CTL_ADD, EPOLLIN);
	if (r < 0) {
		source_detach(s);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* A child source on pidfd; owned: closed with the source (also on failure here). */
static int add_child(
        nx_loop *l, int pidfd, bool owned, int pid, nx_child_cb cb, void *userdata, nx_source **ret)
{
	nx_source *s;
	int r;

	s = source_new(l, SOURCE_CHILD, userdata);
	if (!s) {
		if (owned)
			close(pidfd);
		return -ENOMEM;
	}
	s->cb.child = cb;
	s->fd = pidfd;
	s->owns_fd = owned;
	s->pid = pid;
	r = source_watch(s, EPOLL_CTL_ADD, EPOLLIN);
	if (r < 0) {
		source_detach(s);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int nx_loop_add_child(nx_loop *l, int pid, nx_child_cb cb, void *userdata, nx_source **ret)
{
	int fd;

	assert_return(l && pid > 0 && cb && ret, -EINVAL);
	/* pidfds are always close-on-exec. glibc 2.36 has a wrapper, older ones do not. */
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return nx_neg_errno();
	return add_child(l, fd, true, pid, cb, userdata, ret);
}

int nx_loop_add_process(
        nx_loop *l, const struct nx_spawned *child, nx_child_cb cb, void *userdata, nx_source **ret)
{
	assert_return(l && child && child->pidfd >= 0 && child->pid > 0 && cb && ret, -EINVAL);
	return add_child(l, child->pidfd, false, child->pid, cb, userdata, ret);
}

/* ---- dispatch ---- */

static int dispatch_defers(nx_loop *l)
{
	struct link batch;
	int n = 0;

	if (!link_linked(&l->defers))
		return 0;
	/* Take the whole queue: defers enabled by these callbacks wait for the next iteration,
	 * so a defer that re-enables itself cannot starve everything else. */
	batch.next = l->defers.next;
	batch.prev = l->defers.prev;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	link_init(&l->defers);

	while (link_linked(&batch)) {
		nx_source *s = link_entry(batch.next, queue);

		link_remove(&s->queue);
		s->cb.defer(s, s->userdata);
		n++;
	}
	return n;
}

static int dispatch_fd(nx_source *s, uint32_t e)
{
	uint32_t ev = 0;

	if (e & EPOLLIN)
		ev |= NX_EV_IN;
	if (e & EPOLLOUT)
		ev |= NX_EV_OUT;
	/* An earlier callback of this batch may have changed what the source asks for. */
	ev &= s->events;
	if (e & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		ev |= NX_EV_HUP;
	if (!ev)
		return 0;
	s->cb.fd(s, s->fd, ev, s->userdata);
	return 1;
}

static int dispatch_signal(nx_source *s)
{
	struct signalfd_siginfo si;
	ssize_t n = read(s->fd, &si, sizeof(si));

	/* EAGAIN: another reader (a second loop, sigwait) took it first. */
	if (n != (ssize_t)sizeof(si))
		return 0;
	s->cb.signal(s, (int)si.ssi_signo, s->userdata);
	return 1;
}

static int dispatch_child(nx_source *s)
{
	int status, r;
	bool signaled = false;

	r = nx_process_wait(s->fd, false, &status, &signaled);
	if (r == -EAGAIN)
		return 0; /* not exited yet */
	if (r < 0)
		status = r; /* reaped by someone else (or SIGCHLD ignored): report, not go silent */
	/* An exited pidfd stays readable forever: stop watching it, the source stays allocated
	 * until the owner frees it. */
	(void)epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	s->watched = false;
	s->cb.child(s, s->pid, status, signaled, s->userdata);
	return 1;
}

static int dispatch_timers(nx_loop *l)
{
	nx_source *expired = NULL, **tail = &expired;
	uint64_t now;
	int n = 0;

	/* No clock read per iteration for a loop without timers (a client waiting on a call). */
	if (l->heap_len == 0)
		return 0;
	now = nx_clock_monotonic_ns();

	/* Collect first, then run: a callback that re-arms in the past fires next iteration,
	 * not in an endless loop here. */
	while (l->heap_len && l->heap[0]->deadline <= now) {
		nx_source *s = l->heap[0];

		heap_remove(l, s);
		s->tstate = TIMER_FIRING;
		s->next_expired = NULL;
		*tail = s;
		tail = &s->next_expired;
	}
	while (expired) {
		nx_source *s = expired;

		expired = s->next_expired;
		/* Freed (dead) or re-armed (ARMED) by an earlier callback of this batch. */
		if (s->dead || s->tstate != TIMER_FIRING)
			continue;
		s->tstate = TIMER_IDLE;
		s->cb.timer(s, s->userdata);
		n++;
	}
	return n;
}

static int timeout_ms(uint64_t timeout_ns)
{
	uint64_t ms;

	if (timeout_ns == UINT64_MAX)
		return -1;
	/* Round up: waking early would make a deadline-driven caller spin. */
	ms = timeout_ns / 1000000u + (timeout_ns % 1000000u != 0);
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

int nx_loop_run_once(nx_loop *l, uint64_t timeout_ns)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int r, n, i, ran = 0;

	assert_return(l, -EINVAL);

	l->depth++;
	ran += dispatch_defers(l);

	r = timerfd_sync(l);
	if (r < 0)
		goto out;

	/* Work was done or is queued: look at the fds but do not sleep. */
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS,
	        ran > 0 || link_linked(&l->defers) ? 0 : timeout_ms(timeout_ns));
	if (n < 0) {
		r = errno == EINTR ? 0 : nx_neg_errno();
		goto out;
	}

	for (i = 0; i < n; i++) {
		nx_source *s = evs[i].data.ptr;

		if (!s) {
			uint64_t ticks;

			/* Clear the level; the heap, not the tick count, says what is due. */
			if (read(l->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				r = nx_neg_errno();
			l->timerfd_armed = UINT64_MAX; /* expired: re-set on the next sync */
			continue;
		}
		if (s->dead)
			continue;
		switch (s->kind) {
		case SOURCE_FD:
			ran += dispatch_fd(s, evs[i].events);
			break;
		case SOURCE_SIGNAL:
			ran += dispatch_signal(s);
			break;
		case SOURCE_CHILD:
			/* Stopped watching by an earlier dispatch in a nested iteration. */
			if (s->watched)
				ran += dispatch_child(s);
			break;
		default:
			assert(!"timer or defer source in epoll");
		}
	}
	ran += dispatch_timers(l);
out:
	if (--l->depth == 0) {
		while (l->graveyard) {
			nx_source *s = l->graveyard;

			l->graveyard = s->next_dead;
			free(s);
		}
	}
	return r < 0 ? r : ran;
}

int nx_loop_run(nx_loop *l)
{
	int r, code;

	assert_return(l, -EINVAL);

	while (!l->quit) {
		r = nx_loop_run_once(l, UINT64_MAX);
		if (r < 0)
			return r;
	}
	code = l->quit_code;
	l->quit = false;
	l->quit_code = 0;
	return code;
}

void nx_loop_quit(nx_loop *l, int code)
{
	if (!l)
		return;
	l->quit = true;
	l->quit_code = code;
}
