/* SPDX-License-Identifier: MIT */
/*
 * Reads the input as a program of journal operations (append, query, get, evict, flush) and
 * checks the journal's invariants after each: ids consecutive and never reused, memory within
 * capacity, counts that add up, query results in id order and matching their filter, and every
 * retained record equal to what was appended.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal.h"

#define SHADOW 1024u

/* Longer programs add little (4 KiB of appends cycles the 128 KiB ring several times) but
 * cost per run in proportion, so the fuzzer does not keep them. */
#define PROGRAM_MAX 4096u

struct shadow {
	uint64_t id;
	uint64_t mono;
	uint8_t level;
	uint8_t subject;
	uint16_t message_len;
	uint8_t n_fields;
};

struct state {
	const uint8_t *p, *end;
	struct jrn *j;
	struct shadow shadow[SHADOW];
	uint64_t mono;
	uint64_t appended, refused_rate;
	uint64_t last_id;
};

static const char *const subjects[] = {
        "svc:a", "svc:b", "app:x", "app:xy", "uid:1", JRN_SELF_SUBJECT};
#define NSUBJ (sizeof(subjects) / sizeof(subjects[0]))

static char text[JRN_MESSAGE_MAX + 8];

static uint8_t byte(struct state *s)
{
	return s->p < s->end ? *s->p++ : 0;
}

static uint32_t u16(struct state *s)
{
	uint32_t v = byte(s);
	return v | (uint32_t)byte(s) << 8;
}

/* An invariant broke: name the line, then crash so libFuzzer keeps the input. */
#define check(ok)                                                                   \
	do {                                                                        \
		if (!(ok)) {                                                        \
			fprintf(stderr, "invariant failed at line %d\n", __LINE__); \
			abort();                                                    \
		}                                                                   \
	} while (0)

static void check_stats(struct state *s)
{
	struct jrn_stats st;
	jrn_stats(s->j, &st);
	check(st.bytes_used <= st.capacity);
	check(st.capacity <= JRN_CAPACITY_MIN);
	check(st.appended == st.records + st.evicted);
	check(st.next_id == st.appended + 1);
	check(st.dropped == s->refused_rate);
	check(st.records == 0 || st.newest_id - st.oldest_id + 1 == st.records);
	check(st.records == 0 || st.newest_id == st.next_id - 1);
	check(st.subjects_tracked <= JRN_SUBJECTS_MAX);
	check(st.n_top <= JRN_STATS_TOP);
	for (size_t i = 1; i < st.n_top; i++)
		check(st.top[i - 1].dropped >= st.top[i].dropped);
}

static void check_record(struct state *s, const struct jrn_record *r)
{
	const struct shadow *sh = &s->shadow[r->id % SHADOW];
	check(r->subject_len == strlen(r->subject) && r->subject_len > 0);
	check(r->message_len == strlen(r->message));
	check((unsigned)r->level < JRN_LEVEL_COUNT);
	check(r->n_fields <= JRN_FIELDS_MAX);
	if (sh->id != r->id)
		return; /* a drop report, or overwritten in the shadow */
	check(r->monotonic_ns == sh->mono);
	check(r->level == sh->level);
	check(strcmp(r->subject, subjects[sh->subject]) == 0);
	check(r->message_len == sh->message_len);
	check(r->n_fields == sh->n_fields);
}

static void op_append(struct state *s)
{
	uint8_t b = byte(s);
	uint8_t subj = (uint8_t)(b % NSUBJ);
	uint8_t level = (uint8_t)(byte(s) % (JRN_LEVEL_COUNT + 1));
	size_t mlen = u16(s) % (JRN_MESSAGE_MAX + 3);
	size_t n_fields = byte(s) % (JRN_FIELDS_MAX + 2);
	uint64_t dt = byte(s);
	struct jrn_field f[JRN_FIELDS_MAX + 1] = {{NULL, NULL}};
	static const char *const keys[] = {"k", "a.b", "", "bad key", "x-y_Z"};

	for (size_t i = 0; i < n_fields; i++) {
		f[i].key = keys[byte(s) % 5];
		f[i].value = "v";
	}
	memset(text, 'a' + (b % 26), mlen);
	text[mlen] = '\0';
	if (mlen > 0 && b & 0x80)
		text[byte(s) % mlen] = ' ';

	/* Sometimes time goes back: the journal must raise it. */
	uint64_t given = (b & 0x40) && s->mono > dt ? s->mono - dt : s->mono + dt * 1000;
	struct jrn_entry e = {.level = (enum jrn_level)level,
	        .scope = (b & 0x20) ? "scope" : NULL,
	        .message = text,
	        .fields = f,
	        .n_fields = n_fields};
	uint64_t id = UINT64_MAX;
	int r = jrn_append(s->j, subjects[subj], &e, given, given, &id);
	bool bad_key = false;
	for (size_t i = 0; i < n_fields && i < JRN_FIELDS_MAX; i++)
		bad_key |= f[i].key[0] == '\0' || strchr(f[i].key, ' ');
	/* The journal checks level, field count, text sizes, an empty message, then keys. */
	if (level >= JRN_LEVEL_COUNT) {
		check(r == -EINVAL);
	} else if (n_fields > JRN_FIELDS_MAX) {
		check(r == -E2BIG);
	} else if (mlen > JRN_MESSAGE_MAX) {
		check(r == -EMSGSIZE);
	} else if (mlen == 0) {
		check(r == -ENODATA);
	} else if (bad_key) {
		check(r == -EINVAL);
	} else if (r == -EAGAIN) {
		s->refused_rate++;
	} else {
		check(r == 0);
		check(id > s->last_id);
		if (given > s->mono)
			s->mono = given;
		s->last_id = id;
		s->shadow[id % SHADOW] = (struct shadow){.id = id,
		        .mono = s->mono,
		        .level = level,
		        .subject = subj,
		        .message_len = (uint16_t)mlen,
		        .n_fields = (uint8_t)n_fields};
	}
	if (r != 0)
		check(id == UINT64_MAX);
}

