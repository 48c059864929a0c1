/* SPDX-License-Identifier: MIT */
/* Limits of logd (the journal authority's adapter), included by limits.h. Its journal's are
 * in limits-journal.h. Freestanding. */
#ifndef NEXUS_LIMITS_LOGD_H
#define NEXUS_LIMITS_LOGD_H

/* Query results larger than this (framed, before the RPC envelope) go through a VMO: the rest
 * of NX_MSG_MAX_BYTES is left for the Return envelope and the results struct. Also the most
 * one LogSink.records call to a follower carries. */
#define LOGD_INLINE_MAX_BYTES (NX_MSG_MAX_BYTES - 512u)

/* Followers at once (all subjects); past it follow() is limit_exceeded. */
#define LOGD_FOLLOWERS_MAX 256u

/* Records one pump reads for one follower (then sends as many as fit one message). */
#define LOGD_FOLLOW_BATCH 64u

#endif
