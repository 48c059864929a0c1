/* SPDX-License-Identifier: MIT */
/* Limits of nexus-init's fd store (fdstore.capnp) and of its events on the way to logd,
 * included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_FDSTORE_H
#define NEXUS_LIMITS_FDSTORE_H

/* Names (fds) init holds for one service at once; one more deposit is limit_exceeded. */
#define NX_FDSTORE_MAX 8u

/* Longest name of a held fd (fdstore.capnp's fdstoreNameMaxLen). */
#define NX_FDSTORE_NAME_MAX 32u

/* nexus-init's events waiting for logd (not up yet, restarting); past it the oldest is
 * dropped and counted. */
#define INIT_EVENTS_QUEUE_MAX 64u

#endif
