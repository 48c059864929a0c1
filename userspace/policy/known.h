/* SPDX-License-Identifier: MIT */
/*
 * The capabilities a policy may name (DESIGN.md section 8): a list, one capability per line,
 * `#` comments, where a name ending in ".*" stands for a family (ipc.connect.* : one per
 * service). policies/capabilities is the list of this system; policyd refuses a policy that
 * names anything else, so a misspelling is an error at load time, naming the nearest known
 * name, instead of a rule that silently never matches. Pure: the caller reads the file.
 */
#ifndef NEXUS_POLICY_KNOWN_H
#define NEXUS_POLICY_KNOWN_H

#include <stddef.h>

#include "policy.h"

/* The list's file name in a policy directory. */
#define POL_KNOWN_FILE "capabilities"

typedef struct pol_known pol_known;

/* Parses the list (`data`, len bytes; `file` names it in errors). 0 with *ret (free with
 * pol_known_free), or -EBADMSG (a token that is not a capability pattern, two on a line),
 * -EMSGSIZE (over POL_KNOWN_MAX names, a token over POL_TOKEN_MAX bytes), -ENOMEM, with *ret_err
 * (if not NULL) saying file:line. */
POL_EXPORT int pol_known_parse(
        const char *file, const char *data, size_t len, pol_known **ret, pol_error *ret_err);
POL_EXPORT pol_known *pol_known_free(pol_known *k);

/* Checks every capability pattern of p's rules against the list: one is known when some
 * capability it could match is on the list. 0, or -EBADMSG with *ret_err = "file:line:
 * unknown capability 'X' (nearest known: 'Y')" for the first that is not. */
POL_EXPORT int pol_known_check(const pol_known *k, const pol_policy *p, pol_error *ret_err);

/* The known name nearest to `cap` by edit distance (borrowed from k), or NULL if k is empty. */
POL_EXPORT const char *pol_known_nearest(const pol_known *k, const char *cap);

#endif
