/* SPDX-License-Identifier: MIT */
/*
 * The protocol loop of one connection: dispatches each received message (rpc.capnp) to the
 * tables in cap.c, call.c and answer.c, and tears everything down when the connection dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "rpc-int.h"

/* ---- small helpers ----------------------------------------------------------------------- */

void rpc_copy_reason(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n > NX_RPC_REASON_MAX)
		n = NX_RPC_REASON_MAX;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int rpc_grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

nx_capnp_struct rpc_read_struct_or_empty(const nx_capnp_ptr *p)
{
	nx_capnp_struct s;

	if (nx_capnp_ptr_kind(p) != NX_CAPNP_KIND_STRUCT || nx_capnp_ptr_read_struct(p, &s) < 0)
		memset(&s, 0, sizeof(s));
	return s;
}

static int send_simple(nx_rpc_conn *c, uint16_t which, uint16_t dw, uint16_t np, uint32_t a32,
        uint32_t b32, int bit, bool bitval, enum rpc_send_when when)
{
	/* Finish, Release and friends take a few words: a stack segment spares the 2 KiB the
	 * allocator would zero for them (one Finish per call). Larger ones spill to it. */
	uint64_t first[16];
	nx_capnp_builder b;
	nx_capnp_bstruct m, s;
	nx_capnp_bptr p;
	int r;

	nx_capnp_builder_init(&b, first, sizeof(first), &nx_capnp_malloc_allocator);
	r = nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m);
	if (r == 0) {
		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, which, 0);
		p = nx_capnp_bstruct_ptr(&m, 0);
		r = nx_capnp_bptr_init_struct(&p, dw, np, &s);
	}
	if (r == 0) {
		nx_capnp_bstruct_set_u32(&s, 0, a32, 0);
		if (bit >= 0)
			nx_capnp_bstruct_set_bool(&s, (uint32_t)bit, bitval, true);
		else
			nx_capnp_bstruct_set_u32(&s, 1, b32, 0);
		r = when == RPC_SEND_HELD   ? conn_send_held(c, &b)
		    : when == RPC_SEND_LAZY ? conn_send_lazy(c, &b)
		                            : conn_send(c, &b, NULL, 0);
	}
	nx_capnp_builder_done(&b);
	return r;
}

int rpc_send_simple(nx_rpc_conn *c, uint16_t which, uint16_t dw, uint16_t np, uint32_t a32,
        uint32_t b32, int bit, bool bitval)
{
	return send_simple(c, which, dw, np, a32, b32, bit, bitval, RPC_SEND_NOW);
}

void rpc_send_release(nx_rpc_conn *c, uint32_t id, uint32_t count)
{
	(void)rpc_send_simple(c, W_MSG_RELEASE, W_REL_DW, W_REL_NP, id, count, -1, false);
}

void rpc_send_finish(nx_rpc_conn *c, uint32_t qid, bool release, enum rpc_send_when when)
{
	(void)send_simple(
	        c, W_MSG_FINISH, W_FIN_DW, W_FIN_NP, qid, 0, W_FIN_RELEASE_RESULTS, release, when);
}

void rpc_send_abort(nx_rpc_conn *c, const char *reason)
{
	nx_capnp_builder b;
	nx_capnp_bstruct m;
	nx_capnp_bptr p;

	if (c->dead)
		return;
	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	if (nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m) == 0) {
		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_ABORT, 0);
		p = nx_capnp_bstruct_ptr(&m, 0);
		if (w_write_exception(&p, NX_RPC_EXC_FAILED, reason) == 0)
			(void)conn_send(c, &b, NULL, 0);
	}
	nx_capnp_builder_done(&b);
}

void nx_rpc_conn_abort(nx_rpc_conn *conn, const char *reason)
{
	if (conn && reason)
		rpc_send_abort(conn, reason);
}

/* ---- message handlers -------------------------------------------------------------------- */

