/* SPDX-License-Identifier: MIT */
/*
 * The store's reference-count plan. Blobs are file contents stored once by SHA-256; a blob's
 * count is the number of installed bundles whose files use it (a bundle holding the same
 * contents twice counts once). Installing, upgrading or removing a bundle replaces its old set
 * of hashes (empty when new) by its new set (empty when removed): hashes only in the new set
 * gain a reference (and are stored if no bundle had them), hashes only in the old set lose one
 * (and go with their last), hashes in both are untouched. Pure: the caller applies the plan
 * to its records in one transaction.
 */
#ifndef BUNDLE_PLAN_H
#define BUNDLE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

typedef uint8_t bnd_hash[BND_HASH_LEN];

struct bnd_plan {
	bnd_hash *add; /* distinct, sorted */
	size_t nadd;
	bnd_hash *drop; /* distinct, sorted */
	size_t ndrop;
};

/* Plans the change from old[0..nold) to new_[0..nnew) (borrowed; duplicates allowed). 0 with
 * *ret filled (release with bnd_plan_done), -EINVAL or -ENOMEM (*ret untouched). */
int bnd_plan_make(
        const bnd_hash *old, size_t nold, const bnd_hash *new_, size_t nnew, struct bnd_plan *ret);

/* Frees the plan's lists; takes a zeroed plan. */
void bnd_plan_done(struct bnd_plan *p);

#endif
