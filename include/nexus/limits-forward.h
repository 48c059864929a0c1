/* SPDX-License-Identifier: MIT */
/* Limits of nx-rpc's call forwarding (nx-rpc/forward.h), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_FORWARD_H
#define NEXUS_LIMITS_FORWARD_H

/* Forwarded calls from one connection in flight at once. Past it nx-rpc stops reading that
 * connection until one of them is answered, so a slow target makes the sender wait in its own
 * socket buffer instead of the forwarder queueing: at most this many forwarded calls of at
 * most NX_MSG_MAX_BYTES each (256 KiB) wait in the forwarder for any one sender, well under
 * NX_RPC_TX_QUEUE_MAX. */
#define NX_RPC_FORWARD_WINDOW 64u

#endif
