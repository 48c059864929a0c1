/* SPDX-License-Identifier: MIT */
/*
 * The interim rule: what a service allows while policyd cannot be asked (not registered yet,
 * gone, or a check failed). Each service states its rule as a small table of grants; the one
 * function here decides from the table. Table-driven rather than one function per service
 * because the rules differ only in data (logd: `svc:*` may `log.append`; samgrd: `svc:*` may
 * `ipc.connect.*` and register its own name, its own uid may list and connect), and the seven
 * services to come then state theirs without adding code.
 *
 * Pure: no I/O. Deny by default: allowed iff some grant matches both subject and capability.
 *
 * Patterns are those of the policy language (policy.h): exact, or "P*" matching every string
 * that starts with P and has at least one more byte ("svc:*" matches "svc:logd", never "svc:").
 * A capability pattern may also end in POL_GRANT_NAME: it then matches exactly its prefix
 * followed by the subject's name, the text after the subject's first ':' (non-empty), so
 * {"svc:*", "ipc.register." POL_GRANT_NAME} lets svc:echod register "echod" and nothing else.
 */
#ifndef NEXUS_POLICY_INTERIM_H
#define NEXUS_POLICY_INTERIM_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define POL_GRANT_NAME "{name}"

struct pol_grant {
	const char *subject; /* subject pattern */
	const char *cap;     /* capability pattern */
};

/* Whether some grant of grants[0..n) matches. NULL or empty subject or capability, or a NULL
 * table: false. */
POL_EXPORT bool pol_interim_allowed(
        const struct pol_grant *grants, size_t n, const char *subject, const char *cap);

#endif
