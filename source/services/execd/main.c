/* SPDX-License-Identifier: MIT */
/*
 * execd: the app supervisor (DESIGN.md sections 3 and 7; exec.capnp). Started by nexus-init
 * after bundlemgrd; registers "execd" and serves Exec to every channel samgrd brokers.
 *
 *   the decisions  userspace/exec: spawn bounds, restarts, uid slots, crash report forms
 *   links.c        bundlemgrd and logd followed by name
 *   spawn.c        Exec.spawn, each run's start: adoption, pipes, confinement, nx_spawn
 *   proc.c         the process table, exits and restarts, Process, list/get/watch
 *   output.c       each app's output as journal records of its own subject
 *   crash.c        crash reports: console, journal, $STATE/execd/crashes; crashes/crash
 * Apps die with execd (nx_spawn's die_with_parent): README.md says why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execd.h"
#include "nx-abi/cgroup.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"

static const struct exec_server exec_vt = {
        .spawn = execd_serve_spawn,
        .list = execd_serve_list,
        .get = execd_serve_get,
        .watch = execd_serve_watch,
        .crashes = execd_serve_crashes,
        .crash = execd_serve_crash,
};

int execd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	return exec_dispatch(&exec_vt, impl, in, interface_id, method_id);
}

/* $NEXUS_APP_UID_BASE, or the default: the first of APP_PROCESSES_MAX app uids. */
static int uid_base(uint32_t *ret)
{
	const char *env = getenv("NEXUS_APP_UID_BASE");
	unsigned long v;
	char *end;

	*ret = EXECD_UID_BASE_DEFAULT;
	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoul(env, &end, 10);
	if (errno || *end || v == 0 || v > UINT32_MAX - APP_PROCESSES_MAX) {
		nx_log(NX_LOG_ERROR, "config", "NEXUS_APP_UID_BASE=%s: not a uid", env);
		return -EINVAL;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* Memory and task limits as a cgroup where cgroup v2 is delegated to us, else rlimits only. */
static void cgroup_base(struct execd *d)
{
	int r = nx_cgroup_base_open(&d->cgroup_base);

	if (r < 0) {
		d->cgroup_base = -1;
		nx_log(NX_LOG_NOTICE, "sandbox", "no cgroup v2 for apps (%s): rlimits only",
		        strerror(-r));
	}
}

int main(void)
{
	struct execd d = {.crash_dirfd = -1, .cgroup_base = -1};
	struct exec *exec = NULL;
	int r, code = 1;

	r = nx_svc_new("execd", &d.svc); /* nx_log_init("execd") */
	if (r >= 0) {
		d.loop = nx_svc_loop(d.svc);
		r = uid_base(&d.uid_base);
	}
	if (r >= 0)
		r = execd_crash_open(&d);
	if (r >= 0)
		r = nx_svc_policy_start(d.svc, NULL, 0, execd_dispatch,
		        &d); /* no interim grant: apps wait for policyd */
	if (r >= 0)
		r = execd_links_start(&d);
	if (r >= 0)
		r = exec_server_new(&exec_vt, &d, NULL, &exec);
	if (r >= 0) {
		cgroup_base(&d);
		code = nx_svc_run(d.svc, exec_cap(exec));
	} else {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
	}
	/* Everything on the loop first (nx_svc_free frees it); Process handles still held by
	 * clients keep only a process's memory until their connections go in nx_svc_free. */
	execd_procs_free(&d);
	execd_links_stop(&d);
	execd_crash_free_all(&d);
	nx_rpc_cap_unref(exec_cap(exec));
	nx_svc_free(d.svc);
	if (d.cgroup_base >= 0)
		nx_fd_close(d.cgroup_base);
	return code;
}
