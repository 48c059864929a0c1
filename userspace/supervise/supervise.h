/* SPDX-License-Identifier: MIT */
/*
 * supervise: when to restart a process that exited, and when to retry something that failed
 * (DESIGN.md section 6). Pure: no fds, no clock reads, no logging; time comes in as
 * monotonic ns from the caller. Used by nexus-init for its services, by nx-svc for its
 * reconnects, and by execd for apps.
 *
 *   backoff  the delay before the next attempt: SUP_BACKOFF_FIRST_NS, doubling each time up
 *            to SUP_BACKOFF_MAX_NS, back to the first after a success
 *   storm    SUP_STORM_EXITS exits within SUP_STORM_WINDOW_NS: the child is failed and stays
 *            down, whatever its restart policy
 *   stable   a run that was up (ready) for at least SUP_STABLE_NS when it exited resets the
 *            backoff: a service that crashes once a day restarts after 100 ms every time, one
 *            that crashes soon after each start waits longer and longer. Judged at the exit
 *            (not at readiness), so a service that comes up and dies at once keeps doubling.
 *            The storm history is not reset: its window is time-based already.
 */
#ifndef SUPERVISE_SUPERVISE_H
#define SUPERVISE_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>

#include "nexus/limits.h" /* SUP_*: nexus/limits-supervise.h */

/* Retry with backoff: embed, zero-initialised (or sup_backoff_reset) means "first attempt". */
struct sup_backoff {
	uint64_t next_ns; /* the delay the next call returns; 0: SUP_BACKOFF_FIRST_NS */
};

/* The delay to wait before the next attempt; doubles the one after (up to the maximum). */
uint64_t sup_backoff_next(struct sup_backoff *b);

/* After a success: the next failure waits SUP_BACKOFF_FIRST_NS again. */
void sup_backoff_reset(struct sup_backoff *b);

enum sup_restart {
	SUP_RESTART_ALWAYS,
	SUP_RESTART_ON_FAILURE, /* only after a non-zero exit code or a signal */
	SUP_RESTART_NEVER,
};

enum sup_verdict {
	SUP_STAY_DOWN, /* the restart policy does not restart this exit */
	SUP_RESTART,   /* restart after the delay given */
	SUP_FAILED,    /* storm limit: stays down, marked failed */
};

/* One supervised child, across its runs. Plain data: embed it, set it up with sup_child_init. */
struct sup_child {
	enum sup_restart restart;
	struct sup_backoff backoff;
	uint64_t exits[SUP_STORM_EXITS]; /* ring of the last exit times */
	unsigned exits_head;             /* the slot the next exit goes to: the oldest */
	unsigned exits_count;            /* filled slots, at most SUP_STORM_EXITS */
	bool up;                         /* the current run became ready */
	uint64_t up_since_ns;
};

void sup_child_init(struct sup_child *c, enum sup_restart restart);

/* The current run is ready (serving) since now_ns. */
void sup_child_up(struct sup_child *c, uint64_t now_ns);

/* The current run ended at now_ns; `failed`: a non-zero exit code or a signal. Records the
 * exit for the storm limit and decides: the restart policy first (an exit it does not
 * restart is SUP_STAY_DOWN, never a storm), then the storm limit, then the backoff. On
 * SUP_RESTART *ret_delay_ns is the backoff to wait before starting again; otherwise it is
 * untouched. */
enum sup_verdict sup_child_exited(
        struct sup_child *c, bool failed, uint64_t now_ns, uint64_t *ret_delay_ns);

#endif
