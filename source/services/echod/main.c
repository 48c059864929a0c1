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

static int serve_echo(void *impl, nx_rpc_incoming *in, echo_echo_params params)
{
	const char *text, *subject;
	size_t len;

	subject = nx_svc_subject(impl, in);
	if (!subject)
		return -EPERM; /* not through an accepted connection: nobody vouched for it */
	/* The dispatcher validated the params (text at most ECHO_TEXT_MAX_LEN, no NUL). */
	(void)echo_echo_params_get_text(params, &text, &len);
	return echo_echo_return(in, text, subject); /* answers, or fails naming why */
}

static const struct echo_server echo_vt = {.echo = serve_echo};

int main(void)
{
	struct echo *echo = NULL;
	nx_svc *svc = NULL;
	int r, code;

	r = nx_svc_new("echod", &svc); /* nx_log_init("echod") */
	if (r >= 0)
		r = echo_server_new(&echo_vt, svc, NULL, &echo);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
		nx_svc_free(svc);
		return 1;
	}
	code = nx_svc_run(svc, echo_cap(echo));
	nx_svc_free(svc);
	nx_rpc_cap_unref(echo_cap(echo));
	return code;
}
