/* SPDX-License-Identifier: MIT */
/*
 * Capabilities, the export and import tables, and cap descriptors: how a cap is written into
 * a message we send and made from one we receive. Reference counts across the wire follow the
 * spec: each senderHosted we send is one more reference the peer holds on that export, returned
 * through Release; each import received adds one to what we owe back when our last local
 * reference goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-util/macro.h"
#include "rpc-int.h"

/* ---- capabilities ------------------------------------------------------------------------ */

nx_rpc_cap *rpc_cap_alloc(enum cap_kind kind)
{
	nx_rpc_cap *cap = calloc(1, sizeof(*cap));

	if (!cap)
		return NULL;
	cap->refs = 1;
	cap->kind = kind;
	cap->fd = -1;
	return cap;
}

int nx_rpc_server_new(const struct nx_rpc_server_ops *ops, void *impl, nx_rpc_cap **ret)
{
	nx_rpc_cap *cap;

	if (!ops || !ops->dispatch || !ret)
		return -EINVAL;
	cap = rpc_cap_alloc(CAP_LOCAL);
	if (!cap)
		return -ENOMEM;
	cap->ops = ops;
	cap->impl = impl;
	*ret = cap;
	return 0;
}

int nx_rpc_server_new_with_fd(
        const struct nx_rpc_server_ops *ops, void *impl, int fd, nx_rpc_cap **ret)
{
	int r;

	if (fd < 0)
		return -EBADF;
	r = nx_rpc_server_new(ops, impl, ret);
	if (r < 0) {
		nx_fd_close(fd);
		return r;
	}
	(*ret)->fd = fd;
	return 0;
}

nx_rpc_cap *nx_rpc_cap_new_broken(enum nx_rpc_exc type, const char *reason)
{
	nx_rpc_cap *cap = rpc_cap_alloc(CAP_BROKEN);

	if (!cap)
		return NULL;
	cap->exc = type == NX_RPC_EXC_NONE ? NX_RPC_EXC_FAILED : type;
	cap->reason = strdup(reason ? reason : "");
	if (!cap->reason) {
		free(cap);
		return NULL;
	}
	return cap;
}

nx_rpc_cap *nx_rpc_cap_ref(nx_rpc_cap *cap)
{
	if (cap)
		cap->refs++;
	return cap;
}

static struct import_ent *import_find(nx_rpc_conn *c, uint32_t id)
{
	unsigned i;

	for (i = 0; i < c->nimports; i++)
		if (c->imports[i].id == id)
			return &c->imports[i];
	return NULL;
}

static void import_drop(nx_rpc_conn *c, nx_rpc_cap *cap)
{
	struct import_ent *e = import_find(c, cap->import_id);

	if (!e)
		return;
	rpc_send_release(c, e->id, e->remote_refs);
	*e = c->imports[--c->nimports];
}

nx_rpc_cap *nx_rpc_cap_unref(nx_rpc_cap *cap)
{
	if (!cap || --cap->refs > 0)
		return NULL;
	switch (cap->kind) {
	case CAP_LOCAL:
		if (cap->ops->destroy)
			cap->ops->destroy(cap->impl);
		break;
	case CAP_IMPORT:
		if (cap->conn)
			import_drop(cap->conn, cap);
		break;
	case CAP_PROMISE:
		nx_rpc_cap_unref(cap->resolved);
		rpc_call_unref(cap->q);
		break;
	case CAP_BROKEN:
		break;
	}
	free(cap->reason);
	nx_fd_close(cap->fd);
	free(cap);
	return NULL;
}

int nx_rpc_cap_peek_fd(const nx_rpc_cap *cap)
{
	return cap && cap->fd >= 0 ? cap->fd : -EBADF;
}

int nx_rpc_cap_take_fd(nx_rpc_cap *cap)
{
	int fd;

	assert_return(cap, -EINVAL);
	if (cap->fd < 0)
		return -EBADF;
	fd = cap->fd;
	cap->fd = -1;
	return fd;
}

int nx_rpc_cap_dup_fd(const nx_rpc_cap *cap)
{
	int fd;

	if (!cap || cap->fd < 0)
		return -EBADF;
	fd = fcntl(cap->fd, F_DUPFD_CLOEXEC, 3);
	return fd < 0 ? -errno : fd;
}

