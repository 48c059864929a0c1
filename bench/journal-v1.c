/* SPDX-License-Identifier: MIT */
/*
 * bench-journal's baseline, "today's ring" of issue 12: userspace/journal/journal.c as it was
 * before the crash-safe ring (commit fa6257a: records in a malloc'd arena, no checksum, no
 * region header), renamed jrn1_*, so both rings are measured in the same run. Built into
 * bench-journal only. Kept as it was: do not fix or extend it.
 */
#include "journal-v1.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-util/macro.h"
#include "journal/ratelimit.h"

/*
 * A record in a chunk, at an 8-aligned offset: this header, then n_fields pairs of u16
 * (key_len, value_len), then subject, scope, message and each key and value, every one
 * NUL-terminated so views are C strings; the whole padded to 8 bytes.
 */
struct rec_hdr {
	uint64_t id;
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	uint32_t size;
	uint16_t message_len;
	uint8_t level;
	uint8_t n_fields;
	uint8_t subject_len;
	uint8_t scope_len;
	uint8_t pad[2];
};

#define SLOT_BYTES 4u

struct chunk {
	uint64_t first_id;
	uint32_t count; /* records */
	uint32_t used;  /* record bytes from the start; slots take count * 4 from the end */
};

struct jrn1 {
	uint8_t *arena;
	struct chunk *chunks;
	size_t capacity; /* n_chunks * chunk_bytes */
	uint32_t chunk_bytes;
	uint32_t n_chunks;
	uint32_t tail;   /* oldest chunk in use */
	uint32_t n_live; /* chunks in use, >= 1; the newest (head) is the one written */
	uint64_t next_id;
	uint64_t last_mono;
	uint64_t records;
	uint64_t bytes_used;
	uint64_t appended;
	uint64_t evicted;
	uint64_t dropped;
	struct jrn_rl rl;
};

static const char *const level_names[JRN_LEVEL_COUNT] = {
        [JRN_LEVEL_DEBUG] = "debug",
        [JRN_LEVEL_INFO] = "info",
        [JRN_LEVEL_NOTICE] = "notice",
        [JRN_LEVEL_WARN] = "warn",
        [JRN_LEVEL_ERROR] = "error",
        [JRN_LEVEL_CRIT] = "crit",
        [JRN_LEVEL_ALERT] = "alert",
        [JRN_LEVEL_EMERG] = "emerg",
};

JRN_EXPORT const char *jrn1_level_name(enum jrn_level level)
{
	if ((unsigned)level >= JRN_LEVEL_COUNT)
		return NULL;
	return level_names[level];
}

