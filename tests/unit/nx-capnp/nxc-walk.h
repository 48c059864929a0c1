/* SPDX-License-Identifier: MIT */
/*
 * A generic message walker for tests and the fuzzer: follows every pointer, reads every list
 * element, and reads byte lists as text and data too. Returns the reader's error (0 if none).
 * Header-only so the fuzz target can share it.
 */
#ifndef NXC_WALK_H
#define NXC_WALK_H

#include <errno.h>

#include "nx-capnp/capnp.h"

static inline void nxc_walk_ptr(const nx_capnp_ptr *p);

static inline void nxc_walk_struct(const nx_capnp_struct *s)
{
	volatile uint64_t sink = 0;

	for (uint32_t i = 0; i * 8 < s->data_bytes; i++)
		sink += nx_capnp_struct_get_u64(s, i, 0);
	for (uint32_t i = 0; i < s->nptrs; i++) {
		nx_capnp_ptr p = nx_capnp_struct_ptr(s, i);

		nxc_walk_ptr(&p);
	}
	(void)sink;
}

static inline void nxc_walk_ptr(const nx_capnp_ptr *p)
{
	volatile uint64_t sink = 0;
	nx_capnp_struct s;
	nx_capnp_list l;
	const char *t;
	const uint8_t *d;
	size_t n;
	uint32_t cap;

	switch (nx_capnp_ptr_kind(p)) {
	case NX_CAPNP_KIND_STRUCT:
		if (nx_capnp_ptr_read_struct(p, &s) == 0)
			nxc_walk_struct(&s);
		break;
	case NX_CAPNP_KIND_LIST:
		if (nx_capnp_ptr_read_list(p, NX_CAPNP_ELEM_VOID, &l) < 0)
			break;
		for (uint32_t i = 0; i < l.count; i++) {
			if (l.elem == NX_CAPNP_ELEM_COMPOSITE) {
				nx_capnp_list_get_struct(&l, i, &s);
				nxc_walk_struct(&s);
			} else if (l.elem == NX_CAPNP_ELEM_POINTER) {
				nx_capnp_ptr e = nx_capnp_list_ptr(&l, i);

				nxc_walk_ptr(&e);
			} else if (l.elem == NX_CAPNP_ELEM_BIT) {
				sink += nx_capnp_list_get_bool(&l, i);
			} else if (l.elem != NX_CAPNP_ELEM_VOID) {
				sink += nx_capnp_list_get_u64(&l, i);
			}
		}
		if (l.elem == NX_CAPNP_ELEM_BYTE) {
			/* a byte list that is not text is fine as data: keep the reader's error
			 * about the message, not about our guess */
			int saved = p->msg->error;

			if (nx_capnp_ptr_read_data(p, &d, &n) == 0 && n)
				sink += d[n - 1];
			if (nx_capnp_ptr_read_text(p, &t, &n) == 0)
				sink += (uint8_t)t[n];
			if (saved == 0 && p->msg->error == -EBADMSG)
				p->msg->error = 0;
		}
		break;
	case NX_CAPNP_KIND_CAP:
		nx_capnp_ptr_read_cap(p, &cap);
		break;
	default:
		break;
	}
	(void)sink;
}

static inline int nxc_walk(nx_capnp_reader *r)
{
	nx_capnp_ptr root = nx_capnp_reader_root(r);

	nxc_walk_ptr(&root);
	return r->error;
}

#endif