nx_rpc_conn *rpc_cap_conn(const nx_rpc_cap *cap)
{
	nx_rpc_conn *c = NULL;

	if (cap->kind == CAP_IMPORT)
		c = cap->conn;
	else if (cap->kind == CAP_PROMISE && cap->q->in_table && !cap->q->finish_sent)
		c = cap->q->conn;
	return c && !c->dead ? c : NULL;
}

/*
 * A promise whose question returned one of the peer's own capabilities stands for that
 * import: calls on it then target the import directly, as libcapnp's do once a promise
 * resolves, instead of naming the answer and a transform path the peer walks on every call.
 * Order holds without an embargo: the peer returned before we saw the Return, so the calls
 * we pipelined earlier reach the answer's capability (at once, or from the answer's queue)
 * before anything we send now. The spec's embargo is for promises that resolve to a
 * capability of ours (calls would come back to us by another route); those stay pipelined.
 */
nx_rpc_cap *rpc_cap_resolve(nx_rpc_cap *cap)
{
	nx_rpc_call *q = cap->q;
	nx_rpc_cap *res;
	nx_capnp_ptr p;
	uint32_t idx;

	if (cap->kind != CAP_PROMISE || (!cap->settled && q->state != CALL_DONE))
		return cap;
	if (!cap->settled) {
		/* Walked once: every walk spends the results reader's traversal budget. */
		cap->settled = true;
		if (q->res.error != 0 || !q->rx || !q->conn)
			return cap;
		p = w_follow_path(&q->content, cap->path, cap->depth);
		if (nx_capnp_ptr_kind(&p) != NX_CAPNP_KIND_CAP ||
		        nx_capnp_ptr_read_cap(&p, &idx) < 0 || idx >= q->nrcaps)
			return cap;
		res = q->rcaps[idx];
		if (res && res->kind == CAP_IMPORT && res->conn == q->conn)
			cap->resolved = nx_rpc_cap_ref(res);
	}
	return cap->resolved ? cap->resolved : cap;
}

bool nx_rpc_cap_is_broken(const nx_rpc_cap *cap)
{
	if (cap->kind == CAP_BROKEN)
		return true;
	if (cap->kind == CAP_IMPORT)
		return !rpc_cap_conn(cap);
	if (cap->kind == CAP_PROMISE)
		return !rpc_cap_conn(cap) || (cap->q->state == CALL_DONE && cap->q->res.error != 0);
	return false;
}

bool nx_rpc_cap_get_local(
        const nx_rpc_cap *cap, const struct nx_rpc_server_ops *ops, void **ret_impl)
{
	if (!cap || cap->kind != CAP_LOCAL || (ops && cap->ops != ops))
		return false;
	if (ret_impl)
		*ret_impl = cap->impl;
	return true;
}

/* ---- export / import tables -------------------------------------------------------------- */

static int export_cap(nx_rpc_conn *c, nx_rpc_cap *cap, uint32_t *ret_id)
{
	uint32_t i, free_slot = UINT32_MAX;
	int r;

	for (i = 0; i < c->exports_len; i++) {
		if (c->exports[i].cap == cap) {
			c->exports[i].refs++;
			*ret_id = i;
			return 0;
		}
		if (!c->exports[i].cap && free_slot == UINT32_MAX)
			free_slot = i;
	}
	if (free_slot == UINT32_MAX) {
		uint32_t cap_slots = c->exports_len;

		if (c->exports_len >= NX_RPC_MAX_CAPS)
			return -EDQUOT;
		r = rpc_grow(
		        (void **)&c->exports, &cap_slots, c->exports_len + 1, sizeof(*c->exports));
		if (r < 0)
			return r;
		/* rpc_grow() doubles; keep the extra slots zeroed and counted as free. */
		memset(c->exports + c->exports_len, 0,
		        (cap_slots - c->exports_len) * sizeof(*c->exports));
		free_slot = c->exports_len;
		c->exports_len = cap_slots;
	}
	c->exports[free_slot].cap = nx_rpc_cap_ref(cap);
	c->exports[free_slot].refs = 1;
	c->nexports++;
	*ret_id = free_slot;
	return 0;
}

