/* SPDX-License-Identifier: MIT */
/* keystored's RPC side (keystored.c): the Keystore interface over the store (store.h), and the
 * rngd channel its keys come from. */
#ifndef KEYSTORED_KEYSTORED_H
#define KEYSTORED_KEYSTORED_H

#include "keystore.capnp.h"
#include "store.h"
#include "svc.h"

typedef struct keystored keystored;

/* Serves `store` (taken: freed with the keystored) for the connections of `svc` (borrowed,
 * must outlive the keystored), following rngd for entropy and making the device key as soon
 * as rngd answers, if the store has none. A NULL store is a damaged one: every key call then
 * fails with `integrity: <broken>` (copied) and verify() still works. *ret_bootstrap gets a new
 * reference to the Keystore object every accepted connection serves. */
int keystored_new(nx_svc *svc, kss *store, const char *broken, keystored **ret,
        struct keystore **ret_bootstrap);

/* The dispatch nx-svc's policy client runs held calls again through (impl: the keystored). */
int keystored_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method);

/* Fails the creations still waiting for rngd, drops the rngd channel and the store. Takes
 * NULL, returns NULL. */
keystored *keystored_free(keystored *d);

#endif
