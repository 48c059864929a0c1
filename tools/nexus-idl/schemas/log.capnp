# SPDX-License-Identifier: MIT
#
# logd, the journal authority (DESIGN.md section 7): a bounded RAM journal of records from
# every subject. logd stamps each record with the subject samgrd fixed for the caller's
# connection and with its own clocks: nothing in a payload names who logged it.
# Limits below match userspace/journal/journal.h (JRN_*); the generated validators enforce
# them before logd's handlers run (over a text limit: too_large; malformed: invalid_argument).
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
@0xe25beea393544aae;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("log");

const logSubjectMaxLen :UInt32 = 255;   # JRN_SUBJECT_MAX
const logScopeMaxLen :UInt32 = 64;      # JRN_SCOPE_MAX
const logMessageMaxLen :UInt32 = 1024;  # JRN_MESSAGE_MAX
const logKeyMaxLen :UInt32 = 64;        # JRN_KEY_MAX
const logValueMaxLen :UInt32 = 256;     # JRN_VALUE_MAX
const logFieldsMax :UInt32 = 16;        # JRN_FIELDS_MAX
# Records one query() answers at most (JRN_QUERY_MAX); max 0 means this many.
const logQueryMax :UInt32 = 4096;
# Records one appendBatch() / LogSink.records() call carries at most (the call must fit one
# 4 KiB message anyway).
const logBatchMax :UInt32 = 64;
# Largest query VMO logd sends and nx accepts (4096 records of the largest size fit).
const logQueryVmoMaxBytes :UInt64 = 67108864;
# Drop-count entries in LogCounters.top (JRN_STATS_TOP).
const logStatsTop :UInt32 = 8;

enum LogLevel {
  debug @0;
  info @1;
  notice @2;
  warn @3;
  error @4;
  crit @5;
  alert @6;
  emerg @7;
}

# key: 1..64 bytes of [A-Za-z0-9_.-] (checked by logd: invalid_argument); value: any text.
struct LogField {
  key @0 :Text $N.maxLen(.logKeyMaxLen);
  value @1 :Text $N.maxLen(.logValueMaxLen);
}

# What a client sends: no subject and no time (logd stamps both).
struct LogEntry {
  level @0 :LogLevel;
  scope @1 :Text $N.maxLen(.logScopeMaxLen);
  message @2 :Text $N.maxLen(.logMessageMaxLen);
  fields @3 :List(LogField) $N.maxCount(.logFieldsMax);
  # When the log call was made, by the client's realtime clock (nx-log stamps it); 0 = not
  # said. The client's word: kept beside logd's own times, never used to order records.
  callRealtimeNs @4 :UInt64;
}

# A stored record.
struct LogRecord {
  id @0 :UInt64;            # monotonic, never reused: a cursor
  realtimeNs @1 :UInt64;
  monotonicNs @2 :UInt64;
  level @3 :LogLevel;
  subject @4 :Text $N.maxLen(.logSubjectMaxLen);
  scope @5 :Text $N.maxLen(.logScopeMaxLen);
  message @6 :Text $N.maxLen(.logMessageMaxLen);
  fields @7 :List(LogField) $N.maxCount(.logFieldsMax);
  callRealtimeNs @8 :UInt64; # LogEntry's: when the client logged it (0: not said);
                             # realtimeNs is when logd received it
}

# All conditions must hold; the zero value matches everything.
struct LogFilter {
  sinceId @0 :UInt64;       # only ids >= sinceId; 0 = from the oldest record
  sinceNs @1 :UInt64;       # monotonic window [sinceNs, untilNs); untilNs 0 = open
  untilNs @2 :UInt64;
  minLevel @3 :LogLevel;
  subject @4 :Text $N.maxLen(.logSubjectMaxLen);  # exact, or a prefix ending in '*'; empty = any
  scope @5 :Text $N.maxLen(.logScopeMaxLen);     # exact; empty = any
  contains @6 :Text $N.maxLen(.logMessageMaxLen); # substring of the message; empty = any
  untilId @7 :UInt64;       # only ids < untilId; 0 = open
  ignoreCase @8 :Bool;      # `contains` matches ignoring ASCII case
}

# The root of the Cap'n Proto message (standard framing) a query VMO holds.
struct LogQueryPage {
  records @0 :List(LogRecord) $N.maxCount(.logQueryMax);
}

struct LogSubjectDrops {
  subject @0 :Text $N.maxLen(.logSubjectMaxLen);
  dropped @1 :UInt64;
}

