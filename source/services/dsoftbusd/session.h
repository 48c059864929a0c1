/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd session: one TCP connection with another device, from the Noise XX handshake
 * (noise.h, prologue BUSAUTH_PROLOGUE, each side's payload binding its static key to its
 * device key: busauth.h) to the transport records that carry busmux's frames. Every message
 * on the socket is preceded by its length, 2 bytes big-endian (at most NOISE_MSG_MAX).
 *
 * A session that stalls in its handshake (BUS_HANDSHAKE_TIMEOUT_NS), sends a record that fails
 * to decrypt (replayed, reordered, forged: the nonces are implicit), breaks the stream protocol
 * or goes quiet past busmux's idle timeout ends, and only it: ops->closed says why. Records
 * are made only while fewer than BUS_SESSION_QUEUE_BYTES wait for the socket, so a peer that
 * does not read stalls its own streams (credit pushes back on their callers) and nobody else.
 * REKEY: after a record that ends with it, the sender rekeys its send key and the receiver its
 * receive key.
 */
#ifndef DSOFTBUSD_SESSION_H
#define DSOFTBUSD_SESSION_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "buspair/sas.h"
#include "busmux/mux.h"
#include "identity.h"
#include "nx-abi/loop.h"
#include "nx-abi/tcp.h"

struct bus_session;

/* Bytes of encrypted records queued for the socket before the session stops making more
 * until the peer reads: a peer that does not read only stalls its own streams (busmux's credit
 * pushes back on their callers). A threshold of production, not a cap on what a peer sends. */
#define BUS_SESSION_QUEUE_BYTES (256u << 10)

/* The error `closed` reports for a transport record that failed to decrypt (replayed,
 * reordered, forged): kept apart from every other cause so that it is counted as such. */
#define BUS_SESSION_EDECRYPT (-EBADE)

struct bus_session_ops {
	/* The handshake is done and the peer's device key signed the static key it ran with
	 * (bus_session_device and friends are set). 0 to go on, or a negative errno to end the
	 * session (closed follows). */
	int (*established)(void *userdata, struct bus_session *s);
	/* A busmux event (mux.h; REKEY is handled here and not passed on). A negative return
	 * ends the session. */
	int (*event)(void *userdata, struct bus_session *s, const struct busmux_event *ev);
	/* Records went out: streams that had no room may write again. */
	void (*drained)(void *userdata, struct bus_session *s);
	/* The session is over: `error` (a negative errno) and `why` (a sentence) say why. The
	 * callback must free it (bus_session_free) before returning, and nothing of it is used
	 * after. */
	void (*closed)(void *userdata, struct bus_session *s, int error, const char *why);
};

/* A session on an accepted connection (fd taken), as the responder. */
int bus_session_accept(nx_loop *loop, struct bus_identity *id, int fd, uint32_t addr,
        const struct bus_session_ops *ops, void *userdata, struct bus_session **ret);

/* A session dialled to addr:port as the initiator; `expect` (NUL-terminated) is the device id
 * meant: a peer that turns out to be another device is refused (-EKEYREJECTED). */
int bus_session_dial(nx_loop *loop, struct bus_identity *id, uint32_t addr, uint16_t port,
        const char *expect, const struct bus_session_ops *ops, void *userdata,
        struct bus_session **ret);

/* Closes the socket, wipes the keys, frees the mux. Takes NULL, returns NULL. */
struct bus_session *bus_session_free(struct bus_session *s);

/* The streams (NULL until established; borrowed). After changing them (open, write,
 * accept, ...) call bus_session_kick so that the records go out. */
busmux *bus_session_mux(struct bus_session *s);
void bus_session_kick(struct bus_session *s);

bool bus_session_established(const struct bus_session *s);
bool bus_session_initiator(const struct bus_session *s);
/* The peer (valid once established): device id, device key, Noise static key, the short
 * authentication string of this handshake, and "a.b.c.d:port" it was dialled at or came
 * from. */
const char *bus_session_device(const struct bus_session *s);
const uint8_t *bus_session_device_pub(const struct bus_session *s);
const uint8_t *bus_session_static_pub(const struct bus_session *s);
const char *bus_session_sas(const struct bus_session *s);
const char *bus_session_address(const struct bus_session *s);
/* A number naming this session for the daemon's lifetime (pending pairings refer to it). */
uint64_t bus_session_handle(const struct bus_session *s);

#endif
