/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a structure-aware RPC peer. The input is a program; each operation builds
 * one well-formed rpc.capnp message with nx-capnp's builder (Bootstrap, Call on an import or a
 * pipelined answer, Return, Finish, Release, Resolve, Disembargo, cap descriptors with memfds
 * attached) and writes it to an nx_rpc_conn through a socketpair, or drives the connection
 * from its own side (calls to the peer, canceling them, answering held calls). Raw bytes
 * (fuzz_rpc_conn) rarely get past the first malformed field; here the question, answer,
 * import and export tables and their reference counts see long, mostly valid histories.
 *
 * The harness reads back what the connection sends and keeps the peer's side of the books:
 * the questions it asked and their results' exports, the connection's exports it holds
 * references to, the questions the connection asked it. At the end of every input it returns
 * everything (Finish with releaseResultCaps, Release of every reference, answers to every
 * question) and requires the connection's tables to be empty; then it disconnects, requires
 * them empty again, frees the connection and requires that no fd leaked.
 *
 * Input: a sequence of operations, one opcode byte then its argument bytes; bytes past the
 * end read as 0. The served object: method 0 echoes its params' first word, 1 fails, 2 is
 * held (answered by an operation, or at the end), 3 returns its params' cap 0 (or a new
 * object bound to a memfd), 4 calls its params' cap 0 back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-capnp/capnp.h"
#include "nx-rpc/rpc.h"
#include "nx-rpc/wire.h"

#define IFACE       0x9a2b3c4d5e6f7081ull
#define HELD_MAX    8
#define Q_MAX       16 /* questions the peer keeps open */
#define IMP_MAX     16 /* distinct exports of the connection the peer holds */
#define ASKED_MAX   16 /* questions the connection asked the peer, unanswered */
#define EXP_MAX     8  /* exports remembered per Return */
#define LOCAL_MAX   4  /* calls the connection's side makes to the peer */
#define OPS_MAX     64 /* longer programs add no depth, only time */
#define PEER_IDS    6  /* ids the peer gives its own caps: few, so they are reused */
#define PUMP_ROUNDS 16

/* ---- The input ----------------------------------------------------------------------- */

struct prog {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct prog *g)
{
	uint8_t v;

	if (g->n == 0)
		return 0;
	v = *g->p++;
	g->n--;
	return v;
}

/* ---- The served object --------------------------------------------------------------- */

struct obj {
	nx_rpc_incoming *held[HELD_MAX];
	int nheld;
};

static const struct nx_rpc_server_ops obj_ops;

static void callback_done(nx_rpc_call *call, const nx_rpc_result *res, void *ud)
{
	(void)res;
	(void)ud;
	nx_rpc_call_free(call);
}

/* Method 3: the params' cap 0 when there is one (so a pipelined call or a Disembargo on the
 * answer reaches back to the peer), else a new object with a memfd, exported with the fd. */
static int obj_return_cap(nx_rpc_incoming *in)
{
	nx_capnp_bstruct out;
	nx_capnp_bptr bp;
	nx_rpc_cap *cap = NULL;
	uint32_t idx;
	int fd, r;

	if (nx_rpc_incoming_cap(in, 0, &cap) < 0) {
		if (nx_vmo_create("fuzz-cap", 8, &fd) < 0)
			abort();
		if (nx_rpc_server_new_with_fd(&obj_ops, NULL, fd, &cap) < 0)
			return -ENOMEM;
	}
	r = nx_rpc_incoming_results(in, 0, 1, &out);
	if (r == 0)
		r = nx_rpc_incoming_add_cap(in, cap, &idx);
	nx_rpc_cap_unref(cap);
	if (r < 0)
		return r;
	bp = nx_capnp_bstruct_ptr(&out, 0);
	nx_capnp_bptr_set_cap(&bp, idx);
	return nx_rpc_incoming_return(in);
}

