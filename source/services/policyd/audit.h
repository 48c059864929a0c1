/* SPDX-License-Identifier: MIT */
/*
 * policyd's audit trail (DESIGN.md section 7): every deny, and every allow when
 * $NEXUS_POLICY_AUDIT_ALLOW=1, becomes one nx-log record of scope "audit" with the fields
 * subject=, cap=, rule= (the deciding rule, pol_explain's text), at= (file:line, absent for
 * deny by default), version= (the policy in force) and asker= (the subject of the connection
 * that asked: samgrd for its brokering, a user for `nx policy check`). nx-svc's sink carries
 * the records to logd, which stamps them svc:policyd and applies its per-subject rate limit.
 *
 * Locally at most POLD_AUDIT_PER_SEC records per second are logged; the rest are dropped and
 * counted, and the count is reported in one record ("audit records dropped", dropped=<n>) when
 * the second is over.
 */
#ifndef POLICYD_AUDIT_H
#define POLICYD_AUDIT_H

#include <stdbool.h>

#include "nexus/limits.h" /* POLD_AUDIT_PER_SEC: nexus/limits-policyd.h */
#include "nx-abi/loop.h"
#include "policy/policy.h"

#define POLD_AUDIT_SCOPE     "audit"
#define POLD_AUDIT_ALLOW_ENV "NEXUS_POLICY_AUDIT_ALLOW"

typedef struct pold_audit pold_audit;

/* Reads $NEXUS_POLICY_AUDIT_ALLOW ("1" audits allows too). `loop` borrowed (the drop report's
 * timer). -ENOMEM or the loop's error. */
int pold_audit_new(nx_loop *loop, pold_audit **ret);
pold_audit *pold_audit_free(pold_audit *a);

/* Records the decision `allowed` about (subject, cap) under policy p, asked by `asker` (may be
 * NULL), if it is to be audited and within the local rate. */
void pold_audit_decision(pold_audit *a, const pol_policy *p, const char *asker, const char *subject,
        const char *cap, bool allowed);

#endif