nx_rpc_cap *rpc_export_get(nx_rpc_conn *c, uint32_t id)
{
	return id < c->exports_len ? c->exports[id].cap : NULL;
}

int rpc_export_release(nx_rpc_conn *c, uint32_t id, uint32_t count)
{
	nx_rpc_cap *cap = rpc_export_get(c, id);

	if (!cap || count > c->exports[id].refs)
		return -EPROTO;
	c->exports[id].refs -= count;
	if (c->exports[id].refs == 0) {
		c->exports[id].cap = NULL;
		c->nexports--;
		nx_rpc_cap_unref(cap);
	}
	return 0;
}

void rpc_exports_release_list(nx_rpc_conn *c, const uint32_t *ids, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		(void)rpc_export_release(c, ids[i], 1);
}

static nx_rpc_cap *import_get(nx_rpc_conn *c, uint32_t id)
{
	struct import_ent *e = import_find(c, id);
	nx_rpc_cap *cap;

	if (e) {
		e->remote_refs++;
		return nx_rpc_cap_ref(e->cap);
	}
	if (c->nimports >= NX_RPC_MAX_CAPS)
		return NULL;
	if (rpc_grow((void **)&c->imports, &c->imports_cap, c->nimports + 1, sizeof(*c->imports)) <
	        0)
		return NULL;
	cap = rpc_cap_alloc(CAP_IMPORT);
	if (!cap)
		return NULL;
	cap->conn = c;
	cap->import_id = id;
	c->imports[c->nimports++] = (struct import_ent){.id = id, .remote_refs = 1, .cap = cap};
	return cap;
}

/* ---- cap descriptors --------------------------------------------------------------------- */

void rpc_capout_undo(nx_rpc_conn *c, struct capout *o)
{
	unsigned i;

	rpc_exports_release_list(c, o->exports, o->nexports);
	for (i = 0; i < o->nfds; i++)
		nx_fd_close(o->fds[i]);
	o->nfds = 0;
	free(o->exports);
	o->exports = NULL;
	o->nexports = 0;
}

static int capd_write(nx_rpc_conn *c, const nx_capnp_bstruct *d, nx_rpc_cap *cap, struct capout *o)
{
	nx_capnp_bptr p;
	uint32_t id;
	int r;

	if (!cap)
		return 0; /* none */
	cap = rpc_cap_resolve(cap);
	if (cap->kind == CAP_IMPORT && cap->conn == c) {
		nx_capnp_bstruct_set_u16(d, W_CAPD_TAG, W_CAPD_RECEIVER_HOSTED, 0);
		nx_capnp_bstruct_set_u32(d, W_CAPD_ID, cap->import_id, 0);
		return 0;
	}
	if (cap->kind == CAP_PROMISE && rpc_cap_conn(cap) == c) {
		nx_capnp_bstruct_set_u16(d, W_CAPD_TAG, W_CAPD_RECEIVER_ANSWER, 0);
		p = nx_capnp_bstruct_ptr(d, 0);
		return w_write_promised(&p, cap->q->qid, cap->path, cap->depth);
	}
	/* Everything else we host: local servers, broken caps, and caps of other connections
	 * (calls to those are forwarded). */
	if (cap->fd >= 0 && o->nfds >= NX_MSG_MAX_FDS)
		return -EMSGSIZE;
	r = export_cap(c, cap, &id);
	if (r < 0)
		return r;
	o->exports[o->nexports++] = id;
	nx_capnp_bstruct_set_u16(d, W_CAPD_TAG, W_CAPD_SENDER_HOSTED, 0);
	nx_capnp_bstruct_set_u32(d, W_CAPD_ID, id, 0);
	if (cap->fd >= 0) {
		int fd = fcntl(cap->fd, F_DUPFD_CLOEXEC, 3);

		if (fd < 0)
			return -errno;
		nx_capnp_bstruct_set_u8(d, W_CAPD_FD, (uint8_t)o->nfds, 255);
		o->fds[o->nfds++] = fd;
	}
	return 0;
}

