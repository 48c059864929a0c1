/* SPDX-License-Identifier: MIT */
/*
 * rngd: the single entropy authority (DESIGN.md section 7, rngd; rng.capnp). Started by
 * nexus-init after logd; registers "rngd" and serves Rng to every channel samgrd brokers.
 *
 *   the sources    config.c: $NEXUS_RNGD_SOURCES (default hwrng,getrandom), the hardware one
 *                  at $NEXUS_RNGD_HWRNG (default /dev/hwrng); source.c: read, SP 800-90B
 *                  startup and continuous tests, failover (each failure reported)
 *   the generator  userspace/entropy: HMAC_DRBG, reseeded after RNGD_RESEED_BYTES or
 *                  RNGD_RESEED_INTERVAL_NS; seeded here once at start so a bad source shows
 *                  at boot
 *   the handlers   rngd.c: rng.entropy through policyd, the per-subject byte rate
 *                  ($NEXUS_RNGD_RATE, $NEXUS_RNGD_BURST), inline or sealed-VMO answers
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-log/log.h"
#include "rngd.h"

int main(void)
{
	struct rngd d = {.in_use = -1};
	nx_rpc_cap *rng = NULL;
	int r, code = 1;

	ent_gen_init(&d.gen, RNGD_RESEED_BYTES, RNGD_RESEED_INTERVAL_NS);
	r = nx_svc_new("rngd", &d.svc); /* nx_log_init("rngd") */
	if (r >= 0)
		r = rngd_config_rate(&d);
	if (r >= 0)
		r = rngd_config_sources(&d);
	if (r >= 0 && rngd_reseed(&d) < 0)
		nx_log(NX_LOG_ERROR, "source",
		        "no entropy source passes its health tests: "
		        "every request is refused");
	if (r >= 0)
		r = nx_svc_policy_start(
		        d.svc, rngd_interim_rule, rngd_interim_rule_len, rngd_dispatch, &d);
	if (r >= 0)
		r = rngd_rng_new(&d, &rng);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
	else
		code = nx_svc_run(d.svc, rng);
	nx_rpc_cap_unref(rng);
	nx_svc_free(d.svc);
	rngd_sources_free(&d);
	ent_gen_wipe(&d.gen);
	free(d.rate);
	return code;
}
