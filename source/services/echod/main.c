/* SPDX-License-Identifier: MIT */
/*
 * echod: the demo service of the first boot slice. Serves Echo (echo.capnp) to whoever
 * samgrd brokers to it, answering with the caller's own subject so tests can see the subject
 * travel from the broker to the service.
 */
#include <errno.h>
#include <string.h>

#include "echo.capnp.h"
#include "nx-log/log.h"
#include "svc.h"

static int echo_echo(void *impl, nx_rpc_incoming *in, Echo_echo_Params params)
{
	nx_svc *svc = impl;
	Echo_echo_Results_b res;
	const char *text, *subject;
	size_t len;
	int r;

	subject = nx_svc_subject(svc, in);
	if (!subject)
		return -EPERM; /* not through an accepted connection: nobody vouched for it */
	r = Echo_echo_Params_get_text(params, &text, &len);
	if (r >= 0)
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

int main(void)
{
	nx_rpc_cap *echo = NULL;
	nx_svc *svc = NULL;
	int r, code;

	r = nx_svc_new("echod", &svc); /* nx_log_init("echod") */
	if (r >= 0)
		r = Echo_server_new(&echo_vt, svc, NULL, &echo);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
		nx_svc_free(svc);
		return 1;
	}
	code = nx_svc_run(svc, echo);
	nx_svc_free(svc);
	nx_rpc_cap_unref(echo);
	return code;
}
