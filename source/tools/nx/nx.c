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
#include <stdio.h>
#include <string.h>

#include "echo.capnp.h"
#include "common.h"
#include "samgr.capnp.h"

int nx_cmd_policy(int argc, char **argv); /* cmd-policy.c */
int nx_cmd_log(int argc, char **argv);    /* cmd-log.c */
int nx_cmd_status(int argc, char **argv); /* cmd-status.c */
int nx_cmd_fs(int argc, char **argv);     /* cmd-fs.c */
int nx_cmd_bundle(int argc, char **argv); /* cmd-bundle.c */

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx svc list [--json]\n"
	        "       nx svc resolve NAME\n"
	        "       nx echo TEXT\n"
	        "       nx policy check|explain|version|show|reload|watch ... (nx policy --help)\n"
	        "       nx log append|query|tail|stats ... (nx log --help)\n"
	        "       nx status [--json]\n"
	        "       nx fs ls|stat|cat|put|mkdir|rm|mv ... (nx fs --help)\n"
	        "       nx bundle keygen|pack|inspect|install|list|info|cat|remove ... (nx bundle --help)\n"
	        "       nx --help\n"
	        "Talks to samgrd at $NEXUS_RUNTIME_DIR/samgr.sock (default ./.nexus/run).\n"
	        "Exit codes: 0 success, 1 refused or unreachable, 2 usage.\n");
	return code;
}

static void print_entries(samgr_list_results out, bool json)
{
	nx_capnp_list list = {0};

	(void)samgr_list_results_get_entries(out, &list); /* results are validated */
	if (json)
		printf("[");
	else
		printf("%-24s %s\n", "NAME", "OWNER");
	for (uint32_t i = 0; i < list.count; i++) {
		samgr_entry e = samgr_entry_at(&list, i);
		const char *name = "", *owner = "";
		size_t nlen = 0, olen = 0;

		(void)samgr_entry_get_name(e, &name, &nlen);
		(void)samgr_entry_get_owner(e, &owner, &olen);
		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			nxt_json_string(name, nlen);
			printf(",\"owner\":");
			nxt_json_string(owner, olen);
			printf("}");
		} else {
			printf("%-24.*s %.*s\n", (int)nlen, name, (int)olen, owner);
		}
	}
	if (json)
		printf("]\n");
}

static int svc_list(struct nxt_session *s, bool json)
{
	samgr_list_results out;
	nx_rpc_call *call;
	int r;

	if (nexus_samgr(s->nx, &s->svc) < 0)
		return nxt_report_last(s->nx);
	r = samgr_list_wait(samgr_from_cap(s->svc), nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "list");
	else
		print_entries(out, json);
	nx_rpc_call_free(call);
	return r;
}

static int svc_resolve(struct nxt_session *s, const char *name)
{
	nx_rpc_cap *cap = NULL;

	if (nexus_resolve(s->nx, name, &cap) < 0)
		return nxt_report_last(s->nx);
	printf("%s: resolved (a fresh channel to its bootstrap)\n", name);
	nx_rpc_cap_unref(cap);
	return 0;
}

/* s->svc is echod. */
static int echo(struct nxt_session *s, const char *text)
{
	echo_echo_results out;
	nx_rpc_call *call;
	const char *back = "", *subject = "";
	size_t blen = 0, slen = 0;
	int r;

	r = echo_echo_wait(echo_from_cap(s->svc), text, nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "echo");
	} else {
		(void)echo_echo_results_get_text(out, &back, &blen); /* results are validated */
		(void)echo_echo_results_get_subject(out, &subject, &slen);
		printf("%.*s (echod saw subject %.*s)\n", (int)blen, back, (int)slen, subject);
	}
	nx_rpc_call_free(call);
	return r;
}

int main(int argc, char **argv)
{
	struct nxt_session s = {0};
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
	if (strcmp(argv[1], "fs") == 0)
		return nx_cmd_fs(argc - 1, argv + 1);
	if (strcmp(argv[1], "bundle") == 0)
		return nx_cmd_bundle(argc - 1, argv + 1);
	if (strcmp(argv[1], "svc") == 0 && argc >= 3 && strcmp(argv[2], "list") == 0) {
		if (argc > 4 || (argc == 4 && strcmp(argv[3], "--json") != 0))
			return usage(stderr, 2);
		r = nxt_session_open(&s, NULL);
		if (r == 0)
			r = svc_list(&s, argc == 4);
	} else if (strcmp(argv[1], "svc") == 0 && argc == 4 && strcmp(argv[2], "resolve") == 0) {
		r = nxt_session_open(&s, NULL);
		if (r == 0)
			r = svc_resolve(&s, argv[3]);
	} else if (strcmp(argv[1], "echo") == 0 && argc == 3) {
		r = nxt_session_open(&s, "echod");
		if (r == 0)
			r = echo(&s, argv[2]);
	} else {
		return usage(stderr, 2);
	}
	nxt_session_close(&s);
	return r;
}
