/* SPDX-License-Identifier: MIT */
/* Accessors for the parts of rpc.capnp that several message kinds share. */
#include <errno.h>
#include <string.h>

#include "wire.h"

int w_read_promised(const nx_capnp_ptr *p, struct w_target *ret)
{
	nx_capnp_struct pa, op;
	nx_capnp_list ops;
	nx_capnp_ptr tp;
	uint32_t i, depth = 0;
	int r;

	r = nx_capnp_ptr_read_struct(p, &pa);
	if (r < 0)
		return r;
	tp = nx_capnp_struct_ptr(&pa, 0);
	r = nx_capnp_ptr_read_list(&tp, NX_CAPNP_ELEM_COMPOSITE, &ops);
	if (r < 0)
		return r;
	if (ops.count > W_MAX_TRANSFORM)
		return -EBADMSG;
	ret->promised = true;
	ret->id = nx_capnp_struct_get_u32(&pa, W_PA_QID, 0);
	for (i = 0; i < ops.count; i++) {
		nx_capnp_list_get_struct(&ops, i, &op);
		switch (nx_capnp_struct_get_u16(&op, W_OP_TAG, 0)) {
		case 0:
			break; /* noop */
		case 1:
			ret->path[depth++] = nx_capnp_struct_get_u16(&op, W_OP_FIELD, 0);
			break;
		default:
			return -EBADMSG;
		}
	}
	ret->depth = depth;
	return 0;
}

int w_read_target(const nx_capnp_ptr *p, struct w_target *ret)
{
	nx_capnp_struct t;
	nx_capnp_ptr pp;
	int r;

	r = nx_capnp_ptr_read_struct(p, &t);
	if (r < 0)
		return r;
	switch (nx_capnp_struct_get_u16(&t, W_TGT_TAG, 0)) {
	case 0:
		ret->promised = false;
		ret->id = nx_capnp_struct_get_u32(&t, W_TGT_IMPORTED, 0);
		ret->depth = 0;
		return 0;
	case 1:
		pp = nx_capnp_struct_ptr(&t, 0);
		return w_read_promised(&pp, ret);
	default:
		return -EBADMSG;
	}
}

int w_write_promised(const nx_capnp_bptr *p, uint32_t qid, const uint16_t *path, uint32_t depth)
{
	nx_capnp_bstruct pa, op;
	nx_capnp_blist ops;
	nx_capnp_bptr lp;
	uint32_t i;
	int r;

	r = nx_capnp_bptr_init_struct(p, W_PA_DW, W_PA_NP, &pa);
	if (r < 0)
		return r;
	nx_capnp_bstruct_set_u32(&pa, W_PA_QID, qid, 0);
	lp = nx_capnp_bstruct_ptr(&pa, 0);
	r = nx_capnp_bptr_init_struct_list(&lp, W_OP_DW, W_OP_NP, depth, &ops);
	if (r < 0)
		return r;
	for (i = 0; i < depth; i++) {
		nx_capnp_blist_get_struct(&ops, i, &op);
		nx_capnp_bstruct_set_u16(&op, W_OP_TAG, 1, 0);
		nx_capnp_bstruct_set_u16(&op, W_OP_FIELD, path[i], 0);
	}
	return 0;
}

int w_write_target(const nx_capnp_bptr *p, const struct w_target *t)
{
	nx_capnp_bstruct s;
	nx_capnp_bptr pp;
	int r;

	r = nx_capnp_bptr_init_struct(p, W_TGT_DW, W_TGT_NP, &s);
	if (r < 0)
		return r;
	if (!t->promised) {
		nx_capnp_bstruct_set_u32(&s, W_TGT_IMPORTED, t->id, 0);
		return 0;
	}
	nx_capnp_bstruct_set_u16(&s, W_TGT_TAG, 1, 0);
	pp = nx_capnp_bstruct_ptr(&s, 0);
	return w_write_promised(&pp, t->id, t->path, t->depth);
}

void w_read_exception(const nx_capnp_ptr *p, uint16_t *ret_type, char *reason, size_t cap)
{
	nx_capnp_struct e;
	nx_capnp_ptr rp;
	const char *text = "";
	size_t len = 0;

	(void)nx_capnp_ptr_read_struct(p, &e);
	*ret_type = nx_capnp_struct_get_u16(&e, W_EXC_TYPE, 0);
	rp = nx_capnp_struct_ptr(&e, 0);
	if (nx_capnp_ptr_read_text(&rp, &text, &len) < 0) {
		text = "";
		len = 0;
	}
	if (len > cap - 1)
		len = cap - 1;
	memcpy(reason, text, len);
	reason[len] = '\0';
}

int w_write_exception(const nx_capnp_bptr *p, uint16_t type, const char *reason)
{
	nx_capnp_bstruct e;
	nx_capnp_bptr rp;
	int r;

	r = nx_capnp_bptr_init_struct(p, W_EXC_DW, W_EXC_NP, &e);
	if (r < 0)
		return r;
	nx_capnp_bstruct_set_u16(&e, W_EXC_TYPE, type, 0);
	rp = nx_capnp_bstruct_ptr(&e, 0);
	return nx_capnp_bptr_set_text(&rp, reason, strlen(reason));
}

nx_capnp_ptr w_follow_path(const nx_capnp_ptr *root, const uint16_t *path, uint32_t depth)
{
	nx_capnp_ptr cur = *root;
	nx_capnp_struct s;
	uint32_t i;

	for (i = 0; i < depth; i++) {
		if (nx_capnp_ptr_read_struct(&cur, &s) < 0) {
			cur.p = NULL;
			return cur;
		}
		cur = nx_capnp_struct_ptr(&s, path[i]);
	}
	return cur;
}
