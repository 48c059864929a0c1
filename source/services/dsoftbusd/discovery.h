/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd discovery: the adapter between userspace/busdisc (signed DNS-SD announcements,
 * the peer table) and the network (nx-abi/udp.h's mDNS socket) on dsoftbusd's loop.
 *
 * Once started it announces the device (twice, a second apart, RFC 6762 section 8.3), then
 * again every BUS_DISC_REFRESH_MS and whenever the services change; answers every query for
 * _nexus._tcp.local or for its own instance; browses (one query at start and at each refresh);
 * feeds every packet it receives into the peer table and expires peers by their TTL. The
 * announcement is signed through `sign` (dsoftbusd: keysign.h, keystored's device key in
 * domain bus.announce) at start, on a change of services and whenever its timestamp is older
 * than BUS_DISC_RESIGN_MS; nothing is announced until the first signature came back (a
 * failed signature is retried on the next refresh). On free it sends a goodbye (TTL 0).
 *
 * Everything runs on the loop; callbacks come from the loop, never from inside a bus_disc_*
 * call.
 */
#ifndef DSOFTBUSD_DISCOVERY_H
#define DSOFTBUSD_DISCOVERY_H

#include <stdint.h>

#include "busdisc/peers.h"
#include "nx-abi/loop.h"

/* How often the announcement is sent again (and browsed); the record TTL is
 * BUSDISC_TTL_S, so a peer that missed one refresh still holds us. */
#define BUS_DISC_REFRESH_MS 60000u
/* A timestamp older than this is refreshed (and signed again) before the next announcement;
 * well inside BUSDISC_TS_WINDOW_MS so peers never see ours stale. */
#define BUS_DISC_RESIGN_MS (5u * 60u * 1000u)

/* A signature arrived: error 0 and sig (borrowed), or a negative errno and NULL. */
typedef void (*bus_disc_signed_fn)(void *ctx, int error, const uint8_t *sig);
/* Signs data (len bytes, borrowed for the call) in domain BUSDISC_SIGN_DOMAIN with the
 * device key; calls done(ctx, ...) exactly once, later, from the loop, unless it returns a
 * negative errno (then never). */
typedef int (*bus_disc_sign_fn)(
        void *signer, const uint8_t *data, size_t len, bus_disc_signed_fn done, void *ctx);

struct bus_disc_config {
	const uint8_t *device_pub; /* BUSDISC_KEY_LEN bytes: keystored's device key */
	const uint8_t *noise_pub;  /* BUSDISC_KEY_LEN bytes: the Noise static key */
	uint16_t port;             /* the session port (TCP) */
	const char *services;      /* exported, comma separated (busdisc_services_valid) */
	const char *ifname;        /* the interface to announce on; NULL: every one */
	uint16_t mdns_port;        /* NX_MDNS_PORT; tests may use another */
};

struct bus_disc_ops {
	/* A peer appeared (BUSDISC_NEW), changed (BUSDISC_CHANGED) or said goodbye
	 * (BUSDISC_GOODBYE); `peer` is borrowed for the call. May be NULL. */
	void (*peer)(void *userdata, enum busdisc_verdict v, const struct busdisc_peer *peer);
	/* A peer expired and left the table; `peer` borrowed for the call. May be NULL. */
	void (*gone)(void *userdata, const struct busdisc_peer *peer);
};

typedef struct bus_disc bus_disc;

/* Starts discovery on `loop` (borrowed, must outlive it): opens the mDNS socket and asks
 * for the first signature. cfg's strings and keys are copied; sign/signer and ops/userdata
 * are borrowed and must outlive the adapter. 0, -EINVAL (cfg: keys missing, port 0,
 * services invalid), -ENODEV (no interface), -ENOMEM, or the socket's or signer's error. */
int bus_disc_new(nx_loop *loop, const struct bus_disc_config *cfg, bus_disc_sign_fn sign,
        void *signer, const struct bus_disc_ops *ops, void *userdata, bus_disc **ret);

/* The exported services changed: signs anew and announces. 0, -EINVAL (invalid list). */
int bus_disc_set_services(bus_disc *d, const char *services);

/* The peer table (borrowed, valid while d lives) for `nx bus peers`, and the counters of
 * every verdict (busdisc_peers_counted) for status. */
const busdisc_peers *bus_disc_peers(const bus_disc *d);

/* Now on the peer table's clock (monotonic ms): to stamp addresses compared with its
 * last_seen_ms. */
uint64_t bus_disc_now_ms(void);

/* Our own device id (NUL-terminated, borrowed). */
const char *bus_disc_device_id(const bus_disc *d);

/* Sends a goodbye (when something was announced), closes the socket, frees. Takes NULL,
 * returns NULL. */
bus_disc *bus_disc_free(bus_disc *d);

#endif
