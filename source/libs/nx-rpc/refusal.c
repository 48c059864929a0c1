/* SPDX-License-Identifier: MIT */
/* nx-rpc refusal: a Call or Return whose fds a relay cannot pass, answered with an exception. */
#include <errno.h>
#include <string.h>

#include "nexus/limits.h"
#include "nx-capnp/capnp.h"
#include "nx-rpc/refusal.h"
#include "nx-rpc/rpc.h"
#include "wire.h"

int nx_rpc_refusal(const void *frame, size_t len, const char *reason, void *out, size_t cap,
        size_t *ret_len, bool *ret_to_sender)
{
	uint64_t words[NX_MSG_MAX_BYTES / sizeof(uint64_t)];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_struct msg, inner;
	nx_capnp_bstruct m, ret;
	nx_capnp_reader rd;
	nx_capnp_builder b;
	nx_capnp_ptr p;
	nx_capnp_bptr bp;
	uint32_t nsegs, id;
	size_t bytes;
	uint16_t which;
	int r;

	if (!frame || !reason || !out || !ret_len || !ret_to_sender)
		return -EINVAL;
	if (len > sizeof(words))
		return -EBADMSG;
	memcpy(words, frame, len); /* aligned for the reader */
	r = nx_capnp_frame_parse(
	        words, len, NX_MSG_MAX_BYTES, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes);
	if (r < 0 || bytes != len)
		return -EBADMSG;
	nx_capnp_reader_init(&rd, segs, nsegs);
	if (nx_capnp_reader_root_struct(&rd, &msg) < 0)
		return -EBADMSG;
	which = nx_capnp_struct_get_u16(&msg, W_MSG_TAG, 0);
	p = nx_capnp_struct_ptr(&msg, 0);
	if (which != W_MSG_CALL && which != W_MSG_RETURN)
		return -EOPNOTSUPP;
	if (nx_capnp_ptr_read_struct(&p, &inner) < 0)
		return -EBADMSG;
	/* Call.questionId and Return.answerId are both the first u32. */
	id = nx_capnp_struct_get_u32(&inner, which == W_MSG_CALL ? W_CALL_QID : W_RET_AID, 0);

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	r = nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m);
	if (r == 0) {
		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_RETURN, 0);
		bp = nx_capnp_bstruct_ptr(&m, 0);
		r = nx_capnp_bptr_init_struct(&bp, W_RET_DW, W_RET_NP, &ret);
	}
	if (r == 0) {
		nx_capnp_bstruct_set_u32(&ret, W_RET_AID, id, 0);
		nx_capnp_bstruct_set_u16(&ret, W_RET_TAG, W_RET_EXCEPTION, 0);
		bp = nx_capnp_bstruct_ptr(&ret, W_RET_P);
		r = w_write_exception(&bp, NX_RPC_EXC_FAILED, reason);
	}
	if (r == 0)
		r = nx_capnp_frame_write(&b, out, cap, ret_len);
	nx_capnp_builder_done(&b);
	if (r == 0)
		*ret_to_sender = which == W_MSG_CALL;
	return r;
}
