/* SPDX-License-Identifier: MIT */
/*
 * journal: logd's bounded RAM journal (DESIGN.md section 7, logd). Pure: no fds, no clock
 * reads (every time is a parameter), no logging. Single-threaded: the caller serialises calls.
 *
 * Records live in one arena, the caller's byte region (jrn_open: a shared memfd in logd, so the
 * ring outlives the process) or one jrn_new() allocates, split into equal chunks used as a ring.
 * A chunk holds whole records growing up from its start and a 4-byte slot per record growing
 * down from its end, so a record is found by id in O(1) inside its chunk and by time in
 * O(log n) overall. When the newest chunk is full the oldest chunk is evicted whole: eviction
 * is oldest first, in steps of one chunk (capacity / JRN_CHUNK_TARGET bytes), and counted.
 * Append never allocates.
 *
 * Crash safety (jrn_open): the region starts with a header (layout, geometry, boot id) and
 * every record carries a CRC-32C. A record's body is written before its header, a chunk is
 * zeroed before its first record, an evicted chunk loses its first header before anything
 * else: a writer stopped at any instruction leaves a region that jrn_open reads back whole,
 * the record being written either complete or dropped and counted as torn. A record whose id
 * jrn_append returned is in the region. Ids and the boot id survive a reopen, so a cursor is
 * never reused while the region lives.
 */
#ifndef USERSPACE_JOURNAL_H
#define USERSPACE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h"

#define JRN_EXPORT __attribute__((visibility("default")))

/* Limits are in nexus/limits-journal.h; tunables and defaults here. */

/* Arena capacity in bytes by default. */
#define JRN_CAPACITY_DEFAULT (16u << 20)
/* The arena is cut into about this many chunks (the eviction step), each within these
 * bounds (sizing of the ring, not limits a caller meets). */
#define JRN_CHUNK_TARGET 256u
#define JRN_CHUNK_MIN    (32u << 10)
#define JRN_CHUNK_MAX    (4u << 20)

/* Per-subject token bucket: records per second and burst. rate 0 disables rate limiting. */
#define JRN_RATE_DEFAULT  1000u
#define JRN_BURST_DEFAULT 2000u
/* A subject that keeps being rate limited gets at most one drop report per this interval
 * when it is allowed again (jrn_flush_drops() reports regardless). */
#define JRN_DROP_REPORT_INTERVAL_NS 1000000000ull
/* Bytes of a boot id: chosen by whoever formats a region, kept by every reopen. */
#define JRN_BOOT_ID_BYTES 16u
/* Bytes of the region header before the arena (jrn_region_size). */
#define JRN_REGION_HDR_BYTES 64u

/* Subjects listed in jrn_stats.top (most drops first). */
#define JRN_STATS_TOP 8u

/* The subject and scope of the journal's own drop reports. */
#define JRN_SELF_SUBJECT "svc:logd"
#define JRN_SELF_SCOPE   "journal"

enum jrn_level {
	JRN_LEVEL_DEBUG = 0,
	JRN_LEVEL_INFO,
	JRN_LEVEL_NOTICE,
	JRN_LEVEL_WARN,
	JRN_LEVEL_ERROR,
	JRN_LEVEL_CRIT,
	JRN_LEVEL_ALERT,
	JRN_LEVEL_EMERG,
	JRN_LEVEL_COUNT
};

/* "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"; NULL if out of range. */
JRN_EXPORT const char *jrn_level_name(enum jrn_level level);
/* The inverse of jrn_level_name() (exact, lower case). -EINVAL if unknown. */
JRN_EXPORT int jrn_level_parse(const char *name, enum jrn_level *ret_level);

struct jrn_field {
	const char *key;
	const char *value;
};

/* What a client supplies for one record; logd adds the subject and the times. Strings are
 * NUL-terminated and borrowed for the duration of the call only. NULL scope = ""; the message
 * must not be empty. */
