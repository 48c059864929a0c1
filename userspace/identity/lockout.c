/* SPDX-License-Identifier: MIT */
#include "lockout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char key[IDN_LOCKOUT_KEY_MAX + 1]; /* "" : free */
	uint32_t failures;
	uint64_t last_fail_ns;
	uint64_t locked_until_ns;
};

struct idn_lockout {
	struct entry entries[IDN_LOCKOUT_KEYS_MAX];
};

int idn_lockout_new(idn_lockout **ret)
{
	idn_lockout *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	*ret = l;
	return 0;
}

idn_lockout *idn_lockout_free(idn_lockout *l)
{
	free(l);
	return NULL;
}

static bool key_ok(const char *key)
{
	size_t len = strnlen(key, IDN_LOCKOUT_KEY_MAX + 1);

	return len > 0 && len <= IDN_LOCKOUT_KEY_MAX;
}

/* The entry of `key`, or NULL. An entry quiet for IDN_LOCKOUT_FORGET_NS counts as absent. */
static struct entry *find(const idn_lockout *l, const char *key, uint64_t now_ns)
{
	for (size_t i = 0; i < IDN_LOCKOUT_KEYS_MAX; i++) {
		const struct entry *e = &l->entries[i];

		if (e->key[0] && strcmp(e->key, key) == 0) {
			if (now_ns - e->last_fail_ns >= IDN_LOCKOUT_FORGET_NS &&
			        now_ns >= e->locked_until_ns)
				return NULL;
			return (struct entry *)e;
		}
	}
	return NULL;
}

int idn_lockout_check(const idn_lockout *l, const char *key, uint64_t now_ns, uint64_t *ret_wait_ns)
{
	const struct entry *e;

	if (!key_ok(key))
		return -EINVAL;
	e = find(l, key, now_ns);
	if (!e || now_ns >= e->locked_until_ns)
		return 0;
	*ret_wait_ns = e->locked_until_ns - now_ns;
	return -EAGAIN;
}

/* Where a new key goes: a free slot, else the unlocked entry that failed least recently, else
 * (all locked) the one whose lock ends first: forgetting it frees the least protection. */
static struct entry *victim(idn_lockout *l, uint64_t now_ns)
{
	struct entry *best = NULL;
	bool best_unlocked = false;

	for (size_t i = 0; i < IDN_LOCKOUT_KEYS_MAX; i++) {
		struct entry *e = &l->entries[i];
		bool unlocked = now_ns >= e->locked_until_ns;

		if (!e->key[0])
			return e;
		if (!best || (unlocked && !best_unlocked) ||
		        (unlocked && best_unlocked && e->last_fail_ns < best->last_fail_ns) ||
		        (!unlocked && !best_unlocked &&
		                e->locked_until_ns < best->locked_until_ns)) {
			best = e;
			best_unlocked = unlocked;
		}
	}
	return best;
}

/* The wait after `failures` failures: none for the free ones, then doubling to the cap. */
static uint64_t wait_for(uint32_t failures)
{
	uint32_t steps;

	if (failures <= IDN_LOCKOUT_FREE_FAILURES)
		return 0;
	steps = failures - IDN_LOCKOUT_FREE_FAILURES - 1;
	if (steps >= 20 || (IDN_LOCKOUT_FIRST_NS << steps) > IDN_LOCKOUT_MAX_NS)
		return IDN_LOCKOUT_MAX_NS;
	return IDN_LOCKOUT_FIRST_NS << steps;
}

int idn_lockout_fail(idn_lockout *l, const char *key, uint64_t now_ns)
{
	struct entry *e;

	if (!key_ok(key))
		return -EINVAL;
	e = find(l, key, now_ns);
	if (!e) {
		/* Absent, or quiet long enough to start over (its slot is reused in place). */
		for (size_t i = 0; i < IDN_LOCKOUT_KEYS_MAX && !e; i++)
			if (strcmp(l->entries[i].key, key) == 0)
				e = &l->entries[i];
		if (!e)
			e = victim(l, now_ns);
		memset(e, 0, sizeof(*e));
		memcpy(e->key, key, strlen(key)); /* key_ok: fits, and the NUL is there */
	}
	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last_fail_ns = now_ns;
	e->locked_until_ns = now_ns + wait_for(e->failures);
	return 0;
}

void idn_lockout_clear(idn_lockout *l, const char *key)
{
	for (size_t i = 0; i < IDN_LOCKOUT_KEYS_MAX; i++)
		if (l->entries[i].key[0] && strcmp(l->entries[i].key, key) == 0)
			memset(&l->entries[i], 0, sizeof(l->entries[i]));
}
