/* SPDX-License-Identifier: MIT */
/*
 * nx-abi event loop: fd readiness, timers, deferred work, signals and child exits, on one
 * thread. Hosted on epoll + timerfd + signalfd + pidfd; the interface names no Linux type so
 * the microkernel port can implement it over waitsets.
 *
 * Callbacks run on the loop's thread. A source may be freed from inside any callback,
 * including its own; the loop never calls a freed source.
 */
#ifndef NX_ABI_LOOP_H
#define NX_ABI_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct nx_loop nx_loop;
typedef struct nx_source nx_source;

/* Readiness bits for fd sources. */
#define NX_EV_IN  (1u << 0)
#define NX_EV_OUT (1u << 1)
#define NX_EV_HUP (1u << 2) /* peer closed or error; always reported */

typedef void (*nx_fd_cb)(nx_source *s, int fd, uint32_t events, void *userdata);
typedef void (*nx_timer_cb)(nx_source *s, void *userdata);
typedef void (*nx_defer_cb)(nx_source *s, void *userdata);
typedef void (*nx_signal_cb)(nx_source *s, int signo, void *userdata);
/* `status` as from waitid: exited → code in 0..255 and `signaled` false; killed → signal. */
typedef void (*nx_child_cb)(nx_source *s, int pid, int status, bool signaled, void *userdata);

int nx_loop_new(nx_loop **ret);
/* Frees the loop and every source still attached (without calling them). Takes NULL. */
nx_loop *nx_loop_free(nx_loop *l);

/* Watches `fd` (borrowed: the caller keeps ownership and must remove the source before
 * closing it). */
int nx_loop_add_fd(nx_loop *l, int fd, uint32_t events, nx_fd_cb cb, void *userdata,
	nx_source **ret);
int nx_source_set_events(nx_source *s, uint32_t events);

/* One-shot timer at an absolute CLOCK_MONOTONIC deadline (see clock.h); re-arm with
 * nx_source_set_deadline. */
int nx_loop_add_timer(nx_loop *l, uint64_t deadline_ns, nx_timer_cb cb, void *userdata,
	nx_source **ret);
int nx_source_set_deadline(nx_source *s, uint64_t deadline_ns);

/* Runs `cb` once at the start of the next loop iteration, then the source is disabled until
 * nx_source_enable(). */
int nx_loop_add_defer(nx_loop *l, nx_defer_cb cb, void *userdata, nx_source **ret);
int nx_source_enable(nx_source *s);

/* Blocks `signo` for the process and delivers it through the loop. */
int nx_loop_add_signal(nx_loop *l, int signo, nx_signal_cb cb, void *userdata, nx_source **ret);

/* Watches child `pid` for exit (takes a pidfd for it internally); the callback reaps it. */
int nx_loop_add_child(nx_loop *l, int pid, nx_child_cb cb, void *userdata, nx_source **ret);

/* Detaches and frees a source. Safe inside callbacks. Takes NULL, returns NULL. */
nx_source *nx_source_free(nx_source *s);

/* Runs one iteration, waiting at most `timeout_ns` (UINT64_MAX: forever; 0: poll).
 * Returns the number of callbacks run, or a negative errno. */
int nx_loop_run_once(nx_loop *l, uint64_t timeout_ns);
/* Runs until nx_loop_quit(); returns the code given to quit. */
int nx_loop_run(nx_loop *l);
void nx_loop_quit(nx_loop *l, int code);

#endif