/* Method 4: a call on the params' cap 0, so the connection asks the peer a question. */
static int obj_call_back(nx_rpc_incoming *in)
{
	nx_rpc_cap *cap;
	nx_rpc_call *call;
	nx_capnp_bstruct p;

	if (nx_rpc_incoming_cap(in, 0, &cap) < 0)
		return -EINVAL;
	if (nx_rpc_call_new(cap, IFACE, 0, 1, 0, &call, &p) < 0) {
		nx_rpc_cap_unref(cap);
		return -ENOMEM;
	}
	nx_rpc_cap_unref(cap);
	nx_capnp_bstruct_set_u64(&p, 0, 4, 0);
	/* A failed send left the failed result in the call and never runs the callback. */
	if (nx_rpc_call_send(call, callback_done, NULL) < 0)
		nx_rpc_call_free(call);
	return nx_rpc_incoming_return(in);
}

static int obj_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	struct obj *o = impl;
	nx_capnp_struct p;
	nx_capnp_bstruct out;
	int r;

	(void)iface;
	nx_rpc_incoming_params(in, &p);
	switch (method) {
	case 0:
		r = nx_rpc_incoming_results(in, 1, 0, &out);
		if (r < 0)
			return r;
		nx_capnp_bstruct_set_u64(&out, 0, nx_capnp_struct_get_u64(&p, 0, 0), 0);
		return nx_rpc_incoming_return(in);
	case 1:
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, "invalid_argument: fuzz");
	case 2:
		/* Objects made by method 3 have no impl: they cannot hold. */
		if (!o || o->nheld >= HELD_MAX)
			return -EBUSY;
		o->held[o->nheld++] = in;
		return NX_RPC_ASYNC;
	case 3:
		return obj_return_cap(in);
	case 4:
		return obj_call_back(in);
	default:
		return -ENOSYS;
	}
}

static const struct nx_rpc_server_ops obj_ops = {
        .dispatch = obj_dispatch,
        .destroy = NULL,
};

/* ---- The peer's books ---------------------------------------------------------------- */

struct question {
	uint32_t id;
	bool returned;
	uint32_t exp[EXP_MAX]; /* exports of the connection its results brought */
	unsigned nexp;
};

struct import {
	uint32_t id;
	uint32_t refs;
};

struct peer {
	int fd;
	uint32_t next_qid;
	struct question q[Q_MAX];
	unsigned nq;
	struct import imp[IMP_MAX];
	unsigned nimp;
	uint32_t asked[ASKED_MAX];
	unsigned nasked;
	bool broken; /* the books no longer match (a table overflowed): skip the final checks */
	uint64_t rx[2 * NX_MSG_MAX_BYTES / 8];
	size_t rxlen;
};

static void imp_add(struct peer *pr, uint32_t id)
{
	unsigned i;

	for (i = 0; i < pr->nimp; i++)
		if (pr->imp[i].id == id) {
			pr->imp[i].refs++;
			return;
		}
	if (pr->nimp == IMP_MAX) {
		pr->broken = true;
		return;
	}
	pr->imp[pr->nimp++] = (struct import){.id = id, .refs = 1};
}

static void imp_drop(struct peer *pr, uint32_t id, uint32_t count)
{
	unsigned i;

	for (i = 0; i < pr->nimp; i++)
		if (pr->imp[i].id == id) {
			pr->imp[i].refs -= count < pr->imp[i].refs ? count : pr->imp[i].refs;
			if (pr->imp[i].refs == 0)
				pr->imp[i] = pr->imp[--pr->nimp];
			return;
		}
}

