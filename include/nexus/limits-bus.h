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

#endif
