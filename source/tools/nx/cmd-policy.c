/* SPDX-License-Identifier: MIT */
/*
 * nx policy: ask policyd (policy.capnp) through samgrd, as uid:<your uid>; `validate` checks a
 * policy file here, with policyd's own parser (userspace/policy), without loading it.
 * Exit codes: 0 success (allowed, valid), 1 denied, invalid, refused or unreachable, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "nx-util/macro.h"
#include "policy.capnp.h"
#include "policy/known.h"
#include "policy/policy.h"

int nx_cmd_policy(int argc, char **argv);
extern const struct nxt_group nx_group_policy;

struct psession {
	struct nxt_session base; /* base.svc: policyd */
	bool json;
	unsigned seen, want; /* watch */
	int status;
};

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
		printf("denied: no rule allows it (deny by default)\n");
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

static int cmd_version(struct psession *s)
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

/* ---- rules: show (all, policy.show) and mine (the caller's) ---- */

static void print_rule(const struct psession *s, policy_rule ru, bool first)
{
	const char *subject = "", *cap = "", *file = "";
	size_t slen = 0, clen = 0, flen = 0;
	bool allow = policy_rule_get_allow(ru);

	/* Answers are validated: these read. */
	(void)policy_rule_get_subject(ru, &subject, &slen);
	(void)policy_rule_get_cap(ru, &cap, &clen);
	(void)policy_rule_get_file(ru, &file, &flen);
	if (!s->json) {
		printf("%-5s %-24.*s %-32.*s %.*s:%u\n", allow ? "allow" : "deny", (int)slen,
		        subject, (int)clen, cap, (int)flen, file, policy_rule_get_line(ru));
		return;
	}
	printf("%s{\"allow\":%s,\"subject\":", first ? "" : ",", allow ? "true" : "false");
	nxt_json_string(subject, slen);
	printf(",\"cap\":");
	nxt_json_string(cap, clen);
	printf(",\"file\":");
	nxt_json_string(file, flen);
	printf(",\"line\":%u}", policy_rule_get_line(ru));
}

/* Every page of rules(mine). 0, or reported and 1. */
static int cmd_rules(struct psession *s, bool mine)
{
	policy_rules_results out;
	nx_rpc_call *call = NULL;
	uint32_t cursor = 0;
	bool more = true, first = true;
	int r = 0;

	if (s->json)
		printf("[");
	else
		printf("%-5s %-24s %-32s %s\n", "RULE", "SUBJECT", "CAPABILITY", "WHERE");
	while (r == 0 && more) {
		nx_capnp_list list = {0};

		r = policy_rules_wait(policy_from_cap(s->base.svc), cursor, mine,
		        nexus_deadline(s->base.nx), &call, &out);
		if (r < 0) {
			r = nxt_report_call(&s->base, call, r, mine ? "mine" : "show");
		} else {
			(void)policy_rules_results_get_rules(out, &list); /* validated */
			for (uint32_t i = 0; i < list.count; i++, first = false)
				print_rule(s, policy_rule_at(&list, i), first);
			more = policy_rules_results_get_more(out);
			cursor = policy_rules_results_get_next_cursor(out);
		}
		nx_rpc_call_free(call);
		call = NULL;
	}
	if (s->json && r == 0)
		printf("]\n");
	return r;
}

/* ---- validate FILE: parsed here as policyd parses it, includes and known names too ---- */

struct vload {
	char dir[4096];
	void *bufs[POL_FILES_MAX];
	size_t nbufs;
};

