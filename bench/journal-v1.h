/* SPDX-License-Identifier: MIT */
/* The pre-crash-safe journal (journal-v1.c), bench-journal's baseline: the API of
 * userspace/journal/journal.h at commit fa6257a, renamed jrn1_*; its types are today's. */
#ifndef BENCH_JOURNAL_V1_H
#define BENCH_JOURNAL_V1_H

#include "journal/journal.h"

struct jrn1;

const char *jrn1_level_name(enum jrn_level level);
int jrn1_level_parse(const char *name, enum jrn_level *ret_level);
void jrn1_config_default(struct jrn_config *ret_config);
int jrn1_new(const struct jrn_config *cfg, struct jrn1 **ret_journal);
struct jrn1 *jrn1_free(struct jrn1 *j);
int jrn1_append(struct jrn1 *j, const char *subject, const struct jrn_entry *e,
        uint64_t realtime_ns, uint64_t monotonic_ns, uint64_t *ret_id);
int jrn1_flush_drops(struct jrn1 *j, uint64_t realtime_ns, uint64_t monotonic_ns);
int jrn1_query(const struct jrn1 *j, const struct jrn_filter *f, struct jrn_record *out, size_t max,
        struct jrn_query_result *ret);
int jrn1_get(const struct jrn1 *j, uint64_t id, struct jrn_record *ret_record);
int64_t jrn1_evict_oldest(struct jrn1 *j);
void jrn1_stats(const struct jrn1 *j, struct jrn_stats *ret_stats);

#endif
