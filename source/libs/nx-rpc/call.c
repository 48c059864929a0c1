/* SPDX-License-Identifier: MIT */
/*
 * Our calls (questions): building, sending, waiting, pipelining, cancelling, and stream flow
 * control. A question id stays taken until its Return arrived and our Finish went out.
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

/* ---- calls (client side) ----------------------------------------------------------------- */

static void rpc_call_destroy(nx_rpc_call *call)
{
	if (call->has_builder)
		nx_capnp_builder_done(&call->b);
	rpc_caps_free(call->caps, call->ncaps);
	rpc_caps_free(call->rcaps, call->nrcaps);
	free(call->pexports);
	rxmsg_free(call->rx);
	nx_rpc_cap_unref(call->target);
	free(call);
}

void rpc_question_remove(nx_rpc_call *call)
{
	if (!call->in_table)
		return;
	call->conn->questions[call->qid] = NULL;
	call->conn->nquestions--;
	call->in_table = false;
	call->conn = NULL;
}

void rpc_call_ref(nx_rpc_call *call)
{
	call->refs++;
}

void rpc_call_unref(nx_rpc_call *call)
{
	if (--call->refs > 0)
		return;
	if (call->in_table) {
		if (!call->finish_sent && !call->conn->dead) {
			call->release_results = !call->returned_wire;
			/* After the Return nothing waits on this Finish (it only frees the peer's
			 * answer): let it ride with our next write. A cancel goes out at once. */
			rpc_send_finish(call->conn, call->qid, call->release_results,
			        !call->returned_wire ? RPC_SEND_NOW
			        : call->finish_held  ? RPC_SEND_HELD
			                             : RPC_SEND_LAZY);
			call->finish_sent = true;
		}
		if (!call->returned_wire && !call->conn->dead)
			return; /* the question id stays taken until the Return arrives */
		rpc_question_remove(call);
	}
	rpc_call_destroy(call);
}

void rpc_call_set_failed(nx_rpc_call *call, enum nx_rpc_exc type, const char *reason)
{
	rpc_copy_reason(call->reason, reason);
	call->res.exc_type = type;
	call->res.reason = call->reason;
	call->res.error = nx_rpc_errno_from_exception(type, call->reason, strlen(call->reason));
	if (call->res.error == 0)
		call->res.error = -EIO;
	memset(&call->res.results, 0, sizeof(call->res.results));
	call->state = CALL_DONE;
}

/* Runs the callback, if any; the call may be freed inside. */
void rpc_call_complete(nx_rpc_call *call)
{
	nx_rpc_return_cb cb = call->cb;

	call->state = CALL_DONE;
	call->cb = NULL;
	if (cb) {
		rpc_call_ref(call);
		cb(call, &call->res, call->ud);
		rpc_call_unref(call);
	}
}

static int call_alloc(nx_rpc_cap *target, nx_rpc_call **ret)
{
	nx_rpc_call *call = malloc(sizeof(*call) + RPC_FIRST_SEG_WORDS * sizeof(uint64_t));

	if (!call)
		return -ENOMEM;
	memset(call, 0, sizeof(*call));
	call->refs = 1;
	call->user = true;
	call->target = nx_rpc_cap_ref(target);
	call->res.exc_type = NX_RPC_EXC_NONE;
	call->res.reason = call->reason;
	*ret = call;
	return 0;
}

int rpc_call_new_raw(nx_rpc_cap *target, uint64_t iface, uint16_t method, nx_rpc_call **ret)
{
	nx_rpc_call *call;
	nx_capnp_bstruct m;
	nx_capnp_bptr p;
	int r;

	r = call_alloc(target, &call);
	if (r < 0)
		return r;
	nx_capnp_builder_init(&call->b, call->first_seg, RPC_FIRST_SEG_WORDS * sizeof(uint64_t),
	        &nx_capnp_malloc_allocator);
	call->b.caps = rpc_call_captable(call);
	call->has_builder = true;
	r = nx_capnp_builder_init_root(&call->b, W_MSG_DW, W_MSG_NP, &m);
	if (r == 0) {
		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_CALL, 0);
		p = nx_capnp_bstruct_ptr(&m, 0);
		r = nx_capnp_bptr_init_struct(&p, W_CALL_DW, W_CALL_NP, &call->callst);
	}
	if (r == 0) {
		nx_capnp_bstruct_set_u64(&call->callst, W_CALL_IFACE, iface, 0);
		nx_capnp_bstruct_set_u16(&call->callst, W_CALL_METHOD, method, 0);
		p = nx_capnp_bstruct_ptr(&call->callst, W_CALL_P_PARAMS);
		r = nx_capnp_bptr_init_struct(&p, W_PAY_DW, W_PAY_NP, &call->payload);
	}
	if (r < 0) {
		rpc_call_destroy(call);
		return r;
	}
	*ret = call;
	return 0;
}