static int on_bootstrap(nx_rpc_conn *c, const nx_capnp_struct *s)
{
	uint32_t qid = nx_capnp_struct_get_u32(s, W_BOOT_QID, 0);
	nx_rpc_incoming *in;
	nx_capnp_bptr p;
	uint32_t idx;

	if (rpc_answer_find(c, qid))
		return -EPROTO;
	in = rpc_incoming_new(c, qid);
	if (!in)
		return -ENOMEM;
	in->ans = rpc_answer_new(c, qid);
	if (in->ans)
		in->ans->in = in;
	if (!in->ans) {
		(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_OVERLOADED,
		        "limit_exceeded: too many outstanding questions");
		return 0;
	}
	if (!c->bootstrap) {
		(void)nx_rpc_incoming_fail(
		        in, NX_RPC_EXC_FAILED, "not_found: no bootstrap capability");
		return 0;
	}
	if (rpc_results_begin(in) < 0 || nx_rpc_incoming_add_cap(in, c->bootstrap, &idx) < 0) {
		(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, "internal: out of memory");
		return 0;
	}
	p = nx_capnp_bstruct_ptr(&in->payload, 0);
	(void)nx_capnp_bptr_set_cap(&p, idx);
	in->content_set = true;
	(void)nx_rpc_incoming_return(in);
	return 0;
}

static int on_call(nx_rpc_conn *c, const void *frame, size_t len, const struct nx_capnp_seg *segs,
        uint32_t nsegs, struct msgfds *fds)
{
	nx_rpc_incoming *in;
	nx_capnp_struct cs;
	nx_capnp_ptr p;
	struct answer *a;
	nx_rpc_cap *cap;
	const char *why = NULL;
	uint32_t qid;
	int r;

	/* Read the question id first, from a copy the incoming call keeps. */
	in = rpc_incoming_new(c, 0);
	if (!in)
		return -ENOMEM;
	r = rxmsg_copy(frame, len, segs, nsegs, &in->rx);
	if (r < 0)
		goto fail;
	p = nx_capnp_struct_ptr(&in->rx->root, 0);
	r = nx_capnp_ptr_read_struct(&p, &cs);
	if (r < 0)
		goto fail;
	qid = nx_capnp_struct_get_u32(&cs, W_CALL_QID, 0);
	in->qid = qid;
	in->iface = nx_capnp_struct_get_u64(&cs, W_CALL_IFACE, 0);
	in->method = nx_capnp_struct_get_u16(&cs, W_CALL_METHOD, 0);
	if (rpc_answer_find(c, qid)) {
		r = -EPROTO;
		goto fail;
	}
	p = nx_capnp_struct_ptr(&cs, W_CALL_P_TARGET);
	r = w_read_target(&p, &in->target);
	if (r < 0)
		goto fail;
	p = nx_capnp_struct_ptr(&cs, W_CALL_P_PARAMS);
	in->payload_r = rpc_read_struct_or_empty(&p);
	r = rpc_captable_read(c, &in->payload_r, fds, &in->caps, &in->ncaps);
	if (r < 0)
		goto fail;
	in->rx->r.ncaps = in->ncaps;
	in->rx->r.caps = rpc_incoming_captable(in);
	p = nx_capnp_struct_ptr(&in->payload_r, 0);
	in->params = rpc_read_struct_or_empty(&p);
	if (in->rx->r.error) {
		r = -EBADMSG;
		goto fail;
	}

	in->ans = rpc_answer_new(c, qid);
	if (!in->ans) {
		(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_OVERLOADED,
		        "limit_exceeded: too many outstanding questions");
		return 0;
	}
	in->ans->in = in;
	if (nx_capnp_struct_get_u16(&cs, W_CALL_SEND_TO, 0) != 0) {
		(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_UNIMPLEMENTED,
		        "unsupported: sendResultsTo other than caller");
		return 0;
	}
	if (!in->target.promised) {
		cap = rpc_export_get(c, in->target.id);
		if (!cap) {
			(void)nx_rpc_incoming_fail(
			        in, NX_RPC_EXC_FAILED, "invalid_argument: no such capability");
			return 0;
		}
		rpc_deliver(c, in, cap);
		return 0;
	}
	a = rpc_answer_find(c, in->target.id);
	if (!a || a == in->ans) {
		(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED,
		        "invalid_argument: pipelined call on an unknown question");
		return 0;
	}
	if (!a->returned) {
		nx_rpc_incoming **tail = &a->queue;

		while (*tail)
			tail = &(*tail)->qnext;
		*tail = in;
		in->queued_on = a;
		return 0;
	}
	cap = rpc_answer_cap(a, in->target.path, in->target.depth, &why);
	if (!cap) {
		(void)nx_rpc_incoming_fail(in, a->failed ? a->exc_type : NX_RPC_EXC_FAILED,
		        why ? why : "failed: pipelined call on a failed answer");
		return 0;
	}
	rpc_deliver(c, in, cap);
	return 0;
fail:
	rpc_incoming_free(in);
	return r;
}

