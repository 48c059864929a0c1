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
#include "nx-abi/vmo.h"
#include "nexus/limits.h" /* LOGD_INLINE_MAX_BYTES, LOGD_FOLLOWERS_MAX, LOGD_FOLLOW_BATCH */
#include "svc.h"

/* Environment knobs: journal capacity in bytes (a decimal number, optional K/M/G suffix),
 * per-subject rate limit in records per second (0 = off) and burst. */
#define LOGD_ENV_CAPACITY "NEXUS_LOGD_CAPACITY"
#define LOGD_ENV_RATE     "NEXUS_LOGD_RATE"
#define LOGD_ENV_BURST    "NEXUS_LOGD_BURST"
/* How often pending rate-limit drop reports are flushed into the journal. */
#define LOGD_FLUSH_INTERVAL_NS 1000000000ull
struct logd_follower;

struct logd {
	nx_svc *svc;
	struct jrn *journal;
	struct nx_vmo_map ring; /* the journal's region: a memfd held in init's fd store */
	nx_source *flush_timer;
	uint64_t rejected; /* appends refused with invalid_argument / too_large */
	struct logd_follower *followers;
	unsigned nfollowers;
	nx_source *self_pump; /* selflog.c: followers hear logd's own records */
};

/* The Log object served on every accepted connection, borrowing `d` (which must outlive it).
 * Returns 0 with one reference in *ret, or -ENOMEM. */
int logd_log_new(struct logd *d, nx_rpc_cap **ret);
/* Its dispatch (impl: the struct logd): asks policyd for the method's capability, then runs
 * the handler; also what runs calls held for a policy decision again (nx_svc_policy_start). */
int logd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);

/* Fills one LogRecord from a journal view. 0 or the builder's error. */
int logd_record_encode(log_record_b b, const struct jrn_record *rec);

/* follow.c: adds a follower of `filter` (texts copied; since_id 0 = from the next record)
 * sending to `sink`, which it takes (dropped on failure too). -EDQUOT past
 * LOGD_FOLLOWERS_MAX, -EMSGSIZE, -ENOMEM. */
int logd_follower_add(struct logd *d, const struct jrn_filter *filter, struct log_sink *sink);
/* Sends every follower what it has not seen yet, as its window allows; frees broken ones. */
void logd_followers_pump(struct logd *d);
/* Drops every follower (at exit). */
void logd_followers_free(struct logd *d);

/* selflog.c: logd's own nx-log records go straight into its journal as svc:logd (the facade's
 * buffer, markers included, is flushed at once). stop detaches the sink (before jrn_free). */
int logd_selflog_start(struct logd *d);
void logd_selflog_stop(struct logd *d);

/* ring.c: opens the journal (cfg: capacity, rate, burst) in the memfd nexus-init holds under
 * LOGD_RING_NAME, reading back what a previous logd left there, or in a new one deposited
 * there (a fresh boot id), and logs what it found. Without init (run by hand) the ring is a
 * private memfd. close frees the journal and unmaps the ring. */
#define LOGD_RING_NAME "journal"
int logd_ring_open(struct logd *d, const struct jrn_config *cfg);
void logd_ring_close(struct logd *d);

/* Parses a capacity ("16777216", "512K", "16M", "1G"). -EINVAL if malformed, -ERANGE if
 * outside [JRN_CAPACITY_MIN, JRN_CAPACITY_MAX]. *ret untouched on failure. */
int logd_parse_capacity(const char *text, size_t *ret);

/* Parses a decimal number in [0, max]. -EINVAL if malformed, -ERANGE if over max. */
int logd_parse_u32(const char *text, uint32_t max, uint32_t *ret);

/* config.c: the interim rule, deciding while policyd cannot be asked (nx-svc policy.h): only
 * `svc:` subjects' `log.append` is allowed, so the services' nx-log records are not lost
 * meanwhile; everything else is denied. */
extern const struct pol_grant logd_interim_rule[];
extern const size_t logd_interim_rule_len;

#endif
