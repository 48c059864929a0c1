/* SPDX-License-Identifier: MIT */
/* policyd's Policy.rules (policy.capnp): the rules in force, paged, all or the caller's. */
#ifndef POLICYD_RULES_H
#define POLICYD_RULES_H

#include <stdint.h>

#include "nx-rpc/rpc.h"
#include "policy/policy.h"

/* Answers `in` with the page of p's rules from `cursor`; with `mine` (the caller's subject,
 * NULL: every rule) only rules whose subject pattern matches it. Returns what the handler
 * returns. */
int pold_rules_answer(nx_rpc_incoming *in, const pol_policy *p, uint32_t cursor, const char *mine);

#endif
