/* SPDX-License-Identifier: MIT */
/* Limits of dsoftbusd (BUS_*), the bus daemon, included by limits.h. The libraries under it
 * keep their own: limits-busdisc.h (discovery), limits-busmux.h (streams, pairing store).
 * The interface's caps (BUS_PEERS_MAX sessions and peers, BUS_EXPORTS_MAX, BUS_PENDING_MAX)
 * are bus.capnp's constants, generated into bus.capnp.h. Freestanding. */
#ifndef NEXUS_LIMITS_BUS_H
#define NEXUS_LIMITS_BUS_H

/* TCP connections still in their handshake at once: past it new ones are closed at accept,
 * so a peer opening connections and never finishing costs nobody else a session. */
#define BUS_HANDSHAKING_MAX 16u
/* A handshake not complete after this long is dropped (a truncated or stalled handshake). */
#define BUS_HANDSHAKE_TIMEOUT_NS (5ull * 1000000000ull)
/* A session that received nothing for this long is pinged, and dropped after twice as long
 * (slowloris, a dead link). */
#define BUS_IDLE_PING_NS (10ull * 1000000000ull)
/* Bytes queued for one peer's socket at most: a peer that does not read past it (or floods
 * us into answering past it) loses its session. */
#define BUS_SEND_QUEUE_MAX (4u << 20)
/* Each side rekeys its send key after this many bytes or this long (REKEY frame). */
#define BUS_REKEY_BYTES       (1ull << 30)
#define BUS_REKEY_INTERVAL_NS (600ull * 1000000000ull)
/* Largest VMO relayed across the bus (streamed in chunks, resealed on arrival). */
#define BUS_VMO_MAX (256u << 20)

#endif
