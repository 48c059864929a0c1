/* SPDX-License-Identifier: MIT */
/*
 * nx: the human interface to a running Nexus (DESIGN.md section 10), on libnexus
 * (include/nexus/nexus.h): samgrd over $NEXUS_RUNTIME_DIR/samgr.sock, where its subject is
 * uid:<your uid>.
 *
 *   nx svc list [--json]     registered services and their owners
 *   nx svc resolve NAME      ask samgrd for a channel to NAME (checks ipc.connect.NAME)
 *   nx echo TEXT             resolve echod and call Echo.echo(TEXT)
 *
 * Exit codes: 0 success, 1 the system said no or is unreachable, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.capnp.h"
#include "nexus/nexus.h"
#include "samgr.capnp.h"

int nx_cmd_policy(int argc, char **argv); /* cmd-policy.c */
int nx_cmd_log(int argc, char **argv);    /* cmd-log.c */
int nx_cmd_status(int argc, char **argv); /* cmd-status.c */

struct session {
	nexus *nx;
	nx_rpc_cap *samgr;
};

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx svc list [--json]\n"
	        "       nx svc resolve NAME\n"
	        "       nx echo TEXT\n"
	        "       nx policy check|explain|version|show|reload|watch ... (nx policy --help)\n"
	        "       nx log append|query|tail|stats ... (nx log --help)\n"
	        "       nx status [--json]\n"
	        "       nx --help\n"
	        "Talks to samgrd at $NEXUS_RUNTIME_DIR/samgr.sock (default ./.nexus/run).\n"
	        "Exit codes: 0 success, 1 refused or unreachable, 2 usage.\n");
	return code;
}

/* Prints the failure the way scripts grep it: "nx: <section 9 code>: <sentence>". */
static int report(const struct session *s)
{
	fprintf(stderr, "nx: %s\n", nexus_last_error(s->nx));
	return 1;
}

/* samgrd through libnexus; svc list also calls Samgr itself, through its own resolve. */
static int session_open(struct session *s)
{
	int r = nexus_connect(&s->nx);

	if (r < 0) {
		fprintf(stderr, "nx: %s\n", nexus_last_error(NULL));
		return 1;
	}
	return 0;
}

static void session_close(struct session *s)
{
	nx_rpc_cap_unref(s->samgr);
	nexus_free(s->nx);
}

/* Sends and waits; 0 with *ret set, or reports and returns 1. */
static int call_wait(
        struct session *s, nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	return nexus_call_wait(s->nx, call, what, ret) < 0 ? report(s) : 0;
}

static int fail(struct session *s, int err, const char *what)
{
	nexus_set_error(s->nx, err, what);
	return report(s);
}

static void json_string(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int svc_list(struct session *s, bool json)
{
	const nx_rpc_result *res;
	Samgr_list_Params_b params;
	Samgr_list_Results out;
	nx_rpc_call *call;
	nx_capnp_list list;
	int r;

	if (nexus_samgr(s->nx, &s->samgr) < 0)
		return report(s);
	r = Samgr_list_new(s->samgr, &call, &params);
	if (r < 0)
		return fail(s, r, "list");
	r = call_wait(s, call, "list", &res);
	if (r == 0 && (Samgr_list_results_checked(res, &out) < 0 ||
	                      Samgr_list_Results_get_entries(out, &list) < 0))
		r = fail(s, -EBADMSG, "list");
	if (r == 0) {
		if (json)
			printf("[");
		else
			printf("%-24s %s\n", "NAME", "OWNER");
		for (uint32_t i = 0; i < list.count; i++) {
			Entry e = Entry_at(&list, i);
			const char *name = "", *owner = "";
			size_t nlen = 0, olen = 0;

			Entry_get_name(e, &name, &nlen);
			Entry_get_owner(e, &owner, &olen);
			if (json) {
				printf("%s{\"name\":", i ? "," : "");
				json_string(name, nlen);
				printf(",\"owner\":");
				json_string(owner, olen);
				printf("}");
			} else {
				printf("%-24.*s %.*s\n", (int)nlen, name, (int)olen, owner);
			}
		}
		if (json)
			printf("]\n");
	}
	nx_rpc_call_free(call);
	return r;
}

static int svc_resolve(struct session *s, const char *name)
{
	nx_rpc_cap *cap = NULL;
	int r = nexus_resolve(s->nx, name, &cap) < 0 ? report(s) : 0;

	if (r == 0)
		printf("%s: resolved (a fresh channel to its bootstrap)\n", name);
	nx_rpc_cap_unref(cap);
	return r;
}

static int echo(struct session *s, const char *text)
{
	const nx_rpc_result *res;
	Echo_echo_Params_b params;
	Echo_echo_Results out;
	nx_rpc_cap *echod = NULL;
	nx_rpc_call *call = NULL;
	const char *back, *subject;
	size_t blen, slen;
	int r;

	r = nexus_resolve(s->nx, "echod", &echod) < 0 ? report(s) : 0;
	if (r == 0 && (r = Echo_echo_new(echod, &call, &params)) < 0)
		r = fail(s, r, "echo");
	if (r == 0 && (r = Echo_echo_Params_set_text(params, text, strlen(text))) < 0)
		r = fail(s, r, "echo");
	if (r == 0)
		r = call_wait(s, call, "echo", &res);
	if (r == 0 && (Echo_echo_results_checked(res, &out) < 0 ||
	                      Echo_echo_Results_get_text(out, &back, &blen) < 0 ||
	                      Echo_echo_Results_get_subject(out, &subject, &slen) < 0))
		r = fail(s, -EBADMSG, "echo");
	if (r == 0)
		printf("%.*s (echod saw subject %.*s)\n", (int)blen, back, (int)slen, subject);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(echod);
	return r;
}

int main(int argc, char **argv)
{
	struct session s = {0};
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)
		return usage(stdout, 0);
	if (strcmp(argv[1], "policy") == 0)
		return nx_cmd_policy(argc - 1, argv + 1);
	if (strcmp(argv[1], "log") == 0)
		return nx_cmd_log(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return nx_cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "svc") == 0 && argc >= 3 && strcmp(argv[2], "list") == 0) {
		if (argc > 4 || (argc == 4 && strcmp(argv[3], "--json") != 0))
			return usage(stderr, 2);
		r = session_open(&s);
		if (r == 0)
			r = svc_list(&s, argc == 4);
	} else if (strcmp(argv[1], "svc") == 0 && argc == 4 && strcmp(argv[2], "resolve") == 0) {
		r = session_open(&s);
		if (r == 0)
			r = svc_resolve(&s, argv[3]);
	} else if (strcmp(argv[1], "echo") == 0 && argc == 3) {
		r = session_open(&s);
		if (r == 0)
			r = echo(&s, argv[2]);
	} else {
		return usage(stderr, 2);
	}
	session_close(&s);
	return r;
}
