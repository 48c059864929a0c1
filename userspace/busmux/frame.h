/* SPDX-License-Identifier: MIT */
/*
 * busmux frames: what travels inside one decrypted Noise transport record of a dsoftbusd
 * session (DESIGN.md section 7). A record (at most BUSMUX_RECORD_MAX bytes) holds one or more
 * whole frames back to back; no frame spans records. Each frame is
 *
 *     type u8 | stream u32 BE | len u16 BE | payload[len]
 *
 * Stream 0 is the session itself (PING, PONG, REKEY, PAIR_*); every other type names a stream
 * other than 0. Payloads, exactly (text is bytes without NUL, never NUL-terminated on the wire):
 *
 *     OPEN          service_len u8 | service | subject_len u8 | subject   (1..BUSMUX_SERVICE_MAX,
 *                   1..BUSMUX_SUBJECT_MAX: the service wanted and the caller's subject)
 *     OPEN_OK       empty
 *     OPEN_ERR      reason (1..BUSMUX_REASON_MAX, "code: sentence" of DESIGN.md section 9)
 *     DATA          1.. bytes of the stream
 *     CREDIT        increment u32 BE (> 0)
 *     CLOSE         empty: the sender sends nothing more on this stream
 *     RESET         reason: the stream is gone in both directions
 *     VMO_BEGIN     size u64 BE (1..BUSMUX_VMO_MAX): a VMO of that size follows
 *     VMO_CHUNK     1.. bytes of the VMO (flow controlled as DATA)
 *     VMO_END       empty: the VMO is complete
 *     PING, PONG    token u64 BE (a PONG echoes its PING's token)
 *     REKEY         empty: the sender rekeys its send key after this record
 *     PAIR_REQUEST  empty: the sender asks to pair (its operator ran `nx bus pair`)
 *     PAIR_CONFIRM  empty: the sender's operator confirmed the short authentication string
 *     PAIR_REJECT   reason
 *
 * Pure: no allocation, no I/O.
 */
#ifndef BUSMUX_FRAME_H
#define BUSMUX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* BUSMUX_*: nexus/limits-busmux.h */

#define BUSMUX_FRAME_HEADER 7u
/* Most payload one frame can carry in one record. */
#define BUSMUX_FRAME_PAYLOAD_MAX (BUSMUX_RECORD_MAX - BUSMUX_FRAME_HEADER)

enum busmux_type {
	BUSMUX_OPEN = 1,
	BUSMUX_OPEN_OK = 2,
	BUSMUX_OPEN_ERR = 3,
	BUSMUX_DATA = 4,
	BUSMUX_CREDIT = 5,
	BUSMUX_CLOSE = 6,
	BUSMUX_RESET = 7,
	BUSMUX_VMO_BEGIN = 8,
	BUSMUX_VMO_CHUNK = 9,
	BUSMUX_VMO_END = 10,
	BUSMUX_PING = 11,
	BUSMUX_PONG = 12,
	BUSMUX_REKEY = 13,
	BUSMUX_PAIR_REQUEST = 14,
	BUSMUX_PAIR_CONFIRM = 15,
	BUSMUX_PAIR_REJECT = 16,
};

/* A text field: a view of len bytes, not NUL-terminated. */
struct busmux_text {
	const char *ptr;
	size_t len;
};

/* One frame. Decoded: views into the caller's buffer. To encode: the fields of its type. */
struct busmux_frame {
	enum busmux_type type;
	uint32_t stream;
	union {
		struct {
			struct busmux_text service, subject;
		} open;                    /* OPEN */
		struct busmux_text reason; /* OPEN_ERR, RESET, PAIR_REJECT */
		struct {
			const uint8_t *ptr;
			size_t len;
		} data;            /* DATA, VMO_CHUNK */
		uint32_t credit;   /* CREDIT */
		uint64_t vmo_size; /* VMO_BEGIN */
		uint64_t token;    /* PING, PONG */
	} u;
};

/* The type's name ("DATA"), or "?" for a value outside the enum. */
const char *busmux_type_name(unsigned type);

/* Decodes the frame at the start of buf (len bytes, the rest of a record; borrowed, and the
 * frame's views point into it). 0 with *ret and *ret_used (the frame's bytes) set; -EBADMSG
 * (truncated, unknown type, wrong stream for the type, wrong payload size, empty data, zero
 * credit, bad text), -EMSGSIZE (a text or a VMO size over its cap). */
int busmux_frame_decode(const uint8_t *buf, size_t len, struct busmux_frame *ret, size_t *ret_used);

/* The encoded size of f, or 0 when f would not decode (same rules as busmux_frame_decode). */
size_t busmux_frame_size(const struct busmux_frame *f);

/* Encodes f into buf (cap bytes): 0 with *ret_len, -ENOBUFS (does not fit), -EINVAL (f is
 * not a frame busmux_frame_decode would accept). */
int busmux_frame_encode(const struct busmux_frame *f, uint8_t *buf, size_t cap, size_t *ret_len);

#endif
