/* SPDX-License-Identifier: MIT */
/*
 * Private to journal: per-subject token buckets in a fixed table (JRN_SUBJECTS_MAX entries,
 * chained hash + LRU list by index, no allocation after init). Tokens are kept in billionths
 * so a rate in records/s refills exactly from nanosecond time.
 */
#ifndef USERSPACE_JOURNAL_RATELIMIT_H
#define USERSPACE_JOURNAL_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define JRN_RL_NONE    UINT32_MAX
#define JRN_RL_BUCKETS 1024u

struct jrn_rl_entry {
	uint64_t hash;
	uint64_t tokens; /* billionths of a record */
	uint64_t last_ns;
	uint64_t dropped_total;
	uint64_t dropped_pending;
	uint64_t last_report_ns;
	bool reported;       /* last_report_ns is valid */
	uint32_t chain_next; /* hash chain, or free list */
	uint32_t lru_prev;   /* towards the most recently used */
	uint32_t lru_next;   /* towards the least recently used */
	uint16_t len;
	bool used;
	char subject[JRN_SUBJECT_MAX + 1];
};

struct jrn_rl {
	uint32_t rate;
	uint32_t burst;
	uint32_t n_used;
	uint32_t lru_head;  /* most recently used */
	uint32_t lru_tail;  /* least recently used */
	uint32_t free_head; /* forgotten entries */
	uint32_t n_fresh;   /* e[n_fresh..] have never been handed out */
	uint32_t buckets[JRN_RL_BUCKETS];
	struct jrn_rl_entry e[JRN_SUBJECTS_MAX];
};

void jrn_rl_init(struct jrn_rl *rl, uint32_t rate, uint32_t burst);
/* The entry for subject, or JRN_RL_NONE. */
uint32_t jrn_rl_find(const struct jrn_rl *rl, const char *subject, size_t len);
/* The entry jrn_rl_insert() would forget to make room, or JRN_RL_NONE if there is room. */
uint32_t jrn_rl_victim(const struct jrn_rl *rl);
/* Adds subject (not present) with a full bucket, forgetting the LRU entry if the table is
 * full. Returns its index. */
uint32_t jrn_rl_insert(struct jrn_rl *rl, const char *subject, size_t len, uint64_t now_ns);
/* Refills entry idx to now_ns, marks it most recently used and takes one token. false (and
 * one more drop counted) when the bucket is empty. */
bool jrn_rl_take(struct jrn_rl *rl, uint32_t idx, uint64_t now_ns);

#endif
