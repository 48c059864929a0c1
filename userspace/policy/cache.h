/* SPDX-License-Identifier: MIT */
/*
 * The decision cache every service keeps in front of policyd (DESIGN.md section 7): policyd's
 * answers per connection, subject and capability, dropped as a whole whenever policyd announces
 * a new policy version (or comes or goes), dropped per connection when it closes.
 *
 * Pure: no I/O, no clock. A connection is an opaque pointer-sized key the caller chooses (its
 * connection object's address); the cache never dereferences it.
 *
 * Generations: every invalidation bumps the generation. A caller notes the generation when it
 * asks policyd and gives it back with the answer: an answer about an older policy is refused
 * (-ESTALE), so a decision taken before a reload never outlives it.
 */
#ifndef NEXUS_POLICY_CACHE_H
#define NEXUS_POLICY_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h" /* and nexus/limits.h: POL_CACHE_MAX, POL_CACHE_SUBJECT_MAX, POL_CACHE_CAP_MAX */

struct pol_cache;

/* A new, empty cache at generation 1 with no version. 0, -EINVAL, or -ENOMEM. */
POL_EXPORT int pol_cache_new(struct pol_cache **ret_cache);
/* Takes NULL; returns NULL. */
POL_EXPORT struct pol_cache *pol_cache_free(struct pol_cache *c);

/* The generation now: note it when asking, give it back to pol_cache_insert. */
POL_EXPORT uint64_t pol_cache_generation(const struct pol_cache *c);

/* The decision kept for (conn, subject, cap): 0 with *ret_allowed, or -ENOENT (also for a
 * subject or capability too long to be kept, or NULL arguments). */
POL_EXPORT int pol_cache_lookup(const struct pol_cache *c, uintptr_t conn, const char *subject,
        const char *cap, bool *ret_allowed);

/* Keeps policyd's answer, asked at `generation`. Returns 0, -ESTALE (the policy changed since:
 * nothing kept), -EMSGSIZE (subject over POL_CACHE_SUBJECT_MAX or cap over POL_CACHE_CAP_MAX
 * bytes), -EINVAL (NULL, or empty subject or cap). A full cache replaces its oldest decision;
 * an existing decision for the same key is replaced. */
POL_EXPORT int pol_cache_insert(struct pol_cache *c, uint64_t generation, uintptr_t conn,
        const char *subject, const char *cap, bool allowed);

/* Drops every decision and bumps the generation (policyd came, went, or changed). */
POL_EXPORT void pol_cache_invalidate(struct pol_cache *c);

/* policyd announced `version` (len bytes, not NUL-terminated). Returns 1 if it differs from
 * the one kept (the cache is invalidated and the new one kept), 0 if it is the same, -EMSGSIZE
 * if len is over POL_VERSION_LEN (the cache is invalidated too and no version kept: an answer
 * we cannot compare must not keep old decisions alive), -EINVAL for NULL. */
POL_EXPORT int pol_cache_set_version(struct pol_cache *c, const char *version, size_t len);
/* The version kept ("" before the first, after an invalidation or an over-long one). */
POL_EXPORT const char *pol_cache_version(const struct pol_cache *c);

/* Drops the decisions of one connection (it closed); the generation stays. */
POL_EXPORT void pol_cache_drop_conn(struct pol_cache *c, uintptr_t conn);

/* Decisions kept now (for tests and stats). */
POL_EXPORT size_t pol_cache_count(const struct pol_cache *c);

#endif
