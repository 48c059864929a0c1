/* SPDX-License-Identifier: MIT */
/*
 * gated: the smallest service that asks policyd, for tests/e2e/policy-client.sh. Serves Echo
 * (echo.capnp) as service "gated"; each call asks, with one nx_svc_allowed call, whether the
 * caller holds `gate.<text>`, and echoes the text if so. The capability depends on the
 * request (as samgrd's ipc.connect.<name> does), so one connection can ask fresh questions.
 * While policyd cannot be asked the interim rule lets only svc: subjects through.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "echo.capnp.h"
#include "nx-log/log.h"
#include "svc.h"

#define GATE_PREFIX "gate."

static const struct pol_grant interim_rule[] = {
        {"svc:*", "gate.*"},
};

static int echo_echo(void *impl, nx_rpc_incoming *in, Echo_echo_Params params)
{
	nx_svc *svc = impl;
	char cap[POL_CACHE_CAP_MAX + 1], reason[NX_RPC_REASON_MAX + 1];
	Echo_echo_Results_b res;
	const char *text, *subject = nx_svc_subject(svc, in);
	bool allowed = false;
	size_t len;
	int r;

	r = Echo_echo_Params_get_text(params, &text, &len);
	if (r < 0)
		return r;
	if (!subject || len == 0 || len > sizeof(cap) - sizeof(GATE_PREFIX))
		return -EINVAL;
	snprintf(cap, sizeof(cap), GATE_PREFIX "%.*s", (int)len, text);
	r = nx_svc_allowed(svc, in, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed) {
		snprintf(reason, sizeof(reason), "denied: %s lacks %s", subject, cap);
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, reason), 0;
	}
	r = Echo_echo_results_init(in, &res);
	if (r >= 0)
		r = Echo_echo_Results_set_text(res, text, len);
	if (r >= 0)
		r = Echo_echo_Results_set_subject(res, subject, strlen(subject));
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct Echo_server echo_vt = {
        .echo = echo_echo,
};

static int gated_dispatch(
        void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	return Echo_dispatch(&echo_vt, impl, in, interface_id, method_id);
}

int main(void)
{
	nx_rpc_cap *echo = NULL;
	nx_svc *svc = NULL;
	int r, code = 1;

	r = nx_svc_new("gated", &svc);
	if (r >= 0)
		r = nx_svc_policy_start(svc, interim_rule,
		        sizeof(interim_rule) / sizeof(interim_rule[0]), gated_dispatch, svc);
	if (r >= 0)
		r = Echo_server_new(&echo_vt, svc, NULL, &echo);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
	else
		code = nx_svc_run(svc, echo);
	nx_svc_free(svc);
	nx_rpc_cap_unref(echo);
	return code;
}
