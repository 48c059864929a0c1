/* SPDX-License-Identifier: MIT */
/*
 * nx kill PID [-s SIGNAL] | nx kill --id ID [-s SIGNAL]: sends SIGNAL (default TERM; a name
 * such as KILL or SIGKILL, or a number) to a process execd supervises, found by its pid in
 * Exec.list or by execd's id (which also names a process waiting to restart), through its
 * Process capability (Exec.get, Process.kill). execd restarts it no more. Needs proc.list and
 * proc.kill, and the process to be the caller's (spawned by the same subject) unless it holds
 * proc.kill.any.
 *
 * Exit codes: 0 signalled, 1 refused or failed (not_found: no such process), 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "proc-print.h"

int nx_cmd_kill(int argc, char **argv);

static int help(void)
{
	printf("usage: nx kill PID [-s SIGNAL]\n"
	       "       nx kill --id ID [-s SIGNAL]\n\n"
	       "Sends SIGNAL (default TERM; a name like KILL or SIGKILL, or a number 1..64) to a\n"
	       "process execd runs, by its pid or by execd's id for it (nx ps shows both; the id\n"
	       "also reaches a process waiting to restart). execd does not restart it after.\n"
	       "Needs ipc.connect.execd, proc.list and proc.kill; another subject's process\n"
	       "also proc.kill.any.\n"
	       "Exit codes: 0 signalled, 1 refused or failed, 2 usage.\n");
	return NXT_EXIT_OK;
}

static int kill_id(struct nxt_session *s, uint64_t id, unsigned sig)
{
	struct exec_process *process = NULL;
	exec_process_kill_results kout;
	exec_get_results gout;
	nx_rpc_call *call = NULL;
	int r = exec_get_wait(exec_from_cap(s->svc), id, nexus_deadline(s->nx), &call, &gout);

	if (r >= 0 && exec_get_results_get_process(gout, &process) < 0)
		r = -EBADMSG;
	if (r < 0) {
		r = nxt_report_call(s, call, r, "get");
		nx_rpc_call_free(call);
		return r;
	}
	nx_rpc_call_free(call);
	r = exec_process_kill_wait(process, sig, nexus_deadline(s->nx), &call, &kout);
	if (r < 0)
		r = nxt_report_call(s, call, r, "kill");
	else
		printf("sent SIG%s to process %" PRIu64 "\n", nxt_signal_name(sig), id);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(exec_process_cap(process));
	return r;
}

int nx_cmd_kill(int argc, char **argv)
{
	struct nxt_session s = {0};
	const char *target = NULL;
	unsigned sig = SIGTERM;
	uint64_t value = 0, id = 0;
	bool by_id = false;
	int r;

	if (nxt_wants_help(argc - 1, argv + 1))
		return help();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--signal") == 0) {
			if (i + 1 >= argc)
				return nxt_usage_error("kill", "%s: missing SIGNAL", argv[i]);
			if (nxt_signal_parse(argv[++i], &sig) < 0)
				return nxt_usage_error("kill", "-s: '%s' is not a signal", argv[i]);
		} else if (strcmp(argv[i], "--id") == 0) {
			by_id = true;
		} else if (argv[i][0] == '-') {
			return nxt_usage_error("kill", "unknown option '%s'", argv[i]);
		} else if (target) {
			return nxt_usage_error("kill", "one %s only ('%s' is extra)",
			        by_id ? "ID" : "PID", argv[i]);
		} else {
			target = argv[i];
		}
	}
	if (!target)
		return nxt_usage_error("kill", "missing %s", by_id ? "ID" : "PID");
	r = nxt_parse_u64(
	        "kill", by_id ? "ID" : "PID", target, 1, by_id ? UINT64_MAX : INT32_MAX, &value);
	if (r)
		return r;
	r = nxt_session_open(&s, NXT_EXECD_NAME);
	if (r == 0 && !by_id)
		r = nxt_proc_find_pid(&s, (uint32_t)value, &id);
	else
		id = value;
	if (r == 0)
		r = kill_id(&s, id, sig);
	nxt_session_close(&s);
	return r;
}
