/* SPDX-License-Identifier: MIT */
/*
 * busmux: the streams of one dsoftbusd session (one authenticated Noise session with one peer
 * device), as a state machine without I/O. The adapter feeds it each decrypted record
 * (busmux_receive), hears what happened through one callback (events), asks it for the next
 * record to encrypt and send (busmux_next_record), and tells it what the local side does
 * (open, accept, write, consume, close, reset). Time comes in as monotonic ns.
 *
 * Streams. Ids are u32, never reused within a session: the session's initiator opens odd ids,
 * the responder even ones, each side counting up. A stream is opened with OPEN(service,
 * subject) and answered OPEN_OK or OPEN_ERR; at most BUSMUX_STREAMS_MAX exist at once (an OPEN
 * past it is answered OPEN_ERR "limit_exceeded: ..."). Each direction is closed on its own
 * (CLOSE); RESET ends both at once. A frame for a stream that existed and is gone is dropped
 * (it crossed our RESET); one for an id never opened is a protocol violation.
 *
 * Flow control, per stream and direction: the receiver grants BUSMUX_WINDOW_INITIAL bytes at
 * open and more with CREDIT as the adapter reports bytes consumed (busmux_consumed). DATA and
 * VMO chunks count. busmux_next_record never sends past the window; a peer that does loses the
 * session.
 *
 * VMOs: VMO_BEGIN(size), chunks adding up to exactly size, VMO_END; nothing else on that
 * direction of the stream in between (the adapter sends the VMO before the Cap'n Proto frame
 * that refers to it). An over- or under-run is a protocol violation.
 *
 * Liveness and keys: busmux_tick sends PING after BUSMUX_PING_AFTER_NS of quiet and says
 * -ETIMEDOUT after BUSMUX_IDLE_TIMEOUT_NS without a record; busmux_next_record ends the record
 * with REKEY once BUSMUX_REKEY_BYTES or BUSMUX_REKEY_NS have passed on the current send key.
 *
 * Any negative return of busmux_receive, busmux_tick or busmux_next_record means the session
 * is over: the adapter closes it (busmux_error says why) and frees the mux. Single-threaded.
 */
#ifndef BUSMUX_MUX_H
#define BUSMUX_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "busmux/frame.h"

typedef struct busmux busmux;

/* Which end of the Noise handshake this side was: decides the parity of the ids it opens. */
enum busmux_role {
	BUSMUX_INITIATOR,
	BUSMUX_RESPONDER,
};

/* Smallest buffer busmux_next_record takes: room for the largest control frame. */
#define BUSMUX_RECORD_MIN 256u

enum busmux_event_type {
	BUSMUX_EV_OPEN,         /* the peer opens `stream` to u.open.service for u.open.subject:
	                         * answer with busmux_accept or busmux_refuse (now or later) */
	BUSMUX_EV_OPENED,       /* our OPEN was accepted: writes now flow */
	BUSMUX_EV_REFUSED,      /* our OPEN was refused (u.reason); the stream is gone */
	BUSMUX_EV_DATA,         /* u.data: bytes of the stream; busmux_consumed once written out */
	BUSMUX_EV_VMO_BEGIN,    /* u.vmo_size: a VMO of that size follows */
	BUSMUX_EV_VMO_CHUNK,    /* u.data: the VMO's next bytes; busmux_consumed as for DATA */
	BUSMUX_EV_VMO_END,      /* the VMO is complete (all its bytes came) */
	BUSMUX_EV_CLOSED,       /* the peer sends nothing more on the stream */
	BUSMUX_EV_RESET,        /* the peer reset the stream (u.reason); the stream is gone */
	BUSMUX_EV_REKEY,        /* the peer rekeyed: rekey the receive key after this record */
	BUSMUX_EV_PAIR_REQUEST, /* the peer's operator asks to pair */
	BUSMUX_EV_PAIR_CONFIRM, /* the peer's operator confirmed the short authentication string */
	BUSMUX_EV_PAIR_REJECT,  /* the peer refused or cancelled pairing (u.reason) */
};

struct busmux_event {
	enum busmux_event_type type;
	uint32_t stream;   /* 0 for REKEY and PAIR_* */
	void *stream_data; /* what the adapter attached (busmux_open/busmux_accept), else NULL */
	union {
		struct {
			char service[BUSMUX_SERVICE_MAX + 1];
			char subject[BUSMUX_SUBJECT_MAX + 1];
		} open;
		char reason[BUSMUX_REASON_MAX + 1];
		struct {
			const uint8_t *ptr; /* into the record given to busmux_receive */
			size_t len;
		} data;
		uint64_t vmo_size;
	} u;
};

/* Called once per event, from busmux_receive. May call any busmux function but
 * busmux_receive and busmux_free. A negative return stops busmux_receive, which returns it. */
typedef int (*busmux_event_fn)(void *userdata, const struct busmux_event *ev);

/* Counters for `nx bus peers` and the logs. */
struct busmux_stats {
	uint32_t streams; /* open now */
	uint64_t records_in, records_out;
	uint64_t bytes_in, bytes_out; /* record plaintext */
	uint64_t opens_refused;       /* OPENs we answered with OPEN_ERR for the stream cap */
	uint64_t stale_frames;        /* frames for streams already gone, dropped */
	uint64_t rekeys_in, rekeys_out;
};

/* A mux for a session that starts at now_ns; `on_event` and `userdata` are kept. 0 with *ret,
 * -EINVAL, -ENOMEM. */
