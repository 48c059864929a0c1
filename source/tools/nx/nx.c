/* SPDX-License-Identifier: MIT */
/*
 * nx: the human interface to a running Nexus (DESIGN.md section 10). This first cut talks to
 * samgrd over $NEXUS_RUNTIME_DIR/samgr.sock, where its subject is uid:<your uid>.
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
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "samgr.capnp.h"

#define CALL_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

int nx_cmd_policy(int argc, char **argv); /* cmd-policy.c */
int nx_cmd_log(int argc, char **argv);    /* cmd-log.c */

struct session {
	nx_loop *loop;
	nx_rpc_conn *conn;
	nx_rpc_cap *samgr;
};

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: nx svc list [--json]\n"
	           "       nx svc resolve NAME\n"
	           "       nx echo TEXT\n"
	           "       nx policy check|explain|version|reload|watch ... (nx policy --help)\n"
	           "       nx log append|query|tail|stats ... (nx log --help)\n"
	           "       nx --help\n"
	           "Talks to samgrd at $NEXUS_RUNTIME_DIR/samgr.sock (default ./.nexus/run).\n"
	           "Exit codes: 0 success, 1 refused or unreachable, 2 usage.\n");
	return code;
}

/* Prints the failure the way scripts grep it: "nx: <section 9 code>: <sentence>". */
static int report(const char *what, int err, const nx_rpc_result *res)
{
	if (res && res->reason && *res->reason)
		fprintf(stderr, "nx: %s\n", res->reason);
	else
		fprintf(stderr, "nx: %s: %s: %s\n", nx_rpc_reason_code(err), what, strerror(-err));
	return 1;
}

static int session_open(struct session *s)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	char path[256];
	int fd, r;

	if (!dir || !*dir)
		dir = "./.nexus/run";
	if ((size_t)snprintf(path, sizeof(path), "%s/samgr.sock", dir) >= sizeof(path))
		return report("NEXUS_RUNTIME_DIR", -ENAMETOOLONG, NULL);
	r = nx_connect_unix(path, &fd);
	if (r < 0)
		return report(path, r, NULL);
	r = nx_loop_new(&s->loop);
	if (r < 0) {
		nx_fd_close(fd);
		return report("loop", r, NULL);
	}
	r = nx_rpc_conn_new(s->loop, fd, NULL, &s->conn);
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(s->conn, &s->samgr);
	return r < 0 ? report("connect", r, NULL) : 0;
}

static void session_close(struct session *s)
{
	nx_rpc_cap_unref(s->samgr);
	nx_rpc_conn_free(s->conn);
	nx_loop_free(s->loop);
}

/* Sends and waits; 0 with *ret set, or reports and returns 1. */
static int call_wait(nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	int r = nx_rpc_call_wait(call, nx_clock_monotonic_ns() + CALL_TIMEOUT_NS, ret);

	if (r < 0)
		return report(what, r, NULL);
	if ((*ret)->error < 0)
		return report(what, (*ret)->error, *ret);
	return 0;
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

	r = Samgr_list_new(s->samgr, &call, &params);
	if (r < 0)
		return report("list", r, NULL);
	r = call_wait(call, "list", &res);
	if (r == 0 && (Samgr_list_results_checked(res, &out) < 0 ||
	                      Samgr_list_Results_get_entries(out, &list) < 0))
		r = report("list", -EBADMSG, NULL);
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

/* A connection to `name` through samgrd, as a new nx_rpc_conn; its bootstrap in *ret. */
static int resolve(struct session *s, const char *name, nx_rpc_conn **ret_conn, nx_rpc_cap **ret)
{
	const nx_rpc_result *res;
	Samgr_resolve_Params_b params;
	nx_rpc_call *call;
	nx_rpc_cap *ep = NULL;
	nx_capnp_ptr p;
	int fd = -1, r;

	r = Samgr_resolve_new(s->samgr, &call, &params);
	if (r < 0)
		return report("resolve", r, NULL);
	r = Samgr_resolve_Params_set_name(params, name, strlen(name));
	if (r < 0) {
		nx_rpc_call_free(call);
		return report("resolve", r, NULL);
	}
	r = call_wait(call, "resolve", &res);
	if (r == 0) {
		p = nx_capnp_struct_ptr(&res->results, 0);
		if (nx_rpc_call_result_cap_at(call, &p, &ep) < 0 ||
		        (fd = nx_rpc_cap_dup_fd(ep)) < 0)
			r = report("resolve: endpoint", -EBADMSG, NULL);
	}
	nx_rpc_cap_unref(ep);
	nx_rpc_call_free(call);
	if (r)
		return r;
	r = nx_rpc_conn_new(s->loop, fd, NULL, ret_conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(*ret_conn, ret);
	return r < 0 ? report("resolve", r, NULL) : 0;
}

static int svc_resolve(struct session *s, const char *name)
{
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *cap = NULL;
	int r = resolve(s, name, &conn, &cap);

	if (r == 0)
		printf("%s: resolved (a fresh channel to its bootstrap)\n", name);
	nx_rpc_cap_unref(cap);
	nx_rpc_conn_free(conn);
	return r;
}

static int echo(struct session *s, const char *text)
{
	const nx_rpc_result *res;
	Echo_echo_Params_b params;
	Echo_echo_Results out;
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *echod = NULL;
	nx_rpc_call *call = NULL;
	const char *back, *subject;
	size_t blen, slen;
	int r;

	r = resolve(s, "echod", &conn, &echod);
	if (r == 0 && (r = Echo_echo_new(echod, &call, &params)) < 0)
		r = report("echo", r, NULL);
	if (r == 0 && (r = Echo_echo_Params_set_text(params, text, strlen(text))) < 0)
		r = report("echo", r, NULL);
	if (r == 0)
		r = call_wait(call, "echo", &res);
	if (r == 0 && (Echo_echo_results_checked(res, &out) < 0 ||
	                      Echo_echo_Results_get_text(out, &back, &blen) < 0 ||
	                      Echo_echo_Results_get_subject(out, &subject, &slen) < 0))
		r = report("echo", -EBADMSG, NULL);
	if (r == 0)
		printf("%.*s (echod saw subject %.*s)\n", (int)blen, back, (int)slen, subject);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(echod);
	nx_rpc_conn_free(conn);
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