/* Reads `path` of the policy dir into a buffer kept until the load ends; 0 or -errno. */
static int read_file(const char *path, void **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int r = 0;

	if (!f)
		return -errno;
	buf = malloc(POL_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, POL_FILE_MAX + 1, f);
	if (ferror(f))
		r = -EIO;
	else if (n > POL_FILE_MAX)
		r = -EMSGSIZE;
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int vloader(void *userdata, const char *path, const void **ret_data, size_t *ret_len)
{
	struct vload *v = userdata;
	char full[8192];
	void *data = NULL;
	int r;

	if (v->nbufs >= POL_FILES_MAX)
		return -EMSGSIZE;
	snprintf(full, sizeof(full), "%s/%s", v->dir, path);
	r = read_file(full, &data, ret_len);
	if (r < 0)
		return r;
	v->bufs[v->nbufs++] = data;
	*ret_data = data;
	return 0;
}

/* The known-capabilities list beside the file, checked against p: 0 (no list there: nothing
 * to check against, said on stderr), or -errno with *err filled. */
static int validate_known(const struct vload *v, const pol_policy *p, pol_error *err)
{
	char path[8192];
	pol_known *k = NULL;
	void *data = NULL;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", v->dir, POL_KNOWN_FILE);
	r = read_file(path, &data, &len);
	if (r == -ENOENT) {
		fprintf(stderr, "nx: no %s: capability names not checked\n", path);
		return 0;
	}
	if (r < 0) {
		snprintf(err->text, sizeof(err->text), "%.2048s: %s", path, strerror(-r));
		return r;
	}
	r = pol_known_parse(POL_KNOWN_FILE, data, len, &k, err);
	if (r >= 0)
		r = pol_known_check(k, p, err);
	pol_known_free(k);
	free(data);
	return r;
}

static int cmd_validate(struct psession *s, const char *file)
{
	struct vload *v = calloc(1, sizeof(*v));
	const char *slash = strrchr(file, '/');
	pol_policy *p = NULL;
	pol_error err = {.text = ""};
	int r;

	if (!v)
		return nxt_report("validate", -ENOMEM);
	if (slash)
		snprintf(v->dir, sizeof(v->dir), "%.*s", (int)(slash - file), file);
	else
		snprintf(v->dir, sizeof(v->dir), ".");
	r = pol_load(slash ? slash + 1 : file, vloader, v, &p, &err);
	if (r >= 0)
		r = validate_known(v, p, &err);
	for (size_t i = 0; i < v->nbufs; i++)
		free(v->bufs[i]);
	free(v);
	if (s->json) {
		printf("{\"file\":");
		nxt_json_string(file, strlen(file));
		printf(",\"valid\":%s", r >= 0 ? "true" : "false");
		if (r >= 0)
			printf(",\"version\":\"%s\",\"rules\":%zu}\n", pol_version(p),
			        pol_rule_count(p));
		else
			printf(",\"error\":"), nxt_json_string(err.text, strlen(err.text)),
			        printf("}\n");
	} else if (r >= 0) {
		printf("%s: valid, %zu rules, version %s\n", file, pol_rule_count(p),
		        pol_version(p));
	} else {
		fprintf(stderr, "nx: invalid_argument: %s\n",
		        err.text[0] ? err.text : strerror(-r));
	}
	pol_free(p);
	return r >= 0 ? 0 : 1;
}

/* ---- The sub-commands ---- */

/* [--json] and `nargs` positional arguments, into s->json; 0 or the usage error (2). */
static int args(
        struct psession *s, const char *cmd, int argc, char **argv, int nargs, const char *names)
{
	int pos = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			s->json = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return nxt_usage_error(cmd, "unknown option '%s'", argv[i]);
		else if (pos++ == nargs)
			return nxt_usage_error(cmd, "unexpected argument '%s'", argv[i]);
	}
	if (pos < nargs)
		return nxt_usage_error(cmd, "needs %s", names);
	return 0;
}

/* argv without its options: the i-th positional argument. */
static const char *positional(int argc, char **argv, int i)
{
	for (int k = 1; k < argc; k++)
		if (argv[k][0] != '-' || !argv[k][1])
			if (i-- == 0)
				return argv[k];
	return NULL;
}

/* Opens policyd and runs `what` with the positional arguments; closes. */
enum pcmd { P_CHECK, P_EXPLAIN, P_VERSION, P_SHOW, P_MINE, P_RELOAD, P_WATCH };