int busmux_new(enum busmux_role role, uint64_t now_ns, busmux_event_fn on_event, void *userdata,
        busmux **ret);

/* Frees m and everything queued (stream_data pointers are the adapter's). Takes NULL; returns
 * NULL. */
busmux *busmux_free(busmux *m);

/* One decrypted record (borrowed: events' views point into it until the callback returns).
 * 0; -EBADMSG (a frame that does not decode, an empty record), -EPROTO (a frame the state
 * forbids: past the window, an id never opened, DATA before OPEN_OK, a VMO over- or under-run,
 * credit past BUSMUX_WINDOW_MAX, ...), -ENOBUFS (answers the peer made us queue went past
 * BUSMUX_CONTROL_QUEUE_MAX), or the callback's error. */
int busmux_receive(busmux *m, const uint8_t *rec, size_t len, uint64_t now_ns);

/* Why the last failure happened, one line naming the frame and stream ("" if none). */
const char *busmux_error(const busmux *m);

/* Opens a stream to `service` (a samgr service name) for the local caller `subject`;
 * stream_data is handed back with its events. 0 with *ret_stream; -EINVAL (a text outside its
 * cap, empty, with NUL), -EMFILE (BUSMUX_STREAMS_MAX streams exist), -ENOBUFS. */
int busmux_open(busmux *m, const char *service, const char *subject, void *stream_data,
        uint32_t *ret_stream);

/* Answers an EV_OPEN: accept (stream_data attached) or refuse with `reason` ("code: sentence",
 * at most BUSMUX_REASON_MAX bytes; the stream is then gone). 0; -ENOENT (no such stream
 * waiting), -EINVAL (reason), -ENOBUFS. */
int busmux_accept(busmux *m, uint32_t stream, void *stream_data);
int busmux_refuse(busmux *m, uint32_t stream, const char *reason);

/* Queues up to len bytes of buf (copied) to send on the stream. 0 with *ret_taken (0 when the
 * stream's queue holds BUSMUX_STREAM_TXBUF_MAX: wait for busmux_write_room); -ENOENT, -EPIPE
 * (closed for writing), -EBUSY (a VMO is being written: busmux_vmo_* until its end). */
int busmux_write(busmux *m, uint32_t stream, const void *buf, size_t len, size_t *ret_taken);

/* Bytes busmux_write would take now (0 for a stream that does not exist or cannot take any). */
size_t busmux_write_room(const busmux *m, uint32_t stream);

/* Sends a VMO of `size` bytes: begin, then its bytes in order with busmux_vmo_write (same
 * rules as busmux_write), then end. begin: 0, -ENOENT, -EPIPE, -EBUSY (one is under way),
 * -EMSGSIZE (0 or over BUSMUX_VMO_MAX). write: as busmux_write, -EMSGSIZE past size. end: 0,
 * -EPROTO (fewer bytes than declared were written: reset the stream), -ENOENT, -EBUSY (queue
 * full: call again). */
int busmux_vmo_begin(busmux *m, uint32_t stream, uint64_t size);
int busmux_vmo_write(busmux *m, uint32_t stream, const void *buf, size_t len, size_t *ret_taken);
int busmux_vmo_end(busmux *m, uint32_t stream);

/* The adapter wrote n more bytes of the stream's DATA/VMO chunks out: may queue CREDIT.
 * 0; -ENOENT; -EINVAL (more than was received and not yet consumed). */
int busmux_consumed(busmux *m, uint32_t stream, size_t n);

/* Closes the stream for writing once what is queued is sent. 0, -ENOENT, -EBUSY (a VMO is
 * half written). The stream is gone (its id answers -ENOENT) once both sides closed and all
 * was sent, or after a RESET either way. */
int busmux_close(busmux *m, uint32_t stream);

/* Drops what is queued and resets the stream with `reason`; the stream is gone. 0, -ENOENT,
 * -EINVAL (reason), -ENOBUFS. */
int busmux_reset(busmux *m, uint32_t stream, const char *reason);

/* Queues PAIR_REQUEST, PAIR_CONFIRM or PAIR_REJECT (reason only for the last). 0, -EINVAL,
 * -ENOBUFS. */
int busmux_send_pair(busmux *m, enum busmux_type type, const char *reason);

/* True when busmux_next_record has something to send (control frames, or stream bytes with
 * window for them). */
bool busmux_pending(const busmux *m);

/* Fills buf (cap bytes, at least BUSMUX_RECORD_MIN; at most BUSMUX_RECORD_MAX are used) with
 * whole frames: control frames first, then the streams' queued bytes in turn, under their
 * windows. 0 with *ret_len (0: nothing to send) and *ret_rekey: true when the record ends with
 * REKEY (encrypt it with the current key, then rekey the send key). -EINVAL (cap). */
int busmux_next_record(
        busmux *m, uint64_t now_ns, uint8_t *buf, size_t cap, size_t *ret_len, bool *ret_rekey);

/* Timers: queues PING after BUSMUX_PING_AFTER_NS without a record from the peer. 0 with
 * *ret_next_ns (when to call again); -ETIMEDOUT after BUSMUX_IDLE_TIMEOUT_NS of silence. */
int busmux_tick(busmux *m, uint64_t now_ns, uint64_t *ret_next_ns);

void busmux_stats(const busmux *m, struct busmux_stats *ret);

#endif