int nx_rpc_call_new(nx_rpc_cap *target, uint64_t interface_id, uint16_t method_id,
        uint16_t params_data_words, uint16_t params_ptrs, nx_rpc_call **ret_call,
        nx_capnp_bstruct *ret_params)
{
	nx_rpc_call *call;
	nx_capnp_bptr p;
	int r;

	if (!target || !ret_call || !ret_params)
		return -EINVAL;
	if (target->kind == CAP_LOCAL)
		return -EOPNOTSUPP;
	r = rpc_call_new_raw(target, interface_id, method_id, &call);
	if (r < 0)
		return r;
	p = nx_capnp_bstruct_ptr(&call->payload, 0);
	r = nx_capnp_bptr_init_struct(&p, params_data_words, params_ptrs, ret_params);
	if (r < 0) {
		rpc_call_destroy(call);
		return r;
	}
	*ret_call = call;
	return 0;
}

int nx_rpc_call_add_cap(nx_rpc_call *call, nx_rpc_cap *cap, uint32_t *ret_index)
{
	int r;

	if (!call || !ret_index)
		return -EINVAL;
	if (call->state != CALL_BUILDING)
		return -EALREADY;
	if (call->ncaps >= NX_RPC_MAX_CAPS)
		return -EMSGSIZE;
	if (cap && cap->fd >= 0 && call->nfdcaps >= NX_MSG_MAX_FDS)
		return -EMSGSIZE;
	r = rpc_grow((void **)&call->caps, &call->capcap, call->ncaps + 1, sizeof(nx_rpc_cap *));
	if (r < 0)
		return r;
	if (cap && cap->fd >= 0)
		call->nfdcaps++;
	call->caps[call->ncaps] = nx_rpc_cap_ref(cap);
	*ret_index = call->ncaps++;
	return 0;
}

static int call_target_write(nx_rpc_call *call, const nx_rpc_cap *target)
{
	nx_capnp_bptr p = nx_capnp_bstruct_ptr(&call->callst, W_CALL_P_TARGET);
	struct w_target t = {0};

	if (target->kind == CAP_IMPORT) {
		t.id = target->import_id;
	} else {
		t.promised = true;
		t.id = target->q->qid;
		t.depth = target->depth;
		memcpy(t.path, target->path, sizeof(t.path));
	}
	return w_write_target(&p, &t);
}

static int rpc_question_alloc(nx_rpc_conn *c, uint32_t *ret)
{
	uint32_t i;

	if (c->nquestions >= NX_RPC_MAX_QUESTIONS)
		return -EBUSY;
	for (i = 0; i < NX_RPC_MAX_QUESTIONS; i++) {
		if (!c->questions[i]) {
			*ret = i;
			return 0;
		}
	}
	return -EBUSY;
}

static void rpc_question_add(nx_rpc_conn *c, nx_rpc_call *call, uint32_t qid)
{
	c->questions[qid] = call;
	c->nquestions++;
	call->in_table = true;
	call->conn = c;
	call->qid = qid;
	call->state = CALL_SENT;
}

