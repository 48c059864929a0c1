/* SPDX-License-Identifier: MIT */
#include "rules.h"

#include <errno.h>
#include <string.h>

#include "nexus/limits.h"
#include "policy.capnp.h"

/* What one rule costs in the answer: its texts with their NULs and words of framing. */
static size_t rule_bytes(const pol_rule *ru)
{
	return strlen(ru->subject) + strlen(ru->cap) + strlen(ru->file) + 3 + 7 * 8;
}

static bool wanted(const pol_rule *ru, const char *mine)
{
	return !mine || pol_pattern_matches(ru->subject, mine);
}

int pold_rules_answer(nx_rpc_incoming *in, const pol_policy *p, uint32_t cursor, const char *mine)
{
	size_t n = pol_rules_len(p), end, bytes = 0;
	uint32_t count = 0;
	policy_rules_results_b res;
	nx_capnp_blist list;
	pol_rule ru;
	int r;

	if (cursor > n)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "cursor: %u is past the last rule (%zu)", cursor, n);
	/* Which rules fit: by count and by bytes, so the answer fits one message. */
	for (end = cursor; end < n && count < POLICY_RULES_PAGE_MAX; end++) {
		(void)pol_rule_at(p, end, &ru); /* end < n */
		if (!wanted(&ru, mine))
			continue;
		if (bytes + rule_bytes(&ru) > POLD_RULES_PAGE_BYTES)
			break;
		bytes += rule_bytes(&ru);
		count++;
	}
	r = policy_rules_results_init(in, &res);
	if (r >= 0)
		r = policy_rules_results_init_rules(res, count, &list);
	for (size_t i = cursor, k = 0; r >= 0 && i < end; i++) {
		policy_rule_b b;

		(void)pol_rule_at(p, i, &ru);
		if (!wanted(&ru, mine))
			continue;
		b = policy_rule_b_at(&list, (uint32_t)k++);
		policy_rule_set_allow(b, ru.effect == POL_ALLOW);
		policy_rule_set_line(b, ru.line);
		r = policy_rule_set_subject(b, ru.subject, strlen(ru.subject));
		if (r >= 0)
			r = policy_rule_set_cap(b, ru.cap, strlen(ru.cap));
		if (r >= 0)
			r = policy_rule_set_file(b, ru.file, strlen(ru.file));
	}
	if (r >= 0) {
		policy_rules_results_set_next_cursor(res, (uint32_t)end);
		policy_rules_results_set_more(res, end < n);
	}
	return nx_rpc_incoming_return_built(in, r);
}
