/* SPDX-License-Identifier: MIT */
/*
 * The peer's calls (answers): the incoming objects handed to servers, results and exceptions,
 * answers kept for pipelining until Finish, queued pipelined calls, and delivering calls to
 * their target (a local server, or forward.c for caps we only hold).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-util/macro.h"
#include "forward.h"
#include "rpc-int.h"

/* ---- answers ----------------------------------------------------------------------------- */

struct answer *rpc_answer_find(nx_rpc_conn *c, uint32_t id)
{
	unsigned i;

	for (i = 0; i < c->nanswers; i++)
		if (c->answers[i]->id == id)
			return c->answers[i];
	return NULL;
}

struct answer *rpc_answer_new(nx_rpc_conn *c, uint32_t id)
{
	struct answer *a;

	if (c->nanswers >= NX_RPC_MAX_QUESTIONS)
		return NULL;
	if (rpc_grow((void **)&c->answers, &c->answers_cap, c->nanswers + 1,
	            sizeof(struct answer *)) < 0)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->id = id;
	c->answers[c->nanswers++] = a;
	return a;
}

void rpc_answer_free(nx_rpc_conn *c, struct answer *a)
{
	uint32_t i;

	for (i = 0; i < c->nanswers; i++) {
		if (c->answers[i] == a) {
			c->answers[i] = c->answers[--c->nanswers];
			break;
		}
	}
	for (i = 0; i < a->ncaps; i++)
		nx_rpc_cap_unref(a->caps[i]);
	free(a->caps);
	free(a->exports);
	free(a->reason);
	rxmsg_free(a->msg);
	free(a);
}

/* The capability at `path` in a returned answer (borrowed), or NULL with *ret_reason set. */
nx_rpc_cap *rpc_answer_cap(
        struct answer *a, const uint16_t *path, uint32_t depth, const char **ret_reason)
{
	nx_capnp_struct ret, payload;
	nx_capnp_ptr p;
	uint32_t idx;

	if (a->failed) {
		*ret_reason = a->reason;
		return NULL;
	}
	if (!a->msg) {
		/* Results without capabilities are not kept (see nx_rpc_incoming_return). */
		*ret_reason = "invalid_argument: pipelined field holds no capability";
		return NULL;
	}
	/* A fresh traversal budget for every walk: the answer may be pipelined on many times. */
	nx_capnp_reader_init(&a->msg->r, a->msg->segs, a->msg->nsegs);
	a->msg->r.ncaps = a->ncaps;
	(void)nx_capnp_reader_root_struct(&a->msg->r, &a->msg->root);
	p = nx_capnp_struct_ptr(&a->msg->root, 0);
	ret = rpc_read_struct_or_empty(&p);
	p = nx_capnp_struct_ptr(&ret, W_RET_P);
	payload = rpc_read_struct_or_empty(&p);
	p = nx_capnp_struct_ptr(&payload, 0);
	p = w_follow_path(&p, path, depth);
	if (nx_capnp_ptr_kind(&p) != NX_CAPNP_KIND_CAP || nx_capnp_ptr_read_cap(&p, &idx) < 0 ||
	        idx >= a->ncaps || !a->caps[idx]) {
		*ret_reason = "invalid_argument: pipelined field holds no capability";
		return NULL;
	}
	return a->caps[idx];
}

/* ---- incoming calls (server side) -------------------------------------------------------- */

nx_rpc_incoming *rpc_incoming_new(nx_rpc_conn *c, uint32_t qid)
{
	nx_rpc_incoming *in = c->spare;

	if (in)
		c->spare = NULL;
	else if (!(in = malloc(sizeof(*in) + RPC_FIRST_SEG_WORDS * sizeof(uint64_t))))
		return NULL;
	memset(in, 0, sizeof(*in));
	in->conn = c;
	in->qid = qid;
	in->lnext = c->incomings;
	if (c->incomings)
		c->incomings->lprev = in;
	c->incomings = in;
	return in;
}

void rpc_incoming_unlink(nx_rpc_incoming *in)
{
	if (!in->conn)
		return;
	if (in->lprev)
		in->lprev->lnext = in->lnext;
	else
		in->conn->incomings = in->lnext;
	if (in->lnext)
		in->lnext->lprev = in->lprev;
	in->lnext = in->lprev = NULL;
}

