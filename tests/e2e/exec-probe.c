/* SPDX-License-Identifier: MIT */
/*
 * exec-probe: a client of execd (exec.capnp) for tests/e2e/execd-core.sh, through samgr.sock
 * with libnexus. Prints "probe: ..." lines; a refusal prints its reason and exits 1.
 *
 *   exec-probe spawn BUNDLE [OPTS] [-- ARGS...]
 *       -w        wait for the end: "probe: ended <state> code=<c> signal=<s> restarts=<r>"
 *       -p        stdio=pipe: prints the output, "probe: output <line>", until end of file
 *       -e K=V    an environment entry (repeatable)
 *       -A N:LEN  N more arguments of LEN bytes each ('a'), to cross the bounds
 *       -E N:LEN  N more environment entries of LEN bytes each (distinct names)
 *     prints "probe: process <id> pid <pid> uid <uid>"; the sandbox as "probe: sandbox
 *     <mechanism>=<status> ..."
 *   exec-probe list                      "probe: <id> <bundle> <state> restarts=<r> owner=<o>"
 *   exec-probe kill ID SIG               through Exec.get: "probe: killed" or the refusal
 *   exec-probe crashes                   "probe: crash <id> <bundle> pid=<p> code=<c> signal=<s>"
 *   exec-probe crash ID [json]           the report, as it is
 *   exec-probe watch N                   prints "probe: watching", then each event as "probe:
 *                                        <event> <id> <bundle> <state>"; exits after N (or 60 s)
 *   exec-probe garbage                   a bogus frame on a raw channel to execd: "probe: execd
 *                                        closed the channel"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "rawchan.h"

#define WAIT_NS   (60ull * 1000 * 1000 * 1000)
#define MAX_ITEMS 64

static const char *reason_of(nexus *nx, const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	return res && res->reason ? res->reason : strerror(-r);
}

static void print_info(const char *what, exec_proc_info info)
{
	nx_capnp_list sandbox = {0};
	const char *bundle, *owner;
	size_t len;

	(void)exec_proc_info_get_bundle(info, &bundle, &len);
	(void)exec_proc_info_get_owner(info, &owner, &len);
	if (strcmp(what, "process") == 0) {
		const char *profile = "";

		(void)exec_proc_info_get_seccomp_profile(info, &profile, &len);
		printf("probe: process %llu pid %u uid %u\n",
		        (unsigned long long)exec_proc_info_get_id(info),
		        exec_proc_info_get_pid(info), exec_proc_info_get_uid(info));
		printf("probe: seccomp %s\n", profile);
		(void)exec_proc_info_get_sandbox(info, &sandbox);
		printf("probe: sandbox");
		for (uint32_t i = 0; i < sandbox.count; i++) {
			exec_sandbox_entry e = exec_sandbox_entry_at(&sandbox, i);

			printf(" %s=%s", exec_mechanism_name(exec_sandbox_entry_get_mechanism(e)),
			        exec_mechanism_status_name(exec_sandbox_entry_get_status(e)));
		}
		printf("\n");
	} else if (strcmp(what, "ended") == 0) {
		printf("probe: ended %s code=%d signal=%u restarts=%u\n",
		        exec_state_name(exec_proc_info_get_state(info)),
		        exec_proc_info_get_exit_code(info), exec_proc_info_get_signal(info),
		        exec_proc_info_get_restarts(info));
	} else {
		printf("probe: %llu %s %s restarts=%u owner=%s\n",
		        (unsigned long long)exec_proc_info_get_id(info), bundle,
		        exec_state_name(exec_proc_info_get_state(info)),
		        exec_proc_info_get_restarts(info), owner);
	}
}

/* "N:LEN" */
static void parse_many(const char *s, unsigned *n, unsigned *len)
{
	*n = (unsigned)strtoul(s, NULL, 10);
	*len = (unsigned)strtoul(strchr(s, ':') ? strchr(s, ':') + 1 : "1", NULL, 10);
}