int nx_rpc_call_send(nx_rpc_call *call, nx_rpc_return_cb cb, void *userdata)
{
	nx_rpc_cap *t;
	nx_rpc_conn *c;
	struct capout o = {.nfds = 0};
	uint32_t qid;
	int r;

	if (!call)
		return -EINVAL;
	if (call->state != CALL_BUILDING)
		return -EALREADY;
	t = call->target;
	if (t->kind == CAP_PROMISE && t->q->state == CALL_BUILDING)
		return -EINVAL; /* the question it pipelines on has no id yet */
	if (t->kind == CAP_BROKEN) {
		rpc_call_set_failed(call, t->exc, t->reason);
		return call->res.error;
	}
	t = rpc_cap_resolve(t);
	c = rpc_cap_conn(t);
	if (!c) {
		rpc_call_set_failed(call, NX_RPC_EXC_DISCONNECTED, "unavailable: connection lost");
		return -ENOTCONN;
	}
	r = rpc_question_alloc(c, &qid);
	if (r < 0) {
		rpc_call_set_failed(call, NX_RPC_EXC_OVERLOADED,
		        "limit_exceeded: too many outstanding questions");
		return -EBUSY;
	}
	nx_capnp_bstruct_set_u32(&call->callst, W_CALL_QID, qid, 0);
	r = call_target_write(call, t);
	if (r == 0)
		r = rpc_captable_write(c, &call->payload, call->caps, call->ncaps, &o);
	if (r < 0) {
		rpc_call_set_failed(call, NX_RPC_EXC_FAILED,
		        r == -EMSGSIZE ? "too_large: message over NX_MSG_MAX_BYTES"
		                       : "internal: cannot build the call");
		return r;
	}
	r = conn_send(c, &call->b, o.fds, o.nfds);
	o.nfds = 0; /* conn_send took them */
	if (r < 0) {
		rpc_capout_undo(c, &o);
		rpc_call_set_failed(call,
		        r == -EMSGSIZE ? NX_RPC_EXC_FAILED : NX_RPC_EXC_DISCONNECTED,
		        r == -EMSGSIZE ? "too_large: message over NX_MSG_MAX_BYTES"
		                       : "unavailable: connection lost");
		return r;
	}
	call->pexports = o.exports;
	call->npexports = o.nexports;
	nx_capnp_builder_done(&call->b);
	call->has_builder = false;
	rpc_caps_free(call->caps, call->ncaps);
	call->caps = NULL;
	call->ncaps = 0;
	call->cb = cb;
	call->ud = userdata;
	rpc_question_add(c, call, qid);
	return 0;
}

static void call_cancel(nx_rpc_call *call)
{
	if (call->in_table && !call->finish_sent && !call->conn->dead) {
		call->release_results = true;
		rpc_send_finish(call->conn, call->qid, true, RPC_SEND_NOW);
		call->finish_sent = true;
	}
}

int nx_rpc_call_wait(nx_rpc_call *call, uint64_t deadline_ns, const nx_rpc_result **ret_result)
{
	nx_loop *loop;
	int r;

	if (!call || !ret_result)
		return -EINVAL;
	if (call->state == CALL_BUILDING) {
		r = nx_rpc_call_send(call, NULL, NULL);
		if (r < 0)
			return r;
	}
	if (call->state != CALL_DONE) {
		call->cb = NULL;
		loop = call->conn->loop;
		while (call->state != CALL_DONE) {
			uint64_t now = nx_clock_monotonic_ns();

			if (now >= deadline_ns) {
				call_cancel(call);
				rpc_call_set_failed(
				        call, NX_RPC_EXC_FAILED, "timeout: deadline passed");
				return -ETIMEDOUT;
			}
			r = nx_loop_run_once(
			        loop, deadline_ns == UINT64_MAX ? UINT64_MAX : deadline_ns - now);
			if (r < 0)
				return r;
		}
	}
	*ret_result = &call->res;
	return 0;
}

const nx_rpc_result *nx_rpc_call_result(const nx_rpc_call *call)
{
	return call->state == CALL_DONE ? &call->res : NULL;
}

int nx_rpc_call_result_cap(nx_rpc_call *call, uint32_t index, nx_rpc_cap **ret)
{
	if (call->state != CALL_DONE)
		return -EAGAIN;
	if (index >= call->nrcaps || !call->rcaps[index])
		return -ENOENT;
	*ret = nx_rpc_cap_ref(call->rcaps[index]);
	return 0;
}

int nx_rpc_call_result_cap_at(nx_rpc_call *call, const nx_capnp_ptr *p, nx_rpc_cap **ret)
{
	uint32_t idx;

	if (call->state != CALL_DONE)
		return -EAGAIN;
	if (nx_capnp_ptr_kind(p) != NX_CAPNP_KIND_CAP || nx_capnp_ptr_read_cap(p, &idx) < 0)
		return -ENOENT;
	return nx_rpc_call_result_cap(call, idx, ret);
}

