/* SPDX-License-Identifier: MIT */
/*
 * buspair pending: pairings under way, waiting for the operator on each side. A pairing is
 * complete when both operators confirmed the same short authentication string: the local one
 * (`nx bus pair DEVICE` on the asking side, `nx bus accept` on the other) and the remote one
 * (its PAIR_CONFIRM, or its PAIR_REQUEST, which is its operator's confirmation). Bounded
 * (BUSPAIR_PENDING_MAX) and each expires BUSPAIR_PENDING_TTL_NS after it began. Pure; time
 * passed in (monotonic ns). Single-threaded.
 */
#ifndef BUSPAIR_PENDING_H
#define BUSPAIR_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buspair/sas.h"
#include "buspair/store.h"

typedef struct buspair_pending buspair_pending;

struct buspair_request {
	char device[BUSPAIR_ID_LEN + 1];
	char sas[BUSPAIR_SAS_LEN + 1];
	uint64_t session;      /* the adapter's handle of the session it runs on */
	bool local_confirmed;  /* our operator confirmed */
	bool remote_confirmed; /* the peer's operator confirmed */
	uint64_t expires_ns;
};

/* 0 with *ret, -ENOMEM. */
int buspair_pending_new(buspair_pending **ret);
/* Takes NULL; returns NULL. */
buspair_pending *buspair_pending_free(buspair_pending *p);

/* Starts (or restarts, on a new session: the confirmations start over) a pairing with device
 * over `session`, with the session's `sas`. 0; -EINVAL (device id, sas not 6 digits),
 * -EBUSY (BUSPAIR_PENDING_MAX pairings under way that have not expired). */
int buspair_pending_begin(
        buspair_pending *p, const char *device, const char *sas, uint64_t session, uint64_t now_ns);

/* Records a confirmation (local: our operator; else the peer's). 0 with *ret_complete (both
 * sides confirmed: the pairing is removed, pin it now); -ENOENT (none under way for device,
 * or expired). */
int buspair_pending_confirm(
        buspair_pending *p, const char *device, bool local, uint64_t now_ns, bool *ret_complete);

/* The pairing under way with device: 0 with *ret, -ENOENT. */
int buspair_pending_get(
        buspair_pending *p, const char *device, uint64_t now_ns, struct buspair_request *ret);

/* Forgets the pairing with device (rejected, cancelled): 0, -ENOENT. */
int buspair_pending_cancel(buspair_pending *p, const char *device);

/* Forgets every pairing that ran on `session` (it ended); returns how many. */
size_t buspair_pending_drop_session(buspair_pending *p, uint64_t session);

/* The pairings under way (expired ones are dropped first), at most cap into out; returns the
 * number written. */
size_t buspair_pending_list(
        buspair_pending *p, uint64_t now_ns, struct buspair_request *out, size_t cap);

#endif
