/* SPDX-License-Identifier: MIT */
/*
 * nx run BUNDLE [ARGS...] [--wait] [--env NAME=VALUE]... [--json]: asks execd to spawn the
 * installed bundle BUNDLE (exec.capnp Exec.spawn, needs proc.spawn) with ARGS after argv[0]
 * and only the environment given; its stdout and stderr become journal records of
 * app:BUNDLE. Prints the process (execd's id and the pid). With --wait, waits until it ended
 * for good (restarts included) and exits as it did: its exit code, or 128 + the signal.
 *
 * nx's own options may come anywhere before "--"; everything after "--" goes to the app.
 * Limits (count, lengths) are execd's to judge: it answers too_large naming the field.
 *
 * Exit codes: 0 spawned (or, with --wait, the app's), 1 refused or failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "nx-abi/clock.h"
#include "proc-print.h"

int nx_cmd_run(int argc, char **argv);

struct run_args {
	const char *bundle;
	const char **args, **env; /* views into argv */
	uint32_t nargs, nenv;
	bool wait, json;
};

static int help(void)
{
	printf("usage: nx run BUNDLE [ARGS...] [--wait] [--env NAME=VALUE]... [--json]\n\n"
	       "Runs the installed bundle BUNDLE through execd, confined, as app:BUNDLE, with\n"
	       "ARGS after argv[0] and no environment but each --env NAME=VALUE. Its stdout and\n"
	       "stderr go to the journal (nx log query --subject app:BUNDLE). Prints execd's id\n"
	       "for the process and its pid.\n\n"
	       "  --wait        wait until it ended for good (after the restarts its manifest\n"
	       "                asks for) and exit as it did: its code, or 128 + the signal\n"
	       "  --env N=V     an environment entry (repeat for more)\n"
	       "  --json        print the process as JSON (with --wait: how it ended)\n"
	       "  --            the rest goes to the app, also what looks like an option\n\n"
	       "Needs ipc.connect.execd and proc.spawn.\n"
	       "Exit codes: 0 started (--wait: the app's), 1 refused or failed, 2 usage.\n");
	return NXT_EXIT_OK;
}

/* A usage error of nx run: said, and the exit status 2 (known to be non-zero here). */
#define USAGE(...) ((void)nxt_usage_error("run", __VA_ARGS__), NXT_EXIT_USAGE)

/* Sorts argv into BUNDLE, ARGS and options; argv[0] is "run". 0, or the usage error (2). */
static int parse(int argc, char **argv, struct run_args *a)
{
	bool options = true;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (options && strcmp(arg, "--") == 0) {
			options = false;
		} else if (options && strcmp(arg, "--wait") == 0) {
			a->wait = true;
		} else if (options && strcmp(arg, "--json") == 0) {
			a->json = true;
		} else if (options &&
		           (strcmp(arg, "--env") == 0 || strncmp(arg, "--env=", 6) == 0)) {
			const char *entry =
			        arg[5] == '=' ? arg + 6 : (i + 1 < argc ? argv[++i] : NULL);

			if (!entry)
				return USAGE("--env: missing NAME=VALUE");
			if (!strchr(entry, '=') || entry[0] == '=')
				return USAGE("--env: '%s' is not NAME=VALUE", entry);
			a->env[a->nenv++] = entry;
		} else if (options && arg[0] == '-') {
			return USAGE("unknown option '%s' (use -- before the app's)", arg);
		} else if (!a->bundle) {
			a->bundle = arg;
		} else {
			a->args[a->nargs++] = arg;
		}
	}
	if (!a->bundle)
		return USAGE("missing BUNDLE");
	return 0;
}

/* The text list `field` of the spawn params: n entries of strs. */
static int set_texts(nx_capnp_blist *list, const char **strs, uint32_t n)
{
	int r = 0;

	for (uint32_t i = 0; r >= 0 && i < n; i++) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(list, i);

		r = nx_capnp_bptr_set_text(&p, strs[i], strlen(strs[i]));
	}
	return r;
}