static int set_texts(exec_spawn_params_b params, bool env, char **items, unsigned n)
{
	nx_capnp_blist list;
	int r = env ? exec_spawn_params_init_env(params, n, &list)
	            : exec_spawn_params_init_args(params, n, &list);

	for (unsigned i = 0; r >= 0 && i < n; i++) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&list, i);

		r = nx_capnp_bptr_set_text(&p, items[i], strlen(items[i]));
	}
	return r;
}

static void read_output(struct exec_output *out)
{
	int fd = nx_rpc_cap_dup_fd(exec_output_cap(out));
	char line[4096];
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	while (f && fgets(line, sizeof(line), f))
		printf("probe: output %s", line);
	if (f)
		fclose(f);
}

static int spawn(nexus *nx, struct exec *exec, int argc, char **argv)
{
	static char *args[MAX_ITEMS], *env[MAX_ITEMS];
	unsigned nargs = 0, nenv = 0, n, len;
	bool wait = false, pipe = false;
	const char *bundle = argv[0];
	struct exec_process *process = NULL;
	struct exec_output *output = NULL;
	exec_spawn_params_b params;
	exec_spawn_results out;
	exec_process_wait_results ended;
	nx_rpc_call *call = NULL;
	int i, r;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-w") == 0)
			wait = true;
		else if (strcmp(argv[i], "-p") == 0)
			pipe = true;
		else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc && nenv < MAX_ITEMS)
			env[nenv++] = argv[++i];
		else if ((strcmp(argv[i], "-A") == 0 || strcmp(argv[i], "-E") == 0) &&
		         i + 1 < argc) {
			bool is_env = argv[i][1] == 'E';

			parse_many(argv[++i], &n, &len);
			for (unsigned k = 0; k < n && (is_env ? nenv : nargs) < MAX_ITEMS; k++) {
				char *s = malloc(len + 1);

				if (!s)
					return -ENOMEM;
				memset(s, 'a', len);
				if (is_env && len >= 4)
					s[0] = 'N', s[1] = (char)('A' + k / 26),
					s[2] = (char)('A' + k % 26), s[3] = '=';
				s[len] = '\0';
				if (is_env)
					env[nenv++] = s;
				else
					args[nargs++] = s;
			}
		}
	}
	for (i++; i < argc && nargs < MAX_ITEMS; i++)
		args[nargs++] = argv[i];
	r = exec_spawn_start(exec, &call, &params);
	if (r >= 0)
		r = exec_spawn_params_set_bundle(params, bundle, strlen(bundle));
	if (r >= 0)
		r = set_texts(params, false, args, nargs);
	if (r >= 0)
		r = set_texts(params, true, env, nenv);
	if (r >= 0) {
		exec_spawn_params_set_stdio(params, pipe ? EXEC_STDIO_PIPE : EXEC_STDIO_JOURNAL);
		r = exec_spawn_send_wait(call, nexus_deadline(nx), &out);
	}
	if (r < 0) {
		printf("probe: %s\n", reason_of(nx, call, r));
		nx_rpc_call_free(call);
		return r;
	}
	print_info("process", exec_spawn_results_get_info(out));
	(void)exec_spawn_results_get_process(out, &process);
	if (pipe && exec_spawn_results_get_output(out, &output) >= 0 && output)
		read_output(output);
	nx_rpc_call_free(call);
	call = NULL;
	if (wait) {
		r = exec_process_wait_wait(
		        process, nx_clock_monotonic_ns() + WAIT_NS, &call, &ended);
		if (r >= 0)
			print_info("ended", exec_process_wait_results_get_info(ended));
		else
			printf("probe: %s\n", reason_of(nx, call, r));
		nx_rpc_call_free(call);
	}
	nx_rpc_cap_unref(exec_output_cap(output));
	nx_rpc_cap_unref(exec_process_cap(process));
	return r;
}

static unsigned events_left;

