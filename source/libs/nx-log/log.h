/* SPDX-License-Identifier: MIT */
/*
 * nx-log: the logging facade every Nexus process uses (DESIGN.md sections 6 and 7).
 *
 * One process-wide logger, set up once with the program's name (nx_log_init). Every record
 * goes two ways:
 *   - the console (stdout by default, the stream the boot harness reads): one line per
 *     record, written with a single write(2), in the stable format documented in README.md;
 *   - a bounded queue of records (NX_LOG_QUEUE_RECORDS records, NX_LOG_QUEUE_BYTES bytes,
 *     oldest dropped and counted) that a sink (logd's client, installed with
 *     nx_log_set_sink) drains in batches. Without a sink the queue only fills.
 *
 * Records are checked against logd's journal limits (userspace/journal/journal.h) so a
 * record the facade hands to a sink is one logd accepts: over-long texts are truncated with
 * NX_LOG_TRUNC_MARKER, bad keys are repaired, fields past NX_LOG_FIELDS_MAX are dropped and
 * counted. No logging call ever fails or blocks on the sink.
 *
 * Not thread-safe: daemons are single-threaded; a multi-threaded program serialises its calls
 * to nx-log itself. Records logged from inside a sink callback are queued but never evict
 * (the batch being offered points into the queue); if the queue is full they are dropped and
 * counted.
 */
#ifndef NX_LOG_LOG_H
#define NX_LOG_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal/journal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NX_LOG_EXPORT __attribute__((visibility("default")))

/* ---- Limits. Text limits are the journal's (bytes, NUL excluded). */
#define NX_LOG_SCOPE_MAX   JRN_SCOPE_MAX
#define NX_LOG_MESSAGE_MAX JRN_MESSAGE_MAX
#define NX_LOG_KEY_MAX     JRN_KEY_MAX
#define NX_LOG_VALUE_MAX   JRN_VALUE_MAX
#define NX_LOG_FIELDS_MAX  JRN_FIELDS_MAX
/* NX_LOG_NAME_MAX, NX_LOG_QUEUE_RECORDS, NX_LOG_QUEUE_BYTES, NX_LOG_SINK_BATCH: in
 * nexus/limits-log.h (included through journal/journal.h). */
/* Appended to a text cut at its limit; the result, marker included, fits the limit. */
#define NX_LOG_TRUNC_MARKER "[...]"
/* Key of the field that replaces the last one when a record had too many. */
#define NX_LOG_DROPPED_FIELDS_KEY "nx_log.dropped_fields"
/* Scope of the facade's own records (drop reports). */
#define NX_LOG_SELF_SCOPE "nx-log"
/* Scope of the records that carry markers. */
#define NX_LOG_MARKER_SCOPE "marker"
/* Environment variable holding the minimum level name ("debug" ... "emerg"). */
#define NX_LOG_LEVEL_ENV     "NEXUS_LOG_LEVEL"
#define NX_LOG_LEVEL_DEFAULT NX_LOG_INFO

/* The journal's levels, same values and names. */
enum nx_log_level {
	NX_LOG_DEBUG = JRN_LEVEL_DEBUG,
	NX_LOG_INFO = JRN_LEVEL_INFO,
	NX_LOG_NOTICE = JRN_LEVEL_NOTICE,
	NX_LOG_WARN = JRN_LEVEL_WARN,
	NX_LOG_ERROR = JRN_LEVEL_ERROR,
	NX_LOG_CRIT = JRN_LEVEL_CRIT,
	NX_LOG_ALERT = JRN_LEVEL_ALERT,
	NX_LOG_EMERG = JRN_LEVEL_EMERG,
	NX_LOG_LEVEL_COUNT = JRN_LEVEL_COUNT
};

struct nx_log_field {
	const char *key;
	const char *value;
};

/*
 * One record as offered to a sink: a view valid only during the send call. Texts are
 * NUL-terminated and within the journal's limits; keys are 1..NX_LOG_KEY_MAX bytes of
 * [A-Za-z0-9_.-]. Times are from when the record was logged (nx-abi/clock.h).
 */
struct nx_log_record {
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	enum nx_log_level level;
	const char *scope;
	const char *message;
	size_t n_fields;
	struct nx_log_field fields[NX_LOG_FIELDS_MAX];
};

struct nx_log_sink {
	/*
	 * Offered records[0..n) (1 <= n <= NX_LOG_SINK_BATCH + 1), oldest first. Must not block:
	 * it takes what it can queue now and returns how many it took from the front (0..n);
	 * the rest stay buffered and are offered again on the next log call or nx_log_flush().
	 * A negative errno means the sink is gone: the facade forgets it and buffers again.
	 * Nothing in records outlives the call.
	 */
	int (*send)(void *ctx, const struct nx_log_record *records, size_t n);
};

/* Counters since nx_log_init. */
struct nx_log_stats {
	uint64_t logged;             /* records accepted (at or above the minimum level) */
	uint64_t sent;               /* records a sink took, drop reports included */
	uint64_t confirmed;          /* of those, stored as a sink said (nx_log_sink_settled) */
	uint64_t lost;               /* of those, never confirmed: the way to logd ended first */
	uint64_t lost_unreported;    /* of the lost, not yet reported to a sink */
	uint64_t dropped;            /* records dropped from the queue (full, or out of memory) */
	uint64_t dropped_unreported; /* of those, not yet reported to a sink */
	uint64_t truncated;          /* texts cut at their limit */
	uint64_t fields_dropped;     /* fields past NX_LOG_FIELDS_MAX */
	uint64_t console_errors;     /* console writes that failed (the line is lost) */
	size_t queued;               /* records in the queue now */
	size_t queued_bytes;
};

