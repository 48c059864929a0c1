/* SPDX-License-Identifier: MIT */
/*
 * nx whoami / nx session: who this connection is, and the live sessions (identity.capnp).
 *
 *   nx whoami [--json]        the subject identityd sees (user:<name> when logged in, else
 *                             uid:<n>) and the saved session's id and expiry
 *   nx session list [--json]  live sessions: your own as user:<name>, everyone's with
 *                             identity.admin
 *   nx session revoke ID      end session ID (yours, or any with identity.admin)
 *
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "identity.capnp.h"

int nx_cmd_whoami(int argc, char **argv);
int nx_cmd_session(int argc, char **argv);

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx whoami [--json]         your subject and session\n"
	        "       nx session list [--json]   live sessions (yours; all with identity.admin)\n"
	        "       nx session revoke ID       end session ID\n");
	return code;
}

/* "2026-12-03T12:00:00Z" for a realtime ns. */
static void utc(uint64_t ns, char *buf, size_t size)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!gmtime_r(&sec, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, size, "?");
}

static void print_session(identity_session s, bool json, bool first)
{
	char created[32], expires[32];
	const char *user = "";
	size_t len = 0;

	(void)identity_session_get_user(s, &user, &len);
	if (json) {
		printf("%s{\"id\":%" PRIu64 ",\"user\":", first ? "" : ",",
		        identity_session_get_id(s));
		nxt_json_string(user, len);
		printf(",\"created_ns\":%" PRIu64 ",\"expires_ns\":%" PRIu64 "}",
		        identity_session_get_created_at(s), identity_session_get_expires_at(s));
		return;
	}
	utc(identity_session_get_created_at(s), created, sizeof(created));
	utc(identity_session_get_expires_at(s), expires, sizeof(expires));
	printf("%-8" PRIu64 " %-32.*s %s  %s\n", identity_session_get_id(s), (int)len, user,
	        created, expires);
}

static int whoami(struct nxt_session *s, bool json)
{
	uint8_t token[IDN_TOKEN_BYTES];
	identity_whoami_results out;
	nx_rpc_call *call = NULL;
	const char *subject = "";
	size_t slen = 0, tlen;
	bool has;
	int r = nxt_session_open(s, "identityd");

	if (r != 0)
		return r;
	/* The session only when samgrd took it: a dead token would fail the whole call. */
	tlen = s->authenticated && nxt_token_load(token) == 0 ? sizeof(token) : 0;
	r = identity_whoami_wait(
	        identity_from_cap(s->svc), token, tlen, nexus_deadline(s->nx), &call, &out);
	explicit_bzero(token, sizeof(token));
	if (r < 0) {
		r = nxt_report_call(s, call, r, "whoami");
		nx_rpc_call_free(call);
		return r;
	}
	(void)identity_whoami_results_get_subject(out, &subject, &slen);
	has = identity_whoami_results_has_session(out);
	if (json) {
		printf("{\"subject\":");
		nxt_json_string(subject, slen);
		printf(",\"session\":");
		if (has)
			print_session(identity_whoami_results_get_session(out), true, true);
		else
			printf("null");
		printf("}\n");
	} else {
		printf("%.*s\n", (int)slen, subject);
		if (has) {
			printf("%-8s %-32s %-20s  %s\n", "SESSION", "USER", "CREATED", "EXPIRES");
			print_session(identity_whoami_results_get_session(out), false, true);
		}
	}
	nx_rpc_call_free(call);
	return 0;
}

static int session_list(struct nxt_session *s, bool json)
{
	identity_list_sessions_results out;
	nx_capnp_list list = {0};
	nx_rpc_call *call = NULL;
	int r = nxt_session_open(s, "identityd");

	if (r != 0)
		return r;
	r = identity_list_sessions_wait(
	        identity_from_cap(s->svc), nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "list");
		nx_rpc_call_free(call);
		return r;
	}
	(void)identity_list_sessions_results_get_sessions(out, &list);
	if (json)
		printf("[");
	else
		printf("%-8s %-32s %-20s  %s\n", "SESSION", "USER", "CREATED", "EXPIRES");
	for (uint32_t i = 0; i < list.count; i++)
		print_session(identity_session_at(&list, i), json, i == 0);
	if (json)
		printf("]\n");
	nx_rpc_call_free(call);
	return 0;
}

static int session_revoke(struct nxt_session *s, const char *text)
{
	identity_revoke_results out;
	nx_rpc_call *call = NULL;
	unsigned long long id;
	char *end;
	int r;

	errno = 0;
	id = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno) {
		fprintf(stderr, "nx: session revoke: ID: %s is not a session number\n", text);
		return 2;
	}
	r = nxt_session_open(s, "identityd");
	if (r != 0)
		return r;
	r = identity_revoke_wait(identity_from_cap(s->svc), id, nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "revoke");
	else
		printf("session %llu revoked\n", id);
	nx_rpc_call_free(call);
	return r;
}

int nx_cmd_whoami(int argc, char **argv)
{
	struct nxt_session s = {0};
	int r;

	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0)) {
		fprintf(stderr, "nx: whoami: %s: not understood\n", argv[argc - 1]);
		return usage(stderr, 2);
	}
	r = whoami(&s, argc == 2);
	nxt_session_close(&s);
	return r;
}

int nx_cmd_session(int argc, char **argv)
{
	struct nxt_session s = {0};
	const char *sub = argc >= 2 ? argv[1] : "";
	int r;

	if (argc >= 2 && strcmp(argv[argc - 1], "--help") == 0)
		return usage(stdout, 0);
	if (strcmp(sub, "list") == 0 &&
	        (argc == 2 || (argc == 3 && strcmp(argv[2], "--json") == 0)))
		r = session_list(&s, argc == 3);
	else if (strcmp(sub, "revoke") == 0 && argc == 3)
		r = session_revoke(&s, argv[2]);
	else {
		fprintf(stderr, "nx: session: %s: not understood\n",
		        argc >= 2 ? argv[argc - 1] : "nothing to do");
		return usage(stderr, 2);
	}
	nxt_session_close(&s);
	return r;
}
