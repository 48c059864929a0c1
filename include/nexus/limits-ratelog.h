/* SPDX-License-Identifier: MIT */
/* Limits of userspace/ratelog (how often a repeated refusal or denial is logged), included by
 * limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_RATELOG_H
#define NEXUS_LIMITS_RATELOG_H

/* Keys (subject + cause) followed at once; past it, the oldest quiet key is forgotten, and
 * with none quiet the event is counted under one overflow key. */
#define NX_RATELOG_KEYS_MAX 64u
/* Longest key in bytes; longer keys are cut (and so share an entry). */
#define NX_RATELOG_KEY_MAX 191u
/* After a logged event, the same key is only counted for this long; then one summary says
 * how many were suppressed. */
#define NX_RATELOG_WINDOW_NS 2000000000ull /* 2 s */

#endif