static int on_changed(void *impl, nx_rpc_incoming *in, exec_process_watcher_changed_params params)
{
	exec_proc_info info = exec_process_watcher_changed_params_get_info(params);
	const char *bundle = "";
	size_t len = 0;

	(void)exec_proc_info_get_bundle(info, &bundle, &len);
	printf("probe: %s %llu %s %s\n",
	        exec_event_name(exec_process_watcher_changed_params_get_event(params)),
	        (unsigned long long)exec_proc_info_get_id(info), bundle,
	        exec_state_name(exec_proc_info_get_state(info)));
	if (events_left && --events_left == 0)
		nx_loop_quit(impl, 0);
	return exec_process_watcher_changed_return(in);
}

static const struct exec_process_watcher_server watcher_vt = {.changed = on_changed};

static void on_timeout(nx_source *s, void *userdata)
{
	printf("probe: timed out\n");
	nx_loop_quit(userdata, -ETIMEDOUT);
}

static int watch(nexus *nx, struct exec *exec, unsigned n)
{
	struct exec_process_watcher *w = NULL;
	nx_source *timer = NULL;
	nx_rpc_call *call = NULL;
	exec_watch_results out;
	int r = exec_process_watcher_server_new(&watcher_vt, nexus_loop(nx), NULL, &w);

	if (r >= 0)
		r = exec_watch_wait(exec, w, nexus_deadline(nx), &call, &out);
	if (r < 0)
		printf("probe: %s\n", reason_of(nx, call, r));
	nx_rpc_call_free(call);
	if (r >= 0)
		r = nx_loop_add_timer(nexus_loop(nx), nx_clock_monotonic_ns() + WAIT_NS, on_timeout,
		        nexus_loop(nx), &timer);
	if (r >= 0) {
		printf("probe: watching\n");
		events_left = n;
		r = nx_loop_run(nexus_loop(nx));
	}
	nx_source_free(timer);
	nx_rpc_cap_unref(exec_process_watcher_cap(w));
	return r;
}

static int list(nexus *nx, struct exec *exec)
{
	uint64_t after = 0;
	bool more = true;
	int r = 0;

	while (r >= 0 && more) {
		nx_rpc_call *call = NULL;
		exec_list_results out;
		nx_capnp_list procs = {0};

		r = exec_list_wait(exec, after, nexus_deadline(nx), &call, &out);
		if (r < 0) {
			printf("probe: %s\n", reason_of(nx, call, r));
			nx_rpc_call_free(call);
			return r;
		}
		(void)exec_list_results_get_processes(out, &procs);
		for (uint32_t i = 0; i < procs.count; i++) {
			print_info("list", exec_proc_info_at(&procs, i));
			after = exec_proc_info_get_id(exec_proc_info_at(&procs, i));
		}
		more = exec_list_results_get_more(out) && procs.count > 0;
		nx_rpc_call_free(call);
	}
	printf("probe: listed\n");
	return r;
}

static int kill_one(nexus *nx, struct exec *exec, uint64_t id, uint32_t sig)
{
	struct exec_process *process = NULL;
	nx_rpc_call *call = NULL, *kcall = NULL;
	exec_get_results got;
	exec_process_kill_results killed;
	int r = exec_get_wait(exec, id, nexus_deadline(nx), &call, &got);

	if (r >= 0)
		r = exec_get_results_get_process(got, &process);
	if (r >= 0) {
		r = exec_process_kill_wait(process, sig, nexus_deadline(nx), &kcall, &killed);
		if (r >= 0)
			printf("probe: killed\n");
		else
			printf("probe: %s\n", reason_of(nx, kcall, r));
	} else {
		printf("probe: %s\n", reason_of(nx, call, r));
	}
	nx_rpc_call_free(kcall);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(exec_process_cap(process));
	return r;
}