/* The connection's exports a cap table gives the peer: one reference each. */
static void note_captable(struct peer *pr, const nx_capnp_struct *payload, struct question *q)
{
	nx_capnp_ptr lp = nx_capnp_struct_ptr(payload, 1);
	nx_capnp_list l;
	nx_capnp_struct d;
	uint32_t i, id;
	uint16_t tag;

	if (nx_capnp_ptr_read_list(&lp, NX_CAPNP_ELEM_COMPOSITE, &l) < 0)
		return;
	for (i = 0; i < l.count; i++) {
		nx_capnp_list_get_struct(&l, i, &d);
		tag = nx_capnp_struct_get_u16(&d, W_CAPD_TAG, 0);
		if (tag != W_CAPD_SENDER_HOSTED && tag != W_CAPD_SENDER_PROMISE)
			continue;
		id = nx_capnp_struct_get_u32(&d, W_CAPD_ID, 0);
		imp_add(pr, id);
		if (q && q->nexp < EXP_MAX)
			q->exp[q->nexp++] = id;
		else if (q)
			pr->broken = true;
	}
}

static struct question *q_find(struct peer *pr, uint32_t id)
{
	unsigned i;

	for (i = 0; i < pr->nq; i++)
		if (pr->q[i].id == id)
			return &pr->q[i];
	return NULL;
}

static void note_asked(struct peer *pr, uint32_t id)
{
	if (pr->nasked == ASKED_MAX) {
		pr->broken = true;
		return;
	}
	pr->asked[pr->nasked++] = id;
}

/* One frame the connection sent. */
static void peer_note(struct peer *pr, const nx_capnp_struct *m)
{
	nx_capnp_ptr bp = nx_capnp_struct_ptr(m, 0);
	nx_capnp_struct body, payload;
	nx_capnp_ptr pp;
	struct question *q;

	if (nx_capnp_ptr_read_struct(&bp, &body) < 0)
		return;
	switch (nx_capnp_struct_get_u16(m, W_MSG_TAG, 0)) {
	case W_MSG_RETURN:
		q = q_find(pr, nx_capnp_struct_get_u32(&body, W_RET_AID, 0));
		if (!q)
			return;
		q->returned = true;
		if (nx_capnp_struct_get_u16(&body, W_RET_TAG, 0) != W_RET_RESULTS)
			return;
		pp = nx_capnp_struct_ptr(&body, W_RET_P);
		if (nx_capnp_ptr_read_struct(&pp, &payload) == 0)
			note_captable(pr, &payload, q);
		return;
	case W_MSG_CALL:
		note_asked(pr, nx_capnp_struct_get_u32(&body, W_CALL_QID, 0));
		pp = nx_capnp_struct_ptr(&body, W_CALL_P_PARAMS);
		if (nx_capnp_ptr_read_struct(&pp, &payload) == 0)
			note_captable(pr, &payload, NULL);
		return;
	case W_MSG_BOOTSTRAP:
		note_asked(pr, nx_capnp_struct_get_u32(&body, W_BOOT_QID, 0));
		return;
	default:
		/* Finish of a question it asked: the peer still answers it (harmless), Release
		 * and Resolve of the peer's own caps need no books here. */
		return;
	}
}

/* Reads what the connection wrote and notes each whole frame. fds that came with it are
 * closed: the peer has no use for them. */
static void peer_read(struct peer *pr)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader r;
	nx_capnp_struct m;
	uint32_t nsegs;
	size_t flen;
	int fds[NX_MSG_MAX_FDS];
	unsigned nfds, k;
	ssize_t n;

	for (;;) {
		n = nx_chan_recv(pr->fd, (uint8_t *)pr->rx + pr->rxlen, sizeof(pr->rx) - pr->rxlen,
		        fds, NX_MSG_MAX_FDS, &nfds);
		if (n <= 0)
			return;
		for (k = 0; k < nfds; k++)
			nx_fd_close(fds[k]);
		pr->rxlen += (size_t)n;
		while (nx_capnp_frame_parse(pr->rx, pr->rxlen, NX_MSG_MAX_BYTES, segs,
		               NX_CAPNP_MAX_SEGMENTS, &nsegs, &flen) == 0) {
			nx_capnp_reader_init(&r, segs, nsegs);
			if (nx_capnp_reader_root_struct(&r, &m) == 0)
				peer_note(pr, &m);
			memmove(pr->rx, (uint8_t *)pr->rx + flen, pr->rxlen - flen);
			pr->rxlen -= flen;
		}
		/* The connection frames at most NX_MSG_MAX_BYTES: two never fill rx. */
		if (pr->rxlen == sizeof(pr->rx))
			abort();
	}
}

