/* SPDX-License-Identifier: MIT */
/*
 * nexus-init's own events as journal records of subject svc:init (DESIGN.md section 6): every
 * console marker (start, up, exit, restart, failed, ...) is also appended to logd, scope
 * "supervise", field service=<name>, over the Log logd hands init on its fd 5
 * (FdStore.journal; logd knows that channel as svc:init). Until logd is up, and while it
 * restarts, events wait in a queue of INIT_EVENTS_QUEUE_MAX (the oldest dropped and counted,
 * the count sent as a record of its own). An event in flight when logd dies is lost with it.
 */
#ifndef INIT_EVENTS_H
#define INIT_EVENTS_H

#include "log.capnp.h"
#include "nexus/limits.h" /* INIT_EVENTS_QUEUE_MAX */

typedef struct init_events init_events;

/* -ENOMEM. */
int init_events_new(init_events **ret);
init_events *init_events_free(init_events *ev);

/* One event about `service` (NULL: init itself); `message` copied (cut to fit a record).
 * Sent at once if a Log is attached, else queued. */
void init_events_add(init_events *ev, log_level level, const char *service, const char *message);

/* Events go to `log` (referenced) from now on, the queued ones first; replaces the one
 * before. */
void init_events_attach(init_events *ev, struct log *log);
/* The Log went with its logd: events queue again. */
void init_events_detach(init_events *ev);

/* Events dropped from a full queue so far (for tests). */
unsigned long init_events_dropped(const init_events *ev);

#endif
