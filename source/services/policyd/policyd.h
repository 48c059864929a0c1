/* SPDX-License-Identifier: MIT */
/* policyd's RPC side (policyd.c): the Policy interface over the store (store.h). */
#ifndef POLICYD_POLICYD_H
#define POLICYD_POLICYD_H

#include "nx-rpc/rpc.h"
#include "policy.capnp.h"
#include "store.h"
#include "svc.h"

typedef struct policyd policyd;

/* Serves `store` (taken: freed with the policyd, or on failure) for the connections of `svc`
 * (borrowed, must outlive the policyd). *ret_bootstrap gets a new reference to the Policy
 * object every accepted connection serves. */
int policyd_new(nx_svc *svc, pold_store *store, policyd **ret, struct policy **ret_bootstrap);

/* Drops the watchers and the store. Takes NULL, returns NULL. */
policyd *policyd_free(policyd *d);

#endif
