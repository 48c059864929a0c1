/* SPDX-License-Identifier: MIT */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "policy.capnp.h"

/* ---- Finding the system ---- */

static char looked[2 * PATH_MAX + 64];

/* A runtime dir in use has samgr.sock (samgrd serves) or status (nexus-init runs). */
static bool runtime_dir_live(const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/samgr.sock", dir);
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/status", dir);
	return access(path, F_OK) == 0;
}

int nxt_runtime_dir_find(const char **ret_looked)
{
	const char *env = getenv("NEXUS_RUNTIME_DIR");
	char dir[PATH_MAX], cand[PATH_MAX + 16];

	if (env && *env)
		return 0;
	/* `make run` keeps its state in ./.nexus of the checkout: found from any dir below. */
	if (getcwd(dir, sizeof(dir))) {
		snprintf(looked, sizeof(looked), "%s/.nexus/run and its parents, %s", dir,
		        NXT_SYSTEM_RUNTIME_DIR);
		for (;;) {
			char *slash;

			snprintf(cand, sizeof(cand), "%s/.nexus/run", dir);
			if (runtime_dir_live(cand))
				return setenv("NEXUS_RUNTIME_DIR", cand, 1) < 0 ? -errno : 0;
			slash = strrchr(dir, '/');
			if (!slash || slash == dir)
				break;
			*slash = '\0';
		}
	} else {
		snprintf(looked, sizeof(looked), "%s", NXT_SYSTEM_RUNTIME_DIR);
	}
	if (runtime_dir_live(NXT_SYSTEM_RUNTIME_DIR))
		return setenv("NEXUS_RUNTIME_DIR", NXT_SYSTEM_RUNTIME_DIR, 1) < 0 ? -errno : 0;
	if (ret_looked)
		*ret_looked = looked;
	return -ENOENT;
}

int nxt_report_no_system(void)
{
	const char *where = NULL;

	(void)nxt_runtime_dir_find(&where);
	fprintf(stderr,
	        "nx: unavailable: no running Nexus found (looked in %s); start one with `make run` "
	        "or nexus-init, or set NEXUS_RUNTIME_DIR to its runtime dir\n",
	        where ? where : getenv("NEXUS_RUNTIME_DIR"));
	return 1;
}

/* Why samgrd refused to resolve `name` to us: the rule policyd says decided
 * ipc.connect.<name> for our subject, printed after the refusal. Best effort: a user who may
 * not ask policyd either learns nothing more. */
static void explain_refusal(nexus *nx, const char *name)
{
	policy_explain_results out;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *pol = NULL;
	char subject[32], cap[128];
	const char *rule = "", *file = "";
	size_t rlen = 0, flen = 0;

	snprintf(subject, sizeof(subject), "uid:%u", (unsigned)getuid());
	snprintf(cap, sizeof(cap), "ipc.connect.%s", name);
	if (nexus_resolve(nx, "policyd", &pol) < 0)
		return;
	if (policy_explain_wait(
	            policy_from_cap(pol), subject, cap, nexus_deadline(nx), &call, &out) == 0) {
		(void)policy_explain_results_get_rule(out, &rule, &rlen); /* validated */
		(void)policy_explain_results_get_file(out, &file, &flen);
		if (flen)
			fprintf(stderr, "nx: the rule that decided: %.*s (%.*s:%u)\n", (int)rlen,
			        rule, (int)flen, file, policy_explain_results_get_line(out));
		else
			fprintf(stderr, "nx: the rule that decided: %.*s\n", (int)rlen, rule);
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(pol);
}

/* The device of `nx --peer`, or NULL. */
static const char *peer_device;

int nxt_set_peer(const char *device)
{
	size_t n = strlen(device);

	if (n != 32)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((device[i] >= '0' && device[i] <= '9') ||
		            (device[i] >= 'a' && device[i] <= 'f')))
			return -EINVAL;
	peer_device = device;
	return 0;
}

int nxt_resolve(struct nxt_session *s, const char *service, nx_rpc_cap **ret)
{
	int r = peer_device ? nexus_resolve_peer(s->nx, peer_device, service, ret)
	                    : nexus_resolve(s->nx, service, ret);

	if (r == 0)
		return 0;
	nxt_report_last(s->nx);
	if (r == -EPERM && !peer_device) /* the local policyd cannot explain the remote's rule */
		explain_refusal(s->nx, service);
	return 1;
}