JRN_EXPORT int jrn1_level_parse(const char *name, enum jrn_level *ret_level)
{
	assert_return(name && ret_level, -EINVAL);
	for (unsigned i = 0; i < JRN_LEVEL_COUNT; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*ret_level = (enum jrn_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

JRN_EXPORT void jrn1_config_default(struct jrn_config *ret_config)
{
	if (!ret_config)
		return;
	ret_config->capacity = JRN_CAPACITY_DEFAULT;
	ret_config->rate_per_sec = JRN_RATE_DEFAULT;
	ret_config->burst = JRN_BURST_DEFAULT;
}

static struct chunk *chunk_at(const struct jrn1 *j, uint32_t k)
{
	/* k counts from the oldest chunk in use. */
	return &j->chunks[(j->tail + k) % j->n_chunks];
}

static uint8_t *chunk_base(const struct jrn1 *j, const struct chunk *c)
{
	return j->arena + (size_t)(c - j->chunks) * j->chunk_bytes;
}

static uint32_t slot_get(const struct jrn1 *j, const struct chunk *c, uint32_t i)
{
	uint32_t off;
	memcpy(&off, chunk_base(j, c) + j->chunk_bytes - SLOT_BYTES * (i + 1), sizeof(off));
	return off;
}

static void slot_set(const struct jrn1 *j, const struct chunk *c, uint32_t i, uint32_t off)
{
	memcpy(chunk_base(j, c) + j->chunk_bytes - SLOT_BYTES * (i + 1), &off, sizeof(off));
}

static uint64_t mono_at(const struct jrn1 *j, const struct chunk *c, uint32_t i)
{
	uint64_t mono;
	memcpy(&mono, chunk_base(j, c) + slot_get(j, c, i) + offsetof(struct rec_hdr, monotonic_ns),
	        sizeof(mono));
	return mono;
}

static uint64_t oldest_id(const struct jrn1 *j)
{
	return j->records ? chunk_at(j, 0)->first_id : j->next_id;
}

JRN_EXPORT int jrn1_new(const struct jrn_config *cfg, struct jrn1 **ret_journal)
{
	struct jrn_config def;
	struct jrn1 *j = NULL;

	assert_return(ret_journal, -EINVAL);
	if (!cfg) {
		jrn1_config_default(&def);
		cfg = &def;
	}
	if (cfg->capacity < JRN_CAPACITY_MIN || cfg->capacity > JRN_CAPACITY_MAX)
		return -ERANGE;
	if (cfg->rate_per_sec > JRN_RATE_MAX || cfg->burst > JRN_BURST_MAX)
		return -ERANGE;
	if (cfg->rate_per_sec > 0 && cfg->burst == 0)
		return -ERANGE;

	size_t chunk = cfg->capacity / JRN_CHUNK_TARGET;
	if (chunk < JRN_CHUNK_MIN)
		chunk = JRN_CHUNK_MIN;
	if (chunk > JRN_CHUNK_MAX)
		chunk = JRN_CHUNK_MAX;
	chunk &= ~(size_t)7;

	j = calloc(1, sizeof(*j));
	if (!j)
		goto fail;
	j->chunk_bytes = (uint32_t)chunk;
	j->n_chunks = (uint32_t)(cfg->capacity / chunk);
	j->capacity = (size_t)j->n_chunks * chunk;
	j->arena = malloc(j->capacity);
	j->chunks = calloc(j->n_chunks, sizeof(*j->chunks));
	if (!j->arena || !j->chunks)
		goto fail;
	j->tail = 0;
	j->n_live = 1;
	j->next_id = 1;
	j->chunks[0].first_id = 1;
	jrn_rl_init(&j->rl, cfg->rate_per_sec, cfg->burst);
	*ret_journal = j;
	return 0;
fail:
	jrn1_free(j);
	return -ENOMEM;
}

JRN_EXPORT struct jrn1 *jrn1_free(struct jrn1 *j)
{
	if (!j)
		return NULL;
	free(j->arena);
	free(j->chunks);
	free(j);
	return NULL;
}

/* ---- Writing */

struct sized {
	size_t subject_len, scope_len, message_len, n_fields;
	size_t key_len[JRN_FIELDS_MAX], value_len[JRN_FIELDS_MAX];
	size_t size;
};

static bool key_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int text_len(const char *s, size_t max, size_t *ret_len)
{
	size_t n = strnlen(s, max + 1);
	if (n > max)
		return -EMSGSIZE;
	*ret_len = n;
	return 0;
}

static int measure(const char *subject, const struct jrn_entry *e, struct sized *z)
{
	int r;

	assert_return(subject && e, -EINVAL);
	assert_return((unsigned)e->level < JRN_LEVEL_COUNT, -EINVAL);
	assert_return(e->n_fields == 0 || e->fields, -EINVAL);
	if (e->n_fields > JRN_FIELDS_MAX)
		return -E2BIG;
	r = text_len(subject, JRN_SUBJECT_MAX, &z->subject_len);
	if (r < 0)
		return r;
	if (z->subject_len == 0)
		return -EINVAL;
	z->scope_len = 0;
	if (e->scope && (r = text_len(e->scope, JRN_SCOPE_MAX, &z->scope_len)) < 0)
		return r;
	z->message_len = 0;
	if (e->message && (r = text_len(e->message, JRN_MESSAGE_MAX, &z->message_len)) < 0)
		return r;
	z->n_fields = e->n_fields;
	size_t size = sizeof(struct rec_hdr) + 4 * e->n_fields + z->subject_len + 1 + z->scope_len +
	              1 + z->message_len + 1;
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct jrn_field *f = &e->fields[i];
		assert_return(f->key && f->value, -EINVAL);
		if ((r = text_len(f->key, JRN_KEY_MAX, &z->key_len[i])) < 0)
			return r;
		if ((r = text_len(f->value, JRN_VALUE_MAX, &z->value_len[i])) < 0)
			return r;
		if (z->key_len[i] == 0)
			return -EINVAL;
		for (size_t k = 0; k < z->key_len[i]; k++)
			if (!key_char_ok(f->key[k]))
				return -EINVAL;
		size += z->key_len[i] + 1 + z->value_len[i] + 1;
	}
	z->size = (size + 7) & ~(size_t)7;
	return 0;
}

static void evict_tail(struct jrn1 *j)
{
	struct chunk *c = chunk_at(j, 0);
	j->records -= c->count;
	j->evicted += c->count;
	j->bytes_used -= c->used;
	if (j->n_live == 1) {
		/* The only chunk is also the one written: empty it in place. */
		c->first_id = j->next_id;
		c->count = 0;
		c->used = 0;
		return;
	}
	j->tail = (j->tail + 1) % j->n_chunks;
	j->n_live--;
}

static uint8_t *put(uint8_t *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	p[n] = '\0';
	return p + n + 1;
}

/* Writes a measured record; evicts the oldest chunk if the ring is full. Cannot fail. */
static uint64_t write_record(struct jrn1 *j, const char *subject, const struct jrn_entry *e,
        const struct sized *z, uint64_t realtime_ns, uint64_t mono)
{
	struct chunk *c = chunk_at(j, j->n_live - 1);
	assert(z->size + SLOT_BYTES <= j->chunk_bytes);
	if ((size_t)c->used + z->size + SLOT_BYTES * ((size_t)c->count + 1) > j->chunk_bytes) {
		if (j->n_live == j->n_chunks)
			evict_tail(j);
		j->n_live++;
		c = chunk_at(j, j->n_live - 1);
		c->count = 0;
		c->used = 0;
	}
	if (c->count == 0)
		c->first_id = j->next_id;

	struct rec_hdr h = {
	        .id = j->next_id,
	        .realtime_ns = realtime_ns,
	        .monotonic_ns = mono,
	        .size = (uint32_t)z->size,
	        .message_len = (uint16_t)z->message_len,
	        .level = (uint8_t)e->level,
	        .n_fields = (uint8_t)z->n_fields,
	        .subject_len = (uint8_t)z->subject_len,
	        .scope_len = (uint8_t)z->scope_len,
	};
	uint8_t *start = chunk_base(j, c) + c->used;
	uint8_t *p = start;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (size_t i = 0; i < z->n_fields; i++) {
		uint16_t kl = (uint16_t)z->key_len[i], vl = (uint16_t)z->value_len[i];
		memcpy(p, &kl, 2);
		memcpy(p + 2, &vl, 2);
		p += 4;
	}
	p = put(p, subject, z->subject_len);
	p = put(p, e->scope ? e->scope : "", z->scope_len);
	p = put(p, e->message ? e->message : "", z->message_len);
	for (size_t i = 0; i < z->n_fields; i++) {
		p = put(p, e->fields[i].key, z->key_len[i]);
		p = put(p, e->fields[i].value, z->value_len[i]);
	}
	memset(p, 0, z->size - (size_t)(p - start));

	slot_set(j, c, c->count, c->used);
	c->count++;
	c->used += (uint32_t)z->size;
	j->bytes_used += z->size;
	j->records++;
	j->appended++;
	j->last_mono = mono;
	return j->next_id++;
}

static char *u64_to_str(uint64_t v, char *buf_end)
{
	/* Writes backwards from buf_end (which gets the NUL); returns the first digit. */
	char *p = buf_end;
	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void drop_report(struct jrn1 *j, uint32_t idx, uint64_t realtime_ns, uint64_t mono)
{
	struct jrn_rl_entry *s = &j->rl.e[idx];
	char num[24], msg[JRN_MESSAGE_MAX + 1];
	const char *n = u64_to_str(s->dropped_pending, num + sizeof(num) - 1);
	size_t nl = strlen(n), off = 0;

	memcpy(msg + off, "dropped ", 8);
	off += 8;
	memcpy(msg + off, n, nl);
	off += nl;
	memcpy(msg + off, " records from ", 14);
	off += 14;
	memcpy(msg + off, s->subject, s->len);
	off += s->len;
	msg[off] = '\0';

	const struct jrn_field fields[] = {
	        {"subject", s->subject},
	        {"dropped", n},
	};
	const struct jrn_entry e = {
	        .level = JRN_LEVEL_WARN,
	        .scope = JRN_SELF_SCOPE,
	        .message = msg,
	        .fields = fields,
	        .n_fields = 2,
	};
	struct sized z;
	int r = measure(JRN_SELF_SUBJECT, &e, &z);
	assert(r == 0);
	(void)r;
	write_record(j, JRN_SELF_SUBJECT, &e, &z, realtime_ns, mono);
	s->dropped_pending = 0;
	s->last_report_ns = mono;
	s->reported = true;
}

JRN_EXPORT int jrn1_append(struct jrn1 *j, const char *subject, const struct jrn_entry *e,
        uint64_t realtime_ns, uint64_t monotonic_ns, uint64_t *ret_id)
{
	struct sized z;
	int r;

	assert_return(j, -EINVAL);
	r = measure(subject, e, &z);
	if (r < 0)
		return r;
	uint64_t mono = monotonic_ns < j->last_mono ? j->last_mono : monotonic_ns;

	if (j->rl.rate > 0) {
		uint32_t idx = jrn_rl_find(&j->rl, subject, z.subject_len);
		if (idx == JRN_RL_NONE) {
			uint32_t victim = jrn_rl_victim(&j->rl);
			if (victim != JRN_RL_NONE && j->rl.e[victim].dropped_pending > 0)
				drop_report(j, victim, realtime_ns, mono);
			idx = jrn_rl_insert(&j->rl, subject, z.subject_len, mono);
		}
		if (!jrn_rl_take(&j->rl, idx, mono)) {
			j->dropped++;
			return -EAGAIN;
		}
		const struct jrn_rl_entry *s = &j->rl.e[idx];
		/* A steady flooder would otherwise double its footprint with a report per record. */
		if (s->dropped_pending > 0 &&
		        (!s->reported || mono - s->last_report_ns >= JRN_DROP_REPORT_INTERVAL_NS))
			drop_report(j, idx, realtime_ns, mono);
	}
	uint64_t id = write_record(j, subject, e, &z, realtime_ns, mono);
	if (ret_id)
		*ret_id = id;
	return 0;
}

JRN_EXPORT int jrn1_flush_drops(struct jrn1 *j, uint64_t realtime_ns, uint64_t monotonic_ns)
{
	assert_return(j, -EINVAL);
	uint64_t mono = monotonic_ns < j->last_mono ? j->last_mono : monotonic_ns;
	int n = 0;
	/* Oldest first so reports come out in a stable order. */
	for (uint32_t i = j->rl.lru_tail; i != JRN_RL_NONE; i = j->rl.e[i].lru_prev) {
		if (j->rl.e[i].dropped_pending > 0) {
			drop_report(j, i, realtime_ns, mono);
			n++;
		}
	}
	return n;
}

JRN_EXPORT int64_t jrn1_evict_oldest(struct jrn1 *j)
{
	assert_return(j, -EINVAL);
	if (j->records == 0)
		return 0;
	uint64_t n = chunk_at(j, 0)->count;
	evict_tail(j);
	return (int64_t)n;
}

/* ---- Reading */

/* Chunk (index from the oldest) holding id, which must be in [oldest, next_id). */
static uint32_t chunk_of_id(const struct jrn1 *j, uint64_t id)
{
	uint32_t lo = 0, hi = j->n_live - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (chunk_at(j, mid)->first_id <= id)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* The first id whose monotonic time is >= t (next_id if none): O(log chunks + log records). */
static uint64_t first_id_at_time(const struct jrn1 *j, uint64_t t)
{
	if (j->records == 0)
		return j->next_id;
	/* Last chunk whose first record is before t; if none, the oldest record is the answer. */
	uint32_t lo = 0, hi = j->n_live;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct chunk *c = chunk_at(j, mid);
		if (c->count > 0 && mono_at(j, c, 0) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return chunk_at(j, 0)->first_id;
	const struct chunk *c = chunk_at(j, lo - 1);
	uint32_t a = 1, b = c->count;
	while (a < b) {
		uint32_t mid = a + (b - a) / 2;
		if (mono_at(j, c, mid) < t)
			a = mid + 1;
		else
			b = mid;
	}
	return c->first_id + a;
}

static void view(const struct jrn1 *j, const struct chunk *c, uint32_t i, struct jrn_record *r)
{
	const uint8_t *start = chunk_base(j, c) + slot_get(j, c, i);
	struct rec_hdr h;
	memcpy(&h, start, sizeof(h));
	const uint8_t *lens = start + sizeof(h);
	const char *p = (const char *)lens + 4 * h.n_fields;

	r->id = h.id;
	r->realtime_ns = h.realtime_ns;
	r->monotonic_ns = h.monotonic_ns;
	r->level = (enum jrn_level)h.level;
	r->subject = p;
	r->subject_len = h.subject_len;
	p += h.subject_len + 1;
	r->scope = p;
	r->scope_len = h.scope_len;
	p += h.scope_len + 1;
	r->message = p;
	r->message_len = h.message_len;
	p += h.message_len + 1;
	r->n_fields = h.n_fields;
	for (size_t k = 0; k < h.n_fields; k++) {
		uint16_t kl, vl;
		memcpy(&kl, lens + 4 * k, 2);
		memcpy(&vl, lens + 4 * k + 2, 2);
		r->fields[k].key = p;
		p += kl + 1;
		r->fields[k].value = p;
		p += vl + 1;
	}
}

JRN_EXPORT int jrn1_get(const struct jrn1 *j, uint64_t id, struct jrn_record *ret_record)
{
	assert_return(j && ret_record, -EINVAL);
	if (id < oldest_id(j) || id >= j->next_id)
		return -ENOENT;
	const struct chunk *c = chunk_at(j, chunk_of_id(j, id));
	view(j, c, (uint32_t)(id - c->first_id), ret_record);
	return 0;
}

struct compiled_filter {
	enum jrn_level min_level;
	uint64_t until_ns;
	const char *subject, *scope, *contains;
	size_t subject_len, scope_len, contains_len;
	bool subject_prefix;
};

static int compile_filter(const struct jrn_filter *f, struct compiled_filter *cf)
{
	int r;
	memset(cf, 0, sizeof(*cf));
	if (!f)
		return 0;
	assert_return((unsigned)f->min_level < JRN_LEVEL_COUNT, -EINVAL);
	cf->min_level = f->min_level;
	cf->until_ns = f->until_ns;
	if (f->subject) {
		if ((r = text_len(f->subject, JRN_SUBJECT_MAX, &cf->subject_len)) < 0)
			return r;
		cf->subject = f->subject;
		if (cf->subject_len > 0 && f->subject[cf->subject_len - 1] == '*') {
			cf->subject_prefix = true;
			cf->subject_len--;
		}
	}
	if (f->scope) {
		if ((r = text_len(f->scope, JRN_SCOPE_MAX, &cf->scope_len)) < 0)
			return r;
		cf->scope = f->scope;
	}
	if (f->contains) {
		if ((r = text_len(f->contains, JRN_MESSAGE_MAX, &cf->contains_len)) < 0)
			return r;
		if (cf->contains_len > 0)
			cf->contains = f->contains;
	}
	return 0;
}

static bool matches(const struct compiled_filter *cf, const struct jrn_record *r)
{
	if (r->level < cf->min_level)
		return false;
	if (cf->subject) {
		if (cf->subject_prefix ? r->subject_len < cf->subject_len
		                       : r->subject_len != cf->subject_len)
			return false;
		if (memcmp(r->subject, cf->subject, cf->subject_len) != 0)
			return false;
	}
	if (cf->scope &&
	        (r->scope_len != cf->scope_len || memcmp(r->scope, cf->scope, cf->scope_len) != 0))
		return false;
	if (cf->contains && !memmem(r->message, r->message_len, cf->contains, cf->contains_len))
		return false;
	return true;
}

JRN_EXPORT int jrn1_query(const struct jrn1 *j, const struct jrn_filter *f, struct jrn_record *out,
        size_t max, struct jrn_query_result *ret)
{
	struct compiled_filter cf;
	int r;

	assert_return(j && ret && (out || max == 0), -EINVAL);
	r = compile_filter(f, &cf);
	if (r < 0)
		return r;
	if (max > JRN_QUERY_MAX)
		max = JRN_QUERY_MAX;

	uint64_t oldest = oldest_id(j), start = oldest, missed = 0;
	if (f && f->since_id) {
		if (f->since_id > j->next_id)
			return -ERANGE;
		if (f->since_id < oldest)
			missed = oldest - f->since_id;
		else
			start = f->since_id;
	}
	if (f && f->since_ns) {
		uint64_t t = first_id_at_time(j, f->since_ns);
		if (t > start)
			start = t;
	}

	struct jrn_query_result res = {.count = 0, .next_cursor = j->next_id, .missed = missed};
	if (start < j->next_id) {
		uint32_t k = chunk_of_id(j, start);
		const struct chunk *c = chunk_at(j, k);
		uint32_t i = (uint32_t)(start - c->first_id);
		struct jrn_record spare = {0};
		for (uint64_t id = start; id < j->next_id; id++, i++) {
			if (i == c->count) {
				c = chunk_at(j, ++k);
				i = 0;
			}
			assert(c->first_id + i == id);
			if (cf.until_ns && mono_at(j, c, i) >= cf.until_ns) {
				res.next_cursor = id;
				break;
			}
			struct jrn_record *rec = res.count < max ? &out[res.count] : &spare;
			view(j, c, i, rec);
			if (!matches(&cf, rec))
				continue;
			if (res.count == max) {
				/* One more match exists: the next call starts right at it. */
				res.more = true;
				res.next_cursor = id;
				break;
			}
			res.count++;
		}
	}
	*ret = res;
	return 0;
}

JRN_EXPORT void jrn1_stats(const struct jrn1 *j, struct jrn_stats *ret_stats)
{
	if (!j || !ret_stats)
		return;
	struct jrn_stats *s = ret_stats;
	memset(s, 0, sizeof(*s));
	s->records = j->records;
	s->bytes_used = j->bytes_used;
	s->capacity = j->capacity;
	s->appended = j->appended;
	s->evicted = j->evicted;
	s->dropped = j->dropped;
	s->oldest_id = j->records ? oldest_id(j) : 0;
	s->newest_id = j->records ? j->next_id - 1 : 0;
	s->next_id = j->next_id;
	s->subjects_tracked = j->rl.n_used;
	/* Walk the LRU list, not the whole table: stats are read after every operation in the
	 * fuzzer and by logd on demand, and most journals track a handful of subjects. */
	for (uint32_t i = j->rl.lru_head; i != JRN_RL_NONE; i = j->rl.e[i].lru_next) {
		const struct jrn_rl_entry *e = &j->rl.e[i];
		if (e->dropped_total == 0)
			continue;
		/* Insertion into the short sorted top list. */
		size_t pos = s->n_top;
		while (pos > 0 && s->top[pos - 1].dropped < e->dropped_total)
			pos--;
		if (pos >= JRN_STATS_TOP)
			continue;
		size_t last = s->n_top < JRN_STATS_TOP ? s->n_top : JRN_STATS_TOP - 1;
		memmove(&s->top[pos + 1], &s->top[pos], (last - pos) * sizeof(s->top[0]));
		memcpy(s->top[pos].subject, e->subject, (size_t)e->len + 1);
		s->top[pos].dropped = e->dropped_total;
		if (s->n_top < JRN_STATS_TOP)
			s->n_top++;
	}
}
