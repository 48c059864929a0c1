/* SPDX-License-Identifier: MIT */
/*
 * logd: the journal authority (DESIGN.md section 7, logd; log.capnp). Started by nexus-init
 * after samgrd and policyd; registers "logd" and serves Log to every channel samgrd brokers.
 *
 *   the journal   userspace/journal; $NEXUS_LOGD_CAPACITY (default 16 MiB), $NEXUS_LOGD_RATE
 *                 and $NEXUS_LOGD_BURST (per-subject rate limit, default 1000/s, 2000)
 *   the ring      ring.c: the journal's region is a memfd kept in nexus-init's fd store, so a
 *                 restarted logd reads back every record it acknowledged, ids and boot id
 *   the handlers  logd.c (subject from the connection, clocks, section 9 errors, VMO answers)
 *   the policy    nx-svc's policy client (nx_svc_allowed in each handler); config.c: the
 *                 interim rule while policyd cannot be asked
 *   followers     follow.c: live records to LogSinks, paced by their stream windows
 *   the timer     flushes pending rate-limit drop reports every second and pumps followers
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"
#include "nx-abi/clock.h"
#include "nx-log/log.h"

static void flush_drops(nx_source *s, void *userdata)
{
	struct logd *d = userdata;
	uint64_t now = nx_clock_monotonic_ns();

	jrn_flush_drops(d->journal, nx_clock_realtime_ns(), now);
	/* Drop reports for followers, and a second chance for those whose window was full. */
	logd_followers_pump(d);
	nx_source_set_deadline(s, now + LOGD_FLUSH_INTERVAL_NS);
}

/* One knob from the environment; absent or empty keeps the default. */
static int env_u32(const char *name, uint32_t max, uint32_t *value)
{
	const char *env = getenv(name);
	int r;

	if (!env || !*env)
		return 0;
	r = logd_parse_u32(env, max, value);
	if (r < 0)
		nx_log(NX_LOG_ERROR, "config", "%s=%s: %s (0..%u)", name, env,
		        r == -ERANGE ? "out of range" : "malformed", max);
	return r;
}

static int journal_open(struct logd *d)
{
	const char *env = getenv(LOGD_ENV_CAPACITY);
	struct jrn_config cfg;
	int r;

	jrn_config_default(&cfg);
	if (env && *env) {
		r = logd_parse_capacity(env, &cfg.capacity);
		if (r < 0) {
			nx_log(NX_LOG_ERROR, "config", "%s=%s: %s (bytes, K/M/G suffix, %u..%u)",
			        LOGD_ENV_CAPACITY, env, r == -ERANGE ? "out of range" : "malformed",
			        JRN_CAPACITY_MIN, JRN_CAPACITY_MAX);
			return r;
		}
	}
	r = env_u32(LOGD_ENV_RATE, JRN_RATE_MAX, &cfg.rate_per_sec);
	if (r >= 0)
		r = env_u32(LOGD_ENV_BURST, JRN_BURST_MAX, &cfg.burst);
	if (r >= 0)
		r = logd_ring_open(d, &cfg);
	return r;
}

int main(void)
{
	struct logd d = {0};
	nx_rpc_cap *log = NULL;
	int r, code = 1;

	r = nx_svc_new("logd", &d.svc); /* nx_log_init("logd") */
	if (r >= 0)
		r = journal_open(&d);
	if (r >= 0)
		r = logd_selflog_start(&d);
	if (r >= 0)
		r = nx_loop_add_timer(nx_svc_loop(d.svc),
		        nx_clock_monotonic_ns() + LOGD_FLUSH_INTERVAL_NS, flush_drops, &d,
		        &d.flush_timer);
	if (r >= 0)
		r = nx_svc_policy_start(
		        d.svc, logd_interim_rule, logd_interim_rule_len, logd_dispatch, &d);
	if (r >= 0)
		r = logd_log_new(&d, &log);
	/* nexus-init's events become records of svc:init; run by hand there is no init. */
	if (r >= 0 && (r = nx_svc_init_journal(d.svc, log)) == -ENOTCONN)
		r = 0;
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
	else
		code = nx_svc_run(d.svc, log);
	nx_rpc_cap_unref(log);
	logd_followers_free(&d);
	if (d.journal)
		logd_selflog_stop(&d);
	nx_svc_free(d.svc); /* frees the loop and the timer with it */
	logd_ring_close(&d);
	return code;
}