int nxt_session_open(struct nxt_session *s, const char *service)
{
	if (nxt_runtime_dir_find(NULL) < 0)
		return nxt_report_no_system();
	if (nexus_connect(&s->nx) < 0)
		return nxt_report_last(NULL);
	s->loop = nexus_loop(s->nx);
	if (!s->anonymous)
		nxt_session_authenticate(s);
	return service ? nxt_resolve(s, service, &s->svc) : 0;
}

void nxt_session_close(struct nxt_session *s)
{
	nx_rpc_cap_unref(s->svc);
	nexus_free(s->nx);
}

/* ---- Usage and help ---- */

bool nxt_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

bool nxt_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (nxt_is_help(argv[i]))
			return true;
	return false;
}

int nxt_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nx %s: ", cmd);
	va_start(ap, fmt);
	/* clang-tidy 14 wrongly reports ap as uninitialized (as in userspace/policy). */
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'nx %s --help'.\n", cmd);
	return NXT_EXIT_USAGE;
}

int nxt_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t min, uint64_t max,
        uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9' || (v = strtoull(text, &end, 10), errno) || *end ||
	        v < min || v > max)
		return nxt_usage_error(cmd, "%s: '%s' is not a number from %llu to %llu", opt, text,
		        (unsigned long long)min, (unsigned long long)max);
	*ret = v;
	return 0;
}

int nxt_getopt_error(const char *cmd, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return nxt_usage_error(cmd, "%s needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return nxt_usage_error(cmd, "unknown option '-%c'", optopt);
	return nxt_usage_error(cmd, "unknown option '%s'", arg);
}

static void group_help(const struct nxt_group *g)
{
	printf("usage: nx %s COMMAND [ARGS...]\n\n%s\n\nCommands:\n", g->name, g->about);
	for (size_t i = 0; i < g->n_subs; i++)
		printf("  %-8s %-34s %s\n", g->subs[i].name, g->subs[i].synopsis,
		        g->subs[i].summary);
	printf("\n%s%s'nx %s COMMAND --help' tells more. Exit codes: 0 success, 1 refused or "
	       "failed, 2 usage.\n",
	        g->footer, *g->footer ? "\n" : "", g->name);
}

static void sub_help(const struct nxt_group *g, const struct nxt_sub *sub)
{
	printf("usage: nx %s %s %s\n\n%s\n%s%s", g->name, sub->name, sub->synopsis, sub->summary,
	        *sub->help ? "\n" : "", sub->help);
}

static const struct nxt_sub *group_find(const struct nxt_group *g, const char *name)
{
	for (size_t i = 0; i < g->n_subs; i++)
		if (strcmp(g->subs[i].name, name) == 0)
			return &g->subs[i];
	return NULL;
}

int nxt_group_run(const struct nxt_group *g, int argc, char **argv)
{
	const struct nxt_sub *sub;

	if (argc < 2)
		return nxt_usage_error(g->name, "missing command");
	if (nxt_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		group_help(g);
		return NXT_EXIT_OK;
	}
	sub = group_find(g, argv[1]);
	if (!sub)
		return nxt_usage_error(g->name, "unknown command '%s'", argv[1]);
	if (nxt_wants_help(argc - 2, argv + 2)) {
		sub_help(g, sub);
		return NXT_EXIT_OK;
	}
	return sub->run(argc - 1, argv + 1);
}

void nxt_group_complete(const struct nxt_group *g, int argc, char **argv)
{
	const struct nxt_sub *sub;

	if (argc == 0) {
		for (size_t i = 0; i < g->n_subs; i++)
			printf("%s\n", g->subs[i].name);
		return;
	}
	sub = group_find(g, argv[0]);
	if (sub)
		printf("%s --help\n", sub->options);
}

void nxt_json_string(const char *s, size_t len)
{
	putchar('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void nxt_format_uptime(uint64_t ns, char *buf, size_t size)
{
	uint64_t s = ns / 1000000000u;

	if (s >= 86400)
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
}

void nxt_format_started(uint64_t ns, char *buf, size_t size)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!ns || !localtime_r(&sec, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, size, "-");
}