static int on_return(nx_rpc_conn *c, const void *frame, size_t len, const struct nx_capnp_seg *segs,
        uint32_t nsegs, const nx_capnp_struct *rs, struct msgfds *fds)
{
	uint32_t aid = nx_capnp_struct_get_u32(rs, W_RET_AID, 0);
	uint16_t which = nx_capnp_struct_get_u16(rs, W_RET_TAG, 0);
	nx_rpc_call *call;
	nx_capnp_ptr p;
	uint16_t type;
	int r;

	if (aid >= NX_RPC_MAX_QUESTIONS || !c->questions[aid] || c->questions[aid]->returned_wire)
		return -EPROTO;
	call = c->questions[aid];
	call->returned_wire = true;
	if (nx_capnp_struct_get_bool(rs, W_RET_RELEASE_PARAMS, true)) {
		rpc_exports_release_list(c, call->pexports, call->npexports);
	}
	free(call->pexports);
	call->pexports = NULL;
	call->npexports = 0;

	rpc_call_ref(call);
	if (call->state == CALL_DONE || (call->finish_sent && call->release_results)) {
		/* Canceled or timed out: the callee releases the result caps itself. */
	} else if (which == W_RET_RESULTS) {
		nx_capnp_struct ret, payload;

		r = rxmsg_copy(frame, len, segs, nsegs, &call->rx);
		if (r < 0)
			goto fail;
		p = nx_capnp_struct_ptr(&call->rx->root, 0);
		ret = rpc_read_struct_or_empty(&p);
		p = nx_capnp_struct_ptr(&ret, W_RET_P);
		payload = rpc_read_struct_or_empty(&p);
		r = rpc_captable_read(c, &payload, fds, &call->rcaps, &call->nrcaps);
		if (r < 0)
			goto fail;
		call->rx->r.ncaps = call->nrcaps;
		call->rx->r.caps = rpc_call_captable(call);
		call->content = nx_capnp_struct_ptr(&payload, 0);
		call->res.results = rpc_read_struct_or_empty(&call->content);
		call->res.error = 0;
		call->res.exc_type = NX_RPC_EXC_NONE;
		call->reason[0] = '\0';
		rpc_call_complete(call);
	} else if (which == W_RET_EXCEPTION) {
		char reason[NX_RPC_REASON_MAX + 1];

		p = nx_capnp_struct_ptr(rs, W_RET_P);
		w_read_exception(&p, &type, reason, sizeof(reason));
		rpc_call_set_failed(
		        call, type <= NX_RPC_EXC_UNIMPLEMENTED ? type : NX_RPC_EXC_FAILED, reason);
		rpc_call_complete(call);
	} else if (which == W_RET_CANCELED) {
		rpc_call_set_failed(call, NX_RPC_EXC_FAILED, "failed: canceled by the callee");
		call->res.error = -ECANCELED;
		rpc_call_complete(call);
	} else {
		r = -EPROTO;
		goto fail;
	}
	/* The question id is free once both Return and Finish went by. */
	/* clang-analyzer loses the reference held across the callback above. */
	if (call->finish_sent && call->in_table) /* NOLINT(clang-analyzer-unix.Malloc) */
		rpc_question_remove(call);
	rpc_call_unref(call);
	return 0;
fail:
	rpc_call_unref(call);
	return r;
}

