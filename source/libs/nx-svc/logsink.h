/* SPDX-License-Identifier: MIT */
/*
 * nx-svc log sink: the nx-log facade's records to logd (DESIGN.md sections 6 and 7).
 *
 * Given a channel to logd (an Endpoint samgrd brokered), nx_logsink_new starts nx-rpc on it
 * and installs itself as the process's nx-log sink: every batch the facade offers becomes one
 * Log.appendBatch stream call. It takes only what the stream window allows and what fits one
 * control message (NX_MSG_MAX_BYTES), never blocks; when the window has room again it asks the
 * facade to flush. Each call settles its records with nx-log when it ends
 * (nx_log_sink_settled): stored when logd answered, lost when the call failed or the channel
 * ended first; the facade reports the lost ones to the next sink. When the channel breaks
 * (logd died) or a stream call fails, `lost` runs (from the loop) and the facade buffers
 * again; the owner frees the sink and resolves logd anew.
 */
#ifndef NX_SVC_LOGSINK_H
#define NX_SVC_LOGSINK_H

#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"

typedef struct nx_logsink nx_logsink;
struct log;

/* Runs once, from the loop, when the sink is lost: the facade no longer uses it. The owner
 * frees the sink (nx_logsink_free) and reaches logd anew. */
typedef void (*nx_logsink_lost_cb)(nx_logsink *sink, void *userdata);

/* Takes `fd` (a channel to logd: closed on failure too), serves nothing on it, installs the
 * sink into nx-log and offers it what the facade buffered. `loop` is borrowed and must outlive
 * the sink. Returns 0, -ENOMEM or the loop's error. */
int nx_logsink_new(
        nx_loop *loop, int fd, nx_logsink_lost_cb lost, void *userdata, nx_logsink **ret);

/* Same on `log`, logd's Log on a channel the caller keeps (referenced, not taken): the sink
 * notices the channel's end through its stream calls failing. */
int nx_logsink_new_cap(
        nx_loop *loop, struct log *log, nx_logsink_lost_cb lost, void *userdata, nx_logsink **ret);

/* Detaches the sink from nx-log if it is installed and closes the channel it owns (stream calls
 * still in flight are settled as lost; on a channel the caller keeps they settle when they
 * end; the facade keeps what was not taken). Takes NULL, returns NULL. Not from inside an
 * nx-log sink call. */
nx_logsink *nx_logsink_free(nx_logsink *sink);

/* Records and stream calls logd took through this sink (for tests and stats). */
uint64_t nx_logsink_sent(const nx_logsink *sink);

/* Encoded bytes of one record as an appendBatch entry (an upper bound: texts padded to words,
 * pointers and list tags), and how many of records[0..n) fit one appendBatch call: at most
 * LOG_BATCH_MAX (log.capnp) entries of NX_LOGSINK_BATCH_BYTES_MAX bytes together. */
struct nx_log_record;
size_t nx_logsink_entry_bytes(const struct nx_log_record *rec);
size_t nx_logsink_batch_fit(const struct nx_log_record *records, size_t n);

#endif
