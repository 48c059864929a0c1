/* SPDX-License-Identifier: MIT */
/* nx-rpc internals shared by conn.c (transport) and rpc.c (protocol). */
#ifndef NX_RPC_INT_H
#define NX_RPC_INT_H

#include "rpc.h"
#include "wire.h"

enum cap_kind { CAP_LOCAL, CAP_IMPORT, CAP_PROMISE, CAP_BROKEN };

struct nx_rpc_cap {
	unsigned refs;
	enum cap_kind kind;
	int fd; /* attached fd or -1, owned by the cap */
	/* CAP_LOCAL */
	const struct nx_rpc_server_ops *ops;
	void *impl;
	/* CAP_IMPORT: conn is NULL once the connection died (then the cap is broken) */
	nx_rpc_conn *conn;
	uint32_t import_id;
	/* CAP_PROMISE: the question whose answer it names, holding a reference to it */
	nx_rpc_call *q;
	uint16_t path[W_MAX_TRANSFORM];
	uint32_t depth;
	bool settled;         /* the answer returned and `resolved` was looked for */
	nx_rpc_cap *resolved; /* the peer's capability it turned out to be (a reference), or NULL */
	/* CAP_BROKEN */
	enum nx_rpc_exc exc;
	char *reason;
	/* stream flow control, when used as a stream target */
	size_t stream_bytes;
	int stream_err;
	nx_rpc_stream_cb stream_cb;
	void *stream_ud;
};

/* A received frame, copied so it can outlive the receive buffer. One allocation holds this
 * header, the frame and its segment table, sized to the message: small enough for malloc's
 * fast path, which matters at two frames per call. */
struct rxmsg {
	uint64_t *words; /* the frame, right after this struct */
	size_t bytes;
	struct nx_capnp_seg *segs; /* nsegs of them, right after the frame */
	uint32_t nsegs;
	nx_capnp_reader r;
	nx_capnp_struct root; /* Message */
};
_Static_assert(sizeof(struct rxmsg) % 8 == 0, "rxmsg_copy puts the frame's words after it");

/* The fds of the message being handled: each index taken at most once. */
struct msgfds {
	int fds[NX_MSG_MAX_FDS];
	unsigned n;
};

struct export_ent {
	nx_rpc_cap *cap; /* NULL: free slot; else a reference */
	uint32_t refs;   /* the peer's reference count */
};

struct import_ent {
	uint32_t id;
	uint32_t remote_refs;
	nx_rpc_cap *cap; /* weak: the cap removes itself when it dies */
};

struct answer {
	uint32_t id;
	bool returned;
	nx_rpc_incoming *in;    /* while pending */
	nx_rpc_incoming *queue; /* pipelined calls waiting for the return */
	/* after returning */
	bool failed;
	uint16_t exc_type;
	char *reason;
	struct rxmsg *msg; /* our Return message, to follow transforms */
	nx_rpc_cap **caps;
	uint32_t ncaps;
	uint32_t *exports; /* export ids the results hold, for Finish.releaseResultCaps */
	uint32_t nexports;
};

struct txfds {
	size_t off, end; /* the message's bytes in tx: its fds go with one send of exactly these */
	int fds[NX_MSG_MAX_FDS];
	unsigned n;
};

struct nx_rpc_conn {
	unsigned refs; /* the user's, plus one per frame being handled */
	bool dead;
	bool user_freed;
	int error;
	char abort_reason[NX_RPC_REASON_MAX + 1]; /* the peer's Abort, "" if none came */
	nx_loop *loop;
	int fd;
	nx_source *src;
	nx_rpc_cap *bootstrap;
	nx_rpc_disconnect_cb disc_cb;
	void *disc_ud;

	uint64_t rxbuf[NX_MSG_MAX_BYTES / 8];
	size_t rxlen;
	struct msgfds rxfds;
	size_t rxfds_owner; /* offset in rxbuf of the message rxfds belong to, while rxfds.n > 0 */

	uint8_t *tx;
	size_t txlen, txoff, txcap;
	struct txfds *txq;
	unsigned ntxq, txqcap;
	nx_source *flusher; /* defer: writes what conn_send_lazy queued, unless a send did first */

	nx_rpc_call *questions[NX_RPC_MAX_QUESTIONS];
	unsigned nquestions;
	struct export_ent *exports;
	uint32_t exports_len; /* slots */
	unsigned nexports;
	struct import_ent *imports;
	unsigned nimports, imports_cap;
	struct answer **answers;
	unsigned nanswers, answers_cap;
	nx_rpc_incoming *incomings; /* every live incoming of this connection */
	/* The last incoming freed, kept for the next call: with its first segment it is too big
	 * for malloc's fast path, and a served connection makes one per call. */
	nx_rpc_incoming *spare;
	nx_source *doom; /* kills the connection from the loop, see conn_fail_later */
	/* Calls from this connection forwarded elsewhere and not answered yet: at
	 * NX_RPC_FORWARD_WINDOW the connection is not read (forward.h). */
	unsigned nforwards;
	bool peer_sent_fds; /* an SCM_RIGHTS ever arrived: the peer's transport passes fds */
	size_t txheld; /* bytes at the end of tx that wait for the next write (RPC_SEND_HELD) */
	int doom_err;
};

