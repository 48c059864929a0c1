/* SPDX-License-Identifier: MIT */
/* Private to nx-capnp: pointer resolution shared by the reader, copy and canonical modules. */
#ifndef NX_CAPNP_READER_H
#define NX_CAPNP_READER_H

#include "layout.h"

/* Where a pointer leads once far hops are followed. */
struct nxc_target {
	uint64_t word;   /* the struct/list/cap pointer (or double-far tag) describing the object */
	uint64_t pos;    /* word index of the object (composite: of its tag) in `seg` */
	uint64_t words;  /* words the object occupies, tag included */
	uint64_t elems;  /* lists: element count */
	uint64_t charge; /* lists: traversal cost */
	uint32_t seg;
};

enum nx_capnp_kind nxc_resolve(
        nx_capnp_reader *r, uint32_t seg, const uint64_t *p, struct nxc_target *ret);
int nxc_charge(nx_capnp_reader *r, uint64_t words);

#endif