int nx_rpc_call_pipeline(nx_rpc_call *call, const uint16_t *path, size_t depth, nx_rpc_cap **ret)
{
	nx_rpc_cap *cap;

	if (!call || !ret || depth > W_MAX_TRANSFORM || (depth && !path))
		return -EINVAL;
	cap = rpc_cap_alloc(CAP_PROMISE);
	if (!cap)
		return -ENOMEM;
	cap->q = call;
	rpc_call_ref(call);
	if (depth)
		memcpy(cap->path, path, depth * sizeof(uint16_t));
	cap->depth = (uint32_t)depth;
	*ret = cap;
	return 0;
}

nx_rpc_call *nx_rpc_call_free(nx_rpc_call *call)
{
	if (!call)
		return NULL;
	call->user = false;
	call->cb = NULL;
	rpc_call_unref(call);
	return NULL;
}

int nx_rpc_conn_bootstrap(nx_rpc_conn *c, nx_rpc_cap **ret)
{
	nx_rpc_call *call;
	nx_rpc_cap *cap;
	uint32_t qid;
	int r;

	if (!c || !ret)
		return -EINVAL;
	if (c->dead)
		return -ENOTCONN;
	r = rpc_question_alloc(c, &qid);
	if (r < 0)
		return r;
	cap = rpc_cap_alloc(CAP_PROMISE);
	if (!cap)
		return -ENOMEM;
	r = call_alloc(cap, &call);
	if (r < 0) {
		free(cap);
		return r;
	}
	/* The call must not hold its own promise: drop the target reference it just took. */
	call->target = NULL;
	cap->refs = 1;
	call->user = false;
	call->bootstrap = true;
	r = rpc_send_simple(c, W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP, qid, 0, -1, false);
	if (r < 0) {
		rpc_call_destroy(call);
		free(cap);
		return r;
	}
	rpc_question_add(c, call, qid);
	cap->q = call; /* the call's one reference now belongs to the promise */
	*ret = cap;
	return 0;
}

/* ---- streaming --------------------------------------------------------------------------- */

static void stream_done(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	nx_rpc_cap *t = call->target;

	t->stream_bytes -= call->stream_bytes;
	if (res->error && !t->stream_err)
		t->stream_err = res->error;
	/* Before the window's callback: an account of this call is settled when more is sent. */
	if (call->stream_done)
		call->stream_done(res->error, call->stream_done_ud);
	if (t->stream_cb && (t->stream_err || t->stream_bytes < NX_RPC_STREAM_WINDOW)) {
		nx_rpc_stream_cb cb = t->stream_cb;

		t->stream_cb = NULL;
		nx_rpc_cap_ref(t);
		cb(t, t->stream_err, t->stream_ud);
		nx_rpc_cap_unref(t);
	}
	nx_rpc_call_free(call);
}

int nx_rpc_stream_send(nx_rpc_call *call)
{
	return nx_rpc_stream_send_notify(call, NULL, NULL);
}

int nx_rpc_stream_send_notify(nx_rpc_call *call, nx_rpc_stream_done_cb done, void *userdata)
{
	nx_rpc_cap *t;
	size_t bytes;
	int r;

	if (!call || call->state != CALL_BUILDING)
		return -EINVAL;
	t = call->target;
	if (t->stream_err) {
		r = t->stream_err;
		nx_rpc_call_free(call);
		return r;
	}
	if (t->stream_bytes >= NX_RPC_STREAM_WINDOW)
		return -EAGAIN;
	bytes = nx_capnp_frame_bytes(&call->b);
	r = nx_rpc_call_send(call, stream_done, NULL);
	if (r < 0) {
		if (r != -EMSGSIZE)
			t->stream_err = r;
		nx_rpc_call_free(call);
		return r;
	}
	call->stream_bytes = bytes;
	call->stream_done = done;
	call->stream_done_ud = userdata;
	t->stream_bytes += bytes;
	/* The user's reference now keeps the call alive until stream_done frees it. */
	call->user = false;
	return 0;
}

int nx_rpc_stream_ready(nx_rpc_cap *target)
{
	if (target->stream_err)
		return target->stream_err;
	return target->stream_bytes < NX_RPC_STREAM_WINDOW ? 1 : 0;
}

int nx_rpc_stream_on_ready(nx_rpc_cap *target, nx_rpc_stream_cb cb, void *userdata)
{
	int r = nx_rpc_stream_ready(target);

	if (r != 0)
		return r;
	target->stream_cb = cb;
	target->stream_ud = userdata;
	return 0;
}

size_t nx_rpc_stream_in_flight(const nx_rpc_cap *target)
{
	return target->stream_bytes;
}