/*
 * Sets up the process-wide logger: name (copied, cut at NX_LOG_NAME_MAX; NULL or "" = "?"),
 * console on fd 1 (stdout), minimum level from $NEXUS_LOG_LEVEL (default info; an unknown
 * value keeps the default and is reported once as a warning). Calling it again discards the
 * queue and counters and forgets the sink. Never fails. Before any init, records are logged
 * as "?" with the defaults.
 */
NX_LOG_EXPORT void nx_log_init(const char *name);

/*
 * As nx_log_init but with the console on console_fd (borrowed: the caller keeps it open
 * while the logger uses it and closes it; -1 = no console) and the given minimum level,
 * ignoring the environment. Meant for tests and for programs that own their console.
 */
NX_LOG_EXPORT void nx_log_init_fd(const char *name, int console_fd, enum nx_log_level min_level);

/* Frees the queue (buffered records are discarded, not sent), forgets the sink and returns
 * to the pre-init state (name "?", console fd 1, default level). Init may be called again. */
NX_LOG_EXPORT void nx_log_done(void);

/* Changes the minimum level. -EINVAL if out of range. */
NX_LOG_EXPORT int nx_log_set_level(enum nx_log_level min_level);
NX_LOG_EXPORT enum nx_log_level nx_log_get_level(void);

/* "debug" ... "emerg" (the journal's names); NULL if out of range. */
NX_LOG_EXPORT const char *nx_log_level_name(enum nx_log_level level);
/* Inverse of nx_log_level_name (exact, lower case). -EINVAL if unknown. */
NX_LOG_EXPORT int nx_log_level_parse(const char *name, enum nx_log_level *ret_level);

/*
 * Logs one record: message formatted with printf rules. scope NULL = "". Records below the
 * minimum level are discarded (neither printed nor queued). A level out of range is logged
 * as error.
 */
NX_LOG_EXPORT void nx_log(enum nx_log_level level, const char *scope, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
NX_LOG_EXPORT void nx_logv(enum nx_log_level level, const char *scope, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/*
 * Logs one record with key=value fields. message NULL = "". fields are borrowed for the call;
 * NULL key = "_", NULL value = "". More than NX_LOG_FIELDS_MAX fields: the first
 * NX_LOG_FIELDS_MAX - 1 are kept and the last becomes NX_LOG_DROPPED_FIELDS_KEY=<count>.
 */
NX_LOG_EXPORT void nx_log_fields(enum nx_log_level level, const char *scope, const char *message,
        const struct nx_log_field *fields, size_t n_fields);

/*
 * Prints the marker line "<name>: <text>" on the console, exactly, whatever the minimum
 * level, and queues it as a notice record (scope NX_LOG_MARKER_SCOPE, message text) for logd.
 * DESIGN.md section 6: a marker is printed once, at the moment it is true; the caller sees to
 * that. Control characters in text are escaped as in messages.
 */
NX_LOG_EXPORT void nx_log_marker(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* nx_log_marker("ready"): the line "<name>: ready" the boot harness waits for. */
NX_LOG_EXPORT void nx_log_ready(void);

/*
 * Installs the sink (ops and ctx borrowed until replaced, cleared with NULL, or the sink
 * fails) and offers it the buffered records at once. ops NULL = no sink: buffer again.
 * -EINVAL: ops without send.
 */
NX_LOG_EXPORT int nx_log_set_sink(const struct nx_log_sink *ops, void *ctx);

/*
 * Offers buffered records to the sink until it takes fewer than offered or the queue is
 * empty; the daemon calls it when its channel to logd can take more. Returns the number of
 * records the sink took; 0 without a sink.
 */
NX_LOG_EXPORT size_t nx_log_flush(void);

/*
 * A sink whose channel answers later (logd's appendBatch stream calls) settles each batch it
 * took: n records stored (stored true), or lost (false: the call failed or the channel ended
 * before an answer; logd may have stored them or not). Lost records are counted and reported
 * to the next sink in front of a batch, as drops are (the report record's `lost=N` field), so
 * with such a sink sent = confirmed + lost + still unsettled (a sink that stores at once, as
 * logd's own journal, settles nothing). The facade does not send them again: logd keeps
 * what it stored across its crash, and a record sent twice would stand twice in the journal.
 * Not from inside a sink call's batch view (it only counts, never flushes).
 */
NX_LOG_EXPORT void nx_log_sink_settled(size_t n, bool stored);

NX_LOG_EXPORT void nx_log_stats(struct nx_log_stats *ret_stats);

/*
 * The console's escaping, for programs that print records themselves (`nx log`): `s` (len
 * bytes, may hold any byte) as the console writes a scope or message (control bytes as
 * \xNN) or a field value (bare, or quoted as in README.md). Writes at most cap bytes into dst,
 * NUL included (cut if short), and returns the length the whole text needs, as snprintf.
 * A text needs at most 4 * len + 2 bytes plus the NUL.
 */
NX_LOG_EXPORT size_t nx_log_escape_text(char *dst, size_t cap, const char *s, size_t len);
NX_LOG_EXPORT size_t nx_log_escape_value(char *dst, size_t cap, const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
