/* SPDX-License-Identifier: MIT */
/*
 * nx-rpc: Cap'n Proto RPC, two-party protocol (rpc.capnp), over one nx-abi channel per
 * connection, driven by an nx_loop. Interoperates with libcapnp's TwoPartyClient/Server.
 *
 * Objects:
 *   nx_rpc_conn      one connection over a channel fd.
 *   nx_rpc_cap       a refcounted capability: a local server object, an import from a peer,
 *                    a promise on a pipelined answer, or a broken cap (holds an exception).
 *   nx_rpc_call      one outgoing call (params builder, then the result once returned).
 *   nx_rpc_incoming  one incoming call on a local server (params, then results or failure).
 *
 * Everything runs on the loop's thread; nothing here is thread-safe.
 *
 * Errors are negative errno values. Exceptions from a peer map to errno through the DESIGN.md
 * section 9 reason code ("denied: ..." -> -EPERM, see nx_rpc_errno_from_exception()).
 *
 * File descriptors: a capability may carry one fd (a VMO, an Endpoint). On export the fd rides
 * with the message's first byte and is bound through CapDescriptor.attachedFd; on import it is
 * owned by the imported cap and borrowed with nx_rpc_cap_peek_fd(), transferred out with
 * nx_rpc_cap_take_fd() or duplicated with nx_rpc_cap_dup_fd(). Incoming fds that no capability
 * claims are closed with the message.
 *
 * Answering an incoming call, one convention: a handler (an nx_rpc_server_ops dispatch, or a
 * generated vtable entry) answers `in` at most once, with nx_rpc_incoming_return(),
 * nx_rpc_incoming_fail() or nx_rpc_incoming_failf(). Each of them frees `in` and returns 0, so
 * a handler that answers ends with `return nx_rpc_incoming_failf(in, -EINVAL, "...");` or
 * `return nx_rpc_incoming_return(in);`. The handler's return value then says who answers:
 *   0              the handler answered;
 *   NX_RPC_ASYNC   the handler keeps `in`, unanswered, and answers later;
 *   negative errno the handler did not answer: nx-rpc answers "<code>: <strerror>".
 * Helpers a handler calls to read or check params do not answer: they return an errno (and,
 * if useful, what to say) and the handler answers. nx-rpc asserts this at every dispatch.
 */
#ifndef NX_RPC_RPC_H
#define NX_RPC_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h"
#include "nx-abi/loop.h"
#include "nx-capnp/capnp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nx_rpc_conn nx_rpc_conn;
typedef struct nx_rpc_cap nx_rpc_cap;
typedef struct nx_rpc_call nx_rpc_call;
typedef struct nx_rpc_incoming nx_rpc_incoming;

/* Exception.Type of rpc.capnp, plus NONE for "no exception". */
enum nx_rpc_exc {
	NX_RPC_EXC_NONE = -1,
	NX_RPC_EXC_FAILED = 0,
	NX_RPC_EXC_OVERLOADED = 1,
	NX_RPC_EXC_DISCONNECTED = 2,
	NX_RPC_EXC_UNIMPLEMENTED = 3,
};

/* A dispatch function returns this when it keeps the nx_rpc_incoming, unanswered, to answer
 * later (the convention above). */
#define NX_RPC_ASYNC 1

/* ---- Errors (DESIGN.md section 9) -------------------------------------------------------- */

/* Maps an exception to a negative errno: -ECONNRESET for type disconnected; else the reason's
 * code prefix when it has one ("not_found: ..." -> -ENOENT), else by type (overloaded -> -EBUSY, disconnected ->
 * -ECONNRESET, unimplemented -> -ENOSYS, failed -> -EIO). `reason` may be NULL. */
int nx_rpc_errno_from_exception(enum nx_rpc_exc type, const char *reason, size_t reason_len);
/* The section 9 code for a negative errno ("invalid_argument" for -EINVAL ...); "internal"
 * for anything not in the table. Never NULL. */
const char *nx_rpc_reason_code(int err);
/* The exception type used when failing with `err`: overloaded for -EBUSY and -EDQUOT
 * (limit_exceeded), unimplemented for -ENOSYS, disconnected for -ECONNRESET/-EPIPE, failed
 * otherwise. */
