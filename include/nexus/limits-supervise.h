/* SPDX-License-Identifier: MIT */
/* Limits of userspace/supervise (restart, backoff and storm decisions of nexus-init and
 * nx-svc), included by limits.h. Times in nanoseconds. Freestanding. */
#ifndef NEXUS_LIMITS_SUPERVISE_H
#define NEXUS_LIMITS_SUPERVISE_H

/* Restart backoff: the first delay, doubling up to the cap. */
#define SUP_BACKOFF_FIRST_NS 100000000ull  /* 100 ms */
#define SUP_BACKOFF_MAX_NS   5000000000ull /* 5 s */
/* This many exits within the window are a storm: the child is not restarted again. */
#define SUP_STORM_EXITS     5u
#define SUP_STORM_WINDOW_NS 30000000000ull /* 30 s */
/* A child up this long (after readiness) starts its next backoff from the first delay. */
#define SUP_STABLE_NS 10000000000ull /* 10 s */

#endif