struct jrn_entry {
	enum jrn_level level;
	const char *scope;
	const char *message;
	const struct jrn_field *fields;
	size_t n_fields;
	/* When the client made the log call (its realtime clock), as it says; 0 = not said. Kept
	 * beside the journal's own times, never used to order records. */
	uint64_t call_realtime_ns;
};

/* A stored record, as a view into the journal: every pointer is valid until the next call
 * that modifies the journal (append, flush, evict, free). */
struct jrn_record {
	uint64_t id;
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	uint64_t call_realtime_ns; /* jrn_entry's; 0 = not said */
	enum jrn_level level;
	const char *subject;
	const char *scope;
	const char *message;
	size_t subject_len;
	size_t scope_len;
	size_t message_len;
	size_t n_fields;
	struct jrn_field fields[JRN_FIELDS_MAX];
};

/* Query filter. Zero-initialised = everything. All conditions must hold. */
struct jrn_filter {
	/* Cursor: only records with id >= since_id. 0 = from the oldest record. */
	uint64_t since_id;
	/* Monotonic time window [since_ns, until_ns); until_ns 0 = no upper bound. */
	uint64_t since_ns;
	uint64_t until_ns;
	enum jrn_level min_level;
	/* Exact subject, or a prefix when it ends in '*' ("app:*"). NULL = any. */
	const char *subject;
	/* Exact scope. NULL = any. */
	const char *scope;
	/* Substring of the message. NULL or "" = any. */
	const char *contains;
	/* contains matches ignoring ASCII case. */
	bool contains_icase;
	/* Cursor: only records with id < until_id. 0 = no upper bound. */
	uint64_t until_id;
};

struct jrn_query_result {
	size_t count;
	/* since_id for the next call: one past the last record this call examined. */
	uint64_t next_cursor;
	/* Another matching record exists at or after next_cursor (the call stopped at max). */
	bool more;
	/* since_id pointed at records already evicted: this many were missed. */
	uint64_t missed;
};

struct jrn_config {
	size_t capacity;
	uint32_t rate_per_sec;
	uint32_t burst;
};

struct jrn_subject_drops {
	char subject[JRN_SUBJECT_MAX + 1];
	uint64_t dropped;
};

struct jrn_stats {
	uint64_t records;
	uint64_t bytes_used;
	uint64_t capacity;
	uint64_t appended;
	uint64_t evicted;
	uint64_t dropped;
	/* 0 when the journal is empty. */
	uint64_t oldest_id;
	uint64_t newest_id;
	/* The id the next record gets. */
	uint64_t next_id;
	uint32_t subjects_tracked;
	/* Tracked subjects with the most drops (cumulative), most first. */
	size_t n_top;
	struct jrn_subject_drops top[JRN_STATS_TOP];
	/* The region's boot id (zeroes for a jrn_new journal) and the records jrn_open found
	 * partly written and dropped. */
	uint8_t boot_id[JRN_BOOT_ID_BYTES];
	uint64_t torn;
};

/* What jrn_open found in the region. */
struct jrn_recovery {
	bool formatted; /* it held no journal of this geometry: formatted, with the boot id given */
	uint64_t records; /* records read back */
	uint64_t torn;    /* partly written records (a writer stopped mid-append), dropped */
};

struct jrn;

/* Defaults: JRN_CAPACITY_DEFAULT, JRN_RATE_DEFAULT, JRN_BURST_DEFAULT. */
JRN_EXPORT void jrn_config_default(struct jrn_config *ret_config);

/* Creates a journal; cfg NULL = defaults. The caller owns *ret_journal (jrn_free).
 * -EINVAL: bad pointer. -ERANGE: capacity, rate or burst outside its limits. -ENOMEM. */
JRN_EXPORT int jrn_new(const struct jrn_config *cfg, struct jrn **ret_journal);
/* Bytes of a region holding a journal of `capacity` (JRN_REGION_HDR_BYTES + capacity). */
JRN_EXPORT size_t jrn_region_size(size_t capacity);