enum call_state { CALL_BUILDING, CALL_SENT, CALL_DONE };

/* Words of the first segment a call or an incoming call builds its message in, allocated
 * with the object rather than zeroed and freed per message (take() in the builder clears
 * what it hands out). The size the builder would pick itself, so messages split into
 * segments where they always did. */
#define RPC_FIRST_SEG_WORDS 256u

struct nx_rpc_call {
	nx_rpc_cap *target;
	nx_rpc_conn *conn; /* while in the table */
	nx_capnp_builder b;
	nx_capnp_bstruct callst, payload;
	nx_rpc_cap **caps;
	uint32_t *pexports; /* export ids in our params, for Return.releaseParamCaps */
	nx_rpc_return_cb cb;
	void *ud;
	nx_rpc_result res;
	struct rxmsg *rx;
	nx_capnp_ptr content;
	nx_rpc_cap **rcaps;
	size_t stream_bytes;
	nx_rpc_stream_done_cb stream_done; /* nx_rpc_stream_send_notify's, may be NULL */
	void *stream_done_ud;
	unsigned refs; /* the user's, one per promise cap on it, one per callback in flight */
	enum call_state state;
	uint32_t qid;
	uint32_t ncaps, capcap;
	unsigned nfdcaps;
	uint32_t npexports;
	uint32_t nrcaps;
	bool user;
	bool bootstrap;
	bool in_table;      /* holds questions[qid] */
	bool returned_wire; /* Return received */
	bool finish_sent;
	bool release_results; /* what our Finish said */
	bool finish_held; /* its Finish after the Return may wait for our next write (forward.c) */
	bool has_builder;
	char reason[NX_RPC_REASON_MAX + 1];
	struct nx_capnp_captable captable; /* params: add; results: get (typed.c) */
	/* A typed send's callback (typed.c), kept here so freeing the call before its return
	 * (a cancel) leaves nothing behind. */
	struct {
		const struct nx_capnp_desc *desc;
		void (*done)(void (*cb)(void), void *userdata, int error, const char *reason,
		        const nx_capnp_struct *results);
		void (*cb)(void);
		void *userdata;
	} typed;
	uint64_t first_seg[]; /* RPC_FIRST_SEG_WORDS, for `b` */
};

struct nx_rpc_incoming {
	nx_rpc_conn *conn; /* NULL once the connection died */
	struct answer *ans;
	nx_rpc_incoming *lnext, *lprev; /* conn->incomings */
	nx_rpc_incoming *qnext;         /* answer->queue */
	struct answer *queued_on;       /* the answer whose return it waits for */
	uint32_t qid;
	uint64_t iface;
	uint16_t method;
	struct w_target target;
	struct rxmsg *rx;
	nx_capnp_struct payload_r;
	nx_capnp_struct params;
	nx_rpc_cap **caps;
	uint32_t ncaps;
	bool started, content_set;
	nx_capnp_builder b;
	nx_capnp_bstruct payload;
	nx_rpc_cap **rcaps;
	uint32_t nrcaps, rcapcap;
	unsigned nrfds;
	bool canceled;
	bool dispatching, answered;
	nx_rpc_call *fwd;
	const struct nx_rpc_forward_opts *fwd_opts; /* forward.c, while fwd is in flight */
	bool fwd_counted;                           /* in conn->nforwards */
	nx_rpc_cancel_cb cancel_cb;
	void *cancel_ud;
	struct nx_capnp_captable captable; /* params: get; results: add (typed.c) */
	uint64_t first_seg[];              /* RPC_FIRST_SEG_WORDS, for `b` */
};

struct capout {
	int fds[NX_MSG_MAX_FDS];
	unsigned nfds;
	uint32_t *exports;
	uint32_t nexports;
};

/* rpc.c: helpers */
void rpc_copy_reason(char *dst, const char *src);
int rpc_grow(void **arr, uint32_t *cap, uint32_t need, size_t elem);
nx_capnp_struct rpc_read_struct_or_empty(const nx_capnp_ptr *p);
int rpc_send_simple(nx_rpc_conn *c, uint16_t which, uint16_t dw, uint16_t np, uint32_t a32,
        uint32_t b32, int bit, bool bitval);
void rpc_send_release(nx_rpc_conn *c, uint32_t id, uint32_t count);
/* When a frame nobody waits on leaves: now, with the next write or the loop's next iteration
 * (lazy), or with the next write however late (held: a forwarded call's Finish, which must
 * not cost its target a wakeup of its own; the peer keeps one answer copy meanwhile). */
enum rpc_send_when { RPC_SEND_NOW, RPC_SEND_LAZY, RPC_SEND_HELD };
void rpc_send_finish(nx_rpc_conn *c, uint32_t qid, bool release, enum rpc_send_when when);

/* cap.c */
nx_rpc_cap *rpc_cap_alloc(enum cap_kind kind);
/* The live connection calls on `cap` go through, or NULL (local, broken, dead). */
nx_rpc_conn *rpc_cap_conn(const nx_rpc_cap *cap);
/* What calls on `cap` and descriptors of it name on the wire: for a promise whose answer
 * returned a capability the peer hosts, that import (borrowed); otherwise `cap` itself. */
