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

/* check and explain: exit 0 allowed, 1 denied. Invalid input is the server's to refuse: its
 * reason names the field ("invalid_argument: subject: empty"). */
static int cmd_check(struct psession *s, const char *subject, const char *cap)
{
	policy_check_results out;
	nx_rpc_call *call;
	bool allowed;
	int r;

	r = policy_check_wait(policy_from_cap(s->base.svc), subject, cap,
	        nexus_deadline(s->base.nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(&s->base, call, r, "check");
	} else {
		allowed = policy_check_results_get_allowed(out);
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

static void print_explained(
        const struct psession *s, const char *subject, const char *cap, policy_explain_results out)
{
	bool allowed = policy_explain_results_get_allowed(out);
	bool by_default = policy_explain_results_get_by_default(out);
	unsigned line = policy_explain_results_get_line(out);
	const char *rule = "", *file = "";
	size_t rlen = 0, flen = 0;

	(void)policy_explain_results_get_rule(out, &rule, &rlen); /* results are validated */
	(void)policy_explain_results_get_file(out, &file, &flen);
	if (s->json) {
		printf("{\"subject\":");
		nxt_json_string(subject, strlen(subject));
		printf(",\"cap\":");
		nxt_json_string(cap, strlen(cap));
		printf(",\"allowed\":%s,\"rule\":", allowed ? "true" : "false");
		nxt_json_string(rule, rlen);
		printf(",\"file\":");
		nxt_json_string(file, flen);
		printf(",\"line\":%u,\"byDefault\":%s}\n", line, by_default ? "true" : "false");
	} else if (by_default) {
		printf("denied by default (%.*s)\n", (int)rlen, rule);
	} else {
		printf("%s by %.*s:%u: %.*s\n", allowed ? "allowed" : "denied", (int)flen, file,
		        line, (int)rlen, rule);
	}
}

static int cmd_explain(struct psession *s, const char *subject, const char *cap)
{
	policy_explain_results out;
	nx_rpc_call *call;
	int r;

	r = policy_explain_wait(policy_from_cap(s->base.svc), subject, cap,
	        nexus_deadline(s->base.nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(&s->base, call, r, "explain");
	} else {
		print_explained(s, subject, cap, out);
		r = policy_explain_results_get_allowed(out) ? 0 : 1;
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

static void print_show(const struct psession *s, const char *v, size_t len)
{
	if (s->json) {
		printf("{\"version\":");
		nxt_json_string(v, len);
		printf(",\"rules\":null}\n");
	} else {
		printf("version %.*s\n", (int)len, v);
		printf("rules: not exposed by policyd (Policy has check, explain, version; see "
		       "nx policy explain)\n");
	}
}

static int cmd_version(struct psession *s, bool show)
{
	policy_version_results out;
	nx_rpc_call *call;
	const char *v = "";
	size_t len = 0;
	int r;

	r = policy_version_wait(
	        policy_from_cap(s->base.svc), nexus_deadline(s->base.nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(&s->base, call, r, "version");
	} else {
		(void)policy_version_results_get_version(out, &v, &len); /* results are validated */
		if (show)
			print_show(s, v, len);
		else
			print_version(s, v, len);
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_reload(struct psession *s)
{
	policy_reload_results out;
	nx_rpc_call *call;
	const char *v = "";
	size_t len = 0;
	int r;

	r = policy_reload_wait(
	        policy_from_cap(s->base.svc), nexus_deadline(s->base.nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(&s->base, call, r, "reload");
	} else {
		(void)policy_reload_results_get_version(out, &v, &len); /* results are validated */
		print_version(s, v, len);
	}
	nx_rpc_call_free(call);
	return r;
}

/* ---- watch: serve a PolicyWatcher until COUNT versions arrived or policyd goes ---- */

static int serve_changed(void *impl, nx_rpc_incoming *in, policy_watcher_changed_params params)
{
	struct psession *s = impl;
	const char *v;
	size_t len;

	(void)policy_watcher_changed_params_get_version(params, &v, &len); /* validated already */
	printf("version %.*s\n", (int)len, v);
	if (s->want && ++s->seen >= s->want) {
		s->status = 0;
		nx_loop_quit(s->base.loop, 0);
	}
	return policy_watcher_changed_return(in);
}

static const struct policy_watcher_server watcher_vt = {
        .changed = serve_changed,
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
	policy_watch_results out;
	struct policy_watcher *watcher;
	nx_rpc_call *call;
	int r;

	r = policy_watcher_server_new(&watcher_vt, s, NULL, &watcher);
	if (r < 0)
		return nxt_report("watch", r);
	r = policy_watch_wait(
	        policy_from_cap(s->base.svc), watcher, nexus_deadline(s->base.nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(&s->base, call, r, "watch");
	nx_rpc_call_free(call);
	/* The first changed() may have arrived with the answer already. */
	if (r == 0 && !(s->want && s->seen >= s->want)) {
		s->status = 1;
		nexus_set_gone_cb(s->base.nx, on_disconnect, s);
		nx_loop_run(s->base.loop);
		nexus_set_gone_cb(s->base.nx, NULL, NULL);
		r = s->status;
	}
	nx_rpc_cap_unref(policy_watcher_cap(watcher));
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
