/* SPDX-License-Identifier: MIT */
/* The runtime of the generated typed API (typed.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc-int.h"
#include "typed.h"

/* ---- Capability tables ------------------------------------------------------------------- */

static int call_cap_get(void *ctx, uint32_t index, void **ret)
{
	nx_rpc_cap *cap;
	int r = nx_rpc_call_result_cap(ctx, index, &cap);

	if (r == 0)
		*ret = cap;
	return r;
}

static int call_cap_add(void *ctx, void *cap, uint32_t *ret_index)
{
	return nx_rpc_call_add_cap(ctx, cap, ret_index);
}

static int incoming_cap_get(void *ctx, uint32_t index, void **ret)
{
	nx_rpc_cap *cap;
	int r = nx_rpc_incoming_cap(ctx, index, &cap);

	if (r == 0)
		*ret = cap;
	return r;
}

static int incoming_cap_add(void *ctx, void *cap, uint32_t *ret_index)
{
	return nx_rpc_incoming_add_cap(ctx, cap, ret_index);
}

const struct nx_capnp_captable *rpc_call_captable(nx_rpc_call *call)
{
	call->captable = (struct nx_capnp_captable){call_cap_get, call_cap_add, call};
	return &call->captable;
}

const struct nx_capnp_captable *rpc_incoming_captable(nx_rpc_incoming *in)
{
	in->captable = (struct nx_capnp_captable){incoming_cap_get, incoming_cap_add, in};
	return &in->captable;
}

int nx_rpc_ptr_read_cap(const nx_capnp_ptr *p, nx_rpc_cap **ret)
{
	const struct nx_capnp_captable *t = p->msg ? p->msg->caps : NULL;
	uint32_t index;
	void *cap;
	int r = nx_capnp_ptr_read_cap(p, &index);

	if (r < 0)
		return r;
	if (index == NX_CAPNP_NO_CAP || !t)
		return -ENOENT;
	r = t->get(t->ctx, index, &cap);
	if (r < 0)
		return r;
	*ret = cap;
	return 0;
}

int nx_rpc_bptr_set_cap(const nx_capnp_bptr *p, nx_rpc_cap *cap)
{
	const struct nx_capnp_captable *t = p->b ? p->b->caps : NULL;
	uint32_t index;
	int r;

	if (!cap) {
		nx_capnp_bptr_set_null(p);
		return 0;
	}
	if (!t)
		return -EINVAL;
	r = t->add(t->ctx, cap, &index);
	return r < 0 ? r : nx_capnp_bptr_set_cap(p, index);
}

/* ---- Validation failures as section 9 reasons ---------------------------------------------- */

static void invalid_reason(int err, const struct nx_capnp_invalid *why, char *buf, size_t cap)
{
	size_t n = strlen(nx_rpc_reason_code(err));

	if (n + 2 >= cap) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, nx_rpc_reason_code(err), n);
	memcpy(buf + n, ": ", 2);
	(void)nx_capnp_invalid_describe(why, buf + n + 2, cap - n - 2);
}

/* Validates a returned call's results; a failure becomes the call's outcome. */
static int results_check(nx_rpc_call *call, const struct nx_capnp_desc *desc)
{
	char reason[NX_RPC_REASON_MAX + 1];
	struct nx_capnp_invalid why;
	int r = nx_capnp_validate(&call->res.results, desc, &why);

	if (r == 0)
		return 0;
	/* Whatever rule the server broke, to the client its answer is corrupt. */
	invalid_reason(-EBADMSG, &why, reason, sizeof(reason));
	rpc_call_set_failed(call, NX_RPC_EXC_FAILED, reason);
	return call->res.error;
}

/* ---- Client side ------------------------------------------------------------------------- */

static void typed_returned(nx_rpc_call *call, const nx_rpc_result *result, void *userdata)
{
	nx_capnp_struct empty = {0};

	if (result->error == 0)
		(void)results_check(call, call->typed.desc);
	if (call->typed.cb) /* NULL: the caller wanted no answer (a notice) */
		call->typed.done(call->typed.cb, call->typed.userdata, result->error,
		        result->reason, result->error < 0 ? &empty : &result->results);
	nx_rpc_call_free(call);
}

int nx_rpc_call_send_typed(nx_rpc_call *call, const struct nx_capnp_desc *results_desc,
        nx_rpc_typed_done done, void (*cb)(void), void *userdata)
{
	int r;

	call->typed.desc = results_desc;
	call->typed.done = done;
	call->typed.cb = cb;
	call->typed.userdata = userdata;
	r = nx_rpc_call_send(call, typed_returned, NULL);
	if (r < 0)
		nx_rpc_call_free(call);
	return r;
}

int nx_rpc_call_wait_typed(nx_rpc_call *call, uint64_t deadline_ns,
        const struct nx_capnp_desc *results_desc, nx_capnp_struct *ret_results)
{
	const nx_rpc_result *res;
	int r = nx_rpc_call_wait(call, deadline_ns, &res);

	if (r < 0)
		return r;
	if (res->error < 0)
		return res->error;
	r = results_check(call, results_desc);
	if (r < 0)
		return r;
	*ret_results = res->results;
	return 0;
}

/* ---- Server side ------------------------------------------------------------------------- */

int nx_rpc_incoming_params_valid(
        nx_rpc_incoming *in, const struct nx_capnp_desc *desc, nx_capnp_struct *ret_params)
{
	char reason[NX_RPC_REASON_MAX + 1];
	struct nx_capnp_invalid why = {.rule = NX_CAPNP_RULE_MALFORMED};
	nx_capnp_struct params;
	int r = nx_rpc_incoming_params(in, &params);

	if (r >= 0)
		r = nx_capnp_validate(&params, desc, &why);
	if (r < 0) {
		invalid_reason(r, &why, reason, sizeof(reason));
		(void)nx_rpc_incoming_fail(in, nx_rpc_exc_type_for_errno(r), reason);
		return r;
	}
	*ret_params = params;
	return 0;
}

int nx_rpc_incoming_return_built(nx_rpc_incoming *in, int built)
{
	if (built < 0)
		return nx_rpc_incoming_failf(in, built, "cannot build the results");
	return nx_rpc_incoming_return(in);
}
