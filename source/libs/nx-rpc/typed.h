/* SPDX-License-Identifier: MIT */
/*
 * nx-rpc: the runtime side of the typed API that capnpc-c generates. Generated code calls
 * these; people call the generated functions (`echo_echo(target, text, cb, userdata)`).
 *
 * Validation errors are answered as DESIGN.md section 9 reasons naming the field and the rule
 * from the schema: "invalid_argument: name: empty", "too_large: text: longer than 256 bytes",
 * "too_large: queries: more than 64 elements", "integrity: entry.fields[2]: malformed".
 */
#ifndef NX_RPC_TYPED_H
#define NX_RPC_TYPED_H

#include "nx-capnp/validate.h"
#include "nx-rpc/rpc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Capabilities inside params and results ---------------------------------------------- */

/* Follows the capability pointer `p` of a message nx-rpc handles (a call's results, an
 * incoming call's params). Returns 0 with a new reference, -ENOENT for a null pointer or a
 * message without a capability table, -EBADMSG for a pointer that is not a capability. */
int nx_rpc_ptr_read_cap(const nx_capnp_ptr *p, nx_rpc_cap **ret);

/* Stores `cap` (referenced, not taken; NULL stores a null pointer) at `p` of a message nx-rpc
 * builds (a call's params, an incoming call's results). 0, -EINVAL when the builder has no
 * capability table, or nx_rpc_call_add_cap()'s / nx_rpc_incoming_add_cap()'s errors. */
int nx_rpc_bptr_set_cap(const nx_capnp_bptr *p, nx_rpc_cap *cap);

/* ---- Client side ------------------------------------------------------------------------- */

/* Calls the generated typed callback `cb` (cast back by the generated `done`) with the
 * call's outcome. `results` views the call's message, valid during the call only. */
typedef void (*nx_rpc_typed_done)(void (*cb)(void), void *userdata, int error, const char *reason,
        const nx_capnp_struct *results);

/* Sends `call` (taken: freed in every case). Once, from the loop, the results are validated
 * against `results_desc` (the server is a peer: results that break the schema fail the call
 * with "integrity: <field>: <rule>"), then done(cb, userdata, error, reason, &results) runs
 * (not when cb is NULL: a call whose answer nobody needs) and the call is freed. Until then
 * the caller may cancel it with nx_rpc_call_free() (done never runs), so a caller that keeps
 * the pointer to cancel must forget it in its callback. Returns 0, or nx_rpc_call_send()'s error with done never run, or
 * -ENOMEM. */
int nx_rpc_call_send_typed(nx_rpc_call *call, const struct nx_capnp_desc *results_desc,
        nx_rpc_typed_done done, void (*cb)(void), void *userdata);

/* Waits for `call` (still the caller's) as nx_rpc_call_wait() does, then validates the
 * results as above. Returns 0 with *ret_results viewing the call's message (valid until the
 * call is freed), or a negative errno: a send error, -ETIMEDOUT, the exception's errno, or
 * -EBADMSG for results that break the schema. The reason is then in
 * nx_rpc_call_result(call) (after -ETIMEDOUT: "timeout: deadline passed"; NULL after the
 * send errors that leave none). */
int nx_rpc_call_wait_typed(nx_rpc_call *call, uint64_t deadline_ns,
        const struct nx_capnp_desc *results_desc, nx_capnp_struct *ret_results);

/* ---- Server side ------------------------------------------------------------------------- */

/* Reads the params of `in` and validates them against `desc`. Returns 0 with *ret_params
 * set; or, having answered `in` with the section 9 reason naming the field and the rule (and
 * so freed it), the negative errno: -EINVAL, -EMSGSIZE, -EBADMSG. */
int nx_rpc_incoming_params_valid(
        nx_rpc_incoming *in, const struct nx_capnp_desc *desc, nx_capnp_struct *ret_params);

/* Ends a handler that built its results: returns them (nx_rpc_incoming_return) when `built`
 * is >= 0, else fails `in` with `built`'s section 9 code. Either way `in` is answered and
 * freed, so this returns 0 (the answering convention, rpc.h), or -EINVAL / -EALREADY for
 * misuse as nx_rpc_incoming_return does. */
int nx_rpc_incoming_return_built(nx_rpc_incoming *in, int built);

#ifdef __cplusplus
}
#endif

#endif