static int on_finish(nx_rpc_conn *c, const nx_capnp_struct *s)
{
	uint32_t qid = nx_capnp_struct_get_u32(s, W_FIN_QID, 0);
	bool release = nx_capnp_struct_get_bool(s, W_FIN_RELEASE_RESULTS, true);
	struct answer *a = rpc_answer_find(c, qid);
	nx_rpc_incoming *in;

	if (!a)
		return 0; /* answered with "overloaded" without an entry, or a duplicate */
	if (!a->returned) {
		nx_capnp_bptr p;

		in = a->in;
		a->in = NULL;
		/* The callee must still Return; say "canceled" now so the caller's id frees up. */
		if (in) {
			in->ans = NULL;
			in->canceled = true;
			if (in->started) {
				nx_capnp_builder_done(&in->b);
				in->started = false;
			}
			if (rpc_return_begin(in, W_RET_CANCELED, &p) == 0)
				(void)conn_send(c, &in->b, NULL, 0);
			if (in->queued_on) {
				nx_rpc_incoming **pp = &in->queued_on->queue;

				while (*pp && *pp != in)
					pp = &(*pp)->qnext;
				if (*pp)
					*pp = in->qnext;
				rpc_incoming_free(in);
			} else if (in->fwd && !in->dispatching) {
				/* Forwarded: nobody else will answer it; this cancels the forward. */
				rpc_incoming_free(in);
			} else {
				rpc_incoming_notify_cancel(in);
			}
		}
		a->failed = true;
		a->exc_type = NX_RPC_EXC_FAILED;
		a->reason = strdup("failed: canceled");
		rpc_answer_flush_queue(c, a);
	} else if (release) {
		rpc_exports_release_list(c, a->exports, a->nexports);
	}
	rpc_answer_free(c, a);
	return 0;
}

static int on_resolve(nx_rpc_conn *c, const nx_capnp_struct *s)
{
	nx_capnp_ptr p = nx_capnp_struct_ptr(s, W_RES_P);
	nx_capnp_struct d;
	uint16_t tag;

	/* We keep calling the promise's import id (the peer forwards); a new import that the
	 * resolution handed us is returned at once. */
	if (nx_capnp_struct_get_u16(s, W_RES_TAG, 0) != 0)
		return 0;
	d = rpc_read_struct_or_empty(&p);
	tag = nx_capnp_struct_get_u16(&d, W_CAPD_TAG, 0);
	if (tag == W_CAPD_SENDER_HOSTED || tag == W_CAPD_SENDER_PROMISE)
		rpc_send_release(c, nx_capnp_struct_get_u32(&d, W_CAPD_ID, 0), 1);
	return 0;
}

static int on_release(nx_rpc_conn *c, const nx_capnp_struct *s)
{
	return rpc_export_release(c, nx_capnp_struct_get_u32(s, W_REL_ID, 0),
	        nx_capnp_struct_get_u32(s, W_REL_COUNT, 0));
}

