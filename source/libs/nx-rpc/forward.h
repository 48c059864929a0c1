/* SPDX-License-Identifier: MIT */
/*
 * nx-rpc: forwarding an incoming call, whatever its interface and method, to a capability
 * on another connection (a proxy, a membrane). The params and their capabilities go to the
 * target as a new call; the results, their capabilities and any exception come back as the
 * answer. Capabilities cross both ways as nx-rpc's own: a cap the caller passed is exported
 * to the target's connection and the target's calls on it are forwarded back, and a cap the
 * target returned is exported to the caller; each is released when either side releases it
 * or its connection ends. Pipelined calls on the answer wait for it as on any answer.
 *
 * Flow control: while NX_RPC_FORWARD_WINDOW forwarded calls from one connection are in
 * flight, nx-rpc stops reading that connection (the sender waits in its own socket buffer),
 * so a slow target never makes the forwarder buffer without bound; reading resumes as
 * answers come back. Every forward counts, these and the ones nx-rpc makes itself for calls
 * on caps it only holds.
 */
#ifndef NX_RPC_FORWARD_H
#define NX_RPC_FORWARD_H

#include "nx-capnp/validate.h"
#include "nx-rpc/rpc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The caller cannot receive file descriptors: results holding a capability with an attached
 * fd (a VMO, an Endpoint) are refused with "unsupported: <field>: ..." instead of sent. */
#define NX_RPC_FORWARD_NO_FDS (1u << 0)

struct nx_rpc_forward_opts {
	unsigned flags; /* NX_RPC_FORWARD_* */
	/* Schemas to name a refused field by (NULL: the reason names none): a NULL-terminated
	 * array of capnpc-c's NULL-terminated `<prefix>_interfaces[]` tables. */
	const struct nx_capnp_iface_desc *const *const *schemas;
};

/* Forwards `in` (taken: it is answered once `target` answers, or fails with its exception,
 * or with "unavailable: ..." / "disconnected" when the target's connection is gone) to
 * `target` (referenced by the forwarded call while it is in flight). `opts` (may be NULL:
 * no flags) is borrowed until the answer. The caller canceling (Finish) or disconnecting
 * cancels the forwarded call. Returns NX_RPC_ASYNC, the dispatch convention of rpc.h for a
 * kept incoming, so a dispatch function can end with `return nx_rpc_forward(in, cap, o);`;
 * or 0 when it answered `in` at once (the target is broken, the call could not be built). */
int nx_rpc_forward(nx_rpc_incoming *in, nx_rpc_cap *target, const struct nx_rpc_forward_opts *opts);

/* Where in the results struct `results` (of `interface_id`.`method_id`) capability `index` is:
 * the path of field names from `schemas` (as in nx_rpc_forward_opts) that leads to it,
 * "vmo" or "box.counter", written to `buf` (NUL-terminated; cut between names to fit `cap`). Returns 0, or
 * -ENOENT when the schemas do not know the method or no field they name holds it. */
int nx_rpc_forward_name_cap(const struct nx_capnp_iface_desc *const *const *schemas,
        uint64_t interface_id, uint16_t method_id, const nx_capnp_struct *results, uint32_t index,
        char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
