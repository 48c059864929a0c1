/* SPDX-License-Identifier: MIT */
/*
 * Deep copy from a reader into a builder. The source is read through the ordinary reader
 * calls, so a hostile source is bounded by its traversal budget and nesting limit (which also
 * bounds this recursion) exactly as any other reader of it would be.
 */
#include "builder.h"
#include "reader.h"

static int copy_ptr(const nx_capnp_bptr *dst, const nx_capnp_ptr *src);

static int copy_fields(const nx_capnp_bstruct *d, const nx_capnp_struct *s)
{
	size_t n = s->data_bytes;

	if (n > (size_t)d->data_words * 8)
		n = (size_t)d->data_words * 8;
	if (n)
		memcpy(d->data, s->data, n);
	for (uint32_t i = 0; i < s->nptrs && i < d->nptrs; i++) {
		nx_capnp_ptr sp = nx_capnp_struct_ptr(s, i);
		nx_capnp_bptr dp = nx_capnp_bstruct_ptr(d, i);
		int err = copy_ptr(&dp, &sp);

		if (err != 0)
			return err;
	}
	return 0;
}

static int copy_list(const nx_capnp_bptr *dst, const nx_capnp_list *l)
{
	nx_capnp_blist d;
	int err;

	if (l->elem == NX_CAPNP_ELEM_COMPOSITE) {
		err = nx_capnp_bptr_init_struct_list(
		        dst, (uint16_t)(l->data_bits / 64), l->nptrs, l->count, &d);
		if (err != 0)
			return err;
		for (uint32_t i = 0; i < l->count; i++) {
			nx_capnp_struct se;
			nx_capnp_bstruct de;

			nx_capnp_list_get_struct(l, i, &se);
			nx_capnp_blist_get_struct(&d, i, &de);
			err = copy_fields(&de, &se);
			if (err != 0)
				return err;
		}
		return 0;
	}
	err = nx_capnp_bptr_init_list(dst, (enum nx_capnp_elem)l->elem, l->count, &d);
	if (err != 0)
		return err;
	if (l->elem == NX_CAPNP_ELEM_POINTER) {
		for (uint32_t i = 0; i < l->count; i++) {
			nx_capnp_ptr sp = nx_capnp_list_ptr(l, i);
			nx_capnp_bptr dp = nx_capnp_blist_ptr(&d, i);

			err = copy_ptr(&dp, &sp);
			if (err != 0)
				return err;
		}
		return 0;
	}
	if (l->count)
		memcpy(d.start, l->start, (size_t)(((uint64_t)l->count * l->step_bits + 7) / 8));
	return 0;
}

static int copy_ptr(const nx_capnp_bptr *dst, const nx_capnp_ptr *src)
{
	struct nxc_target t;
	nx_capnp_struct s;
	nx_capnp_bstruct d;
	nx_capnp_list l;
	int err;

	switch (nxc_resolve(src->msg, src->seg, src->p, &t)) {
	case NX_CAPNP_KIND_NULL:
		nx_capnp_bptr_set_null(dst);
		return 0;
	case NX_CAPNP_KIND_CAP:
		/* Indexes are copied as they are: the caller owns both cap tables (an RPC echo
		 * copies a message whose reader has none). Index NX_CAPNP_NO_CAP fits no table
		 * at all, and copying it would write a pointer no reader of the copy accepts. */
		if ((uint32_t)(t.word >> 32) == NX_CAPNP_NO_CAP)
			return nxc_fail(src->msg, -EBADMSG);
		return nx_capnp_bptr_set_cap(dst, (uint32_t)(t.word >> 32));
	case NX_CAPNP_KIND_STRUCT:
		err = nx_capnp_ptr_read_struct(src, &s);
		if (err != 0)
			return err;
		err = nx_capnp_bptr_init_struct(dst, (uint16_t)(s.data_bytes / 8), s.nptrs, &d);
		if (err != 0)
			return err;
		return copy_fields(&d, &s);
	case NX_CAPNP_KIND_LIST:
		err = nx_capnp_ptr_read_list(src, NX_CAPNP_ELEM_VOID, &l);
		if (err != 0)
			return err;
		return copy_list(dst, &l);
	default:
		return src->msg->error ? src->msg->error : -EBADMSG;
	}
}

NXC_EXPORT int nx_capnp_bptr_copy(const nx_capnp_bptr *p, const nx_capnp_ptr *src)
{
	assert_return(p && p->b && p->p && src && src->msg, -EINVAL);
	if (p->b->error)
		return p->b->error;
	return copy_ptr(p, src);
}
