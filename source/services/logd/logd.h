/* SPDX-License-Identifier: MIT */
/*
 * logd: the journal authority (DESIGN.md section 7). The adapter between nx-svc connections
 * and userspace/journal: it stamps subjects and clocks, maps journal errors to section 9
 * reasons, and answers large queries through a sealed VMO.
 */
#ifndef LOGD_LOGD_H
#define LOGD_LOGD_H

#include <stdbool.h>
#include <stdint.h>

#include "journal/journal.h"
#include "log.capnp.h"
#include "svc.h"

/* Environment knobs: journal capacity in bytes (a decimal number, optional K/M/G suffix),
 * per-subject rate limit in records per second (0 = off) and burst. */
#define LOGD_ENV_CAPACITY "NEXUS_LOGD_CAPACITY"
#define LOGD_ENV_RATE     "NEXUS_LOGD_RATE"
#define LOGD_ENV_BURST    "NEXUS_LOGD_BURST"
/* How often pending rate-limit drop reports are flushed into the journal. */
#define LOGD_FLUSH_INTERVAL_NS 1000000000ull
/* Results larger than this (framed, before the RPC envelope) go through a VMO: the rest of
 * NX_MSG_MAX_BYTES is left for the Return envelope and the results struct. */
#define LOGD_INLINE_MAX_BYTES (NX_MSG_MAX_BYTES - 512u)

/* Followers at once (all subjects); past it follow() is limit_exceeded. */
#define LOGD_FOLLOWERS_MAX 256u
/* Records one pump reads for one follower (then sends as many as fit one message). */
#define LOGD_FOLLOW_BATCH 64u

struct logd_follower;
struct logd_ask;

struct logd {
	nx_svc *svc;
	struct jrn *journal;
	nx_source *flush_timer;
	uint64_t rejected; /* appends refused with invalid_argument / too_large */
	struct logd_follower *followers;
	unsigned nfollowers;
	nx_source *self_pump; /* selflog.c: followers hear logd's own records */
	struct logd_ask *ask; /* ask.c: the way to policyd */
};

/* The Log object served on every accepted connection, borrowing `d` (which must outlive it).
 * Returns 0 with one reference in *ret, or -ENOMEM. */
int logd_log_new(struct logd *d, nx_rpc_cap **ret);

/* Fills one LogRecord from a journal view. 0 or the builder's error. */
int logd_record_encode(LogRecord_b b, const struct jrn_record *rec);

/* follow.c: adds a follower of `filter` (texts copied; since_id 0 = from the next record)
 * sending to `sink` (referenced). -EDQUOT past LOGD_FOLLOWERS_MAX, -EMSGSIZE, -ENOMEM. */
int logd_follower_add(struct logd *d, const struct jrn_filter *filter, nx_rpc_cap *sink);
/* Sends every follower what it has not seen yet, as its window allows; frees broken ones. */
void logd_followers_pump(struct logd *d);
/* Drops every follower (at exit). */
void logd_followers_free(struct logd *d);

/* selflog.c: logd's own nx-log records go straight into its journal as svc:logd (the facade's
 * buffer, markers included, is flushed at once). stop detaches the sink (before jrn_free). */
int logd_selflog_start(struct logd *d);
void logd_selflog_stop(struct logd *d);

/* Parses a capacity ("16777216", "512K", "16M", "1G"). -EINVAL if malformed, -ERANGE if
 * outside [JRN_CAPACITY_MIN, JRN_CAPACITY_MAX]. *ret untouched on failure. */
int logd_parse_capacity(const char *text, size_t *ret);

/* Parses a decimal number in [0, max]. -EINVAL if malformed, -ERANGE if over max. */
int logd_parse_u32(const char *text, uint32_t max, uint32_t *ret);

/* Longest capability logd asks about ("log.append"...) and how many decisions it caches
 * (ask.c; per connection, subject and capability; the oldest replaced first). */
#define LOGD_CAP_MAX   16u
#define LOGD_CACHE_MAX 64u

/* allow.c: the fallback rule while policyd cannot be asked: only `svc:` subjects' `log.append`
 * is allowed (so the services' nx-log records are not lost), everything else is denied. */
bool logd_fallback_allowed(const char *subject, const char *capability);

/* ask.c: the one policy seam. start watches policyd through samgrd (resolving it whenever it
 * comes up, watching its versions); stop drops it all and fails the calls held. */
int logd_ask_start(struct logd *d);
void logd_ask_stop(struct logd *d);
/* Whether `subject` (the connection of `in`) holds `cap`: 0 with *ret_allowed set, or
 * NX_RPC_ASYNC (policyd was asked; the handler returns NX_RPC_ASYNC, keeps nothing, and runs
 * again through logd_redispatch once the answer is in), or a negative errno. */
int logd_decide(struct logd *d, nx_rpc_incoming *in, uint16_t method, const char *subject,
        const char *cap, bool *ret_allowed);

/* logd.c: runs Log method `method` again on `in` (ask.c, once decided); fails `in` if the
 * handler fails. */
void logd_redispatch(struct logd *d, nx_rpc_incoming *in, uint16_t method);

#endif