static int run(enum pcmd what, struct psession *s, const char *a, const char *b)
{
	int r = nxt_session_open(&s->base, "policyd");

	if (r == 0) {
		switch (what) {
		case P_CHECK:
			r = cmd_check(s, a, b);
			break;
		case P_EXPLAIN:
			r = cmd_explain(s, a, b);
			break;
		case P_VERSION:
			r = cmd_version(s);
			break;
		case P_SHOW:
		case P_MINE:
			r = cmd_rules(s, what == P_MINE);
			break;
		case P_RELOAD:
			r = cmd_reload(s);
			break;
		case P_WATCH:
		default:
			r = cmd_watch(s);
			break;
		}
	}
	nxt_session_close(&s->base);
	return r;
}

static int p_check(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy check", argc, argv, 2, "SUBJECT CAP");

	return r ? r : run(P_CHECK, &s, positional(argc, argv, 0), positional(argc, argv, 1));
}

static int p_explain(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy explain", argc, argv, 2, "SUBJECT CAP");

	return r ? r : run(P_EXPLAIN, &s, positional(argc, argv, 0), positional(argc, argv, 1));
}

static int p_version(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy version", argc, argv, 0, "");

	return r ? r : run(P_VERSION, &s, NULL, NULL);
}

static int p_show(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy show", argc, argv, 0, "");

	return r ? r : run(P_SHOW, &s, NULL, NULL);
}

static int p_mine(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy mine", argc, argv, 0, "");

	return r ? r : run(P_MINE, &s, NULL, NULL);
}

static int p_reload(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy reload", argc, argv, 0, "");

	return r ? r : run(P_RELOAD, &s, NULL, NULL);
}

static int p_validate(int argc, char **argv)
{
	struct psession s = {0};
	int r = args(&s, "policy validate", argc, argv, 1, "FILE");

	return r ? r : cmd_validate(&s, positional(argc, argv, 0));
}

static int p_watch(int argc, char **argv)
{
	struct psession s = {0};
	uint64_t n = 0;

	if (argc > 2)
		return nxt_usage_error("policy watch", "unexpected argument '%s'", argv[2]);
	if (argc == 2 && nxt_parse_u64("policy watch", "COUNT", argv[1], 1, 1000000, &n) != 0)
		return NXT_EXIT_USAGE;
	s.want = (unsigned)n;
	return run(P_WATCH, &s, NULL, NULL);
}

static const struct nxt_sub subs[] = {
        {"check", "SUBJECT CAP [--json]",
                "whether SUBJECT holds CAP: exit 0 allowed, 1 denied (a what-if: not audited)", "",
                "--json", p_check},
        {"explain", "SUBJECT CAP [--json]", "the rule that decides, with its file and line", "",
                "--json", p_explain},
        {"version", "[--json]", "the version of the policy in force (SHA-256)", "", "--json",
                p_version},
        {"show", "[--json]", "the rules in force, in load order (needs policy.show)", "", "--json",
                p_show},
        {"mine", "[--json]", "the rules that name your own subject: what you may and may not do",
                "", "--json", p_mine},
        {"validate", "FILE [--json]",
                "check a policy file (and its includes) without loading it: exit 0 valid, 1 not",
                "Capability names are checked against the file `capabilities` beside FILE\n"
                "(policies/capabilities); a misspelling names the nearest known one.\n",
                "--json", p_validate},
        {"reload", "[--json]", "re-read the policy directory (needs policy.reload)", "", "--json",
                p_reload},
        {"watch", "[COUNT]", "print versions as they change; stop after COUNT", "", "", p_watch},
};

const struct nxt_group nx_group_policy = {
        .name = "policy",
        .about = "The policy (policyd): who holds which capability, and why.",
        .footer = "The language is in nexus-policy(5).\n",
        .subs = subs,
        .n_subs = ELEMENTSOF(subs),
};

int nx_cmd_policy(int argc, char **argv)
{
	return nxt_group_run(&nx_group_policy, argc, argv);
}
