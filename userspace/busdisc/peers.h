/* SPDX-License-Identifier: MIT */
/*
 * busdisc peers: the bounded table of devices discovered, and the rules an announcement
 * passes before it is believed.
 *
 * An announcement is ignored, and counted under its cause, when: its signature is missing or
 * does not verify (BUSDISC_REJECT_SIGNATURE), its id is not its dk's (ID), its ts is older
 * than BUSDISC_TS_WINDOW_MS (STALE) or ahead by more than BUSDISC_TS_SKEW_MS (FUTURE), its
 * ts is lower than the last accepted for that id, or equal with different content (REPLAY),
 * it is a new device and the table is full (FULL). A packet that does not decode counts
 * MALFORMED. Our own announcements (multicast loop) are ignored as SELF, which is not a
 * rejection. A repeat of the announcement held refreshes the entry but keeps the address its
 * first copy came from (a copy replayed from elsewhere moves nothing); a newer one replaces
 * it, address included. The address and the TTL are not signed (the Noise handshake is what
 * proves a device): an accepted announcement with TTL 0 is a goodbye, and the peer expires
 * one second later (RFC 6762 section 10.1), but only when it comes from the address held
 * (else REPLAY); otherwise the peer expires TTL seconds (at most BUSDISC_TTL_MAX_S) after it
 * was last seen. Someone who can spoof that address on the link can still make us forget a
 * peer until its next announcement.
 *
 * Pure: both clocks are passed in (realtime ms for timestamps, monotonic ms for expiry).
 */
#ifndef BUSDISC_PEERS_H
#define BUSDISC_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "mdns.h"

enum busdisc_verdict {
	BUSDISC_NEW,     /* a device not in the table: added */
	BUSDISC_CHANGED, /* newer announcement with other content (keys, port, services, address) */
	BUSDISC_REFRESHED, /* seen again, nothing changed but the expiry */
	BUSDISC_GOODBYE,   /* the device said it leaves */
	BUSDISC_SELF,      /* our own announcement */
	BUSDISC_REJECT_MALFORMED,
	BUSDISC_REJECT_SIGNATURE,
	BUSDISC_REJECT_ID,
	BUSDISC_REJECT_STALE,
	BUSDISC_REJECT_FUTURE,
	BUSDISC_REJECT_REPLAY,
	BUSDISC_REJECT_FULL,
	BUSDISC_VERDICTS /* count */
};

/* A stable word for a verdict ("new", ..., "malformed", "signature", "id", "stale", "future",
 * "replay", "full"), for logs, counters and --json. */
const char *busdisc_verdict_name(enum busdisc_verdict v);

struct busdisc_peer {
	struct busdisc_announce announce; /* the last accepted, signature included */
	uint32_t addr;                    /* source IPv4 of that packet, network byte order */
	uint64_t first_seen_ms, last_seen_ms, expires_ms; /* monotonic */
};

struct busdisc_clock {
	uint64_t real_ms; /* wall clock: compared with announcement timestamps */
	uint64_t mono_ms; /* monotonic: last seen and expiry */
};

typedef struct busdisc_peers busdisc_peers;

/* A table that ignores announcements of `self_id` (our own device id; copied). 0, -EINVAL,
 * -ENOMEM. */
int busdisc_peers_new(const char *self_id, busdisc_peers **ret);
busdisc_peers *busdisc_peers_free(busdisc_peers *t);

/* Judges an announcement that arrived from addr with record TTL ttl_s, updates the table and
 * counts the verdict, which it returns. */
enum busdisc_verdict busdisc_peers_offer(busdisc_peers *t, const struct busdisc_announce *a,
        uint32_t addr, uint32_t ttl_s, struct busdisc_clock now);

/* Decodes a packet (busdisc_decode) and offers each announcement in it; a packet that does
 * not decode counts MALFORMED. Calls on_verdict (may be NULL) once per announcement judged
 * (or once with MALFORMED and a NULL peer), with the table's entry for NEW, CHANGED,
 * REFRESHED and GOODBYE (borrowed: valid until the next call that changes the table).
 * Returns 0, or busdisc_decode's error. *ret_asks_for_us (may be NULL): the packet was a
 * query for our service. */
typedef void (*busdisc_verdict_fn)(
        void *userdata, enum busdisc_verdict v, const struct busdisc_peer *peer);
int busdisc_peers_feed(busdisc_peers *t, const uint8_t *buf, size_t len, uint32_t addr,
        struct busdisc_clock now, busdisc_verdict_fn on_verdict, void *userdata,
        bool *ret_asks_for_us);

/* Removes the peers expired at now_mono_ms; calls on_gone (may be NULL) for each before it
 * goes. Returns how many went. */
typedef void (*busdisc_gone_fn)(void *userdata, const struct busdisc_peer *peer);
size_t busdisc_peers_expire(
        busdisc_peers *t, uint64_t now_mono_ms, busdisc_gone_fn on_gone, void *userdata);

/* The earliest expiry in the table (monotonic ms), UINT64_MAX when empty: when to call
 * busdisc_peers_expire next. */
uint64_t busdisc_peers_next_expiry(const busdisc_peers *t);

/* The peers, in no particular order: n = busdisc_peers_count, entries 0..n-1 (borrowed,
 * valid until the table changes), and one by device id (NULL if unknown). */
size_t busdisc_peers_count(const busdisc_peers *t);
const struct busdisc_peer *busdisc_peers_at(const busdisc_peers *t, size_t i);
const struct busdisc_peer *busdisc_peers_find(const busdisc_peers *t, const char *id);

/* An address a device was reached at by a session we dialled, and when (monotonic ms, the
 * peer table's clock; 0: not since it last failed). */
struct busdisc_dialled {
	uint32_t addr; /* IPv4, network byte order */
	uint16_t port;
	uint64_t reached_ms;
};

/* Where to dial a device: its announcement p or the address dialled, whichever was seen last
 * (the announcement on a tie: a device that restarted on another port says so there). Either
 * may be NULL. 0, or -ENOENT when both are. */
int busdisc_dial_address(const struct busdisc_peer *p, const struct busdisc_dialled *dialled,
        uint32_t *ret_addr, uint16_t *ret_port);

/* Counts a packet refused before it could be fed (a datagram longer than
 * BUSDISC_PACKET_MAX, which the socket cut): BUSDISC_REJECT_MALFORMED. */
void busdisc_peers_count_oversized(busdisc_peers *t);

/* How many announcements got verdict v since the table was made. */
uint64_t busdisc_peers_counted(const busdisc_peers *t, enum busdisc_verdict v);

#endif