static int on_disembargo(nx_rpc_conn *c, const nx_capnp_struct *s)
{
	nx_capnp_ptr p = nx_capnp_struct_ptr(s, W_DIS_P_TARGET);
	struct w_target t;
	nx_rpc_cap *cap = NULL;
	const char *why;
	struct answer *a;
	nx_capnp_builder b;
	nx_capnp_bstruct m, ds;
	int r;

	if (nx_capnp_struct_get_u16(s, W_DIS_TAG, 0) != W_DIS_SENDER_LOOPBACK)
		return -EPROTO;
	r = w_read_target(&p, &t);
	if (r < 0)
		return r;
	if (!t.promised) {
		cap = rpc_export_get(c, t.id);
	} else {
		a = rpc_answer_find(c, t.id);
		if (a && a->returned)
			cap = rpc_answer_cap(a, t.path, t.depth, &why);
	}
	/* Only a promise that resolved to one of the sender's own caps is embargoed; every call
	 * before this message was already reflected in order, so echo at once. */
	if (!cap || cap->kind != CAP_IMPORT || cap->conn != c)
		return -EPROTO;
	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	r = nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m);
	if (r == 0) {
		nx_capnp_bptr bp = nx_capnp_bstruct_ptr(&m, 0);
		struct w_target back = {.promised = false, .id = cap->import_id};

		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_DISEMBARGO, 0);
		r = nx_capnp_bptr_init_struct(&bp, W_DIS_DW, W_DIS_NP, &ds);
		if (r == 0) {
			nx_capnp_bstruct_set_u16(&ds, W_DIS_TAG, W_DIS_RECEIVER_LOOPBACK, 0);
			nx_capnp_bstruct_set_u32(
			        &ds, W_DIS_ID, nx_capnp_struct_get_u32(s, W_DIS_ID, 0), 0);
			bp = nx_capnp_bstruct_ptr(&ds, W_DIS_P_TARGET);
			r = w_write_target(&bp, &back);
		}
		if (r == 0)
			r = conn_send(c, &b, NULL, 0);
	}
	nx_capnp_builder_done(&b);
	return r == -ENOTCONN ? 0 : r;
}

static int on_unimplemented(nx_rpc_conn *c, const nx_capnp_struct *inner)
{
	uint16_t which = nx_capnp_struct_get_u16(inner, W_MSG_TAG, 0);
	nx_capnp_ptr p = nx_capnp_struct_ptr(inner, 0);
	nx_capnp_struct s = rpc_read_struct_or_empty(&p);
	uint32_t qid;
	nx_rpc_call *call;

	if (which != W_MSG_CALL && which != W_MSG_BOOTSTRAP)
		return 0;
	qid = nx_capnp_struct_get_u32(&s, 0, 0);
	if (qid >= NX_RPC_MAX_QUESTIONS || !(call = c->questions[qid]) || call->returned_wire)
		return 0;
	/* The peer will never Return this: treat its echo as the Return and the Finish. */
	call->returned_wire = true;
	call->finish_sent = true;
	rpc_call_ref(call);
	if (call->state != CALL_DONE) {
		rpc_call_set_failed(call, NX_RPC_EXC_UNIMPLEMENTED,
		        "unsupported: peer does not implement this message");
		rpc_call_complete(call);
	}
	rpc_question_remove(call); /* NOLINT(clang-analyzer-unix.Malloc): we hold a reference */
	rpc_call_unref(call);
	return 0;
}

static int send_unimplemented(nx_rpc_conn *c, const nx_capnp_struct *root)
{
	nx_capnp_builder b;
	nx_capnp_bstruct m;
	nx_capnp_bptr bp;
	nx_capnp_ptr src = nx_capnp_reader_root(root->msg);
	int r;

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	r = nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m);
	if (r == 0) {
		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_UNIMPLEMENTED, 0);
		bp = nx_capnp_bstruct_ptr(&m, 0);
		r = nx_capnp_bptr_copy(&bp, &src);
	}
	if (r == 0)
		r = conn_send(c, &b, NULL, 0);
	nx_capnp_builder_done(&b);
	/* An echo too large to send is dropped: the peer just never learns. */
	return r == -ENOTCONN || r == -EMSGSIZE ? 0 : r;
}

