/* SPDX-License-Identifier: MIT */
/* Private to nx-capnp: object placement shared by the builder and the deep copy. */
#ifndef NX_CAPNP_BUILDER_H
#define NX_CAPNP_BUILDER_H

#include "layout.h"

struct nxc_place {
	uint64_t *ref; /* where the struct/list pointer (or double-far tag) is written */
	uint64_t *obj; /* the object's first word */
	uint32_t seg;  /* the object's segment */
	bool double_far;
};

int nxc_place(const nx_capnp_bptr *p, uint64_t n, struct nxc_place *ret);

/* A double-far tag has offset 0; otherwise the offset is relative to the word after ref. */
static inline int64_t nxc_place_offset(const struct nxc_place *pl)
{
	return pl->double_far ? 0 : (int64_t)(pl->obj - pl->ref) - 1;
}

#endif