enum nx_rpc_exc nx_rpc_exc_type_for_errno(int err);

/* ---- Capabilities ------------------------------------------------------------------------ */

struct nx_rpc_server_ops {
	/* Handles one call. `in` is valid until answered. Returns as the convention at the top
	 * says: 0 answered, NX_RPC_ASYNC kept, a negative errno not answered (nx-rpc fails the
	 * call with "<code>: <strerror>"). Unknown interface/method: return -ENOSYS. */
	int (*dispatch)(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);
	/* Called once when the last reference to the server cap goes away. May be NULL. */
	void (*destroy)(void *impl);
};

/* A local server object. `ops` must outlive the cap; `impl` is the ops' to destroy.
 * Returns 0 with one reference in *ret, or -ENOMEM (destroy is NOT called then). */
int nx_rpc_server_new(const struct nx_rpc_server_ops *ops, void *impl, nx_rpc_cap **ret);
/* Same, bound to `fd`, which the cap takes (closed when the cap goes, or on failure). When the
 * cap is exported, a duplicate of fd rides with the message. -EBADF if fd < 0. */
int nx_rpc_server_new_with_fd(
        const struct nx_rpc_server_ops *ops, void *impl, int fd, nx_rpc_cap **ret);

/* A cap that fails every call with this exception (`reason` copied). NULL on -ENOMEM. */
nx_rpc_cap *nx_rpc_cap_new_broken(enum nx_rpc_exc type, const char *reason);

/* Reference counting. unref takes NULL and returns NULL. Dropping the last reference to an
 * import sends one Release with every reference the peer gave us for it; dropping the last
 * reference to a server calls ops->destroy (exports hold references too). */
nx_rpc_cap *nx_rpc_cap_ref(nx_rpc_cap *cap);
nx_rpc_cap *nx_rpc_cap_unref(nx_rpc_cap *cap);

/* The fd attached to the cap, borrowed (valid while the cap lives and nobody takes it), or
 * -EBADF if none. */
int nx_rpc_cap_peek_fd(const nx_rpc_cap *cap);
/* Transfers the attached fd to the caller (who closes it); the cap then holds none, for every
 * holder of a reference: peek and dup answer -EBADF, and exporting the cap later sends it as
 * a capability without an attached fd. Fds already queued with an earlier export are copies
 * and stay in flight. -EBADF if the cap holds no fd, -EINVAL if cap is NULL. */
int nx_rpc_cap_take_fd(nx_rpc_cap *cap);
/* A close-on-exec duplicate of the attached fd, owned by the caller; -EBADF if none. */
int nx_rpc_cap_dup_fd(const nx_rpc_cap *cap);

/* True if calls on the cap can only fail (broken promise, dead connection). */
bool nx_rpc_cap_is_broken(const nx_rpc_cap *cap);
/* True for a local server created with nx_rpc_server_new*; *ret_impl gets its impl when the
 * ops match (so a server can recognise its own objects coming back). */
bool nx_rpc_cap_get_local(
        const nx_rpc_cap *cap, const struct nx_rpc_server_ops *ops, void **ret_impl);

/* ---- Connections ------------------------------------------------------------------------- */

/* Called once when the connection dies (peer closed, protocol error, Abort received): every
 * pending call has already been failed with `disconnected` and every import broken. `error` is
 * the cause (-ECONNRESET peer closed, -EPROTO / -EBADMSG / -EMSGSIZE peer misbehaved). The
 * connection object stays valid until nx_rpc_conn_free(), which the callback may call. */
typedef void (*nx_rpc_disconnect_cb)(nx_rpc_conn *conn, int error, void *userdata);

/* Serves the channel `fd` (connected; made non-blocking; taken: closed by nx_rpc_conn_free or on
 * failure). `bootstrap` (may be NULL: the peer's Bootstrap then gets an exception) is
 * referenced, not taken. `loop` is borrowed and must outlive the connection.
 * Returns 0, -ENOMEM, or the loop's error. */
