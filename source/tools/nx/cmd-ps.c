/* SPDX-License-Identifier: MIT */
/*
 * nx ps [--json]: the processes execd supervises (exec.capnp Exec.list, page by page): id,
 * pid, bundle, version, state, start time and uptime, restarts, how the latest run ended, the
 * sandbox mechanisms applied (as `nx status` shows a service's). Needs proc.list.
 *
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "nx-abi/clock.h"
#include "proc-print.h"

int nx_cmd_ps(int argc, char **argv);

static int help(void)
{
	printf("usage: nx ps [--json]\n\n"
	       "The processes execd supervises: execd's id for each (it stays across restarts),\n"
	       "pid, bundle, version, state (running, restarting, exited, failed), when it started\n"
	       "and its uptime, restarts, how its latest run ended, and the sandbox mechanisms\n"
	       "applied to it. --json: one array of objects, each mechanism with its status.\n"
	       "Needs ipc.connect.execd and proc.list.\n"
	       "Exit codes: 0 success, 1 refused or unreachable, 2 usage.\n");
	return NXT_EXIT_OK;
}

static int list(struct nxt_session *s, bool json)
{
	uint64_t after = 0, now = nx_clock_realtime_ns();
	bool more = true, first = true;
	int r = 0;

	if (json)
		printf("[");
	else
		nxt_proc_print_header();
	while (r == 0 && more) {
		exec_list_results out;
		nx_capnp_list procs = {0};
		nx_rpc_call *call = NULL;

		r = exec_list_wait(
		        exec_from_cap(s->svc), after, nexus_deadline(s->nx), &call, &out);
		if (r < 0) {
			r = nxt_report_call(s, call, r, "list");
			nx_rpc_call_free(call);
			break;
		}
		(void)exec_list_results_get_processes(out, &procs);
		more = exec_list_results_get_more(out) && procs.count > 0;
		for (uint32_t i = 0; i < procs.count; i++, first = false) {
			exec_proc_info info = exec_proc_info_at(&procs, i);

			after = exec_proc_info_get_id(info);
			if (json) {
				printf("%s", first ? "" : ",");
				nxt_proc_print_json(info, now);
			} else {
				nxt_proc_print_row(info, now);
			}
		}
		nx_rpc_call_free(call);
	}
	if (json && r == 0)
		printf("]\n");
	return r;
}

int nx_cmd_ps(int argc, char **argv)
{
	struct nxt_session s = {0};
	bool json = false;
	int r;

	if (nxt_wants_help(argc - 1, argv + 1))
		return help();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return nxt_usage_error("ps", "unknown argument '%s'", argv[i]);
		json = true;
	}
	r = nxt_session_open(&s, NXT_EXECD_NAME);
	if (r == 0)
		r = list(&s, json);
	nxt_session_close(&s);
	return r;
}
