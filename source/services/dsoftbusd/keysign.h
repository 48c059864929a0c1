/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd keysign: signatures by keystored's device key ("@device") in a domain, over a
 * channel kept to keystored with nx-svc's follow.h (it comes and goes). dsoftbusd signs its
 * announcement (domain bus.announce: discovery.h's bus_disc_sign_fn is bus_keysign_announce)
 * and its Noise static key (bus.static) this way; the policy must grant svc:dsoftbusd
 * `ipc.connect.keystored` and `crypto.sign.<domain>`.
 */
#ifndef DSOFTBUSD_KEYSIGN_H
#define DSOFTBUSD_KEYSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "discovery.h"
#include "nx-abi/loop.h"

struct samgr;
typedef struct bus_keysign bus_keysign;

/* Follows keystored through samgr (referenced) on loop (borrowed). 0, -ENOMEM, or
 * nx_follow_new's error. */
int bus_keysign_new(nx_loop *loop, struct samgr *samgr, bus_keysign **ret);

/* Asks keystored to sign data (len <= KS_INLINE_DATA_MAX, copied) in `domain` with the device
 * key; done(ctx, 0, sig) or done(ctx, -errno, NULL) comes later from the loop (keystored's
 * answer mapped by nx-rpc: -EPERM denied, ...; -EBADMSG a signature of the wrong size), or
 * from bus_keysign_free (-ECANCELED). Returns 0, or a negative errno and then done never
 * comes: -ENOTCONN (keystored is not reachable now: ask again later), -EINVAL, -ENOMEM. */
int bus_keysign_sign(bus_keysign *ks, const char *domain, const uint8_t *data, size_t len,
        bus_disc_signed_fn done, void *ctx);

/* bus_disc_sign_fn for discovery: bus_keysign_sign in domain BUSDISC_SIGN_DOMAIN. */
int bus_keysign_announce(
        void *keysign, const uint8_t *data, size_t len, bus_disc_signed_fn done, void *ctx);

/* Cancels what is pending (each done gets -ECANCELED, before this returns), drops the
 * channel. Free the discovery adapter first: it must not ask again. Takes NULL, returns
 * NULL. */
bus_keysign *bus_keysign_free(bus_keysign *ks);

#endif