int nx_rpc_conn_new(nx_loop *loop, int fd, nx_rpc_cap *bootstrap, nx_rpc_conn **ret);
void nx_rpc_conn_set_disconnect_cb(nx_rpc_conn *conn, nx_rpc_disconnect_cb cb, void *userdata);

/* Closes the channel, fails pending calls (their callbacks run, with `disconnected`), breaks
 * caps imported through it, drops exports. Takes NULL, returns NULL. Caps and calls the caller
 * still holds stay valid (broken) until unreferenced / freed. */
nx_rpc_conn *nx_rpc_conn_free(nx_rpc_conn *conn);

/* Tells the peer why it is being dropped: an Abort (type failed) with `reason` (a DESIGN.md
 * section 9 code and a sentence, cut at NX_RPC_REASON_MAX), written now if the socket takes
 * it, best effort. The caller frees the connection next; nothing else changes. */
void nx_rpc_conn_abort(nx_rpc_conn *conn, const char *reason);

/* The peer's bootstrap capability as a promise: usable as a call target at once.
 * Returns 0 with a new reference, -ENOTCONN if the connection is dead, -EBUSY (overloaded) past
 * NX_RPC_MAX_QUESTIONS, -ENOMEM. */
int nx_rpc_conn_bootstrap(nx_rpc_conn *conn, nx_rpc_cap **ret);

/* 0 while connected, else the negative errno it died with. */
int nx_rpc_conn_error(const nx_rpc_conn *conn);

/* True once the peer sent a file descriptor on this connection: its transport passes them
 * (a peer that never did may still be able to; one whose library reads bytes only cannot). */
bool nx_rpc_conn_peer_sent_fds(const nx_rpc_conn *conn);
nx_loop *nx_rpc_conn_loop(const nx_rpc_conn *conn);
/* Questions currently outstanding (sent, Finish not yet sent). For tests and stats. */
unsigned nx_rpc_conn_questions(const nx_rpc_conn *conn);
/* Exports / imports currently in the tables. For tests and stats. */
unsigned nx_rpc_conn_exports(const nx_rpc_conn *conn);
unsigned nx_rpc_conn_imports(const nx_rpc_conn *conn);

/* ---- Client side: calls ------------------------------------------------------------------ */

/* The outcome of a call, valid until nx_rpc_call_free(). */
typedef struct nx_rpc_result {
	int error;                /* 0, or negative errno (from the exception or local failure) */
	enum nx_rpc_exc exc_type; /* NX_RPC_EXC_NONE on success */
	const char *reason;       /* NUL-terminated, "" on success; owned by the call */
	nx_capnp_struct results;  /* the results struct (empty on failure); views the call's
	                             message, readable while the call lives */
} nx_rpc_result;

/* Runs when the call returns (or fails: exception, disconnect, cancel by the peer).
 * `call` remains the caller's: free it here or later. */
typedef void (*nx_rpc_return_cb)(nx_rpc_call *call, const nx_rpc_result *result, void *userdata);

/* Starts a call of method `method_id` of `interface_id` on `target` (referenced, not taken).
 * *ret_params is the params struct, with `params_data_words` and `params_ptrs`, to fill with
 * the nx-capnp builder API until the call is sent. The call is owned by the caller.
 * Returns 0 or -ENOMEM (then *ret_call is untouched). A call on a dead or broken target is
 * created normally and fails when sent. Calling a local server cap directly (not through a
 * connection) is not supported yet: -EOPNOTSUPP. */
int nx_rpc_call_new(nx_rpc_cap *target, uint64_t interface_id, uint16_t method_id,
        uint16_t params_data_words, uint16_t params_ptrs, nx_rpc_call **ret_call,
        nx_capnp_bstruct *ret_params);

/* Adds `cap` (referenced, not taken) to the params' cap table; store *ret_index with
 * nx_capnp_bptr_set_cap() in a params pointer. -EMSGSIZE past NX_RPC_MAX_CAPS or more than
 * NX_MSG_MAX_FDS fd-bearing caps, -EALREADY if the call was sent. */
int nx_rpc_call_add_cap(nx_rpc_call *call, nx_rpc_cap *cap, uint32_t *ret_index);