static bool match(const struct jrn_filter *f, const struct jrn_record *r)
{
	if (f->since_id && r->id < f->since_id)
		return false;
	if (r->monotonic_ns < f->since_ns)
		return false;
	if (f->until_ns && r->monotonic_ns >= f->until_ns)
		return false;
	if (r->level < f->min_level)
		return false;
	if (f->subject) {
		size_t n = strlen(f->subject);
		if (n && f->subject[n - 1] == '*' ? strncmp(r->subject, f->subject, n - 1) != 0
		                                  : strcmp(r->subject, f->subject) != 0)
			return false;
	}
	if (f->contains && !strstr(r->message, f->contains))
		return false;
	return true;
}

static void op_query(struct state *s)
{
	static struct jrn_record out[64];
	static const char *const pats[] = {"svc:a", "svc:*", "app:x*", "*", "nobody"};
	struct jrn_stats st;
	struct jrn_filter f = {0};
	struct jrn_query_result res;
	uint8_t b = byte(s);
	size_t max = byte(s) % 65;

	jrn_stats(s->j, &st);
	if (b & 1)
		f.since_id = st.next_id > 40 ? st.next_id - byte(s) % 40 : byte(s);
	if (b & 2)
		f.since_ns = s->mono > 65535 ? s->mono - u16(s) : u16(s);
	if (b & 4)
		f.until_ns = s->mono > 65535 ? s->mono - u16(s) : u16(s);
	if (b & 8)
		f.subject = pats[byte(s) % 5];
	if (b & 16)
		f.contains = (b & 32) ? " " : "aa";
	f.min_level = (enum jrn_level)(byte(s) % JRN_LEVEL_COUNT);

	int r = jrn_query(s->j, &f, out, max, &res);
	if (f.since_id > st.next_id) {
		check(r == -ERANGE);
		return;
	}
	check(r == 0);
	check(res.count <= max);
	check(res.next_cursor <= st.next_id);
	uint64_t prev = 0;
	for (size_t i = 0; i < res.count; i++) {
		check(out[i].id > prev);
		prev = out[i].id;
		check(out[i].id >= st.oldest_id && out[i].id <= st.newest_id);
		check(match(&f, &out[i]));
		check_record(s, &out[i]);
	}
	if (res.count)
		check(res.next_cursor > prev);
	if (res.more)
		check(res.count == max && res.next_cursor < st.next_id);
	uint64_t lo = st.records ? st.oldest_id : st.next_id;
	if (f.since_id && f.since_id < lo)
		check(res.missed == lo - f.since_id);
	else
		check(res.missed == 0);
}

static void op_get(struct state *s)
{
	struct jrn_stats st;
	struct jrn_record r;
	jrn_stats(s->j, &st);
	uint64_t id = st.next_id > 300 ? st.next_id - u16(s) % 300 : u16(s) % 300;
	int rc = jrn_get(s->j, id, &r);
	if (st.records && id >= st.oldest_id && id <= st.newest_id) {
		check(rc == 0 && r.id == id);
		check_record(s, &r);
	} else {
		check(rc == -ENOENT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state s;
	if (size > PROGRAM_MAX)
		return -1;
	memset(&s, 0, sizeof(s));
	s.p = data;
	s.end = data + size;

	uint8_t cfgb = byte(&s);
	struct jrn_config cfg = {.capacity = JRN_CAPACITY_MIN,
	        .rate_per_sec = cfgb & 1 ? 0 : 1 + cfgb % 50,
	        .burst = 1 + cfgb % 7};
	if (jrn_new(&cfg, &s.j) < 0)
		abort();
	while (s.p < s.end) {
		switch (byte(&s) % 8) {
		case 0:
		case 1:
		case 2:
			op_append(&s);
			break;
		case 3:
			/* A run of appends to cycle the ring quickly. */
			for (int n = byte(&s); n > 0 && s.p < s.end; n--)
				op_append(&s);
			break;
		case 4:
			op_query(&s);
			break;
		case 5:
			op_get(&s);
			break;
		case 6: {
			struct jrn_stats a, b;
			jrn_stats(s.j, &a);
			int64_t n = jrn_evict_oldest(s.j);
			jrn_stats(s.j, &b);
			check(n >= 0 && b.records == a.records - (uint64_t)n &&
			        (n > 0 || !a.records));
			break;
		}
		case 7: {
			/* Reports take the flush time; without one the journal's time stays put. */
			uint64_t t = s.mono + (uint64_t)u16(&s) * 1000000ull;
			int n = jrn_flush_drops(s.j, t, t);
			check(n >= 0);
			if (n > 0)
				s.mono = t;
			break;
		}
		}
		check_stats(&s);
	}
	s.j = jrn_free(s.j);
	return 0;
}
