/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd relay: one stream of a session joined to one local channel (a socketpair end
 * whose far end a local caller or service holds). Whole Cap'n Proto frames (at most
 * NX_MSG_MAX_BYTES bytes, the system's control message cap; framing checked) cross in both directions as the stream's DATA;
 * fds that ride with a frame cross only as VMOs: each must be a memfd, whose bytes go first
 * (VMO_BEGIN, chunks, VMO_END, under the stream's credit) and arrive as a new memfd sealed
 * frozen, attached to the frame in the same order. Any other fd is refused with
 * "unsupported: ...": a Call carrying one is answered back with that exception, a Return
 * carrying one reaches the other side as that exception (nx-rpc/refusal.h); the stream
 * lives on. Bytes received are granted back as credit only once written
 * to the local channel, so a slow local reader slows the remote writer, not the session.
 */
#ifndef DSOFTBUSD_RELAY_H
#define DSOFTBUSD_RELAY_H

#include <stdint.h>

#include "nx-abi/loop.h"
#include "session.h"

struct bus_relay;

/* The relay is over (the local channel closed, the stream was reset or closed and all was
 * delivered, a frame broke the rules): the callee frees it with bus_relay_free. `why` says
 * why in a sentence. */
typedef void (*bus_relay_gone_fn)(void *userdata, struct bus_relay *r, const char *why);

/* Joins `stream` of session s (borrowed, must outlive the relay) to the channel fd (taken). */
int bus_relay_new(nx_loop *loop, int fd, struct bus_session *s, uint32_t stream,
        bus_relay_gone_fn gone, void *userdata, struct bus_relay **ret);

/* A busmux event of the relay's stream (DATA, VMO_*, CLOSED, RESET). 0, or a negative errno
 * for a peer that broke the session's rules. */
int bus_relay_event(struct bus_relay *r, const struct busmux_event *ev);

/* The session sent records: write more if the stream had no room. */
void bus_relay_drained(struct bus_relay *r);

struct bus_session *bus_relay_session(const struct bus_relay *r);
uint32_t bus_relay_stream(const struct bus_relay *r);

/* Closes the channel and every fd held. Takes NULL, returns NULL. Does not touch the stream:
 * reset it first if it is still open. */
struct bus_relay *bus_relay_free(struct bus_relay *r);

#endif
