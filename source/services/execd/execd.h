/* SPDX-License-Identifier: MIT */
/* execd's shared state (main.c says what is where). Private to execd. */
#ifndef EXECD_EXECD_H
#define EXECD_EXECD_H

#include <stdbool.h>
#include <stdint.h>

#include "bundle.capnp.h"
#include "exec.capnp.h"
#include "exec/lines.h"
#include "exec/run.h"
#include "follow.h"
#include "log.capnp.h"
#include "nexus/limits.h"
#include "nx-abi/spawn.h"
#include "samgr.capnp.h"
#include "svc.h"

/* Apps run under uids from here up, one per supervised process (APP_PROCESSES_MAX of them);
 * $NEXUS_APP_UID_BASE overrides it. Above nexus-init's service uids (61184 + line index). */
#define EXECD_UID_BASE_DEFAULT 61440u

struct execd_proc;

/* An output line read before the journal channel was up. */
struct execd_held_line {
	struct execd_held_line *next;
	size_t len;
	char text[];
};

/* A process's channel to logd as app:<id>: its output's records are that subject's. */
struct execd_applog {
	nx_rpc_conn *samgr_conn; /* adopted as app:<id> by samgrd; we are its client */
	nx_rpc_call *resolve;    /* Samgr.resolve("logd") in flight */
	nx_rpc_conn *log_conn;
	struct log *log;  /* NULL until resolved */
	unsigned pending; /* appends not answered yet */
	uint64_t dropped; /* lines lost: logd unreachable, too many pending or held */
	/* Lines of a run that ended while resolve was in flight, oldest first */
	struct execd_held_line *held, **held_tail;
	size_t held_bytes; /* their text: at most APP_HELD_BYTES_MAX */
};

/* Where a run's output goes. */
struct execd_output {
	int fd;         /* the read end of the app's stdout/stderr pipe; -1 none */
	nx_source *src; /* watching fd, once the app's log channel is up */
	struct app_lines lines;
};

struct execd_proc {
	struct execd_proc *next;
	struct execd *d;
	uint64_t id;
	char bundle[BND_ID_MAX + 1];
	char subject[NX_SVC_SUBJECT_MAX + 1]; /* app:<bundle> */
	char owner[NX_SVC_SUBJECT_MAX + 1];   /* who spawned it */
	uint64_t version;
	nxb_restart restart;
	uint64_t memory_bytes;
	uint32_t tasks, open_files;
	bool net;            /* the wider seccomp profile: requested and granted */
	bool piped;          /* stdio=pipe */
	char **argv, **envp; /* NULL-terminated, owned */
	int exe_fd;          /* the entry's sealed memfd, kept for restarts */
	int slot;            /* uid slot (app_slots) */
	struct app_run run;
	exec_state state;
	int pid, pidfd;
	nx_source *exit_src;
	nx_source *restart_timer;
	uint64_t start_ns; /* realtime of the latest start */
	int32_t exit_code;
	uint32_t signal;
	struct nx_sandbox_report sandbox;
	struct execd_output out;
	struct execd_applog applog;
	struct execd_wait *waiters;
	struct execd_crash *crash_wait; /* a report waiting for this run's output to be in */
	unsigned handles;               /* Process capabilities alive; freed at 0 once ended */
	bool ended;                     /* ended for good: off the table */
	bool freeing;                   /* execd_proc_free runs: late answers change nothing */
};

/* A crash report waiting for the app's last output to reach logd, then for logd's answer. */
struct execd_crash;

struct execd_watcher {
	struct execd_watcher *next;
	struct exec_process_watcher *cb;
	nx_rpc_conn *conn; /* the watcher's connection, for the per-connection limit */
};

struct execd {
	nx_svc *svc;
	nx_loop *loop;
	nx_follow *bundles_follow;
	struct bundle_bundles *bundles;
	nx_follow *logd_follow;
	struct log *log;          /* execd's own channel to logd: the crash reports' queries */
	struct execd_proc *procs; /* running or waiting to restart */
	struct execd_proc *ended; /* ended, kept while a handle, an answer or a report needs them */
	unsigned nprocs;
	uint64_t next_id;
	struct app_slots slots;
	uint32_t uid_base;
	int cgroup_base; /* the cgroup v2 hierarchy, -1 where there is none */
	bool said_unavailable[NX_SANDBOX_MECH_COUNT];
	int crash_dirfd;
	uint64_t next_crash;
	struct execd_crash *crashes; /* being assembled */
	struct execd_watcher *watchers;
	unsigned nwatchers;
};

/* main.c: the policy rerun hook. */
int execd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);

/* links.c: bundlemgrd and logd followed by name. */
int execd_links_start(struct execd *d);
void execd_links_stop(struct execd *d);

/* spawn.c: Exec.spawn, and starting each run. */
int execd_serve_spawn(void *impl, nx_rpc_incoming *in, exec_spawn_params params);
/* Hands samgrd one end of a fresh channel, adopted as p's subject (app:<id>); *ret_fd is the
 * other end (Samgr.adopt). -EAGAIN: samgrd is not reachable (yet). */
int execd_adopt(struct execd_proc *p, int *ret_fd);
/* Starts a run of p: 0, or a negative errno with `why` saying which step failed. */
int execd_run_start(struct execd_proc *p, char *why, size_t why_size);

/* proc.c: the process table, exits, restarts, the Process interface, list/get/watch. */
int execd_proc_new(struct execd *d, struct execd_proc **ret);
/* Releases everything p holds; its memory goes with its last Process handle. */
void execd_proc_free(struct execd_proc *p);
/* For an ended process whose output is all in the journal: answers its waits, and frees it
 * once nothing refers to it (handles, answers, a crash report). */
void execd_proc_release(struct execd_proc *p);
void execd_proc_started(struct execd_proc *p); /* a run is up: watch it, tell watchers */
int execd_proc_handle(
        struct execd_proc *p, bool may_control, const char *holder, struct exec_process **ret);
int execd_info_fill(const struct execd_proc *p, exec_proc_info_b b);
int execd_serve_list(void *impl, nx_rpc_incoming *in, exec_list_params params);
int execd_serve_get(void *impl, nx_rpc_incoming *in, exec_get_params params);
int execd_serve_watch(void *impl, nx_rpc_incoming *in, exec_watch_params params);
void execd_procs_free(struct execd *d);

/* output.c: a run's output to the journal as app:<id>. The channel stays across restarts;
 * close waits for the appends in flight unless the process is being freed. */
int execd_applog_open(struct execd_proc *p);
void execd_applog_close(struct execd_proc *p);
/* True while lines are on their way to the journal: appends in flight, or lines held until the
 * channel is up. A crash report's query and the process's release wait for it. */
bool execd_applog_busy(const struct execd_proc *p);
void execd_output_watch(struct execd_proc *p, int fd); /* takes fd */
void execd_output_drain(struct execd_proc *p);         /* at the run's end: read what is left */
void execd_output_close(struct execd_proc *p);

/* crash.c: crash reports, and Exec.crashes / Exec.crash. */
int execd_crash_open(struct execd *d);
void execd_crash_report(struct execd_proc *p, const char *next);
void execd_crash_applog_idle(struct execd_proc *p); /* the app's appends are all answered */
int execd_serve_crashes(void *impl, nx_rpc_incoming *in, exec_crashes_params params);
int execd_serve_crash(void *impl, nx_rpc_incoming *in, exec_crash_params params);
void execd_crash_free_all(struct execd *d);

#endif
