/* SPDX-License-Identifier: MIT */
/*
 * nx policy: ask policyd (policy.capnp) through samgrd, as uid:<your uid>.
 *
 *   nx policy check SUBJECT CAP [--json]     exit 0 allowed, 1 denied
 *   nx policy explain SUBJECT CAP [--json]   the deciding rule; exit 0 allowed, 1 denied
 *   nx policy version [--json]               the version in force
 *   nx policy show [--json]                  the version in force and the rules: policyd's
 *                                            Policy interface does not expose its rules, so
 *                                            this says so (rules: null in JSON)
 *   nx policy reload [--json]                re-read the policy directory (policy.reload)
 *   nx policy watch [COUNT]                  print versions as they change (the first line is
 *                                            the version in force); stop after COUNT lines
 *
 * Exit codes: 0 success (allowed), 1 denied, refused or unreachable, 2 usage.
 * The connection is libnexus (include/nexus/nexus.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "policy.capnp.h"

int nx_cmd_policy(int argc, char **argv);

struct psession {
	struct nxt_session base; /* base.svc: policyd */
	bool json;
	unsigned seen, want; /* watch */
	int status;
};

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx policy check SUBJECT CAP [--json]    exit 0 allowed, 1 denied\n"
	        "       nx policy explain SUBJECT CAP [--json]  the rule that decides\n"
	        "       nx policy version [--json]              the policy version in force\n"
	        "       nx policy show [--json]                 version and rules (if exposed)\n"
	        "       nx policy reload [--json]               re-read the policy (policy.reload)\n"
	        "       nx policy watch [COUNT]                 print versions as they change\n"
	        "       nx policy --help\n"
	        "Asks policyd, resolved through samgrd at $NEXUS_RUNTIME_DIR/samgr.sock.\n"
	        "Exit codes: 0 success/allowed, 1 denied, refused or unreachable, 2 usage.\n");
	return code;
}