void rpc_incoming_free(nx_rpc_incoming *in)
{
	nx_rpc_conn *c = in->conn; /* live while set: teardown clears it */

	rpc_incoming_unlink(in);
	if (in->ans && in->ans->in == in)
		in->ans->in = NULL;
	in->fwd = nx_rpc_call_free(in->fwd);
	if (in->fwd_counted && c)
		conn_forwards_add(c, -1);
	rpc_caps_free(in->caps, in->ncaps);
	rpc_caps_free(in->rcaps, in->nrcaps);
	if (in->started)
		nx_capnp_builder_done(&in->b);
	rxmsg_free(in->rx);
	if (c && !c->dead && !c->spare)
		c->spare = in;
	else
		free(in);
}

/* The incoming was answered (or dropped): free it unless dispatch is still on the stack. */
static void rpc_incoming_done(nx_rpc_incoming *in)
{
	in->answered = true;
	if (!in->dispatching)
		rpc_incoming_free(in);
}

int nx_rpc_incoming_params(nx_rpc_incoming *in, nx_capnp_struct *ret)
{
	if (!in || !ret)
		return -EINVAL;
	*ret = in->params;
	return 0;
}

int nx_rpc_incoming_cap(nx_rpc_incoming *in, uint32_t index, nx_rpc_cap **ret)
{
	if (!in || !ret)
		return -EINVAL;
	if (index >= in->ncaps || !in->caps[index])
		return -ENOENT;
	*ret = nx_rpc_cap_ref(in->caps[index]);
	return 0;
}

int nx_rpc_incoming_cap_at(nx_rpc_incoming *in, const nx_capnp_ptr *p, nx_rpc_cap **ret)
{
	uint32_t idx;

	if (nx_capnp_ptr_kind(p) != NX_CAPNP_KIND_CAP || nx_capnp_ptr_read_cap(p, &idx) < 0)
		return -ENOENT;
	return nx_rpc_incoming_cap(in, idx, ret);
}

int rpc_return_begin(nx_rpc_incoming *in, uint16_t which, nx_capnp_bptr *ret_p)
{
	nx_capnp_bstruct m, rs;
	nx_capnp_bptr p;
	int r;

	nx_capnp_builder_init(&in->b, in->first_seg, RPC_FIRST_SEG_WORDS * sizeof(uint64_t),
	        &nx_capnp_malloc_allocator);
	in->b.caps = rpc_incoming_captable(in);
	in->started = true;
	r = nx_capnp_builder_init_root(&in->b, W_MSG_DW, W_MSG_NP, &m);
	if (r < 0)
		return r;
	nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_RETURN, 0);
	p = nx_capnp_bstruct_ptr(&m, 0);
	r = nx_capnp_bptr_init_struct(&p, W_RET_DW, W_RET_NP, &rs);
	if (r < 0)
		return r;
	nx_capnp_bstruct_set_u32(&rs, W_RET_AID, in->qid, 0);
	/* We import param caps as they arrive and release them ourselves. */
	nx_capnp_bstruct_set_bool(&rs, W_RET_RELEASE_PARAMS, false, true);
	nx_capnp_bstruct_set_u16(&rs, W_RET_TAG, which, 0);
	*ret_p = nx_capnp_bstruct_ptr(&rs, W_RET_P);
	return 0;
}

int rpc_results_begin(nx_rpc_incoming *in)
{
	nx_capnp_bptr p;
	int r;

	if (in->started)
		return 0;
	r = rpc_return_begin(in, W_RET_RESULTS, &p);
	if (r < 0)
		return r;
	return nx_capnp_bptr_init_struct(&p, W_PAY_DW, W_PAY_NP, &in->payload);
}

int nx_rpc_incoming_results(
        nx_rpc_incoming *in, uint16_t data_words, uint16_t nptrs, nx_capnp_bstruct *ret)
{
	nx_capnp_bptr p;
	int r;

	if (!in || !ret)
		return -EINVAL;
	if (in->content_set || in->answered)
		return -EALREADY;
	r = rpc_results_begin(in);
	if (r < 0)
		return r;
	p = nx_capnp_bstruct_ptr(&in->payload, 0);
	r = nx_capnp_bptr_init_struct(&p, data_words, nptrs, ret);
	if (r < 0)
		return r;
	in->content_set = true;
	return 0;
}

