/* SPDX-License-Identifier: MIT */
/*
 * Per-subject byte-rate limit for entropy requests: a token bucket of `burst` bytes refilled
 * at `rate` bytes per second, one per subject, in a fixed table of ENT_RATE_SUBJECTS_MAX
 * (the least recently seen subject is forgotten to make room: it comes back full). Time is
 * the caller's monotonic clock in ns. A request is taken whole or refused whole.
 */
#ifndef USERSPACE_ENTROPY_RATE_H
#define USERSPACE_ENTROPY_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* ENT_RATE_* */

struct ent_rate_bucket {
	char subject[ENT_RATE_SUBJECT_MAX + 1]; /* "" = free */
	uint64_t nano_tokens;                   /* billionths of a byte */
	uint64_t last_ns;
};

struct ent_rate {
	uint32_t rate;  /* bytes per second; 0 = no limit */
	uint32_t burst; /* bytes */
	uint32_t used;
	struct ent_rate_bucket b[ENT_RATE_SUBJECTS_MAX];
};

/* rate 0 turns the limit off. */
void ent_rate_init(struct ent_rate *r, uint32_t rate, uint32_t burst);

/* Takes n bytes from subject's bucket at now_ns. 0 taken; -EDQUOT not enough tokens now
 * (nothing taken); -E2BIG n is over the burst (never enough); -EINVAL subject NULL, empty or
 * longer than ENT_RATE_SUBJECT_MAX. */
int ent_rate_take(struct ent_rate *r, const char *subject, uint64_t n, uint64_t now_ns);

#endif
