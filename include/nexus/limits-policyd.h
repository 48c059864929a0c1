/* SPDX-License-Identifier: MIT */
/* Limits of policyd (the policy authority's adapter), included by limits.h. The policy
 * language's are in limits-policy.h. Freestanding. */
#ifndef NEXUS_LIMITS_POLICYD_H
#define NEXUS_LIMITS_POLICYD_H

/* Bytes of rule texts (subject, capability, file name, and per-rule framing) one rules()
 * answer carries at most, so that it fits one 4 KiB message. */
#define POLD_RULES_PAGE_BYTES 3072u

/* Subjects holding install-time grants (policy.capnp setGrants) at once: one per installed
 * bundle (bundlemgrd installs at most BUNDLEMGRD_BUNDLES_MAX). */
#define POLD_GRANT_SUBJECTS_MAX 1024u

#endif
