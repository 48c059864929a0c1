/* SPDX-License-Identifier: MIT */
#include "proc-print.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bundle/spec.h" /* bnd_restart_name */
#include "nx-abi/sandbox.h"

/* The schema's mechanisms are nx-abi's, in the same order: nx_sandbox_mech_name() names them
 * as nexus-init's status file does for services. */
_Static_assert(EXEC_MECHANISM_NO_NEW_PRIVS == NX_SANDBOX_NO_NEW_PRIVS &&
                       EXEC_MECHANISM_UID == NX_SANDBOX_IDENTITY &&
                       EXEC_MECHANISM_NAMESPACES == NX_SANDBOX_NAMESPACES &&
                       EXEC_MECHANISM_CGROUP == NX_SANDBOX_CGROUP,
        "exec.capnp's Mechanism follows enum nx_sandbox_mech");

/* Highest signal number nx accepts: Linux's real-time signals end at 64. */
#define SIGNAL_MAX 64u

static const char *mech_name(uint16_t m)
{
	const char *name = m < NX_SANDBOX_MECH_COUNT ? nx_sandbox_mech_name(m) : NULL;

	return name ? name : "?";
}

/* The applied mechanisms joined by ',' ("-": none), seccomp with ":<profile>" when it is
 * not the services' one, as `nx status` shows a service's. */
