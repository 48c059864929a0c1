/* SPDX-License-Identifier: MIT */
/*
 * policyd's audit trail (DESIGN.md section 7): every deny, and every allow when
 * $NEXUS_POLICY_AUDIT_ALLOW=1, becomes one nx-log record of scope "audit" with the fields
 * subject=, cap=, rule= (the deciding rule, pol_explain's text), at= (file:line, absent for
 * deny by default), version= (the policy in force) and asker= (the subject of the connection
 * that asked: samgrd for its brokering, a user for `nx policy check`). nx-svc's sink carries
 * the records to logd, which stamps them svc:policyd and applies its per-subject rate limit.
 *
 * Rate-limited per subject and cause (the deciding rule) through userspace/ratelog: the first
 * decision of a subject and rule is recorded, the ones within NX_RATELOG_WINDOW_NS after it
 * are counted, and once the window is over one record ("suppressed", fields subject=, rule=,
 * suppressed=<n>) says how many were not. A flood of denials of one subject costs two records
 * a window, whatever it asks for; another subject's first denial is recorded meanwhile.
 */
#ifndef POLICYD_AUDIT_H
#define POLICYD_AUDIT_H

#include <stdbool.h>

#include "nx-abi/loop.h"
#include "policy/policy.h"

#define POLD_AUDIT_SCOPE     "audit"
#define POLD_AUDIT_ALLOW_ENV "NEXUS_POLICY_AUDIT_ALLOW"

typedef struct pold_audit pold_audit;

/* Reads $NEXUS_POLICY_AUDIT_ALLOW ("1" audits allows too). `loop` borrowed (the summaries'
 * timer). -ENOMEM or the loop's error. */
int pold_audit_new(nx_loop *loop, pold_audit **ret);
pold_audit *pold_audit_free(pold_audit *a);

/* Records the decision `allowed` about (subject, cap) under policy p, asked by `asker` (may be
 * NULL), if it is to be audited and not suppressed by the rate limit. */
void pold_audit_decision(pold_audit *a, const pol_policy *p, const char *asker, const char *subject,
        const char *cap, bool allowed);

#endif