static int spawn(struct nxt_session *s, const struct run_args *a, nx_rpc_call **ret_call,
        exec_spawn_results *ret)
{
	exec_spawn_params_b params;
	nx_capnp_blist args, env;
	int r = exec_spawn_start(exec_from_cap(s->svc), ret_call, &params);

	if (r >= 0)
		r = exec_spawn_params_set_bundle(params, a->bundle, strlen(a->bundle));
	if (r >= 0)
		r = exec_spawn_params_init_args(params, a->nargs, &args);
	if (r >= 0)
		r = set_texts(&args, a->args, a->nargs);
	if (r >= 0)
		r = exec_spawn_params_init_env(params, a->nenv, &env);
	if (r >= 0)
		r = set_texts(&env, a->env, a->nenv);
	if (r >= 0)
		exec_spawn_params_set_stdio(params, EXEC_STDIO_JOURNAL);
	if (r >= 0)
		r = exec_spawn_send_wait(*ret_call, nexus_deadline(s->nx), ret);
	return r;
}

/* Waits on `process` until it ended for good; prints how; returns its exit status. */
static int wait_end(struct nxt_session *s, struct exec_process *process, bool json)
{
	exec_process_wait_results out;
	nx_rpc_call *call = NULL;
	exec_proc_info info;
	char end[32];
	int r;

	/* As long as it runs: no deadline (Ctrl-C leaves the app running). */
	r = exec_process_wait_wait(process, UINT64_MAX, &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "wait");
		nx_rpc_call_free(call);
		return r;
	}
	info = exec_process_wait_results_get_info(out);
	if (json) {
		nxt_proc_print_json(info, nx_clock_realtime_ns());
		printf("\n");
	} else {
		nxt_proc_format_end(info, end, sizeof(end));
		printf("pid %" PRIu32 " %s (%s after %" PRIu32 " restarts)\n",
		        exec_proc_info_get_pid(info), end,
		        exec_state_name(exec_proc_info_get_state(info)),
		        exec_proc_info_get_restarts(info));
	}
	r = nxt_proc_exit_status(info);
	nx_rpc_call_free(call);
	return r;
}

static int run(struct nxt_session *s, const struct run_args *a)
{
	struct exec_process *process = NULL;
	exec_spawn_results out;
	nx_rpc_call *call = NULL;
	exec_proc_info info;
	int r = spawn(s, a, &call, &out);

	if (r < 0) {
		r = nxt_report_call(s, call, r, "spawn");
		nx_rpc_call_free(call);
		return r;
	}
	info = exec_spawn_results_get_info(out);
	if (a->json && !a->wait) {
		nxt_proc_print_json(info, nx_clock_realtime_ns());
		printf("\n");
	} else if (!a->json) {
		printf("%s: id %" PRIu64 " pid %" PRIu32 "\n", a->bundle,
		        exec_proc_info_get_id(info), exec_proc_info_get_pid(info));
	}
	r = 0;
	if (a->wait && exec_spawn_results_get_process(out, &process) < 0)
		r = nxt_report("spawn: no Process in the answer", -EBADMSG);
	else if (a->wait)
		r = wait_end(s, process, a->json);
	nx_rpc_cap_unref(exec_process_cap(process));
	nx_rpc_call_free(call);
	return r;
}

int nx_cmd_run(int argc, char **argv)
{
	struct run_args a = {0};
	struct nxt_session s = {0};
	int r;

	if (nxt_wants_help(argc - 1, argv + 1))
		return help();
	/* Every argument is at most one app argument or env entry: argc bounds both. */
	a.args = calloc((size_t)argc, sizeof(*a.args));
	a.env = calloc((size_t)argc, sizeof(*a.env));
	r = a.args && a.env ? parse(argc, argv, &a) : nxt_report("run", -ENOMEM);
	if (r == 0)
		r = nxt_session_open(&s, NXT_EXECD_NAME);
	if (r == 0)
		r = run(&s, &a);
	nxt_session_close(&s);
	free(a.args);
	free(a.env);
	return r;
}
