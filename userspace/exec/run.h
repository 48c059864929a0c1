/* SPDX-License-Identifier: MIT */
/*
 * exec run: what execd decides about one spawned process across its runs, and which uid it
 * runs under. Pure: time comes in as monotonic ns.
 *
 *   restart   the manifest's policy (never, on-failure, always) through userspace/supervise
 *             (backoff 100 ms doubling to 5 s, storm limit 5 exits in 30 s), except that a
 *             process stopped through execd (Process.kill) or whose output is the caller's
 *             (stdio=pipe: a new run would have no reader) is never restarted
 *   crash     a run that ended by a signal or a non-zero code, unless it was stopped through
 *             execd: that one gets a crash report
 *   caps      which seccomp profile the manifest's request asks for
 *   uid slots one uid per supervised process, APP_PROCESSES_MAX of them, free again once the
 *             process ended for good: two instances of one app never share a uid
 */
#ifndef EXEC_RUN_H
#define EXEC_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "bundle-format.capnp.h" /* nxb_restart */
#include "nexus/limits.h"
#include "supervise/supervise.h"

enum app_next {
	APP_NEXT_RESTART, /* start it again after *ret_delay_ns */
	APP_NEXT_EXITED,  /* ended for good, normally (code 0) or stopped through execd */
	APP_NEXT_FAILED,  /* ended for good abnormally, or the storm limit stopped it */
};

struct app_run {
	struct sup_child sup;
	bool stopping; /* Process.kill asked: this run's end is final */
	bool piped;    /* stdio=pipe: never restarted */
	unsigned restarts;
};

/* A process spawned with the manifest's `restart`; `piped`: its output goes to the caller. */
void app_run_init(struct app_run *r, nxb_restart restart, bool piped);

/* A run started at now_ns (apps have no readiness: started is up). */
void app_run_started(struct app_run *r, uint64_t now_ns);

/* Process.kill: the run that ends next is the last. */
void app_run_stop(struct app_run *r);

/* The run ended at now_ns with exit code `code` or by signal `signal` (non-zero). Decides
 * what comes next; on APP_NEXT_RESTART *ret_delay_ns is the backoff and r->restarts counts
 * it, otherwise *ret_delay_ns is untouched. */
enum app_next app_run_exited(
        struct app_run *r, int code, int signal, uint64_t now_ns, uint64_t *ret_delay_ns);

/* Whether the run that just ended deserves a crash report (call before app_run_exited's
 * decision is acted on; it does not change the state). */
bool app_run_crashed(const struct app_run *r, int code, int signal);

/* The manifest's restart policy as spawn's ProcInfo shows it. */
const char *app_restart_name(nxb_restart restart);

/* Which uids are in use: bit i is uid base + i. Zero-initialised: all free. */
struct app_slots {
	uint64_t used;
};

/* Takes the lowest free slot: its index (>= 0), or -EAGAIN when APP_PROCESSES_MAX are in use. */
int app_slot_take(struct app_slots *s);

/* Frees slot `i` (taken before). */
void app_slot_put(struct app_slots *s, unsigned i);

/* The capability a manifest requests for the wider seccomp profile (AF_INET and AF_INET6
 * sockets besides AF_UNIX): the app's capabilities are its manifest's request intersected
 * with what policy grants app:<id>, so the profile applies only when policyd also says
 * app:<id> holds it. */
#define APP_CAP_NET "sandbox.net"

/* Whether `cap` is among caps[0..n). */
bool app_caps_has(const char *const *caps, size_t n, const char *cap);

#endif