/* ---- Building and sending the peer's messages ---------------------------------------- */

struct msg {
	nx_capnp_builder b;
	nx_capnp_bstruct root, body;
	int fds[NX_MSG_MAX_FDS];
	unsigned nfds;
};

static int msg_begin(struct msg *m, uint16_t which, uint16_t dw, uint16_t np)
{
	nx_capnp_bptr bp;

	m->nfds = 0;
	nx_capnp_builder_init(&m->b, NULL, 0, &nx_capnp_malloc_allocator);
	if (nx_capnp_builder_init_root(&m->b, W_MSG_DW, W_MSG_NP, &m->root) < 0)
		return -ENOMEM;
	nx_capnp_bstruct_set_u16(&m->root, W_MSG_TAG, which, 0);
	bp = nx_capnp_bstruct_ptr(&m->root, 0);
	return nx_capnp_bptr_init_struct(&bp, dw, np, &m->body);
}

/* Sends the frame with its fds (consumed either way). A full socket is drained by running
 * the loop, as a real peer would wait. */
static void msg_send(struct msg *m, struct peer *pr, nx_loop *loop)
{
	static uint64_t frame[NX_MSG_MAX_BYTES / 4];
	size_t len, off = 0;
	ssize_t n;
	unsigned k, tries = 0;

	if (nx_capnp_frame_write(&m->b, frame, sizeof(frame), &len) < 0)
		goto out;
	while (off < len && tries++ < 64) {
		n = nx_chan_send(pr->fd, (uint8_t *)frame + off, len - off, m->fds, m->nfds);
		if (n == -EAGAIN) {
			nx_loop_run_once(loop, 0);
			peer_read(pr);
			continue;
		}
		if (n < 0) {
			m->nfds = 0; /* closed by the send */
			break;
		}
		m->nfds = 0;
		off += (size_t)n;
	}
out:
	for (k = 0; k < m->nfds; k++)
		nx_fd_close(m->fds[k]);
	nx_capnp_builder_done(&m->b);
}

/* A cap descriptor of one of the kinds a peer sends, maybe with a memfd attached. */
static void build_capd(struct msg *m, struct peer *pr, struct prog *g, nx_capnp_bstruct *d)
{
	uint8_t k = u8(g);
	nx_capnp_bptr pp;
	uint16_t path[2];
	int fd;

	switch (k % 4) {
	case 0:
	case 1:
		nx_capnp_bstruct_set_u16(
		        d, W_CAPD_TAG, k % 4 ? W_CAPD_SENDER_PROMISE : W_CAPD_SENDER_HOSTED, 0);
		nx_capnp_bstruct_set_u32(d, W_CAPD_ID, (k >> 2) % PEER_IDS, 0);
		if ((k & 0x80) && m->nfds < NX_MSG_MAX_FDS) {
			if (nx_vmo_create("fuzz-attached", 8, &fd) < 0)
				abort();
			nx_capnp_bstruct_set_u8(d, W_CAPD_FD, (uint8_t)m->nfds, 255);
			m->fds[m->nfds++] = fd;
		}
		return;
	case 2:
		nx_capnp_bstruct_set_u16(d, W_CAPD_TAG, W_CAPD_RECEIVER_HOSTED, 0);
		nx_capnp_bstruct_set_u32(
		        d, W_CAPD_ID, pr->nimp ? pr->imp[(k >> 2) % pr->nimp].id : k >> 2, 0);
		return;
	default:
		nx_capnp_bstruct_set_u16(d, W_CAPD_TAG, W_CAPD_RECEIVER_ANSWER, 0);
		pp = nx_capnp_bstruct_ptr(d, 0);
		path[0] = 0;
		path[1] = 0;
		w_write_promised(
		        &pp, pr->nq ? pr->q[(k >> 2) % pr->nq].id : k >> 2, path, (k >> 6) % 3);
		return;
	}
}

