/* SPDX-License-Identifier: MIT */
#include "ratelimit.h"

#include <assert.h>
#include <string.h>

#define TOKEN_SCALE 1000000000ull

static uint64_t subject_hash(const char *s, size_t len)
{
	/* FNV-1a: subjects come from trusted brokers and the table is bounded, so chains are too. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void jrn_rl_init(struct jrn_rl *rl, uint32_t rate, uint32_t burst)
{
	/* Only the header and buckets: entries are set up when first handed out, so a new
	 * journal touches 4 KiB here rather than the whole table (the fuzzer makes one per input). */
	rl->rate = rate;
	rl->burst = burst;
	rl->n_used = 0;
	rl->n_fresh = 0;
	rl->lru_head = rl->lru_tail = JRN_RL_NONE;
	rl->free_head = JRN_RL_NONE;
	for (uint32_t i = 0; i < JRN_RL_BUCKETS; i++)
		rl->buckets[i] = JRN_RL_NONE;
}

uint32_t jrn_rl_find(const struct jrn_rl *rl, const char *subject, size_t len)
{
	uint64_t h = subject_hash(subject, len);
	for (uint32_t i = rl->buckets[h % JRN_RL_BUCKETS]; i != JRN_RL_NONE;
	        i = rl->e[i].chain_next) {
		const struct jrn_rl_entry *e = &rl->e[i];
		if (e->hash == h && e->len == len && memcmp(e->subject, subject, len) == 0)
			return i;
	}
	return JRN_RL_NONE;
}

uint32_t jrn_rl_victim(const struct jrn_rl *rl)
{
	return rl->n_used < JRN_SUBJECTS_MAX ? JRN_RL_NONE : rl->lru_tail;
}

static void lru_unlink(struct jrn_rl *rl, uint32_t i)
{
	struct jrn_rl_entry *e = &rl->e[i];
	if (e->lru_prev != JRN_RL_NONE)
		rl->e[e->lru_prev].lru_next = e->lru_next;
	else
		rl->lru_head = e->lru_next;
	if (e->lru_next != JRN_RL_NONE)
		rl->e[e->lru_next].lru_prev = e->lru_prev;
	else
		rl->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = JRN_RL_NONE;
}

static void lru_push_front(struct jrn_rl *rl, uint32_t i)
{
	struct jrn_rl_entry *e = &rl->e[i];
	e->lru_prev = JRN_RL_NONE;
	e->lru_next = rl->lru_head;
	if (rl->lru_head != JRN_RL_NONE)
		rl->e[rl->lru_head].lru_prev = i;
	rl->lru_head = i;
	if (rl->lru_tail == JRN_RL_NONE)
		rl->lru_tail = i;
}

static void forget(struct jrn_rl *rl, uint32_t i)
{
	struct jrn_rl_entry *e = &rl->e[i];
	uint32_t *p = &rl->buckets[e->hash % JRN_RL_BUCKETS];
	while (*p != i) {
		assert(*p != JRN_RL_NONE);
		p = &rl->e[*p].chain_next;
	}
	*p = e->chain_next;
	lru_unlink(rl, i);
	e->used = false;
	e->chain_next = rl->free_head;
	rl->free_head = i;
	rl->n_used--;
}

uint32_t jrn_rl_insert(struct jrn_rl *rl, const char *subject, size_t len, uint64_t now_ns)
{
	assert(len <= JRN_SUBJECT_MAX);
	uint32_t i;
	if (rl->free_head == JRN_RL_NONE && rl->n_fresh < JRN_SUBJECTS_MAX) {
		i = rl->n_fresh++;
	} else {
		if (rl->free_head == JRN_RL_NONE)
			forget(rl, rl->lru_tail);
		i = rl->free_head;
		rl->free_head = rl->e[i].chain_next;
	}
	struct jrn_rl_entry *e = &rl->e[i];

	memset(e, 0, sizeof(*e));
	e->used = true;
	e->hash = subject_hash(subject, len);
	e->len = (uint16_t)len;
	memcpy(e->subject, subject, len);
	e->subject[len] = '\0';
	e->tokens = (uint64_t)rl->burst * TOKEN_SCALE;
	e->last_ns = now_ns;
	uint32_t *b = &rl->buckets[e->hash % JRN_RL_BUCKETS];
	e->chain_next = *b;
	*b = i;
	e->lru_prev = e->lru_next = JRN_RL_NONE;
	lru_push_front(rl, i);
	rl->n_used++;
	return i;
}

bool jrn_rl_take(struct jrn_rl *rl, uint32_t idx, uint64_t now_ns)
{
	struct jrn_rl_entry *e = &rl->e[idx];
	assert(e->used);
	uint64_t cap = (uint64_t)rl->burst * TOKEN_SCALE;
	if (now_ns > e->last_ns && rl->rate > 0) {
		uint64_t elapsed = now_ns - e->last_ns;
		/* Past the time a refill from empty takes, the bucket is full; below it the
		 * product stays under cap + rate, far from overflow. */
		if (elapsed > cap / rl->rate)
			e->tokens = cap;
		else if (e->tokens + elapsed * rl->rate >= cap)
			e->tokens = cap;
		else
			e->tokens += elapsed * rl->rate;
	}
	if (now_ns > e->last_ns)
		e->last_ns = now_ns;
	lru_unlink(rl, idx);
	lru_push_front(rl, idx);
	if (e->tokens < TOKEN_SCALE) {
		e->dropped_total++;
		e->dropped_pending++;
		return false;
	}
	e->tokens -= TOKEN_SCALE;
	return true;
}