static void format_sandbox(exec_proc_info info, char *buf, size_t size)
{
	nx_capnp_list list = {0};
	const char *profile = "";
	size_t used = 0, plen = 0;

	(void)exec_proc_info_get_sandbox(info, &list); /* results are validated */
	(void)exec_proc_info_get_seccomp_profile(info, &profile, &plen);
	buf[0] = '\0';
	for (uint32_t i = 0; i < list.count && used < size; i++) {
		exec_sandbox_entry e = exec_sandbox_entry_at(&list, i);
		uint16_t m = exec_sandbox_entry_get_mechanism(e);
		bool detail =
		        m == EXEC_MECHANISM_SECCOMP && plen && strcmp(profile, "service") != 0;

		if (exec_sandbox_entry_get_status(e) != EXEC_MECHANISM_STATUS_APPLIED)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s%s%.*s", used ? "," : "",
		        mech_name(m), detail ? ":" : "", detail ? (int)plen : 0, profile);
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

const char *nxt_signal_name(unsigned sig)
{
	const char *name = sig ? sigabbrev_np((int)sig) : NULL;

	return name ? name : "?";
}

int nxt_signal_parse(const char *text, unsigned *ret)
{
	const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
	unsigned long v;
	char *end;

	if (*text >= '0' && *text <= '9') {
		errno = 0;
		v = strtoul(text, &end, 10);
		if (errno || *end || v < 1 || v > SIGNAL_MAX)
			return -EINVAL;
		*ret = (unsigned)v;
		return 0;
	}
	for (unsigned sig = 1; sig <= SIGNAL_MAX; sig++) {
		const char *abbrev = sigabbrev_np((int)sig);

		if (abbrev && strcasecmp(abbrev, name) == 0) {
			*ret = sig;
			return 0;
		}
	}
	return -EINVAL;
}

void nxt_proc_format_end(exec_proc_info info, char *buf, size_t size)
{
	uint16_t state = exec_proc_info_get_state(info);
	uint32_t sig = exec_proc_info_get_signal(info);

	if (state == EXEC_STATE_RUNNING)
		snprintf(buf, size, "running");
	else if (sig)
		snprintf(buf, size, "killed by SIG%s", nxt_signal_name(sig));
	else
		snprintf(buf, size, "exited %" PRId32, exec_proc_info_get_exit_code(info));
}

int nxt_proc_exit_status(exec_proc_info info)
{
	uint32_t sig = exec_proc_info_get_signal(info);

	return sig ? 128 + (int)sig : exec_proc_info_get_exit_code(info) & 0xff;
}

static const char *state_name(exec_proc_info info)
{
	const char *name = exec_state_name(exec_proc_info_get_state(info));

	return name ? name : "?";
}

static const char *restart_name(exec_proc_info info)
{
	const char *name = bnd_restart_name(exec_proc_info_get_restart(info));

	return name ? name : "?";
}

void nxt_proc_print_header(void)
{
	printf("%-6s %7s %-28s %7s %-10s %-19s %7s %4s %-16s %s\n", "ID", "PID", "BUNDLE",
	        "VERSION", "STATE", "STARTED", "UPTIME", "RST", "LAST-END", "SANDBOX");
}

void nxt_proc_print_row(exec_proc_info info, uint64_t now)
{
	char started[32], up[16] = "-", end[32], sandbox[256];
	uint64_t start = exec_proc_info_get_start_ns(info);
	const char *bundle = "";
	size_t blen = 0;

	(void)exec_proc_info_get_bundle(info, &bundle, &blen);
	nxt_format_started(start, started, sizeof(started));
	if (exec_proc_info_get_state(info) == EXEC_STATE_RUNNING && start && now > start)
		nxt_format_uptime(now - start, up, sizeof(up));
	if (exec_proc_info_get_state(info) == EXEC_STATE_RUNNING &&
	        !exec_proc_info_get_restarts(info))
		snprintf(end, sizeof(end), "-");
	else
		nxt_proc_format_end(info, end, sizeof(end));
	format_sandbox(info, sandbox, sizeof(sandbox));
	printf("%-6" PRIu64 " %7" PRIu32 " %-28.*s %7" PRIu64 " %-10s %-19s %7s %4" PRIu32
	       " %-16s %s\n",
	        exec_proc_info_get_id(info), exec_proc_info_get_pid(info), (int)blen, bundle,
	        exec_proc_info_get_version(info), state_name(info), started, up,
	        exec_proc_info_get_restarts(info), end, sandbox);
}

void nxt_proc_print_json(exec_proc_info info, uint64_t now)
{
	uint64_t start = exec_proc_info_get_start_ns(info);
	nx_capnp_list list = {0};
	const char *bundle = "", *owner = "", *profile = "";
	size_t blen = 0, olen = 0, plen = 0;
	bool running = exec_proc_info_get_state(info) == EXEC_STATE_RUNNING;

	(void)exec_proc_info_get_bundle(info, &bundle, &blen);
	(void)exec_proc_info_get_owner(info, &owner, &olen);
	(void)exec_proc_info_get_sandbox(info, &list);
	printf("{\"id\":%" PRIu64 ",\"pid\":%" PRIu32 ",\"bundle\":", exec_proc_info_get_id(info),
	        exec_proc_info_get_pid(info));
	nxt_json_string(bundle, blen);
	printf(",\"version\":%" PRIu64 ",\"state\":\"%s\",\"started_ns\":%" PRIu64
	       ",\"uptime_ns\":",
	        exec_proc_info_get_version(info), state_name(info), start);
	if (running && start && now > start)
		printf("%" PRIu64, now - start);
	else
		printf("null");
	printf(",\"restarts\":%" PRIu32 ",\"restart\":\"%s\",\"exit_code\":%" PRId32
	       ",\"signal\":%" PRIu32 ",\"uid\":%" PRIu32 ",\"owner\":",
	        exec_proc_info_get_restarts(info), restart_name(info),
	        exec_proc_info_get_exit_code(info), exec_proc_info_get_signal(info),
	        exec_proc_info_get_uid(info));
	nxt_json_string(owner, olen);
	(void)exec_proc_info_get_seccomp_profile(info, &profile, &plen);
	printf(",\"seccomp_profile\":");
	nxt_json_string(profile, plen);
	printf(",\"sandbox\":{");
	for (uint32_t i = 0; i < list.count; i++) {
		exec_sandbox_entry e = exec_sandbox_entry_at(&list, i);
		const char *status = exec_mechanism_status_name(exec_sandbox_entry_get_status(e));

		printf("%s\"%s\":\"%s\"", i ? "," : "",
		        mech_name(exec_sandbox_entry_get_mechanism(e)), status ? status : "?");
	}
	printf("}}");
}

int nxt_proc_find_pid(struct nxt_session *s, uint32_t pid, uint64_t *ret_id)
{
	uint64_t after = 0;
	bool more = true;

	while (more) {
		exec_list_results out;
		nx_capnp_list list = {0};
		nx_rpc_call *call = NULL;
		int r = exec_list_wait(
		        exec_from_cap(s->svc), after, nexus_deadline(s->nx), &call, &out);

		if (r < 0) {
			r = nxt_report_call(s, call, r, "list");
			nx_rpc_call_free(call);
			return r;
		}
		(void)exec_list_results_get_processes(out, &list);
		more = exec_list_results_get_more(out) && list.count > 0;
		for (uint32_t i = 0; i < list.count; i++) {
			exec_proc_info info = exec_proc_info_at(&list, i);

			after = exec_proc_info_get_id(info);
			if (exec_proc_info_get_pid(info) == pid &&
			        exec_proc_info_get_state(info) == EXEC_STATE_RUNNING) {
				*ret_id = after;
				nx_rpc_call_free(call);
				return 0;
			}
		}
		nx_rpc_call_free(call);
	}
	fprintf(stderr, "nx: not_found: pid %" PRIu32 ": no process execd runs has it\n", pid);
	return 1;
}