int rpc_handle_frame(nx_rpc_conn *c, const void *frame, size_t len, struct msgfds *fds)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	nx_capnp_struct root, s;
	nx_capnp_ptr p;
	uint32_t nsegs;
	size_t bytes;
	uint16_t which;
	int r;

	r = nx_capnp_frame_parse(
	        frame, len, NX_MSG_MAX_BYTES, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes);
	if (r < 0)
		return r;
	nx_capnp_reader_init(&rd, segs, nsegs);
	r = nx_capnp_reader_root_struct(&rd, &root);
	if (r < 0)
		return r;
	which = nx_capnp_struct_get_u16(&root, W_MSG_TAG, 0);
	p = nx_capnp_struct_ptr(&root, 0);
	s = rpc_read_struct_or_empty(&p);
	if (rd.error)
		return rd.error;

	conn_ref(c);
	switch (which) {
	case W_MSG_UNIMPLEMENTED:
		r = on_unimplemented(c, &s);
		break;
	case W_MSG_ABORT: {
		uint16_t type;

		/* Its reason fails our pending calls: the peer's word on why, not "lost". */
		w_read_exception(&p, &type, c->abort_reason, sizeof(c->abort_reason));
		conn_die(c, -ECONNABORTED, true);
		r = 0;
		break;
	}
	case W_MSG_BOOTSTRAP:
		r = on_bootstrap(c, &s);
		break;
	case W_MSG_CALL:
		r = on_call(c, frame, len, segs, nsegs, fds);
		break;
	case W_MSG_RETURN:
		r = on_return(c, frame, len, segs, nsegs, &s, fds);
		break;
	case W_MSG_FINISH:
		r = on_finish(c, &s);
		break;
	case W_MSG_RESOLVE:
		r = on_resolve(c, &s);
		break;
	case W_MSG_RELEASE:
		r = on_release(c, &s);
		break;
	case W_MSG_DISEMBARGO:
		r = on_disembargo(c, &s);
		break;
	default:
		r = send_unimplemented(c, &root);
		break;
	}
	if (r == 0 && rd.error)
		r = rd.error;
	conn_unref(c);
	return r;
}

/* ---- connection death -------------------------------------------------------------------- */

void rpc_teardown(nx_rpc_conn *c)
{
	uint32_t i;

	/* Our calls: fail them with `disconnected`, or with the peer's Abort reason; their
	 * callbacks may free anything. */
	for (i = 0; i < NX_RPC_MAX_QUESTIONS; i++) {
		nx_rpc_call *call = c->questions[i];

		if (!call)
			continue;
		rpc_call_ref(call);
		rpc_question_remove(call);
		if (call->state != CALL_DONE) {
			if (c->abort_reason[0])
				rpc_call_set_failed(call, NX_RPC_EXC_FAILED, c->abort_reason);
			else
				rpc_call_set_failed(call, NX_RPC_EXC_DISCONNECTED,
				        "unavailable: connection lost");
			rpc_call_complete(call);
		}
		rpc_call_unref(call); /* NOLINT(clang-analyzer-unix.Malloc): we hold a reference */
	}
	/* Imports: the caps stay with their holders, broken. */
	while (c->nimports > 0) {
		struct import_ent *e = &c->imports[--c->nimports];

		e->cap->conn = NULL;
	}
	/* The peer's calls: whoever holds them learns of the cancel; queued ones just go. */
	while (c->nanswers > 0) {
		struct answer *a = c->answers[c->nanswers - 1];
		nx_rpc_incoming *in;

		while ((in = a->queue)) {
			a->queue = in->qnext;
			in->queued_on = NULL;
			if (in->ans)
				in->ans->in = NULL;
			in->ans = NULL;
			rpc_incoming_free(in);
		}
		if (a->in)
			a->in->ans = NULL;
		a->in = NULL;
		rpc_answer_free(c, a);
	}
	while (c->incomings) {
		nx_rpc_incoming *in = c->incomings;

		rpc_incoming_unlink(in);
		in->conn = NULL;
		in->canceled = true;
		if (in->fwd && !in->dispatching) {
			/* Forwarded to another connection: cancel, nobody else answers it. */
			rpc_incoming_free(in);
		} else {
			rpc_incoming_notify_cancel(in);
		}
	}
	for (i = 0; i < c->exports_len; i++) {
		nx_rpc_cap *cap = c->exports[i].cap;

		c->exports[i].cap = NULL;
		nx_rpc_cap_unref(cap);
	}
	c->nexports = 0;
	c->bootstrap = nx_rpc_cap_unref(c->bootstrap);
}
