/* SPDX-License-Identifier: MIT */
/* Limits of policyd (the policy authority's adapter), included by limits.h. The policy
 * language's are in limits-policy.h. Freestanding. */
#ifndef NEXUS_LIMITS_POLICYD_H
#define NEXUS_LIMITS_POLICYD_H

/* Audit records policyd logs per second; the rest are dropped, counted and reported once the
 * second is over. */
#define POLD_AUDIT_PER_SEC 200u

/* Subjects holding install-time grants (policy.capnp setGrants) at once: one per installed
 * bundle (bundlemgrd installs at most BUNDLEMGRD_BUNDLES_MAX). */
#define POLD_GRANT_SUBJECTS_MAX 1024u

#endif
