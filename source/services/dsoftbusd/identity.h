/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd identity: who this device is on the bus, set up once at start (blocking, before
 * the daemon serves): the device key's public half and id (keystored's "@device"), the Noise
 * static X25519 key (made once from rngd entropy and kept in the state dir, 0600), keystored's
 * signature over it in domain bus.static (the handshake payload, busauth.h), and a DRBG
 * seeded from rngd that every handshake's ephemeral key is drawn from.
 */
#ifndef DSOFTBUSD_IDENTITY_H
#define DSOFTBUSD_IDENTITY_H

#include <stdint.h>

#include "busauth/auth.h"
#include "busdisc/announce.h"
#include "entropy/drbg.h"
#include "noise/noise.h"
#include "svc.h"

/* Each blocking call made while starting (rngd, keystored) waits at most this. */
#define BUS_STARTUP_CALL_NS (10ull * 1000000000ull)

/* The file in the state dir holding the Noise static secret. */
#define BUS_STATIC_KEY_FILE "noise-static.key"

struct bus_identity {
	uint8_t device_pub[BUSAUTH_KEY_LEN];
	char device_id[BUSDISC_ID_LEN + 1];
	struct noise_keypair noise_static;
	uint8_t payload[BUSAUTH_PAYLOAD_LEN]; /* device_pub | signature over the static key */
	struct ent_drbg drbg;
};

/* Sets up `id` through svc's samgrd (rngd, keystored; each call waits at most
 * BUS_STARTUP_CALL_NS) with the state dir `state_dirfd` (borrowed). 0, or a negative errno
 * with a log line saying which step failed. */
int bus_identity_load(nx_svc *svc, int state_dirfd, struct bus_identity *id);

/* A fresh ephemeral key pair for a handshake, from the DRBG. 0, or the DRBG's error (it must
 * be reseeded: -ESTALE). */
int bus_identity_ephemeral(struct bus_identity *id, struct noise_keypair *ret);

/* Wipes the secrets. */
void bus_identity_wipe(struct bus_identity *id);

#endif