/* A Payload: one data word, pointer 0 a cap (when any), and 0..2 cap descriptors. */
static void build_payload(struct msg *m, struct peer *pr, struct prog *g, const nx_capnp_bptr *at)
{
	nx_capnp_bstruct pay, content, d;
	nx_capnp_bptr cp, tp;
	nx_capnp_blist caps;
	uint8_t k = u8(g);
	uint32_t i, ncaps = k % 3;

	if (nx_capnp_bptr_init_struct(at, W_PAY_DW, W_PAY_NP, &pay) < 0)
		return;
	cp = nx_capnp_bstruct_ptr(&pay, 0);
	if (nx_capnp_bptr_init_struct(&cp, 1, 1, &content) < 0)
		return;
	nx_capnp_bstruct_set_u64(&content, 0, k, 0);
	if (ncaps == 0)
		return;
	tp = nx_capnp_bstruct_ptr(&content, 0);
	nx_capnp_bptr_set_cap(&tp, (k >> 2) % ncaps);
	tp = nx_capnp_bstruct_ptr(&pay, 1);
	if (nx_capnp_bptr_init_struct_list(&tp, W_CAPD_DW, W_CAPD_NP, ncaps, &caps) < 0)
		return;
	for (i = 0; i < ncaps; i++) {
		nx_capnp_blist_get_struct(&caps, i, &d);
		build_capd(m, pr, g, &d);
	}
}

/* A MessageTarget: an export of the connection the peer holds, or an answer it is owed. */
static void build_target(struct peer *pr, struct prog *g, const nx_capnp_bptr *at)
{
	struct w_target t = {.promised = true, .id = 0, .depth = 0};
	uint8_t k = u8(g);

	if ((k & 1) && pr->nimp) {
		t.promised = false;
		t.id = pr->imp[(k >> 1) % pr->nimp].id;
	} else {
		t.id = pr->nq ? pr->q[(k >> 1) % pr->nq].id : k >> 1;
		t.depth = (k >> 6) % 3;
	}
	w_write_target(at, &t);
}

static struct question *q_open(struct peer *pr)
{
	struct question *q;

	if (pr->nq == Q_MAX)
		return NULL;
	q = &pr->q[pr->nq++];
	*q = (struct question){.id = pr->next_qid++};
	return q;
}

static void op_bootstrap(struct peer *pr, nx_loop *loop)
{
	struct question *q = q_open(pr);
	struct msg m;

	if (!q)
		return;
	if (msg_begin(&m, W_MSG_BOOTSTRAP, W_BOOT_DW, W_BOOT_NP) == 0)
		nx_capnp_bstruct_set_u32(&m.body, W_BOOT_QID, q->id, 0);
	msg_send(&m, pr, loop);
}

static void op_call(struct peer *pr, struct prog *g, nx_loop *loop)
{
	struct question *q = q_open(pr);
	struct msg m;
	nx_capnp_bptr p;

	if (!q)
		return;
	if (msg_begin(&m, W_MSG_CALL, W_CALL_DW, W_CALL_NP) == 0) {
		nx_capnp_bstruct_set_u32(&m.body, W_CALL_QID, q->id, 0);
		nx_capnp_bstruct_set_u64(&m.body, W_CALL_IFACE, IFACE, 0);
		nx_capnp_bstruct_set_u16(&m.body, W_CALL_METHOD, u8(g) % 6, 0);
		p = nx_capnp_bstruct_ptr(&m.body, W_CALL_P_TARGET);
		build_target(pr, g, &p);
		p = nx_capnp_bstruct_ptr(&m.body, W_CALL_P_PARAMS);
		build_payload(&m, pr, g, &p);
	}
	msg_send(&m, pr, loop);
}

