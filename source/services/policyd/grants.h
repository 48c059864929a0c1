/* SPDX-License-Identifier: MIT */
/*
 * policyd's install-time grants (policy.capnp setGrants/resetGrants): what installed bundles
 * grant their `app:<id>` subjects, set by bundlemgrd (whose records are the source of truth:
 * it sets them all again whenever it or policyd starts). Kept in memory as "allow <subject>
 * <cap>" lines, one block per subject in subject order, which the store parses as the rest of
 * its POLD_GRANTS_FILE root (store.h): explain() names them, the version covers them, and
 * deny rules of the files still win.
 */
#ifndef POLICYD_GRANTS_H
#define POLICYD_GRANTS_H

#include "policy.capnp.h"

struct policyd;

/* The Policy handlers (policyd.c's vtable), impl = the policyd. Both need `policy.grant`,
 * decided by the policy in force for the caller's subject. */
int pold_serve_set_grants(void *impl, nx_rpc_incoming *in, policy_set_grants_params params);
int pold_serve_reset_grants(void *impl, nx_rpc_incoming *in, policy_reset_grants_params params);

typedef struct pold_grants pold_grants;

/* An empty table. NULL on -ENOMEM. */
pold_grants *pold_grants_new(void);
pold_grants *pold_grants_free(pold_grants *g);

#endif