int rpc_captable_write(nx_rpc_conn *c, const nx_capnp_bstruct *payload, nx_rpc_cap **caps,
        uint32_t n, struct capout *o)
{
	nx_capnp_blist l;
	nx_capnp_bstruct d;
	nx_capnp_bptr p;
	uint32_t i;
	int r;

	memset(o, 0, sizeof(*o));
	if (n == 0)
		return 0;
	o->exports = calloc(n, sizeof(uint32_t));
	if (!o->exports)
		return -ENOMEM;
	p = nx_capnp_bstruct_ptr(payload, 1);
	r = nx_capnp_bptr_init_struct_list(&p, W_CAPD_DW, W_CAPD_NP, n, &l);
	for (i = 0; r == 0 && i < n; i++) {
		nx_capnp_blist_get_struct(&l, i, &d);
		r = capd_write(c, &d, caps[i], o);
	}
	if (r < 0)
		rpc_capout_undo(c, o);
	return r;
}

static nx_rpc_cap *capd_read(
        nx_rpc_conn *c, const nx_capnp_struct *d, struct msgfds *fds, int *ret_err)
{
	nx_rpc_cap *cap = NULL;
	struct w_target t;
	nx_capnp_ptr p;
	struct answer *a;
	const char *why = NULL;
	uint8_t fdi;

	*ret_err = 0;
	switch (nx_capnp_struct_get_u16(d, W_CAPD_TAG, 0)) {
	case W_CAPD_NONE:
		return NULL;
	case W_CAPD_SENDER_HOSTED:
	case W_CAPD_SENDER_PROMISE:
		cap = import_get(c, nx_capnp_struct_get_u32(d, W_CAPD_ID, 0));
		if (!cap) {
			*ret_err = -EPROTO;
			return NULL;
		}
		fdi = nx_capnp_struct_get_u8(d, W_CAPD_FD, 255);
		if (fdi != 255 && fdi < fds->n && fds->fds[fdi] >= 0) {
			if (cap->fd < 0) {
				cap->fd = fds->fds[fdi];
				fds->fds[fdi] = -1;
			}
		}
		return cap;
	case W_CAPD_RECEIVER_HOSTED:
		cap = rpc_export_get(c, nx_capnp_struct_get_u32(d, W_CAPD_ID, 0));
		if (!cap) {
			*ret_err = -EPROTO;
			return NULL;
		}
		return nx_rpc_cap_ref(cap);
	case W_CAPD_RECEIVER_ANSWER:
		p = nx_capnp_struct_ptr(d, 0);
		if (w_read_promised(&p, &t) < 0) {
			*ret_err = -EBADMSG;
			return NULL;
		}
		a = rpc_answer_find(c, t.id);
		if (a && a->returned) {
			cap = rpc_answer_cap(a, t.path, t.depth, &why);
			if (cap)
				return nx_rpc_cap_ref(cap);
		}
		break;
	default:
		break;
	}
	cap = nx_rpc_cap_new_broken(
	        NX_RPC_EXC_UNIMPLEMENTED, why ? why : "unsupported: capability descriptor kind");
	if (!cap)
		*ret_err = -ENOMEM;
	return cap;
}

int rpc_captable_read(nx_rpc_conn *c, const nx_capnp_struct *payload, struct msgfds *fds,
        nx_rpc_cap ***ret_caps, uint32_t *ret_n)
{
	nx_capnp_ptr p = nx_capnp_struct_ptr(payload, 1);
	nx_capnp_list l;
	nx_capnp_struct d;
	nx_rpc_cap **caps;
	uint32_t i;
	int r;

	r = nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_COMPOSITE, &l);
	if (r < 0)
		return r;
	if (l.count > NX_RPC_MAX_CAPS)
		return -EMSGSIZE;
	*ret_n = 0;
	*ret_caps = NULL;
	if (l.count == 0)
		return 0;
	caps = calloc(l.count, sizeof(nx_rpc_cap *));
	if (!caps)
		return -ENOMEM;
	for (i = 0; i < l.count; i++) {
		nx_capnp_list_get_struct(&l, i, &d);
		caps[i] = capd_read(c, &d, fds, &r);
		if (r < 0) {
			while (i-- > 0)
				nx_rpc_cap_unref(caps[i]);
			free(caps);
			return r;
		}
	}
	*ret_caps = caps;
	*ret_n = l.count;
	return 0;
}

void rpc_caps_free(nx_rpc_cap **caps, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		nx_rpc_cap_unref(caps[i]);
	free(caps);
}