/* Sends the call; `cb` runs once, later, from the loop (never from inside this function).
 * Returns 0, or a negative errno with nothing sent and cb never called: -EMSGSIZE (message over
 * NX_MSG_MAX_BYTES: result reason "too_large: ..."), -EBUSY (NX_RPC_MAX_QUESTIONS outstanding:
 * overloaded), -ENOTCONN (dead connection), the exception's errno for a broken target,
 * -EALREADY, -EINVAL (target is a promise on a call not sent yet). Except for -EALREADY and
 * -EINVAL the call then holds the matching failed result (nx_rpc_call_result()). */
int nx_rpc_call_send(nx_rpc_call *call, nx_rpc_return_cb cb, void *userdata);

/* Blocking form: sends if not sent yet, then runs the target connection's loop until the call
 * returns or CLOCK_MONOTONIC reaches `deadline_ns` (UINT64_MAX: none). Returns 0 with
 * *ret_result set (check result->error for an exception), -ETIMEDOUT (the call is canceled:
 * Finish sent), or a send error. Do not call from inside a loop callback of the same loop. */
int nx_rpc_call_wait(nx_rpc_call *call, uint64_t deadline_ns, const nx_rpc_result **ret_result);

/* The result if the call has completed, else NULL. */
const nx_rpc_result *nx_rpc_call_result(const nx_rpc_call *call);

/* A capability in the results' cap table: 0 with a new reference, -ENOENT if no such index
 * (or the index held no cap), -EAGAIN if the call has not returned. */
int nx_rpc_call_result_cap(nx_rpc_call *call, uint32_t index, nx_rpc_cap **ret);
/* Follows a capability pointer in the results (e.g. nx_capnp_struct_ptr(&res->results, 0))
 * and returns a new reference to the cap it names. -ENOENT for null / not a cap. */
int nx_rpc_call_result_cap_at(nx_rpc_call *call, const nx_capnp_ptr *p, nx_rpc_cap **ret);

/* Promise pipelining: a promise cap on the capability that the results will hold at pointer
 * path `path[0..depth)` (pointer field indexes from the results struct down). May be taken
 * before or after sending; calls on it may be sent as soon as `call` was sent, without waiting
 * for its return (sending one earlier fails with -EINVAL). The promise keeps the question open
 * (no Finish) until it and the call are both gone. Returns 0 with a new reference, -ENOMEM,
 * -EINVAL (depth > 16). */
int nx_rpc_call_pipeline(nx_rpc_call *call, const uint16_t *path, size_t depth, nx_rpc_cap **ret);

/* Frees the call. Before its return this cancels it (Finish): its callback never runs.
 * Takes NULL, returns NULL. */
nx_rpc_call *nx_rpc_call_free(nx_rpc_call *call);

/* ---- Client side: streaming (`-> stream` methods) ---------------------------------------- */

/* Sends `call` as a stream call: the caller gets no result, only flow control and errors.
 * The call is consumed on success (and on any error except -EAGAIN). -EAGAIN: the target's
 * window (NX_RPC_STREAM_WINDOW bytes) is full, nothing sent, the call is still the caller's;
 * wait with nx_rpc_stream_on_ready(). A stream call that failed makes every later one on the
 * same target fail with that error (sticky), returned here. */
int nx_rpc_stream_send(nx_rpc_call *call);
/* Runs once, from the loop, when a stream call sent with nx_rpc_stream_send_notify ends:
 * error 0 when the peer answered it, else the negative errno it failed with (its exception, or
 * the connection's end: the peer may or may not have acted on it). */
typedef void (*nx_rpc_stream_done_cb)(int error, void *userdata);
/* As nx_rpc_stream_send, and `done` (may be NULL) tells how this one call ended: a sender that
 * must account for what it streamed (nx-svc's log sink) learns which calls were never
 * answered. `done` does not run when this returns an error. */
int nx_rpc_stream_send_notify(nx_rpc_call *call, nx_rpc_stream_done_cb done, void *userdata);
/* 1 if a stream call may be sent on `target` now, 0 if the window is full, or the sticky
 * negative errno of a failed stream call. */
