/* SPDX-License-Identifier: MIT */
/*
 * nx svc: services through samgrd (list, resolve) and through nexus-init's control interface
 * (init.capnp, registered with samgrd as `initctl`: restart, stop, start, each needing
 * svc.control).
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "init.capnp.h"
#include "samgr.capnp.h"

int nx_cmd_svc(int argc, char **argv);
extern const struct nxt_group nx_group_svc;

/* The name samgrd knows nexus-init's control interface by (init.capnp). */
#define INITCTL_NAME "initctl"

static void print_entries(samgr_list_results out, bool json)
{
	nx_capnp_list list = {0};

	(void)samgr_list_results_get_entries(out, &list); /* results are validated */
	if (json)
		printf("[");
	else
		printf("%-24s %s\n", "NAME", "OWNER");
	for (uint32_t i = 0; i < list.count; i++) {
		samgr_entry e = samgr_entry_at(&list, i);
		const char *name = "", *owner = "";
		size_t nlen = 0, olen = 0;

		(void)samgr_entry_get_name(e, &name, &nlen);
		(void)samgr_entry_get_owner(e, &owner, &olen);
		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			nxt_json_string(name, nlen);
			printf(",\"owner\":");
			nxt_json_string(owner, olen);
			printf("}");
		} else {
			printf("%-24.*s %.*s\n", (int)nlen, name, (int)olen, owner);
		}
	}
	if (json)
		printf("]\n");
}

static int svc_list(int argc, char **argv)
{
	struct nxt_session s = {0};
	samgr_list_results out;
	nx_rpc_call *call = NULL;
	bool json = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return nxt_usage_error("svc list", "unknown argument '%s'", argv[i]);
		json = true;
	}
	r = nxt_session_open(&s, NULL);
	if (r == 0 && nexus_samgr(s.nx, &s.svc) < 0)
		r = nxt_report_last(s.nx);
	if (r == 0) {
		r = samgr_list_wait(samgr_from_cap(s.svc), nexus_deadline(s.nx), &call, &out);
		if (r < 0)
			r = nxt_report_call(&s, call, r, "list");
		else
			print_entries(out, json);
		nx_rpc_call_free(call);
	}
	nxt_session_close(&s);
	return r;
}

/* The one NAME argument of resolve/restart/stop/start: 0, or the usage error (2). */
static int one_name(const char *cmd, int argc, char **argv)
{
	if (argc < 2)
		return nxt_usage_error(cmd, "missing NAME");
	if (argc > 2)
		return nxt_usage_error(cmd, "one NAME only ('%s' is extra)", argv[2]);
	if (argv[1][0] == '-')
		return nxt_usage_error(cmd, "unknown option '%s'", argv[1]);
	return 0;
}

static int svc_resolve(int argc, char **argv)
{
	struct nxt_session s = {0};
	nx_rpc_cap *cap = NULL;
	int r = one_name("svc resolve", argc, argv);

	if (r)
		return r;
	r = nxt_session_open(&s, NULL);
	if (r == 0)
		r = nxt_resolve(&s, argv[1], &cap);
	if (r == 0)
		printf("%s: resolved (a fresh channel to its bootstrap)\n", argv[1]);
	nx_rpc_cap_unref(cap);
	nxt_session_close(&s);
	return r;
}

enum control { CONTROL_RESTART, CONTROL_STOP, CONTROL_START };

static int control_call(struct nxt_session *s, enum control what, const char *name)
{
	static const char *const done[] = {"restarted", "stopped", "started"};
	static const char *const verb[] = {"restart", "stop", "start"};
	struct init_control *ctl = init_control_from_cap(s->svc);
	uint64_t deadline = nexus_deadline(s->nx);
	nx_rpc_call *call = NULL;
	int r;

	switch (what) {
	case CONTROL_RESTART: {
		init_control_restart_results out;

		r = init_control_restart_wait(ctl, name, deadline, &call, &out);
		break;
	}
	case CONTROL_STOP: {
		init_control_stop_results out;

		r = init_control_stop_wait(ctl, name, deadline, &call, &out);
		break;
	}
	case CONTROL_START:
	default: {
		init_control_start_results out;

		r = init_control_start_wait(ctl, name, deadline, &call, &out);
		break;
	}
	}
	if (r < 0)
		r = nxt_report_call(s, call, r, verb[what]);
	else
		printf("%s: %s\n", name, done[what]);
	nx_rpc_call_free(call);
	return r;
}

static int svc_control(enum control what, const char *cmd, int argc, char **argv)
{
	struct nxt_session s = {0};
	int r = one_name(cmd, argc, argv);

	if (r)
		return r;
	r = nxt_session_open(&s, INITCTL_NAME);
	if (r == 0)
		r = control_call(&s, what, argv[1]);
	nxt_session_close(&s);
	return r;
}

static int svc_restart(int argc, char **argv)
{
	return svc_control(CONTROL_RESTART, "svc restart", argc, argv);
}

static int svc_stop(int argc, char **argv)
{
	return svc_control(CONTROL_STOP, "svc stop", argc, argv);
}

static int svc_start(int argc, char **argv)
{
	return svc_control(CONTROL_START, "svc start", argc, argv);
}

static const char control_help[] =
        "Asks nexus-init through its control interface (the service `initctl`): needs\n"
        "ipc.connect.initctl and svc.control. samgrd cannot be restarted this way.\n"
        "`nx status` shows the outcome.\n";

static const struct nxt_sub subs[] = {
        {"list", "[--json]", "the services registered with samgrd and their owners (samgr.list)",
                "", "--json", svc_list},
        {"resolve", "NAME", "ask samgrd for a channel to NAME (checks ipc.connect.NAME)", "", "",
                svc_resolve},
        {"restart", "NAME", "stop NAME and start it again (also a failed one)", control_help, "",
                svc_restart},
        {"stop", "NAME", "stop NAME; it stays down until start", control_help, "", svc_stop},
        {"start", "NAME", "start NAME if it is down or failed", control_help, "", svc_start},
};

const struct nxt_group nx_group_svc = {
        .name = "svc",
        .about = "Services: what samgrd has registered, and nexus-init's control of each.",
        .footer = "",
        .subs = subs,
        .n_subs = sizeof(subs) / sizeof(subs[0]),
};

int nx_cmd_svc(int argc, char **argv)
{
	return nxt_group_run(&nx_group_svc, argc, argv);
}
