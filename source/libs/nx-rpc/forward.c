/* SPDX-License-Identifier: MIT */
/*
 * Forwarding an incoming call to a capability on another connection (forward.h): the copy
 * of params and results, the capabilities both ways, the refusal of fds for a caller that
 * takes none, and the window that stops reading a sender whose forwards are in flight.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "forward.h"
#include "rpc-int.h"

/* ---- naming the field that holds a capability -------------------------------------------- */

static const struct nx_capnp_method_desc *find_method(
        const struct nx_capnp_iface_desc *const *const *schemas, uint64_t iface, uint16_t method)
{
	for (; schemas && *schemas; schemas++)
		for (const struct nx_capnp_iface_desc *const *i = *schemas; *i; i++)
			if ((*i)->id == iface && method < (*i)->nmethods)
				return &(*i)->methods[method];
	return NULL;
}

/* True if the pointer at `p` is capability `index`, or a struct whose pointers (at any depth
 * the reader's nesting limit allows) hold it. Lists are not searched: their fields are named
 * by the list's own field at most. */
static bool holds_cap(const nx_capnp_ptr *p, uint32_t index)
{
	nx_capnp_struct s;
	uint32_t idx;

	switch (nx_capnp_ptr_kind(p)) {
	case NX_CAPNP_KIND_CAP:
		return nx_capnp_ptr_read_cap(p, &idx) == 0 && idx == index;
	case NX_CAPNP_KIND_STRUCT:
		if (nx_capnp_ptr_read_struct(p, &s) < 0)
			return false;
		for (uint16_t i = 0; i < s.nptrs; i++) {
			nx_capnp_ptr q = nx_capnp_struct_ptr(&s, i);

			if (holds_cap(&q, index))
				return true;
		}
		return false;
	default:
		return false;
	}
}

/* Appends ".name" (or "name" at the start) to buf; false, leaving buf as it was, when it
 * does not fit: a path is cut between names, never inside one. */
static bool path_append(char *buf, size_t cap, const char *name)
{
	size_t len = strlen(buf);
	int n = snprintf(buf + len, cap - len, "%s%s", len ? "." : "", name);

	if (n >= 0 && (size_t)n < cap - len)
		return true;
	buf[len] = '\0';
	return false;
}

/* Names the field of `desc` in `s` that holds capability `index`, then the deepest field
 * its own descriptor names; 0, or -ENOENT. */
static int name_in(const struct nx_capnp_desc *desc, const nx_capnp_struct *s, uint32_t index,
        char *buf, size_t cap)
{
	for (uint32_t i = 0; desc && i < desc->nfields; i++) {
		const struct nx_capnp_vfield *f = &desc->fields[i];
		nx_capnp_struct inner;
		nx_capnp_ptr p;

		if (f->type->kind == NX_CAPNP_V_GROUP) {
			size_t len = strlen(buf);

			if (!path_append(buf, cap, f->name))
				return -ENOENT;
			if (name_in(f->type->desc, s, index, buf, cap) == 0)
				return 0;
			buf[len] = '\0';
			continue;
		}
		if (f->type->kind != NX_CAPNP_V_STRUCT && f->type->kind != NX_CAPNP_V_PTR)
			continue;
		p = nx_capnp_struct_ptr(s, f->offset);
		if (!holds_cap(&p, index))
			continue;
		if (!path_append(buf, cap, f->name))
			return 0; /* cut: the path so far names it */
		if (f->type->kind == NX_CAPNP_V_STRUCT && nx_capnp_ptr_read_struct(&p, &inner) == 0)
			(void)name_in(f->type->desc, &inner, index, buf, cap);
		return 0;
	}
	return -ENOENT;
}

int nx_rpc_forward_name_cap(const struct nx_capnp_iface_desc *const *const *schemas,
        uint64_t interface_id, uint16_t method_id, const nx_capnp_struct *results, uint32_t index,
        char *buf, size_t cap)
{
	const struct nx_capnp_method_desc *m = find_method(schemas, interface_id, method_id);

	if (!buf || cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!m || !m->results)
		return -ENOENT;
	return name_in(m->results, results, index, buf, cap);
}

/* ---- forwarding -------------------------------------------------------------------------- */

/* Fails `in` if the results hold a capability with an fd and the caller takes none; true
 * then (answered). */
