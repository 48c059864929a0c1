/* SPDX-License-Identifier: MIT */
/* Shared by the journal tests: a fixed-size record builder and a deterministic PRNG. */
#ifndef TESTS_JOURNAL_HELPERS_H
#define TESTS_JOURNAL_HELPERS_H

#include <stdint.h>
#include <string.h>

#include "journal/journal.h"

static inline uint64_t rnd_next(uint64_t *s)
{
	/* splitmix64: fixed seeds keep every run identical. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline struct jrn_entry entry(enum jrn_level level, const char *scope, const char *msg)
{
	struct jrn_entry e = {.level = level, .scope = scope, .message = msg};
	return e;
}

/* A journal without rate limiting, of the given capacity. */
static inline struct jrn *journal_unlimited(size_t capacity)
{
	struct jrn_config cfg = {.capacity = capacity, .rate_per_sec = 0, .burst = 0};
	struct jrn *j = NULL;
	if (jrn_new(&cfg, &j) < 0)
		return NULL;
	return j;
}

#endif
