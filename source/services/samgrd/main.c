/* SPDX-License-Identifier: MIT */
/*
 * samgrd: the service registry (DESIGN.md sections 3 and 7), on the process skeleton every
 * daemon shares (nx-svc/daemon.h: log, loop, signals, readiness, exit code).
 *
 *   fd 3   the admin channel from nexus-init: SamgrAdmin, adopter subject svc:init
 *   fd 4   the readiness pipe: one line once both entries below serve
 *   $NEXUS_RUNTIME_DIR/samgr.sock (0666, $NEXUS_SAMGR_SOCK_MODE): Samgr for local users,
 *          subject uid:<n>; policy decides what each may do
 *   $NEXUS_OPERATOR_UID: the uid the interim rule trusts while policyd is down
 *
 *   samgr.c     Samgr and SamgrAdmin over userspace/registry (names, owners, watchers,
 *               adoption rules) and userspace/registry/conns (connection limits)
 *   external.c  samgr.sock
 *   refuse.c    connections over a limit: told why, logged rate-limited
 *   broker.c    the one way a channel to a registered service is made
 *   policyd.c   the policy client (nx-svc) with samgrd's interim rule, fed samgrd's own
 *               channel to policyd once it registered
 *   logsink.c   samgrd's own records to logd
 *   proxy.c     the Endpoint as a proxy for clients that cannot take its fd
 *   authenticate.c  Samgr.authenticate: user:<name> subjects, verified with identityd
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-log/log.h"
#include "samgrd.h"

/* The operator: who started nexus-init ($NEXUS_OPERATOR_UID, set by init, which runs every
 * service under a uid of its own), else samgrd's own uid. */
static uint32_t operator_uid(void)
{
	const char *env = getenv("NEXUS_OPERATOR_UID");
	unsigned long uid;
	char *end;

	if (env && *env) {
		uid = strtoul(env, &end, 10);
		if (!*end && uid < UINT32_MAX)
			return (uint32_t)uid;
	}
	return (uint32_t)getuid();
}

int main(void)
{
	struct samgrd d = {.listen_fd = -1, .uid = operator_uid()};
	int r, code = 1;

	r = nx_daemon_new("samgrd", &d.daemon);
	if (r >= 0) {
		d.loop = nx_daemon_loop(d.daemon);
		r = samgrd_registry_new(&d);
	}
	if (r >= 0)
		r = samgrd_refusals_new(&d);
	if (r >= 0)
		r = samgrd_policy_new(&d);
	if (r >= 0)
		r = samgrd_admin_serve(&d, nx_daemon_take_bootstrap(d.daemon)); /* takes fd 3 */
	if (r >= 0)
		r = samgrd_external_serve(&d);
	if (r >= 0) {
		nx_daemon_ready(d.daemon);
		code = nx_daemon_run(d.daemon);
	} else {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
	}

	samgrd_external_stop(&d);
	samgrd_logd_down(&d); /* nx-log's sink, before the loop goes */
	samgrd_identityd_down(&d);
	samgrd_free_all(&d);
	samgrd_refusals_free(&d);
	nx_daemon_free(d.daemon);
	return code;
}
