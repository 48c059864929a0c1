/* SPDX-License-Identifier: MIT */
/*
 * nx crash: the crash reports execd keeps (exec.capnp Exec.crashes, Exec.crash), like
 * Android's tombstones: one per app that died by a signal or exited non-zero.
 *
 *   nx crash list [--json]       id, time, pid, bundle, version and cause of each kept report
 *   nx crash show ID [--json]    the report: bundle, version, pid, cause, time, the sandbox,
 *                                the app's last journal records, what execd knows of where
 *                                it died (text, or execd's JSON object with --json)
 *
 * Needs proc.crash.read. Exit codes: 0 success, 1 refused or failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "nx-abi/vmo.h"
#include "proc-print.h"

int nx_cmd_crash(int argc, char **argv);
extern const struct nxt_group nx_group_crash;

static void print_summary(exec_crash_summary c, bool json, bool first)
{
	char when[32], cause[32];
	const char *bundle = "";
	size_t blen = 0;
	uint32_t sig = exec_crash_summary_get_signal(c);

	(void)exec_crash_summary_get_bundle(c, &bundle, &blen); /* results are validated */
	if (json) {
		printf("%s{\"id\":%" PRIu64 ",\"process\":%" PRIu64 ",\"pid\":%" PRIu32
		       ",\"bundle\":",
		        first ? "" : ",", exec_crash_summary_get_id(c),
		        exec_crash_summary_get_process(c), exec_crash_summary_get_pid(c));
		nxt_json_string(bundle, blen);
		printf(",\"version\":%" PRIu64 ",\"exit_code\":%" PRId32 ",\"signal\":%" PRIu32
		       ",\"time_ns\":%" PRIu64 "}",
		        exec_crash_summary_get_version(c), exec_crash_summary_get_exit_code(c), sig,
		        exec_crash_summary_get_time_ns(c));
		return;
	}
	nxt_format_started(exec_crash_summary_get_time_ns(c), when, sizeof(when));
	if (sig)
		snprintf(cause, sizeof(cause), "SIG%s", nxt_signal_name(sig));
	else
		snprintf(
		        cause, sizeof(cause), "exit %" PRId32, exec_crash_summary_get_exit_code(c));
	printf("%-6" PRIu64 " %-19s %7" PRIu32 " %-28.*s %7" PRIu64 " %s\n",
	        exec_crash_summary_get_id(c), when, exec_crash_summary_get_pid(c), (int)blen,
	        bundle, exec_crash_summary_get_version(c), cause);
}

/* --json and, when ret_id is not NULL, the one ID operand: 0, or the usage error (2). */
static int parse_args(const char *cmd, int argc, char **argv, const char **ret_id, bool *ret_json)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*ret_json = true;
		else if (argv[i][0] == '-' || !ret_id || *ret_id)
			return nxt_usage_error(cmd, "unknown argument '%s'", argv[i]);
		else
			*ret_id = argv[i];
	}
	if (ret_id && !*ret_id)
		return nxt_usage_error(cmd, "missing ID");
	return 0;
}

static int crash_list(int argc, char **argv)
{
	struct nxt_session s = {0};
	uint64_t after = 0;
	bool json = false, more = true, first = true;
	int r = parse_args("crash list", argc, argv, NULL, &json);

	if (r)
		return r;
	r = nxt_session_open(&s, NXT_EXECD_NAME);
	if (r == 0 && json)
		printf("[");
	else if (r == 0)
		printf("%-6s %-19s %7s %-28s %7s %s\n", "ID", "TIME", "PID", "BUNDLE", "VERSION",
		        "CAUSE");
	while (r == 0 && more) {
		exec_crashes_results out;
		nx_capnp_list list = {0};
		nx_rpc_call *call = NULL;

		r = exec_crashes_wait(
		        exec_from_cap(s.svc), after, nexus_deadline(s.nx), &call, &out);
		if (r < 0) {
			r = nxt_report_call(&s, call, r, "crashes");
			nx_rpc_call_free(call);
			break;
		}
		(void)exec_crashes_results_get_reports(out, &list);
		more = exec_crashes_results_get_more(out) && list.count > 0;
		for (uint32_t i = 0; i < list.count; i++, first = false) {
			exec_crash_summary c = exec_crash_summary_at(&list, i);

			after = exec_crash_summary_get_id(c);
			print_summary(c, json, first);
		}
		nx_rpc_call_free(call);
	}
	if (r == 0 && json)
		printf("]\n");
	nxt_session_close(&s);
	return r;
}

/* The report's VMO: sealed, at most EXEC_REPORT_MAX_BYTES, exactly the size the answer says,
 * to stdout. */
static int print_report(nexus_vmo_ref ref)
{
	struct nx_vmo_map map = {0};
	struct nexus_vmo *vmo = NULL;
	uint64_t size = nexus_vmo_ref_get_size(ref);
	int r = nexus_vmo_ref_get_vmo(ref, &vmo);

	if (r >= 0)
		r = nx_vmo_map_ro(
		        nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), EXEC_REPORT_MAX_BYTES, false, &map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo)); /* the map stays valid without the fd */
	if (r >= 0 && size > map.size)
		r = -EBADMSG;
	if (r < 0)
		r = nxt_report("show: report", r);
	else if (fwrite(map.addr, 1, size, stdout) != size || fflush(stdout) != 0)
		r = nxt_report("writing stdout", -EIO);
	nx_vmo_unmap(&map);
	return r;
}

static int crash_show(int argc, char **argv)
{
	struct nxt_session s = {0};
	exec_crash_results out;
	nx_rpc_call *call = NULL;
	const char *text = NULL;
	uint64_t id;
	bool json = false;
	int r = parse_args("crash show", argc, argv, &text, &json);

	if (r == 0)
		r = nxt_parse_u64("crash show", "ID", text, 1, UINT64_MAX, &id);
	if (r)
		return r;
	r = nxt_session_open(&s, NXT_EXECD_NAME);
	if (r == 0) {
		r = exec_crash_wait(
		        exec_from_cap(s.svc), id, json, nexus_deadline(s.nx), &call, &out);
		if (r < 0)
			r = nxt_report_call(&s, call, r, "crash");
		else
			r = print_report(exec_crash_results_get_report(out));
		nx_rpc_call_free(call);
	}
	nxt_session_close(&s);
	return r;
}

static const struct nxt_sub subs[] = {
        {"list", "[--json]", "the crash reports execd keeps, oldest first",
                "Each: its id, when, the pid, bundle and version, and the cause (a signal or\n"
                "an exit code). execd keeps the newest 32; the oldest goes first.\n",
                "--json", crash_list},
        {"show", "ID [--json]", "one crash report in full",
                "Bundle, version, pid, cause, time, the sandbox it ran in, its last journal\n"
                "records, and what execd knows of where it died. --json: execd's JSON form.\n",
                "--json", crash_show},
};

const struct nxt_group nx_group_crash = {
        .name = "crash",
        .about = "Crash reports of apps execd ran (needs ipc.connect.execd and proc.crash.read).",
        .footer = "",
        .subs = subs,
        .n_subs = sizeof(subs) / sizeof(subs[0]),
};

int nx_cmd_crash(int argc, char **argv)
{
	return nxt_group_run(&nx_group_crash, argc, argv);
}