static int crashes(nexus *nx, struct exec *exec)
{
	nx_rpc_call *call = NULL;
	exec_crashes_results out;
	nx_capnp_list list = {0};
	int r = exec_crashes_wait(exec, 0, nexus_deadline(nx), &call, &out);

	if (r < 0) {
		printf("probe: %s\n", reason_of(nx, call, r));
		nx_rpc_call_free(call);
		return r;
	}
	(void)exec_crashes_results_get_reports(out, &list);
	for (uint32_t i = 0; i < list.count; i++) {
		exec_crash_summary s = exec_crash_summary_at(&list, i);
		const char *bundle;
		size_t len;

		(void)exec_crash_summary_get_bundle(s, &bundle, &len);
		printf("probe: crash %llu %s pid=%u code=%d signal=%u\n",
		        (unsigned long long)exec_crash_summary_get_id(s), bundle,
		        exec_crash_summary_get_pid(s), exec_crash_summary_get_exit_code(s),
		        exec_crash_summary_get_signal(s));
	}
	nx_rpc_call_free(call);
	return 0;
}

static int crash(nexus *nx, struct exec *exec, uint64_t id, bool json)
{
	struct nexus_vmo *vmo = NULL;
	nx_rpc_call *call = NULL;
	exec_crash_results out;
	uint64_t size;
	char *buf;
	int r = exec_crash_wait(exec, id, json, nexus_deadline(nx), &call, &out);

	if (r >= 0)
		r = nexus_vmo_ref_get_vmo(exec_crash_results_get_report(out), &vmo);
	size = r >= 0 ? nexus_vmo_ref_get_size(exec_crash_results_get_report(out)) : 0;
	buf = r >= 0 ? calloc(1, size + 1) : NULL;
	if (r >= 0 && !buf)
		r = -ENOMEM;
	if (r >= 0)
		r = nx_vmo_read(nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), 0, buf, size);
	if (r >= 0)
		fputs(buf, stdout);
	else
		printf("probe: %s\n", reason_of(nx, call, r));
	free(buf);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	nx_rpc_call_free(call);
	return r;
}

int main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : "";
	nx_rpc_cap *cap = NULL;
	nexus *nx = NULL;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!((argc >= 3 && strcmp(cmd, "spawn") == 0) || (argc == 2 && strcmp(cmd, "list") == 0) ||
	            (argc == 2 && strcmp(cmd, "garbage") == 0) ||
	            (argc == 3 && strcmp(cmd, "watch") == 0) ||
	            (argc == 4 && strcmp(cmd, "kill") == 0) ||
	            (argc == 2 && strcmp(cmd, "crashes") == 0) ||
	            ((argc == 3 || argc == 4) && strcmp(cmd, "crash") == 0))) {
		fprintf(stderr, "usage: exec-probe spawn BUNDLE [-w] [-p] [-e K=V] [-A N:LEN] "
		                "[-E N:LEN] [-- ARGS] | list | kill ID SIG | crashes | crash ID "
		                "[json] | watch N | garbage\n");
		return 2;
	}
	r = nexus_connect(&nx);
	if (r >= 0 && strcmp(cmd, "garbage") == 0) {
		r = raw_garbage(nx, "execd");
		printf("probe: %s\n", r == 0 ? "execd closed the channel" : strerror(-r));
		nexus_free(nx);
		return r < 0 ? 1 : 0;
	}
	if (r >= 0)
		r = nexus_resolve(nx, "execd", &cap);
	if (r < 0) {
		printf("probe: %s\n", nx ? nexus_last_error(nx) : strerror(-r));
	} else if (strcmp(cmd, "spawn") == 0) {
		r = spawn(nx, exec_from_cap(cap), argc - 2, argv + 2);
	} else if (strcmp(cmd, "list") == 0) {
		r = list(nx, exec_from_cap(cap));
	} else if (strcmp(cmd, "kill") == 0) {
		r = kill_one(nx, exec_from_cap(cap), strtoull(argv[2], NULL, 10),
		        (uint32_t)strtoul(argv[3], NULL, 10));
	} else if (strcmp(cmd, "watch") == 0) {
		r = watch(nx, exec_from_cap(cap), (unsigned)strtoul(argv[2], NULL, 10));
	} else if (strcmp(cmd, "crashes") == 0) {
		r = crashes(nx, exec_from_cap(cap));
	} else {
		r = crash(nx, exec_from_cap(cap), strtoull(argv[2], NULL, 10), argc == 4);
	}
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r < 0 ? 1 : 0;
}
