/* SPDX-License-Identifier: MIT */
/*
 * nx echo TEXT: resolves echod through samgrd and calls Echo.echo(TEXT); prints the text and
 * the subject echod saw. A TEXT starting with '-' follows "--" (nx echo -- --help).
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "echo.capnp.h"

int nx_cmd_echo(int argc, char **argv);

static int help(void)
{
	printf("usage: nx echo [--] TEXT\n\n"
	       "Resolves echod through samgrd (needs ipc.connect.echod) and calls Echo.echo(TEXT);\n"
	       "prints TEXT back and the subject echod saw for this connection.\n"
	       "Exit codes: 0 success, 1 refused or failed, 2 usage.\n");
	return NXT_EXIT_OK;
}

int nx_cmd_echo(int argc, char **argv)
{
	struct nxt_session s = {0};
	echo_echo_results out;
	nx_rpc_call *call = NULL;
	const char *back = "", *subject = "", *text;
	size_t blen = 0, slen = 0;
	int r;

	if (nxt_wants_help(argc - 1, argv + 1))
		return help();
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc != 2)
		return argc < 2 ? nxt_usage_error("echo", "missing TEXT")
		                : nxt_usage_error("echo", "one TEXT only ('%s' is extra)", argv[2]);
	text = argv[1];
	r = nxt_session_open(&s, "echod");
	if (r == 0) {
		r = echo_echo_wait(echo_from_cap(s.svc), text, nexus_deadline(s.nx), &call, &out);
		if (r < 0) {
			r = nxt_report_call(&s, call, r, "echo");
		} else {
			(void)echo_echo_results_get_text(
			        out, &back, &blen); /* results are validated */
			(void)echo_echo_results_get_subject(out, &subject, &slen);
			printf("%.*s (echod saw subject %.*s)\n", (int)blen, back, (int)slen,
			        subject);
		}
		nx_rpc_call_free(call);
	}
	nxt_session_close(&s);
	return r;
}