int nx_rpc_incoming_add_cap(nx_rpc_incoming *in, nx_rpc_cap *cap, uint32_t *ret_index)
{
	int r;

	if (!in || !ret_index)
		return -EINVAL;
	if (in->nrcaps >= NX_RPC_MAX_CAPS)
		return -EMSGSIZE;
	if (cap && cap->fd >= 0 && in->nrfds >= NX_MSG_MAX_FDS)
		return -EMSGSIZE;
	r = rpc_grow((void **)&in->rcaps, &in->rcapcap, in->nrcaps + 1, sizeof(nx_rpc_cap *));
	if (r < 0)
		return r;
	if (cap && cap->fd >= 0)
		in->nrfds++;
	in->rcaps[in->nrcaps] = nx_rpc_cap_ref(cap);
	*ret_index = in->nrcaps++;
	return 0;
}

/* Keeps a copy of what we returned, so later pipelined calls can follow transforms. */
static int answer_keep(struct answer *a, const nx_capnp_builder *b)
{
	size_t bytes = nx_capnp_frame_bytes(b), len;
	void *buf = malloc(bytes);
	int r;

	if (!buf)
		return -ENOMEM;
	r = nx_capnp_frame_write(b, buf, bytes, &len);
	if (r == 0)
		r = rxmsg_new(buf, len, &a->msg);
	free(buf);
	return r;
}

static int rpc_fail_send(nx_rpc_incoming *in, enum nx_rpc_exc type, const char *reason)
{
	nx_rpc_conn *c = in->conn;
	struct answer *a = in->ans;
	nx_capnp_bptr p;
	int r;

	if (in->started) {
		nx_capnp_builder_done(&in->b);
		in->started = false;
	}
	r = rpc_return_begin(in, W_RET_EXCEPTION, &p);
	if (r == 0)
		r = w_write_exception(&p, (uint16_t)type, reason);
	if (r == 0)
		r = conn_send(c, &in->b, NULL, 0);
	if (a) {
		a->returned = true;
		a->failed = true;
		a->exc_type = (uint16_t)type;
		a->reason = strdup(reason);
		a->in = NULL;
		in->ans = NULL;
		/* a->reason NULL (out of memory): pipelined calls get a generic reason. */
		rpc_answer_flush_queue(c, a);
	}
	return r;
}

int nx_rpc_incoming_fail(nx_rpc_incoming *in, enum nx_rpc_exc type, const char *reason)
{
	char buf[NX_RPC_REASON_MAX + 1];

	assert_return(in, -EINVAL);
	assert_return(!in->answered, -EALREADY);
	rpc_copy_reason(buf, reason ? reason : "");
	if (type == NX_RPC_EXC_NONE)
		type = NX_RPC_EXC_FAILED;
	/* A send that fails means the connection is dying: its disconnect callback says so, the
	 * handler has nothing left to do with `in`. */
	if (in->conn && !in->conn->dead && !in->canceled)
		(void)rpc_fail_send(in, type, buf);
	rpc_incoming_done(in);
	return 0;
}

int nx_rpc_incoming_failf(nx_rpc_incoming *in, int err, const char *fmt, ...)
{
	char buf[NX_RPC_REASON_MAX + 1];
	va_list ap;
	int n;

	assert_return(in && fmt, -EINVAL);
	n = snprintf(buf, sizeof(buf), "%s: ", nx_rpc_reason_code(err));
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
	(void)vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	return nx_rpc_incoming_fail(in, nx_rpc_exc_type_for_errno(err), buf);
}

