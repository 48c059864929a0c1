/* SPDX-License-Identifier: MIT */
/*
 * samgrd asks policyd (DESIGN.md sections 6 and 7) through nx-svc's policy client, like every
 * service, with one difference: samgrd cannot resolve policyd through itself, so instead of
 * following it the client is fed from the registry. When policyd registers, samgrd makes its
 * own channel to it (broker.c, subject svc:samgrd) and hands the client that channel's
 * bootstrap; when the channel breaks or policyd's owner leaves, the client is cleared.
 *
 * Until then, and again while policyd is down, the interim rule decides (the one behaviour,
 * nx-svc/policy.h). DESIGN.md section 6 says "until policyd is up samgrd admits only init's
 * own adoptions": policyd's own registration is the first thing it admits. Deny by default:
 *   svc:<name>     may ipc.register.<name> (its own name only) and ipc.connect.*
 *   uid:<own uid>  may samgr.list and ipc.connect.* (the user samgrd runs as, through
 *                  samgr.sock: the operator's `nx`)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nx-log/log.h"
#include "policy.capnp.h"
#include "samgrd.h"

int samgrd_policy_new(struct samgrd *d)
{
	(void)snprintf(d->own_uid, sizeof(d->own_uid), "uid:%u", (unsigned)d->uid);
	d->interim[0] = (struct pol_grant){"svc:*", "ipc.register." POL_GRANT_NAME};
	d->interim[1] = (struct pol_grant){"svc:*", "ipc.connect.*"};
	d->interim[2] = (struct pol_grant){d->own_uid, "samgr.list"};
	d->interim[3] = (struct pol_grant){d->own_uid, "ipc.connect.*"};
	return nx_policy_new(d->loop, d->interim, 4, samgrd_rerun, d, &d->policy);
}

static void on_accepted(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd *d = userdata;

	/* A refusal closes policyd's end too: on_pol_gone follows. */
	if (res->error < 0)
		nx_log(NX_LOG_WARN, "policy", "policyd did not accept samgrd: %s", res->reason);
	d->pol_accept = nx_rpc_call_free(call);
}

static void on_pol_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	nx_log(NX_LOG_WARN, "policy", "lost policyd, interim rule until it registers again");
	samgrd_policyd_down(userdata);
}

void samgrd_policyd_down(struct samgrd *d)
{
	/* Held calls are decided by the interim rule while their connections still live. */
	nx_policy_clear(d->policy);
	d->pol_accept = nx_rpc_call_free(d->pol_accept);
	d->pol_conn = nx_rpc_conn_free(d->pol_conn);
}

int samgrd_policyd_up(struct samgrd *d, struct nexus_service_host *host)
{
	nx_rpc_cap *policy = NULL;
	int fd, r;

	samgrd_policyd_down(d);
	r = samgrd_broker(host, SAMGRD_SUBJECT, on_accepted, d, &d->pol_accept, &fd);
	if (r < 0)
		return r;
	r = nx_rpc_conn_new(d->loop, fd, NULL, &d->pol_conn); /* takes fd */
	if (r >= 0) {
		nx_rpc_conn_set_disconnect_cb(d->pol_conn, on_pol_gone, d);
		/* A promise: calls on it wait in the channel until policyd serves it. */
		r = nx_rpc_conn_bootstrap(d->pol_conn, &policy);
	}
	if (r >= 0)
		r = nx_policy_set(d->policy, policy_from_cap(policy)); /* references it */
	nx_rpc_cap_unref(policy);
	if (r < 0) {
		samgrd_policyd_down(d);
		return r;
	}
	nx_log(NX_LOG_INFO, "policy", "asking policyd from now on");
	return 0;
}