static bool refuse_fds(nx_rpc_incoming *in, nx_rpc_call *call, const nx_rpc_result *res)
{
	const struct nx_rpc_forward_opts *o = in->fwd_opts;
	char field[NX_CAPNP_PATH_MAX];

	if (!o || !(o->flags & NX_RPC_FORWARD_NO_FDS))
		return false;
	for (uint32_t i = 0; i < call->nrcaps; i++) {
		if (!call->rcaps[i] || nx_rpc_cap_peek_fd(call->rcaps[i]) < 0)
			continue;
		if (nx_rpc_forward_name_cap(o->schemas, in->iface, in->method, &res->results, i,
		            field, sizeof(field)) < 0)
			(void)snprintf(field, sizeof(field), "results");
		(void)nx_rpc_incoming_failf(in, -EOPNOTSUPP,
		        "%s: carries a file descriptor (a VMO or a channel) and this client takes "
		        "none; use the interface's fd-free form if it has one",
		        field);
		return true;
	}
	return false;
}

static void fwd_done(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	nx_rpc_incoming *in = userdata;
	nx_capnp_bptr dst;
	uint32_t i, idx;
	int r = 0;

	in->fwd = NULL;
	/* Its Finish waits for the next call to the target instead of waking it on its own (a
	 * forwarding hop's null call pays one wakeup less). Only without result caps: the
	 * target's answer would hold them until then. */
	call->finish_held = call->nrcaps == 0;
	if (res->error) {
		(void)nx_rpc_incoming_fail(in, res->exc_type, res->reason);
		nx_rpc_call_free(call);
		return;
	}
	if (refuse_fds(in, call, res)) {
		nx_rpc_call_free(call); /* releases the results' caps at the target */
		return;
	}
	r = rpc_results_begin(in);
	if (r == 0) {
		dst = nx_capnp_bstruct_ptr(&in->payload, 0);
		r = nx_capnp_bptr_copy(&dst, &call->content);
		in->content_set = true;
	}
	for (i = 0; r == 0 && i < call->nrcaps; i++)
		r = nx_rpc_incoming_add_cap(in, call->rcaps[i], &idx);
	if (r < 0)
		(void)nx_rpc_incoming_failf(in, r, "cannot forward the results");
	else
		(void)nx_rpc_incoming_return(in);
	nx_rpc_call_free(call);
}

int nx_rpc_forward(nx_rpc_incoming *in, nx_rpc_cap *target, const struct nx_rpc_forward_opts *opts)
{
	nx_rpc_call *call;
	nx_capnp_bptr dst;
	nx_capnp_ptr src;
	uint32_t i, idx;
	int r;

	if (!target)
		return nx_rpc_incoming_fail(
		        in, NX_RPC_EXC_FAILED, "invalid_argument: call on a null capability");
	if (target->kind == CAP_LOCAL)
		return nx_rpc_incoming_failf(
		        in, -EOPNOTSUPP, "forwarding to a capability served here");
	if (target->kind == CAP_BROKEN)
		return nx_rpc_incoming_fail(in, target->exc, target->reason);
	if (!rpc_cap_conn(target))
		return nx_rpc_incoming_fail(
		        in, NX_RPC_EXC_DISCONNECTED, "unavailable: connection lost");
	r = rpc_call_new_raw(target, in->iface, in->method, &call);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "cannot forward the call");
	dst = nx_capnp_bstruct_ptr(&call->payload, 0);
	src = nx_capnp_struct_ptr(&in->payload_r, 0);
	r = nx_capnp_bptr_copy(&dst, &src);
	for (i = 0; r == 0 && i < in->ncaps; i++)
		r = nx_rpc_call_add_cap(call, in->caps[i], &idx);
	if (r == 0)
		r = nx_rpc_call_send(call, fwd_done, in);
	if (r < 0) {
		const nx_rpc_result *res = nx_rpc_call_result(call);

		if (res)
			(void)nx_rpc_incoming_fail(in, res->exc_type, res->reason);
		else
			(void)nx_rpc_incoming_failf(in, r, "cannot forward the call");
		nx_rpc_call_free(call);
		return 0;
	}
	in->fwd = call;
	in->fwd_opts = opts;
	if (in->conn) {
		in->fwd_counted = true;
		conn_forwards_add(in->conn, 1);
	}
	return NX_RPC_ASYNC;
}
