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

/* For grants.c: the store (borrowed), the grants table (borrowed), the subject of the
 * connection `in` came through (NULL if none), and telling watchers the version in force. */
struct pold_grants;
pold_store *policyd_store(policyd *d);
struct pold_grants *policyd_grants(policyd *d);
const char *policyd_subject(policyd *d, const nx_rpc_incoming *in);
void policyd_announce(policyd *d);

/* Drops the watchers and the store. Takes NULL, returns NULL. */
policyd *policyd_free(policyd *d);

#endif