/* Finish one question; with releaseResultCaps the connection drops the references its
 * results gave, so the peer's books drop them too. */
static void finish(struct peer *pr, unsigned i, bool release, nx_loop *loop)
{
	struct question q = pr->q[i];
	struct msg m;
	unsigned k;

	pr->q[i] = pr->q[--pr->nq];
	if (msg_begin(&m, W_MSG_FINISH, W_FIN_DW, W_FIN_NP) == 0) {
		nx_capnp_bstruct_set_u32(&m.body, W_FIN_QID, q.id, 0);
		nx_capnp_bstruct_set_bool(&m.body, W_FIN_RELEASE_RESULTS, release, true);
	}
	msg_send(&m, pr, loop);
	if (release)
		for (k = 0; k < q.nexp; k++)
			imp_drop(pr, q.exp[k], 1);
}

static void op_finish(struct peer *pr, struct prog *g, nx_loop *loop)
{
	uint8_t k = u8(g);

	if (pr->nq)
		finish(pr, (k >> 1) % pr->nq, !(k & 1), loop);
}

static void release(struct peer *pr, unsigned i, uint32_t count, nx_loop *loop)
{
	uint32_t id = pr->imp[i].id;
	struct msg m;

	if (msg_begin(&m, W_MSG_RELEASE, W_REL_DW, W_REL_NP) == 0) {
		nx_capnp_bstruct_set_u32(&m.body, W_REL_ID, id, 0);
		nx_capnp_bstruct_set_u32(&m.body, W_REL_COUNT, count, 0);
	}
	msg_send(&m, pr, loop);
	imp_drop(pr, id, count);
}

static void op_release(struct peer *pr, struct prog *g, nx_loop *loop)
{
	uint8_t k = u8(g);
	unsigned i;

	if (!pr->nimp)
		return;
	i = (k >> 2) % pr->nimp;
	release(pr, i, (k & 3) % pr->imp[i].refs + 1, loop);
}

/* Answers a question the connection asked: results (with caps), an exception, or canceled. */
static void answer(struct peer *pr, unsigned i, uint8_t how, struct prog *g, nx_loop *loop)
{
	uint32_t id = pr->asked[i];
	struct msg m;
	nx_capnp_bptr p;

	pr->asked[i] = pr->asked[--pr->nasked];
	if (msg_begin(&m, W_MSG_RETURN, W_RET_DW, W_RET_NP) == 0) {
		nx_capnp_bstruct_set_u32(&m.body, W_RET_AID, id, 0);
		nx_capnp_bstruct_set_bool(&m.body, W_RET_RELEASE_PARAMS, how & 4, true);
		p = nx_capnp_bstruct_ptr(&m.body, W_RET_P);
		switch (how % 3) {
		case 0:
			build_payload(&m, pr, g, &p);
			break;
		case 1:
			nx_capnp_bstruct_set_u16(&m.body, W_RET_TAG, W_RET_EXCEPTION, 0);
			w_write_exception(&p, NX_RPC_EXC_FAILED, "failed: peer");
			break;
		default:
			nx_capnp_bstruct_set_u16(&m.body, W_RET_TAG, W_RET_CANCELED, 0);
			break;
		}
	}
	msg_send(&m, pr, loop);
}

static void op_return(struct peer *pr, struct prog *g, nx_loop *loop)
{
	uint8_t k = u8(g);

	if (pr->nasked)
		answer(pr, (k >> 3) % pr->nasked, k & 7, g, loop);
}