# Named apart from Log.stats: both would be `log_stats` in C.
struct LogCounters {
  records @0 :UInt64;
  bytesUsed @1 :UInt64;
  capacity @2 :UInt64;
  appended @3 :UInt64;
  evicted @4 :UInt64;
  dropped @5 :UInt64;       # rate-limited appends (per subject in top)
  oldestId @6 :UInt64;      # 0 when empty
  newestId @7 :UInt64;
  nextId @8 :UInt64;
  subjectsTracked @9 :UInt32;
  clients @10 :UInt32;      # connections logd serves now
  rejected @11 :UInt64;     # appends refused (invalid_argument, too_large)
  top @12 :List(LogSubjectDrops) $N.maxCount(.logStatsTop);
  followers @13 :UInt32;    # live follow() sinks
  # The journal's boot id, 32 hex digits: ids are cursors within one boot id (the ring and
  # its ids survive logd's restarts; a new boot id starts them over).
  bootId @14 :Text $N.maxLen(32);
  torn @15 :UInt64;         # partly written records dropped when logd last read its ring back
}

# Told about records as they are appended (Log.follow); each call carries what fits one
# 4 KiB message. A follower too slow for the journal's capacity is not waited for: `missed`
# says how many matching records were evicted before they could be sent since the last call.
interface LogSink {
  records @0 (records :List(LogRecord) $N.maxCount(.logBatchMax), missed :UInt64) -> stream;
}

# The bootstrap object of every channel to logd.
interface Log {
  # Appends one record as the caller's subject; returns its id.
  # Needs `log.append`.
  # Errors: invalid_argument (bad level, bad field key, an empty message), too_large (a text over its limit,
  # more than 16 fields), denied, limit_exceeded (type overloaded: the subject is over its
  # rate; the record was dropped and counted, and a drop report from svc:logd follows).
  append @0 (entry :LogEntry) -> (id :UInt64);

  # The facade's form: several records, no answer but flow control. A record that fails
  # fails the stream (later calls on the same target fail too); records before it are kept.
  # Rate-limited records are dropped and counted silently (the drop report says so).
  # Needs `log.append`.
  # Errors: as append, except limit_exceeded.
  appendBatch @1 (entries :List(LogEntry) $N.maxCount(.logBatchMax)) -> stream;

  # Up to `max` matching records in id order: 0 means logQueryMax, and more than logQueryMax
  # is clamped to it (not an error). When they
  # fit one 4 KiB message they come inline in `records` and `vmo` is null; otherwise
  # `records` is empty and `vmo` is a sealed memfd of `vmo.size` bytes holding a framed
  # message whose root is LogQueryPage. `nextCursor` is the sinceId of the next page; `more`:
  # another match exists at or after it; `missed`: records evicted before sinceId reached
  # them. `newest`: the last `max` matches instead of the first (still in id order; `more` is
  # false, `nextCursor` is where a follower goes on from).
  # `inlineOnly`, the fd-free form for clients that cannot take a VMO (samgrd's Endpoint
  # proxy refuses one to them): the records always come inline, as many as fit one message
  # (in id order), and `nextCursor`/`more` page through the rest.
  # Needs `log.query`.
  # Errors: invalid_argument (bad level, sinceId past the newest id: a cursor from before
  # logd restarted), too_large (a filter text over its limit; with inlineOnly, a record too
  # large for one message alone: its id is named, query it without inlineOnly), denied,
  # internal (no memory).
  query @2 (filter :LogFilter, max :UInt32, inlineOnly :Bool,
      newest :Bool) -> (records :List(LogRecord),
      nextCursor :UInt64, more :Bool, missed :UInt64, vmo :T.VmoRef);

  # Counters of the journal and of logd.
  # Needs `log.query`.
  # Errors: denied.
  stats @3 () -> (stats :LogCounters);

  # Sends sink.records() the records matching `filter` from filter.sinceId on (0: from the
  # next record appended), in id order, as they are appended, until the sink breaks (the
  # caller dropped it or its connection ended). Paced by the sink's stream window: a slow
  # sink lags, logd never buffers for it. A single record too large for one message is
  # skipped. The call returns once the follower is registered.
  # Needs `log.follow`.
  # Errors: invalid_argument (bad level, no sink), too_large, denied, limit_exceeded (type
  # overloaded: 256 followers already).
  follow @4 (filter :LogFilter, sink :LogSink) -> ();
}