int nx_rpc_stream_ready(nx_rpc_cap *target);
/* `cb` runs once from the loop when `target`'s window has room again (or a stream call
 * failed: then `error` < 0). Replaces an earlier callback. Returns 0 when registered, 1 when
 * the window has room now (nothing registered: just send), or the sticky negative errno. */
typedef void (*nx_rpc_stream_cb)(nx_rpc_cap *target, int error, void *userdata);
int nx_rpc_stream_on_ready(nx_rpc_cap *target, nx_rpc_stream_cb cb, void *userdata);
/* Bytes of stream calls in flight on `target`. */
size_t nx_rpc_stream_in_flight(const nx_rpc_cap *target);

/* ---- Server side: incoming calls --------------------------------------------------------- */

/* The params struct (views the incoming message, valid until answered). */
int nx_rpc_incoming_params(nx_rpc_incoming *in, nx_capnp_struct *ret);
/* Capability `index` of the params' cap table: 0 with a new reference, -ENOENT if none. */
int nx_rpc_incoming_cap(nx_rpc_incoming *in, uint32_t index, nx_rpc_cap **ret);
/* Follows a capability pointer of the params; new reference. -ENOENT for null/not a cap. */
int nx_rpc_incoming_cap_at(nx_rpc_incoming *in, const nx_capnp_ptr *p, nx_rpc_cap **ret);
/* Starts the results struct (once). -EALREADY if already started. */
int nx_rpc_incoming_results(
        nx_rpc_incoming *in, uint16_t data_words, uint16_t nptrs, nx_capnp_bstruct *ret);
/* Adds `cap` (referenced, not taken) to the results' cap table. */
int nx_rpc_incoming_add_cap(nx_rpc_incoming *in, nx_rpc_cap *cap, uint32_t *ret_index);
/* Sends the results (empty if none started) and frees `in`; returns 0 (answered). If the
 * results exceed NX_MSG_MAX_BYTES the caller gets "too_large:" instead. Nothing is sent if the
 * caller canceled or the connection died meanwhile (nx_rpc_incoming_is_canceled() tells
 * before). -EINVAL for NULL, -EALREADY if `in` was answered during this dispatch. */
int nx_rpc_incoming_return(nx_rpc_incoming *in);
/* Answers with an exception and frees `in`; returns 0 (answered), -EINVAL, -EALREADY as
 * nx_rpc_incoming_return(). `reason` (copied, cut at NX_RPC_REASON_MAX) should start with a
 * section 9 code: this form passes on a reason that already has one (a forwarded failure). */
int nx_rpc_incoming_fail(nx_rpc_incoming *in, enum nx_rpc_exc type, const char *reason);
/* The handler's way to fail: answers with the exception for `err` (a negative errno, see
 * nx_rpc_exc_type_for_errno()), reason "<code of err>: <fmt formatted>", cut at
 * NX_RPC_REASON_MAX; frees `in`; returns 0 (answered), -EINVAL, -EALREADY as above. */
int nx_rpc_incoming_failf(nx_rpc_incoming *in, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* True once the caller sent Finish (canceled) or the connection died: answering is pointless. */
bool nx_rpc_incoming_is_canceled(const nx_rpc_incoming *in);
/* The connection the call came through. */
nx_rpc_conn *nx_rpc_incoming_conn(const nx_rpc_incoming *in);
/* The interface and method called (to run the handler again later: nx-svc's policy client). */
void nx_rpc_incoming_method(
        const nx_rpc_incoming *in, uint64_t *ret_interface_id, uint16_t *ret_method_id);
/* Runs once, from the loop, when the caller cancels the call (Finish before our Return) or the
 * connection dies while a handler holds `in` (NX_RPC_ASYNC). The callback should stop the work
 * and answer or drop `in` (nx_rpc_incoming_fail/_return, which then free it and return
 * -ECANCELED); `in` must not be used after that. */
typedef void (*nx_rpc_cancel_cb)(nx_rpc_incoming *in, void *userdata);
void nx_rpc_incoming_set_cancel_cb(nx_rpc_incoming *in, nx_rpc_cancel_cb cb, void *userdata);

#ifdef __cplusplus
}
#endif

#endif
