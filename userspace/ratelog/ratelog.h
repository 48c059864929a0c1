/* SPDX-License-Identifier: MIT */
/*
 * ratelog: which of many repeated events to log (a refused connection, a denied call), so a
 * flood costs a bounded number of lines. Per key (the caller's "subject cause"): the first
 * event is logged; the ones within NX_RATELOG_WINDOW_NS after it are only counted; once the
 * window is over, one summary line says how many were suppressed, and the next event is
 * logged again. Pure: no fds, no clock (time is passed in), no logging, no allocation after
 * ratelog_new.
 */
#ifndef USERSPACE_RATELOG_H
#define USERSPACE_RATELOG_H

#include <stdbool.h>
#include <stdint.h>

#include "nexus/limits.h"

struct ratelog;

/* Key under which events are counted when every entry is busy within its window. */
#define RATELOG_OVERFLOW_KEY "(other subjects and causes)"

/* A fresh account; the caller owns *ret (ratelog_free). -EINVAL: ret NULL. -ENOMEM. */
int ratelog_new(struct ratelog **ret);
/* Takes NULL; returns NULL. */
struct ratelog *ratelog_free(struct ratelog *rl);

/* One event of `key` (copied, cut at NX_RATELOG_KEY_MAX bytes) at now_ns. true: log it;
 * false: counted, to be summarised by ratelog_flush. */
bool ratelog_event(struct ratelog *rl, const char *key, uint64_t now_ns);

/* Calls emit(userdata, key, suppressed) once for each key whose window ended by now_ns with
 * events counted (the key's entry is then quiet again; `key` is valid during the call).
 * Returns the earliest time a summary will be due, UINT64_MAX if none is pending: the caller
 * sets its timer to it. */
uint64_t ratelog_flush(struct ratelog *rl, uint64_t now_ns,
        void (*emit)(void *userdata, const char *key, uint64_t suppressed), void *userdata);

#endif