/* check and explain: exit 0 allowed, 1 denied. */
static int cmd_check(struct psession *s, const char *subject, const char *cap)
{
	Policy_check_Params_b params;
	Policy_check_Results out;
	const nx_rpc_result *res;
	nx_rpc_call *call;
	bool allowed;
	int r;

	r = Policy_check_new(s->base.svc, &call, &params);
	if (r < 0)
		return nxt_report("check", r, NULL);
	r = Policy_check_Params_set_subject(params, subject, strlen(subject));
	if (r >= 0)
		r = Policy_check_Params_set_cap(params, cap, strlen(cap));
	r = r < 0 ? nxt_report("check", r, NULL) : nxt_call_wait(&s->base, call, "check", &res);
	if (r == 0 && Policy_check_results_checked(res, &out) < 0)
		r = nxt_report("check", -EBADMSG, NULL);
	if (r == 0) {
		allowed = Policy_check_Results_get_allowed(out);
		if (s->json) {
			printf("{\"subject\":");
			nxt_json_string(subject, strlen(subject));
			printf(",\"cap\":");
			nxt_json_string(cap, strlen(cap));
			printf(",\"allowed\":%s}\n", allowed ? "true" : "false");
		} else {
			printf("%s\n", allowed ? "allowed" : "denied");
		}
		r = allowed ? 0 : 1;
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_explain(struct psession *s, const char *subject, const char *cap)
{
	Policy_explain_Params_b params;
	Policy_explain_Results out;
	const nx_rpc_result *res;
	const char *rule = "", *file = "";
	size_t rlen = 0, flen = 0;
	nx_rpc_call *call;
	bool allowed, by_default;
	unsigned line;
	int r;

	r = Policy_explain_new(s->base.svc, &call, &params);
	if (r < 0)
		return nxt_report("explain", r, NULL);
	r = Policy_explain_Params_set_subject(params, subject, strlen(subject));
	if (r >= 0)
		r = Policy_explain_Params_set_cap(params, cap, strlen(cap));
	r = r < 0 ? nxt_report("explain", r, NULL) : nxt_call_wait(&s->base, call, "explain", &res);
	if (r == 0 && (Policy_explain_results_checked(res, &out) < 0 ||
	                      Policy_explain_Results_get_rule(out, &rule, &rlen) < 0 ||
	                      Policy_explain_Results_get_file(out, &file, &flen) < 0))
		r = nxt_report("explain", -EBADMSG, NULL);
	if (r == 0) {
		allowed = Policy_explain_Results_get_allowed(out);
		by_default = Policy_explain_Results_get_by_default(out);
		line = Policy_explain_Results_get_line(out);
		if (s->json) {
			printf("{\"subject\":");
			nxt_json_string(subject, strlen(subject));
			printf(",\"cap\":");
			nxt_json_string(cap, strlen(cap));
			printf(",\"allowed\":%s,\"rule\":", allowed ? "true" : "false");
			nxt_json_string(rule, rlen);
			printf(",\"file\":");
			nxt_json_string(file, flen);
			printf(",\"line\":%u,\"byDefault\":%s}\n", line,
			        by_default ? "true" : "false");
		} else if (by_default) {
			printf("denied by default (%.*s)\n", (int)rlen, rule);
		} else {
			printf("%s by %.*s:%u: %.*s\n", allowed ? "allowed" : "denied", (int)flen,
			        file, line, (int)rlen, rule);
		}
		r = allowed ? 0 : 1;
	}
	nx_rpc_call_free(call);
	return r;
}

static void print_version(const struct psession *s, const char *v, size_t len)
{
	if (s->json) {
		printf("{\"version\":");
		nxt_json_string(v, len);
		printf("}\n");
	} else {
		printf("%.*s\n", (int)len, v);
	}
}

static int cmd_version(struct psession *s, bool show)
{
	Policy_version_Params_b params;
	Policy_version_Results out;
	const nx_rpc_result *res;
	nx_rpc_call *call;
	const char *v;
	size_t len;
	int r;

	r = Policy_version_new(s->base.svc, &call, &params);
	if (r < 0)
		return nxt_report("version", r, NULL);
	r = nxt_call_wait(&s->base, call, "version", &res);
	if (r == 0 && (Policy_version_results_checked(res, &out) < 0 ||
	                      Policy_version_Results_get_version(out, &v, &len) < 0))
		r = nxt_report("version", -EBADMSG, NULL);
	if (r == 0 && !show) {
		print_version(s, v, len);
	} else if (r == 0 && s->json) {
		printf("{\"version\":");
		nxt_json_string(v, len);
		printf(",\"rules\":null}\n");
	} else if (r == 0) {
		printf("version %.*s\n", (int)len, v);
		printf("rules: not exposed by policyd (Policy has check, explain, version; see "
		       "nx policy explain)\n");
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_reload(struct psession *s)
{
	Policy_reload_Params_b params;
	Policy_reload_Results out;
	const nx_rpc_result *res;
	nx_rpc_call *call;
	const char *v;
	size_t len;
	int r;

	r = Policy_reload_new(s->base.svc, &call, &params);
	if (r < 0)
		return nxt_report("reload", r, NULL);
	r = nxt_call_wait(&s->base, call, "reload", &res);
	if (r == 0 && (Policy_reload_results_checked(res, &out) < 0 ||
	                      Policy_reload_Results_get_version(out, &v, &len) < 0))
		r = nxt_report("reload", -EBADMSG, NULL);
	if (r == 0)
		print_version(s, v, len);
	nx_rpc_call_free(call);
	return r;
}

/* ---- watch: serve a PolicyWatcher until COUNT versions arrived or policyd goes ---- */

static int watcher_changed(void *impl, nx_rpc_incoming *in, PolicyWatcher_changed_Params params)
{
	struct psession *s = impl;
	const char *v;
	size_t len;
	int r;

	r = PolicyWatcher_changed_Params_get_version(params, &v, &len);
	if (r < 0)
		return r;
	printf("version %.*s\n", (int)len, v);
	nx_rpc_incoming_return(in);
	if (s->want && ++s->seen >= s->want) {
		s->status = 0;
		nx_loop_quit(s->base.loop, 0);
	}
	return 0;
}

static const struct PolicyWatcher_server watcher_vt = {
        .changed = watcher_changed,
};

static void on_disconnect(nexus *nx, const char *name, int error, void *userdata)
{
	struct psession *s = userdata;

	fprintf(stderr, "nx: unavailable: policyd went away\n");
	s->status = 1;
	nx_loop_quit(s->base.loop, 1);
}

static int cmd_watch(struct psession *s)
{
	Policy_watch_Params_b params;
	const nx_rpc_result *res;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *cb = NULL;
	uint32_t index;
	int r;

	r = PolicyWatcher_server_new(&watcher_vt, s, NULL, &cb);
	if (r >= 0)
		r = Policy_watch_new(s->base.svc, &call, &params);
	if (r >= 0)
		r = nx_rpc_call_add_cap(call, cb, &index);
	if (r >= 0)
		r = Policy_watch_Params_set_cb(params, index);
	r = r < 0 ? nxt_report("watch", r, NULL) : nxt_call_wait(&s->base, call, "watch", &res);
	nx_rpc_call_free(call);
	/* The first changed() may have arrived with the answer already. */
	if (r == 0 && !(s->want && s->seen >= s->want)) {
		s->status = 1;
		nexus_set_gone_cb(s->base.nx, on_disconnect, s);
		nx_loop_run(s->base.loop);
		nexus_set_gone_cb(s->base.nx, NULL, NULL);
		r = s->status;
	}
	nx_rpc_cap_unref(cb);
	return r;
}

int nx_cmd_policy(int argc, char **argv)
{
	struct psession s = {0};
	const char *sub;
	int r, nargs;
	char *end;

	/* argv[0] is "policy". */
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
		return usage(stdout, 0);
	if (argc >= 2 && strcmp(argv[argc - 1], "--json") == 0) {
		s.json = true;
		argc--;
	}
	if (argc < 2)
		return usage(stderr, 2);
	sub = argv[1];
	nargs = argc - 2;
	if ((strcmp(sub, "check") == 0 || strcmp(sub, "explain") == 0) && nargs == 2) {
		/* fine */
	} else if ((strcmp(sub, "version") == 0 || strcmp(sub, "reload") == 0 ||
	                   strcmp(sub, "show") == 0) &&
	           nargs == 0) {
		/* fine */
	} else if (strcmp(sub, "watch") == 0 && nargs <= 1 && !s.json) {
		if (nargs == 1) {
			errno = 0;
			unsigned long n = strtoul(argv[2], &end, 10);
			if (errno || *end || !*argv[2] || argv[2][0] == '-' || n == 0 ||
			        n > 1000000)
				return usage(stderr, 2);
			s.want = (unsigned)n;
		}
	} else {
		return usage(stderr, 2);
	}
	r = nxt_session_open(&s.base, "policyd");
	if (r == 0) {
		if (strcmp(sub, "check") == 0)
			r = cmd_check(&s, argv[2], argv[3]);
		else if (strcmp(sub, "explain") == 0)
			r = cmd_explain(&s, argv[2], argv[3]);
		else if (strcmp(sub, "version") == 0)
			r = cmd_version(&s, false);
		else if (strcmp(sub, "show") == 0)
			r = cmd_version(&s, true);
		else if (strcmp(sub, "reload") == 0)
			r = cmd_reload(&s);
		else
			r = cmd_watch(&s);
	}
	nxt_session_close(&s.base);
	return r;
}