nx_rpc_cap *rpc_cap_resolve(nx_rpc_cap *cap);
nx_rpc_cap *rpc_export_get(nx_rpc_conn *c, uint32_t id);
int rpc_export_release(nx_rpc_conn *c, uint32_t id, uint32_t count);
void rpc_exports_release_list(nx_rpc_conn *c, const uint32_t *ids, uint32_t n);
void rpc_capout_undo(nx_rpc_conn *c, struct capout *o);
int rpc_captable_write(nx_rpc_conn *c, const nx_capnp_bstruct *payload, nx_rpc_cap **caps,
        uint32_t n, struct capout *o);
int rpc_captable_read(nx_rpc_conn *c, const nx_capnp_struct *payload, struct msgfds *fds,
        nx_rpc_cap ***ret_caps, uint32_t *ret_n);
void rpc_caps_free(nx_rpc_cap **caps, uint32_t n);

/* call.c */
void rpc_call_ref(nx_rpc_call *call);
void rpc_call_unref(nx_rpc_call *call);
void rpc_question_remove(nx_rpc_call *call);
void rpc_call_set_failed(nx_rpc_call *call, enum nx_rpc_exc type, const char *reason);
void rpc_call_complete(nx_rpc_call *call);
int rpc_call_new_raw(nx_rpc_cap *target, uint64_t iface, uint16_t method, nx_rpc_call **ret);

/* answer.c */
struct answer *rpc_answer_find(nx_rpc_conn *c, uint32_t id);
struct answer *rpc_answer_new(nx_rpc_conn *c, uint32_t id);
void rpc_answer_free(nx_rpc_conn *c, struct answer *a);
nx_rpc_cap *rpc_answer_cap(
        struct answer *a, const uint16_t *path, uint32_t depth, const char **ret_reason);
void rpc_answer_flush_queue(nx_rpc_conn *c, struct answer *a);
nx_rpc_incoming *rpc_incoming_new(nx_rpc_conn *c, uint32_t qid);
void rpc_incoming_unlink(nx_rpc_incoming *in);
void rpc_incoming_free(nx_rpc_incoming *in);
void rpc_incoming_notify_cancel(nx_rpc_incoming *in);
int rpc_return_begin(nx_rpc_incoming *in, uint16_t which, nx_capnp_bptr *ret_p);
int rpc_results_begin(nx_rpc_incoming *in);
void rpc_deliver(nx_rpc_conn *c, nx_rpc_incoming *in, nx_rpc_cap *cap);

/* typed.c: the capability tables generated typed accessors reach through readers/builders */
const struct nx_capnp_captable *rpc_call_captable(nx_rpc_call *call);
const struct nx_capnp_captable *rpc_incoming_captable(nx_rpc_incoming *in);

/* conn.c */
void conn_ref(nx_rpc_conn *c);
void conn_unref(nx_rpc_conn *c);
/* Frames and queues what `b` holds, with `fds` (taken, closed on failure). -EMSGSIZE over
 * NX_MSG_MAX_BYTES, -ENOTCONN when dead, -ENOMEM. */
int conn_send(nx_rpc_conn *c, const nx_capnp_builder *b, int *fds, unsigned nfds);
/* Like conn_send without fds, but the frame leaves with the next conn_send or at the loop's
 * next iteration, whichever comes first: for messages nobody waits on (Finish after Return),
 * so they share the next call's write instead of costing one of their own. */
int conn_send_lazy(nx_rpc_conn *c, const nx_capnp_builder *b);
/* Like conn_send_lazy, but the frame waits for the next write however late (RPC_SEND_HELD). */
int conn_send_held(nx_rpc_conn *c, const nx_capnp_builder *b);
/* Counts forwarded calls from `c` in flight (delta +1 or -1) and stops or resumes reading it
 * at NX_RPC_FORWARD_WINDOW. */
void conn_forwards_add(nx_rpc_conn *c, int delta);
/* Kills the connection: closes the channel, fails everything (rpc.c's conn_teardown). */
void conn_die(nx_rpc_conn *c, int err, bool notify);
/* A copy of `frame` (8-byte aligned, `len` bytes, one whole frame) that outlives it. */
int rxmsg_new(const void *frame, size_t len, struct rxmsg **ret);
/* The same for a frame the caller already parsed into `segs` (views into `frame`). */
int rxmsg_copy(const void *frame, size_t len, const struct nx_capnp_seg *segs, uint32_t nsegs,
        struct rxmsg **ret);
struct rxmsg *rxmsg_free(struct rxmsg *m);

/* rpc.c */
/* Handles one complete frame; a negative return kills the connection. */
int rpc_handle_frame(nx_rpc_conn *c, const void *frame, size_t len, struct msgfds *fds);
void rpc_teardown(nx_rpc_conn *c);
/* Sends an Abort with `reason` (best effort, before dying). */
void rpc_send_abort(nx_rpc_conn *c, const char *reason);

#endif
