/* SPDX-License-Identifier: MIT */
/*
 * nx-abi event loop: fd readiness, timers, deferred work, signals and child exits, on one
 * thread. Hosted on epoll + timerfd + signalfd + pidfd; the interface names no Linux type so
 * the microkernel port can implement it over waitsets.
 *
 * Callbacks run on the loop's thread; a loop is not thread-safe. A source may be freed from
 * inside any callback, including its own; the loop never calls a freed source, even for an
 * event it had already collected in the same iteration. nx_loop_run_once may be called from
 * inside a callback (a blocking call with a deadline); freed sources stay allocated until the
 * outermost iteration returns.
 */
#ifndef NX_ABI_LOOP_H
#define NX_ABI_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nx_loop nx_loop;
typedef struct nx_source nx_source;
struct nx_spawned; /* spawn.h */

/* Readiness bits for fd sources. */
#define NX_EV_IN  (1u << 0)
#define NX_EV_OUT (1u << 1)
#define NX_EV_HUP (1u << 2) /* peer closed or error; always reported */

/* fd sources are level-triggered: a callback that leaves data unread, or ignores NX_EV_HUP,
 * is called again on the next iteration. NX_EV_HUP may come together with NX_EV_IN when
 * the peer wrote before closing: read until 0 before dropping the connection. */

typedef void (*nx_fd_cb)(nx_source *s, int fd, uint32_t events, void *userdata);
typedef void (*nx_timer_cb)(nx_source *s, void *userdata);
typedef void (*nx_defer_cb)(nx_source *s, void *userdata);
typedef void (*nx_signal_cb)(nx_source *s, int signo, void *userdata);
/* `status` as from waitid: exited → code in 0..255 and `signaled` false; killed → signal.
 * status < 0 (a negative errno, e.g. -ECHILD) if the child could not be reaped because
 * someone else did. Called once per source. */
typedef void (*nx_child_cb)(nx_source *s, int pid, int status, bool signaled, void *userdata);

int nx_loop_new(nx_loop **ret);
/* Frees the loop and every source still attached (without calling them, closing the fds
 * they own, leaving borrowed fds open). Takes NULL. Not from inside one of its callbacks. */
nx_loop *nx_loop_free(nx_loop *l);

/* Watches `fd` (borrowed: the caller keeps ownership and must remove the source before
 * closing it). */
int nx_loop_add_fd(
        nx_loop *l, int fd, uint32_t events, nx_fd_cb cb, void *userdata, nx_source **ret);
int nx_source_set_events(nx_source *s, uint32_t events);

/* One-shot timer at an absolute CLOCK_MONOTONIC deadline (see clock.h); re-arm with
 * nx_source_set_deadline (also from its own callback). A deadline in the past fires on the
 * next iteration; UINT64_MAX disarms. Timers due together fire by deadline, ties in arming
 * order. */
int nx_loop_add_timer(
        nx_loop *l, uint64_t deadline_ns, nx_timer_cb cb, void *userdata, nx_source **ret);
int nx_source_set_deadline(nx_source *s, uint64_t deadline_ns);

/* Runs `cb` once at the start of the next loop iteration, then the source is disabled until
 * nx_source_enable() (enabling twice before it ran runs it once; enabled from its own
 * callback, it runs in the following iteration, not in this one). Created enabled. */
int nx_loop_add_defer(nx_loop *l, nx_defer_cb cb, void *userdata, nx_source **ret);
int nx_source_enable(nx_source *s);
/* Takes an enabled defer back before it ran (no-op if it is not enabled), so work done some
 * other way in the meantime does not cost the loop an iteration. */
int nx_source_disable(nx_source *s);

/* Blocks `signo` (in the calling thread: add signal sources before starting threads) and
 * delivers it through the loop. -EBUSY if this loop already watches `signo`. The signal stays
 * blocked after the source is freed: unblocking could run its default action. */
int nx_loop_add_signal(nx_loop *l, int signo, nx_signal_cb cb, void *userdata, nx_source **ret);

/* Watches child `pid` for exit (takes a pidfd for it internally); the loop reaps it before
 * calling back. Freeing the source before the child exits leaves the child to the caller. */
int nx_loop_add_child(nx_loop *l, int pid, nx_child_cb cb, void *userdata, nx_source **ret);
/* The same for a child of nx_spawn: watches child->pidfd, which stays the caller's (free the
 * source before closing it). */
int nx_loop_add_process(nx_loop *l, const struct nx_spawned *child, nx_child_cb cb, void *userdata,
        nx_source **ret);

/* Detaches and frees a source. Safe inside callbacks. Takes NULL, returns NULL. */
nx_source *nx_source_free(nx_source *s);

/* Runs one iteration: due defers, then waits at most `timeout_ns` (UINT64_MAX: forever;
 * 0: poll; rounded up to a millisecond, never early; no wait at all if a defer ran or is
 * pending), then fd, signal and child callbacks, then due timers. Returns the number of
 * callbacks run (0 on timeout or EINTR), or a negative errno. */
int nx_loop_run_once(nx_loop *l, uint64_t timeout_ns);
/* Runs until nx_loop_quit() (which may come before, from a callback); returns the code
 * given to quit and clears it, so the loop can run again. */
int nx_loop_run(nx_loop *l);
void nx_loop_quit(nx_loop *l, int code);

#ifdef __cplusplus
}
#endif

#endif
