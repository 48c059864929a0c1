/* SPDX-License-Identifier: MIT */
/* Limits of userspace/busmux (dsoftbusd's stream multiplexer) and userspace/buspair (pinned
 * peers, pending pairings), included by limits.h after the system limits. Times in
 * nanoseconds. Freestanding. */
#ifndef NEXUS_LIMITS_BUSMUX_H
#define NEXUS_LIMITS_BUSMUX_H

/* Plaintext of one Noise transport record: the 65535-byte Noise message (§13 of the spec, and
 * the 2-byte length prefix on TCP) less the 16-byte ChaChaPoly tag. */
#define BUSMUX_RECORD_MAX 65519u

/* Streams open (or being opened) at once in one session, both directions together. An OPEN
 * past it is answered OPEN_ERR limit_exceeded; the session lives on. */
#define BUSMUX_STREAMS_MAX 64u

/* Bytes a receiver lets a stream's sender have in flight before it grants more with CREDIT.
 * DATA and VMO chunks both count. A peer that sends past its window loses the session. */
#define BUSMUX_WINDOW_INITIAL (512u * 1024u)
/* Largest window credit may build up to; CREDIT beyond it is a protocol violation. */
#define BUSMUX_WINDOW_MAX (16u * 1024u * 1024u)

/* Bytes the local side may queue on one stream before busmux_write() pushes back. */
#define BUSMUX_STREAM_TXBUF_MAX (512u * 1024u)

/* Control frames (OPEN_OK/ERR, RESET, CREDIT, PONG, PAIR_*) queued unsent in one session: a
 * peer that makes us answer faster than it reads loses the session. */
#define BUSMUX_CONTROL_QUEUE_MAX 256u

/* Text in frames: a service name (samgr's), the caller's subject on the opening device (room
 * left on the other side for "peer:" + a 32-hex device id + "/" inside REG_SUBJECT_MAX), and a
 * reason (a DESIGN.md section 9 code, a colon, a sentence). */
#define BUSMUX_SERVICE_MAX REG_NAME_MAX
#define BUSMUX_SUBJECT_MAX 90u
#define BUSMUX_REASON_MAX  200u

/* A VMO streamed over one stream, bytes (the system's cap on a VMO from a peer). */
#define BUSMUX_VMO_MAX NX_VMO_MAX_BYTES

/* Liveness: a session quiet this long gets a PING; one that has received nothing for
 * BUSMUX_IDLE_TIMEOUT_NS is dead. */
#define BUSMUX_PING_AFTER_NS   10000000000ull /* 10 s */
#define BUSMUX_IDLE_TIMEOUT_NS 30000000000ull /* 30 s */

/* Rekey budget: a sender rekeys after this many bytes or this long on one key, whichever
 * comes first (far below the Noise nonce space, and as WireGuard: every 2 minutes). */
#define BUSMUX_REKEY_BYTES (1ull << 30)
#define BUSMUX_REKEY_NS    120000000000ull /* 2 min */

/* Pinned peers one device keeps. */
#define BUSPAIR_PINS_MAX 256u
/* Pairings waiting for the operator's confirmation at once, and how long one waits. */
#define BUSPAIR_PENDING_MAX    8u
#define BUSPAIR_PENDING_TTL_NS 120000000000ull /* 2 min */

#endif
