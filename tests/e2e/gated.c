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

static int serve_echo(void *impl, nx_rpc_incoming *in, echo_echo_params params)
{
	nx_svc *svc = impl;
	char cap[POL_CACHE_CAP_MAX + 1];
	const char *text, *subject = nx_svc_subject(svc, in);
	bool allowed = false;
	size_t len;
	int r;

	(void)echo_echo_params_get_text(params, &text, &len); /* validated by the dispatcher */
	if (!subject || len == 0 || len > sizeof(cap) - sizeof(GATE_PREFIX))
		return -EINVAL;
	snprintf(cap, sizeof(cap), GATE_PREFIX "%s", text);
	r = nx_svc_allowed(svc, in, cap, &allowed);
	if (r != 0)
		return r; /* NX_RPC_ASYNC: held; this runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks %s", subject, cap);
	return echo_echo_return(in, text, subject);
}

static const struct echo_server echo_vt = {.echo = serve_echo};

static int gated_dispatch(
        void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	return echo_dispatch(&echo_vt, impl, in, interface_id, method_id);
}

int main(void)
{
	struct echo *echo = NULL;
	nx_svc *svc = NULL;
	int r, code = 1;

	r = nx_svc_new("gated", &svc);
	if (r >= 0)
		r = nx_svc_policy_start(svc, interim_rule,
		        sizeof(interim_rule) / sizeof(interim_rule[0]), gated_dispatch, svc);
	if (r >= 0)
		r = echo_server_new(&echo_vt, svc, NULL, &echo);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
	else
		code = nx_svc_run(svc, echo_cap(echo));
	nx_svc_free(svc);
	nx_rpc_cap_unref(echo_cap(echo));
	return code;
}