/*
 * Opens the journal kept in `region` (size bytes, the caller's: it must stay mapped and
 * writable until jrn_free, which leaves it alone). A region holding a journal of the same
 * geometry (cfg's capacity) is read back: every whole record, its ids (the next id follows
 * the newest, or the highest id ever evicted) and its boot id; a partly written record is
 * dropped and counted. Anything else (zeroes, another layout or geometry, a damaged header)
 * is formatted with `boot_id` (JRN_BOOT_ID_BYTES). cfg NULL = defaults; the rate limit starts
 * afresh. -EINVAL: bad pointer, or size != jrn_region_size(cfg capacity). -ERANGE as jrn_new.
 * -ENOMEM. *ret_recovery (may be NULL) says what was found.
 */
JRN_EXPORT int jrn_open(void *region, size_t size, const struct jrn_config *cfg,
        const uint8_t boot_id[JRN_BOOT_ID_BYTES], struct jrn **ret_journal,
        struct jrn_recovery *ret_recovery);

/* Frees the journal (not a jrn_open region); takes NULL; returns NULL. */
JRN_EXPORT struct jrn *jrn_free(struct jrn *j);

/*
 * Appends one record from subject (stamped by the caller from the connection, never from the
 * payload). Times are the caller's clocks; monotonic_ns also drives the rate limit and is the
 * time axis of queries: a value lower than the newest record's is raised to it, so the axis
 * never goes back. Nothing is truncated: over-limit input is refused whole.
 * If subject had rate-limited drops not yet reported and its last report is at least
 * JRN_DROP_REPORT_INTERVAL_NS old, a drop report record from JRN_SELF_SUBJECT (scope
 * JRN_SELF_SCOPE, level warn, message "dropped N records from <subject>", fields subject=,
 * dropped=) is appended first; reports are not rate limited. Returns the new record's id in *ret_id (may be NULL).
 * 0 on success. -EINVAL: NULL or empty subject, bad level, key empty or with a character
 * outside [A-Za-z0-9_.-], fields NULL with n_fields > 0, NULL key or value.
 * -EMSGSIZE: a text over its limit. -E2BIG: more than JRN_FIELDS_MAX fields. -ENODATA: an
 * empty (or NULL) message.
 * -EAGAIN: the subject is over its rate; the record was dropped and counted.
 */
JRN_EXPORT int jrn_append(struct jrn *j, const char *subject, const struct jrn_entry *e,
        uint64_t realtime_ns, uint64_t monotonic_ns, uint64_t *ret_id);

/* Appends a drop report for every tracked subject with unreported drops (call it periodically
 * so a subject that stays quiet still gets its report). Returns the number of reports. */
JRN_EXPORT int jrn_flush_drops(struct jrn *j, uint64_t realtime_ns, uint64_t monotonic_ns);

/*
 * Copies up to max (clamped to JRN_QUERY_MAX) views of matching records, in id order, into
 * out[] (the caller's array of at least max entries; views valid until the journal changes)
 * and fills *ret. f NULL = no filter.
 * -EINVAL: bad pointer, bad min_level. -EMSGSIZE: a filter text over its record limit.
 * -ERANGE: since_id is past the next id (a cursor from another journal, e.g. before a restart).
 */
JRN_EXPORT int jrn_query(const struct jrn *j, const struct jrn_filter *f, struct jrn_record *out,
        size_t max, struct jrn_query_result *ret);

/*
 * As jrn_query, but the newest `max` matching records (still in id order): what `nx log -n N`
 * shows. ret->more is false; ret->next_cursor is where a follower goes on from.
 */
JRN_EXPORT int jrn_query_newest(const struct jrn *j, const struct jrn_filter *f,
        struct jrn_record *out, size_t max, struct jrn_query_result *ret);

/* The record with this id. -ENOENT if evicted or not yet appended. */
JRN_EXPORT int jrn_get(const struct jrn *j, uint64_t id, struct jrn_record *ret_record);

/* Evicts the oldest chunk now (as a full ring would). Returns the records evicted (0 if empty). */
JRN_EXPORT int64_t jrn_evict_oldest(struct jrn *j);

JRN_EXPORT void jrn_stats(const struct jrn *j, struct jrn_stats *ret_stats);

#endif
