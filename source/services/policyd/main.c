/* SPDX-License-Identifier: MIT */
/*
 * policyd: the single policy authority (DESIGN.md sections 7 and 8). Loads the policy
 * directory ($NEXUS_POLICY_DIR, default the source tree's policies/) and serves Policy
 * (policy.capnp) to whoever samgrd brokers to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policyd.h"

/* meson sets it to the source tree's policies/. */
#ifndef POLICYD_DEFAULT_DIR
#define POLICYD_DEFAULT_DIR "policies"
#endif

int main(void)
{
	const char *dir = getenv("NEXUS_POLICY_DIR");
	nx_rpc_cap *bootstrap = NULL;
	pold_store *store = NULL;
	policyd *d = NULL;
	nx_svc *svc = NULL;
	pol_error err = {.text = ""};
	int r, code;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir || !*dir)
		dir = POLICYD_DEFAULT_DIR;
	r = pold_store_open(dir, &store, &err);
	if (r < 0) {
		fprintf(stderr, "policyd: cannot load %s/%s: %s\n", dir, POLD_ROOT_FILE,
		        err.text[0] ? err.text : strerror(-r));
		return 1;
	}
	printf("policyd: policy %s (%zu rules) from %s\n", pol_version(pold_store_policy(store)),
	        pol_rule_count(pold_store_policy(store)), dir);
	r = nx_svc_new("policyd", &svc);
	if (r >= 0)
		r = policyd_new(svc, store, &d, &bootstrap); /* takes store */
	else
		pold_store_free(store);
	if (r < 0) {
		fprintf(stderr, "policyd: cannot start: %s (run me from nexus-init)\n",
		        strerror(-r));
		nx_svc_free(svc);
		return 1;
	}
	code = nx_svc_run(svc, bootstrap);
	nx_svc_free(svc);
	nx_rpc_cap_unref(bootstrap);
	policyd_free(d);
	return code;
}