/* Resolves one of the peer's promises to a cap or to an exception. */
static void op_resolve(struct peer *pr, struct prog *g, nx_loop *loop)
{
	uint8_t k = u8(g);
	struct msg m;
	nx_capnp_bstruct d;
	nx_capnp_bptr p;

	if (msg_begin(&m, W_MSG_RESOLVE, W_RES_DW, W_RES_NP) == 0) {
		nx_capnp_bstruct_set_u32(&m.body, W_RES_PID, (k >> 1) % PEER_IDS, 0);
		p = nx_capnp_bstruct_ptr(&m.body, W_RES_P);
		if (k & 1) {
			nx_capnp_bstruct_set_u16(&m.body, W_RES_TAG, 1, 0);
			w_write_exception(&p, NX_RPC_EXC_FAILED, "failed: broken promise");
		} else if (nx_capnp_bptr_init_struct(&p, W_CAPD_DW, W_CAPD_NP, &d) == 0) {
			build_capd(&m, pr, g, &d);
		}
	}
	msg_send(&m, pr, loop);
}

static void op_disembargo(struct peer *pr, struct prog *g, nx_loop *loop)
{
	uint8_t k = u8(g);
	struct msg m;
	nx_capnp_bptr p;

	if (msg_begin(&m, W_MSG_DISEMBARGO, W_DIS_DW, W_DIS_NP) == 0) {
		nx_capnp_bstruct_set_u16(&m.body, W_DIS_TAG, k % 2, 0);
		nx_capnp_bstruct_set_u32(&m.body, W_DIS_ID, k >> 1, 0);
		p = nx_capnp_bstruct_ptr(&m.body, W_DIS_P_TARGET);
		build_target(pr, g, &p);
	}
	msg_send(&m, pr, loop);
}

/* ---- The connection's own side ------------------------------------------------------- */

struct local {
	nx_rpc_call *calls[LOCAL_MAX];
	nx_rpc_cap *boot; /* the peer's bootstrap, as the connection sees it */
};

static void local_done(nx_rpc_call *call, const nx_rpc_result *res, void *ud)
{
	(void)call;
	(void)res;
	(void)ud;
}

/* The connection calls the peer's bootstrap (pipelined on the Bootstrap question). */
static void op_local_call(struct local *l, nx_rpc_conn *conn, struct prog *g)
{
	uint8_t k = u8(g);
	unsigned i = k % LOCAL_MAX;
	nx_capnp_bstruct p;
	nx_rpc_call *call;

	if (!l->boot && nx_rpc_conn_bootstrap(conn, &l->boot) < 0)
		return;
	if (l->calls[i])
		return;
	if (nx_rpc_call_new(l->boot, IFACE, k >> 4, 1, 0, &call, &p) < 0)
		return;
	nx_capnp_bstruct_set_u64(&p, 0, k, 0);
	nx_rpc_call_send(call, local_done, NULL);
	l->calls[i] = call;
}

/* Frees one of those calls: before its return, a cancel (Finish). */
static void op_local_cancel(struct local *l, struct prog *g)
{
	unsigned i = u8(g) % LOCAL_MAX;

	l->calls[i] = nx_rpc_call_free(l->calls[i]);
}

static void local_done_all(struct local *l)
{
	unsigned i;

	for (i = 0; i < LOCAL_MAX; i++)
		l->calls[i] = nx_rpc_call_free(l->calls[i]);
	l->boot = nx_rpc_cap_unref(l->boot);
}

/* ---- Running ------------------------------------------------------------------------- */

/* Runs the connection until it has nothing left to do and reads what it wrote. */
static void pump(nx_loop *loop, struct peer *pr)
{
	int i;

	for (i = 0; i < PUMP_ROUNDS; i++) {
		peer_read(pr);
		if (nx_loop_run_once(loop, 0) <= 0)
			break;
	}
	peer_read(pr);
}

