/* SPDX-License-Identifier: MIT */
/* conns: live connections per subject, against both limits. See conns.h. */
#include "conns.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "nexus/limits.h"

struct subject_count {
	char *subject;
	uint32_t count;
};

struct conns {
	/* Sorted by subject; a subject is present iff its count is > 0. */
	struct subject_count *v;
	size_t n, cap;
	uint32_t total;
};

int conns_new(struct conns **ret_conns)
{
	struct conns *c;

	if (!ret_conns)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*ret_conns = c;
	return 0;
}

struct conns *conns_free(struct conns *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].subject);
	free(c->v);
	free(c);
	return NULL;
}

/* Index of subject in c->v, or where it would go (*ret_found false). */
static size_t subject_find(const struct conns *c, const char *subject, bool *ret_found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->v[mid].subject, subject);

		if (cmp == 0) {
			*ret_found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_found = false;
	return lo;
}

/*
 * GCC 12's -fanalyzer reports `copy` below as leaked at the return, though it is stored in
 * c->v[i] (reachable from c, freed by conns_release or conns_free). It loses the store after
 * the realloc; moving the realloc into its own function or before the strdup does not help.
 * The leak check stays on everywhere else; clang does not know the option, hence the guard.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
/* Makes room for one more subject at index i. */
static int subject_insert(struct conns *c, size_t i, const char *subject)
{
	char *copy;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		struct subject_count *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	copy = strdup(subject);
	if (!copy)
		return -ENOMEM;
	memmove(&c->v[i + 1], &c->v[i], (c->n - i) * sizeof(*c->v));
	c->v[i] = (struct subject_count){.subject = copy, .count = 0};
	c->n++;
	return 0;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

int conns_acquire(struct conns *c, const char *subject)
{
	bool found;
	size_t i;
	int r;

	if (!c || !subject || !subject[0])
		return -EINVAL;
	if (strnlen(subject, REG_SUBJECT_MAX + 1) > REG_SUBJECT_MAX)
		return -EMSGSIZE;
	if (c->total >= NX_CONN_MAX_PER_SERVICE)
		return -EDQUOT;
	i = subject_find(c, subject, &found);
	if (found && c->v[i].count >= NX_CONN_MAX_PER_SUBJECT)
		return -EDQUOT;
	if (!found && (r = subject_insert(c, i, subject)) < 0)
		return r;
	c->v[i].count++;
	c->total++;
	return 0;
}

int conns_release(struct conns *c, const char *subject)
{
	bool found;
	size_t i;

	if (!c || !subject)
		return -EINVAL;
	i = subject_find(c, subject, &found);
	if (!found)
		return -ENOENT;
	assert(c->v[i].count > 0 && c->total > 0);
	c->total--;
	if (--c->v[i].count == 0) {
		free(c->v[i].subject);
		memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
		c->n--;
	}
	return 0;
}

uint32_t conns_total(const struct conns *c)
{
	return c->total;
}

uint32_t conns_of(const struct conns *c, const char *subject)
{
	bool found;
	size_t i = subject_find(c, subject, &found);

	return found ? c->v[i].count : 0;
}
