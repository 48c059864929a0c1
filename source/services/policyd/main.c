/* SPDX-License-Identifier: MIT */
/*
 * policyd: the single policy authority (DESIGN.md sections 7 and 8). Loads the policy
 * directory ($NEXUS_POLICY_DIR, default the source tree's policies/) and serves Policy
 * (policy.capnp) to whoever samgrd brokers to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-log/log.h"
#include "policyd.h"

/* meson sets it to the source tree's policies/. */
#ifndef POLICYD_DEFAULT_DIR
#define POLICYD_DEFAULT_DIR "policies"
#endif

int main(void)
{
	const char *dir = getenv("NEXUS_POLICY_DIR");
	struct policy *bootstrap = NULL;
	pold_store *store = NULL;
	policyd *d = NULL;
	nx_svc *svc = NULL;
	pol_error err = {.text = ""};
	int r, code;

	if (!dir || !*dir)
		dir = POLICYD_DEFAULT_DIR;
	r = nx_svc_new("policyd", &svc); /* nx_log_init("policyd") first */
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
		return 1;
	}
	r = pold_store_open(dir, &store, &err);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot load %s/%s: %s", dir, POLD_ROOT_FILE,
		        err.text[0] ? err.text : strerror(-r));
		nx_svc_free(svc);
		return 1;
	}
	nx_log(NX_LOG_INFO, "policy", "policy %s (%zu rules) from %s",
	        pol_version(pold_store_policy(store)), pol_rule_count(pold_store_policy(store)),
	        dir);
	r = policyd_new(svc, store, &d, &bootstrap); /* takes store */
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
		nx_svc_free(svc);
		return 1;
	}
	code = nx_svc_run(svc, policy_cap(bootstrap));
	/* Before the loop goes with nx_svc_free: the audit's timer is one of its sources. No call
	 * is dispatched any more, and the Policy object has no destroy hook reaching d. */
	policyd_free(d);
	nx_svc_free(svc);
	nx_rpc_cap_unref(policy_cap(bootstrap));
	return code;
}