int nx_rpc_incoming_return(nx_rpc_incoming *in)
{
	nx_rpc_conn *c;
	struct answer *a;
	struct capout o = {.nfds = 0};
	int r;

	assert_return(in, -EINVAL);
	assert_return(!in->answered, -EALREADY);
	c = in->conn;
	a = in->ans;
	if (!c || c->dead || in->canceled) {
		rpc_incoming_done(in);
		return 0;
	}
	r = rpc_results_begin(in);
	if (r == 0)
		r = rpc_captable_write(c, &in->payload, in->rcaps, in->nrcaps, &o);
	if (r == 0 && (in->b.error || nx_capnp_frame_bytes(&in->b) > NX_MSG_MAX_BYTES)) {
		rpc_capout_undo(c, &o);
		r = -EMSGSIZE;
	}
	if (r < 0) {
		(void)rpc_fail_send(in, NX_RPC_EXC_FAILED,
		        r == -EMSGSIZE ? "too_large: results over NX_MSG_MAX_BYTES"
		                       : "internal: cannot build the results");
		rpc_incoming_done(in);
		return 0;
	}
	/* Only a capability in the results can be pipelined on: without one there is nothing
	 * to walk later, so most calls skip the copy. */
	if (a && in->nrcaps > 0)
		r = answer_keep(a, &in->b);
	if (r < 0) {
		rpc_capout_undo(c, &o);
		(void)rpc_fail_send(in, NX_RPC_EXC_FAILED, "internal: out of memory");
		rpc_incoming_done(in);
		return 0;
	}
	/* A failed send means the connection is dying; its disconnect callback reports it. */
	(void)conn_send(c, &in->b, o.fds, o.nfds);
	if (a) {
		a->returned = true;
		a->in = NULL;
		a->caps = in->rcaps;
		a->ncaps = in->nrcaps;
		a->exports = o.exports;
		a->nexports = o.nexports;
		in->rcaps = NULL;
		in->nrcaps = 0;
		in->ans = NULL;
		rpc_answer_flush_queue(c, a);
	} else {
		free(o.exports);
	}
	rpc_incoming_done(in);
	return 0;
}

bool nx_rpc_incoming_is_canceled(const nx_rpc_incoming *in)
{
	return in->canceled || !in->conn || in->conn->dead;
}

nx_rpc_conn *nx_rpc_incoming_conn(const nx_rpc_incoming *in)
{
	return in->conn;
}

void nx_rpc_incoming_method(
        const nx_rpc_incoming *in, uint64_t *ret_interface_id, uint16_t *ret_method_id)
{
	*ret_interface_id = in->iface;
	*ret_method_id = in->method;
}

void nx_rpc_incoming_set_cancel_cb(nx_rpc_incoming *in, nx_rpc_cancel_cb cb, void *userdata)
{
	in->cancel_cb = cb;
	in->cancel_ud = userdata;
}

/* Tells a handler holding `in` that it was canceled; `in` may be freed inside. */
void rpc_incoming_notify_cancel(nx_rpc_incoming *in)
{
	nx_rpc_cancel_cb cb = in->cancel_cb;

	in->cancel_cb = NULL;
	if (cb && !in->dispatching && !in->answered)
		cb(in, in->cancel_ud);
}

void rpc_deliver(nx_rpc_conn *c, nx_rpc_incoming *in, nx_rpc_cap *cap)
{
	int r;

	if (!cap) {
		(void)nx_rpc_incoming_fail(
		        in, NX_RPC_EXC_FAILED, "invalid_argument: call on a null capability");
		return;
	}
	switch (cap->kind) {
	case CAP_LOCAL:
		nx_rpc_cap_ref(cap);
		in->dispatching = true;
		r = cap->ops->dispatch(cap->impl, in, in->iface, in->method);
		in->dispatching = false;
		nx_rpc_cap_unref(cap);
		/* The one convention of rpc.h: 0 answered, NX_RPC_ASYNC kept, < 0 not answered.
		 * Anything else is a handler bug that would leak `in` or answer twice. */
		assert(r < 0 || r == 0 || r == NX_RPC_ASYNC);
		assert(in->answered == (r == 0));
		if (in->answered)
			rpc_incoming_free(in);
		else if (r < 0)
			(void)nx_rpc_incoming_failf(in, r, "%s", strerror(-r));
		return;
	case CAP_BROKEN:
		(void)nx_rpc_incoming_fail(in, cap->exc, cap->reason);
		return;
	case CAP_IMPORT:
	case CAP_PROMISE:
		(void)nx_rpc_forward(in, cap, NULL); /* answers, or keeps `in` until it can */
		return;
	}
}

/* Delivers the pipelined calls that waited for `a` to return. */
void rpc_answer_flush_queue(nx_rpc_conn *c, struct answer *a)
{
	while (a->queue) {
		nx_rpc_incoming *in = a->queue;
		const char *why = NULL;
		nx_rpc_cap *cap;

		a->queue = in->qnext;
		in->qnext = NULL;
		in->queued_on = NULL;
		cap = rpc_answer_cap(a, in->target.path, in->target.depth, &why);
		if (!cap) {
			(void)nx_rpc_incoming_fail(in, a->failed ? a->exc_type : NX_RPC_EXC_FAILED,
			        why ? why : "failed: pipelined call on a failed answer");
			continue;
		}
		rpc_deliver(c, in, cap);
	}
}