static void check_empty(nx_rpc_conn *conn, const char *when)
{
	unsigned q = nx_rpc_conn_questions(conn), e = nx_rpc_conn_exports(conn),
	         i = nx_rpc_conn_imports(conn);

	if (q || e || i) {
		fprintf(stderr, "%s: questions %u exports %u imports %u (error %d)\n", when, q, e,
		        i, nx_rpc_conn_error(conn));
		abort();
	}
}

/* Gives back everything: held calls answered, the connection's own calls freed, every
 * question the connection asked answered, every question of the peer finished, every
 * reference released. Then a live connection's tables must be empty. */
static void settle(
        nx_rpc_conn *conn, nx_loop *loop, struct peer *pr, struct obj *o, struct local *l)
{
	struct prog none = {.p = NULL, .n = 0};
	int round;

	for (round = 0; round < 4; round++) {
		while (o->nheld > 0)
			nx_rpc_incoming_return(o->held[--o->nheld]);
		local_done_all(l);
		pump(loop, pr);
		while (pr->nasked)
			answer(pr, 0, 1, &none, loop);
		pump(loop, pr);
		while (pr->nq)
			finish(pr, 0, true, loop);
		pump(loop, pr);
		while (pr->nimp)
			release(pr, 0, pr->imp[0].refs, loop);
		pump(loop, pr);
	}
	if (nx_rpc_conn_error(conn) == 0 && !pr->broken)
		check_empty(conn, "after settling");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog g = {.p = data, .n = size};
	struct obj o = {.nheld = 0};
	static struct peer pr;
	struct local l = {.boot = NULL};
	nx_loop *loop = NULL;
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *boot = NULL;
	int fds[2], fds_before, ops = 0, i;

	fds_before = nx_fd_count();
	memset(&pr, 0, sizeof(pr));
	if (nx_loop_new(&loop) < 0 || nx_chan_pair(fds) < 0)
		abort();
	if (nx_rpc_server_new(&obj_ops, &o, &boot) < 0 ||
	        nx_rpc_conn_new(loop, fds[0], boot, &conn) < 0)
		abort();
	boot = nx_rpc_cap_unref(boot);
	pr.fd = fds[1];

	while (g.n > 0 && ops++ < OPS_MAX && nx_rpc_conn_error(conn) == 0) {
		switch (u8(&g) % 11) {
		case 0:
			op_bootstrap(&pr, loop);
			break;
		case 1:
			op_call(&pr, &g, loop);
			break;
		case 2:
			op_finish(&pr, &g, loop);
			break;
		case 3:
			op_release(&pr, &g, loop);
			break;
		case 4:
			op_return(&pr, &g, loop);
			break;
		case 5:
			op_resolve(&pr, &g, loop);
			break;
		case 6:
			op_disembargo(&pr, &g, loop);
			break;
		case 7:
			op_local_call(&l, conn, &g);
			break;
		case 8:
			op_local_cancel(&l, &g);
			break;
		case 9:
			if (o.nheld > 0)
				nx_rpc_incoming_return(o.held[--o.nheld]);
			break;
		default:
			break; /* a pause: the pump below is all it does */
		}
		pump(loop, &pr);
	}
	settle(conn, loop, &pr, &o, &l);

	/* The peer hangs up: the connection dies and must drop everything. */
	nx_fd_close(fds[1]);
	for (i = 0; i < PUMP_ROUNDS && nx_rpc_conn_error(conn) == 0; i++)
		if (nx_loop_run_once(loop, 0) <= 0)
			break;
	if (nx_rpc_conn_error(conn) == 0) {
		fprintf(stderr, "the connection outlived its peer\n");
		abort();
	}
	check_empty(conn, "after disconnect");
	conn = nx_rpc_conn_free(conn);
	nx_loop_free(loop);
	if (nx_fd_count() != fds_before) {
		fprintf(stderr, "fds: %d before, %d after\n", fds_before, nx_fd_count());
		abort();
	}
	return 0;
}
