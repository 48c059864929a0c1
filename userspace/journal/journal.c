/* SPDX-License-Identifier: MIT */
#include "journal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "nx-util/macro.h"
#include "ratelimit.h"

/*
 * A record in a chunk, at an 8-aligned offset: this header, then n_fields pairs of u16
 * (key_len, value_len), then subject, scope, message and each key and value, every one
 * NUL-terminated so views are C strings; the whole padded to 8 bytes with zeroes. crc covers
 * everything after itself, padding included.
 */
struct rec_hdr {
	uint32_t crc;
	uint32_t size;
	uint64_t id;
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	uint64_t call_realtime_ns;
	uint16_t message_len;
	uint8_t level;
	uint8_t n_fields;
	uint8_t subject_len;
	uint8_t scope_len;
	uint8_t pad[2];
};

#define SLOT_BYTES 4u

/* The region's first JRN_REGION_HDR_BYTES. crc covers magic..boot_id, written once when the
 * region is formatted. id_floor is not covered: it changes, in one aligned 8-byte store. */
struct region_hdr {
	char magic[8];
	uint32_t chunk_bytes;
	uint32_t n_chunks;
	uint8_t boot_id[JRN_BOOT_ID_BYTES];
	uint32_t crc;
	uint32_t pad;
	uint64_t id_floor; /* every id below it was used: the next id is at least this */
	uint8_t reserved[16];
};

_Static_assert(sizeof(struct region_hdr) == JRN_REGION_HDR_BYTES, "region header size");
_Static_assert(sizeof(struct rec_hdr) == 48, "record header size");

/* Layout 2: per-record CRC-32C (layout 1 was the in-memory ring, never in a region). */
static const char region_magic[8] = {'N', 'X', 'J', 'R', 'N', 'L', 0, 2};

struct chunk {
	uint64_t first_id;
	uint32_t count; /* records */
	uint32_t used;  /* record bytes from the start; slots take count * 4 from the end */
};

struct jrn {
	struct region_hdr *hdr; /* the region's start */
	uint8_t *arena;         /* right after it */
	bool owns_region;       /* jrn_new's: freed with the journal */
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
	uint64_t torn;
	struct jrn_rl rl;
};

/* Keeps the compiler from moving stores across it: what is written before it is in the
 * region before what is written after, for anyone reading the region after we stop at any
 * instruction (a process's stores reach the shared pages in program order as far as a later
 * reader of the same machine can tell). */
static inline void store_barrier(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

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

JRN_EXPORT const char *jrn_level_name(enum jrn_level level)
{
	if ((unsigned)level >= JRN_LEVEL_COUNT)
		return NULL;
	return level_names[level];
}

JRN_EXPORT int jrn_level_parse(const char *name, enum jrn_level *ret_level)
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

JRN_EXPORT void jrn_config_default(struct jrn_config *ret_config)
{
	if (!ret_config)
		return;
	ret_config->capacity = JRN_CAPACITY_DEFAULT;
	ret_config->rate_per_sec = JRN_RATE_DEFAULT;
	ret_config->burst = JRN_BURST_DEFAULT;
}

static struct chunk *chunk_at(const struct jrn *j, uint32_t k)
{
	/* k counts from the oldest chunk in use. */
	return &j->chunks[(j->tail + k) % j->n_chunks];
}

static uint8_t *chunk_base(const struct jrn *j, const struct chunk *c)
{
	return j->arena + (size_t)(c - j->chunks) * j->chunk_bytes;
}

static uint32_t slot_get(const struct jrn *j, const struct chunk *c, uint32_t i)
{
	uint32_t off;
	memcpy(&off, chunk_base(j, c) + j->chunk_bytes - SLOT_BYTES * (i + 1), sizeof(off));
	return off;
}

static void slot_set(const struct jrn *j, const struct chunk *c, uint32_t i, uint32_t off)
{
	memcpy(chunk_base(j, c) + j->chunk_bytes - SLOT_BYTES * (i + 1), &off, sizeof(off));
}

static uint64_t mono_at(const struct jrn *j, const struct chunk *c, uint32_t i)
{
	uint64_t mono;
	memcpy(&mono, chunk_base(j, c) + slot_get(j, c, i) + offsetof(struct rec_hdr, monotonic_ns),
	        sizeof(mono));
	return mono;
}

static uint64_t oldest_id(const struct jrn *j)
{
	return j->records ? chunk_at(j, 0)->first_id : j->next_id;
}

/* Chunk size for a capacity: about JRN_CHUNK_TARGET chunks within the bounds, 8-aligned. */
static size_t chunk_size(size_t capacity)
{
	size_t chunk = capacity / JRN_CHUNK_TARGET;

	if (chunk < JRN_CHUNK_MIN)
		chunk = JRN_CHUNK_MIN;
	if (chunk > JRN_CHUNK_MAX)
		chunk = JRN_CHUNK_MAX;
	return chunk & ~(size_t)7;
}

static int config_check(const struct jrn_config *cfg)
{
	if (cfg->capacity < JRN_CAPACITY_MIN || cfg->capacity > JRN_CAPACITY_MAX)
		return -ERANGE;
	if (cfg->rate_per_sec > JRN_RATE_MAX || cfg->burst > JRN_BURST_MAX)
		return -ERANGE;
	if (cfg->rate_per_sec > 0 && cfg->burst == 0)
		return -ERANGE;
	return 0;
}

JRN_EXPORT size_t jrn_region_size(size_t capacity)
{
	return JRN_REGION_HDR_BYTES + capacity;
}

static uint32_t region_hdr_crc(const struct region_hdr *h)
{
	return jrn_crc32c(0, h, offsetof(struct region_hdr, crc));
}

static bool region_hdr_ok(const struct jrn *j)
{
	const struct region_hdr *h = j->hdr;

	return memcmp(h->magic, region_magic, sizeof(region_magic)) == 0 &&
	       h->chunk_bytes == j->chunk_bytes && h->n_chunks == j->n_chunks &&
	       h->crc == region_hdr_crc(h);
}

/* Zeroes the arena and writes the header, magic last: a format stopped midway is formatted
 * again by the next open. */
static void region_format(struct jrn *j, const uint8_t boot_id[JRN_BOOT_ID_BYTES])
{
	struct region_hdr h = {
	        .chunk_bytes = j->chunk_bytes,
	        .n_chunks = j->n_chunks,
	        .id_floor = 1,
	};

	memset(j->hdr->magic, 0, sizeof(j->hdr->magic));
	store_barrier();
	memset(j->arena, 0, j->capacity);
	memcpy(h.boot_id, boot_id, JRN_BOOT_ID_BYTES);
	memcpy(h.magic, region_magic, sizeof(region_magic));
	h.crc = region_hdr_crc(&h);
	memcpy((uint8_t *)j->hdr + sizeof(h.magic), (uint8_t *)&h + sizeof(h.magic),
	        sizeof(h) - sizeof(h.magic));
	store_barrier();
	memcpy(j->hdr->magic, h.magic, sizeof(h.magic));
}

static void recover(struct jrn *j, struct jrn_recovery *ret);

static int journal_make(void *region, size_t size, bool owns, const struct jrn_config *cfg,
        const uint8_t boot_id[JRN_BOOT_ID_BYTES], struct jrn **ret_journal,
        struct jrn_recovery *ret_recovery)
{
	struct jrn_recovery rec = {0};
	struct jrn_config def;
	struct jrn *j = NULL;
	size_t chunk;
	int r;

	if (!cfg) {
		jrn_config_default(&def);
		cfg = &def;
	}
	r = config_check(cfg);
	if (r < 0)
		return r;
	if (size != jrn_region_size(cfg->capacity))
		return -EINVAL;
	chunk = chunk_size(cfg->capacity);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->hdr = region;
	j->arena = (uint8_t *)region + JRN_REGION_HDR_BYTES;
	j->chunk_bytes = (uint32_t)chunk;
	j->n_chunks = (uint32_t)(cfg->capacity / chunk);
	j->capacity = (size_t)j->n_chunks * chunk;
	j->chunks = calloc(j->n_chunks, sizeof(*j->chunks));
	if (!j->chunks) {
		free(j);
		return -ENOMEM;
	}
	j->owns_region = owns;
	if (!region_hdr_ok(j)) {
		region_format(j, boot_id);
		rec.formatted = true;
	}
	recover(j, &rec);
	jrn_rl_init(&j->rl, cfg->rate_per_sec, cfg->burst);
	*ret_journal = j;
	if (ret_recovery)
		*ret_recovery = rec;
	return 0;
}

JRN_EXPORT int jrn_open(void *region, size_t size, const struct jrn_config *cfg,
        const uint8_t boot_id[JRN_BOOT_ID_BYTES], struct jrn **ret_journal,
        struct jrn_recovery *ret_recovery)
{
	assert_return(region && boot_id && ret_journal, -EINVAL);
	assert_return(((uintptr_t)region & 7) == 0, -EINVAL);
	return journal_make(region, size, false, cfg, boot_id, ret_journal, ret_recovery);
}

JRN_EXPORT int jrn_new(const struct jrn_config *cfg, struct jrn **ret_journal)
{
	static const uint8_t no_boot_id[JRN_BOOT_ID_BYTES];
	struct jrn_config def;
	void *region;
	size_t size;
	int r;

	assert_return(ret_journal, -EINVAL);
	if (!cfg) {
		jrn_config_default(&def);
		cfg = &def;
	}
	r = config_check(cfg);
	if (r < 0)
		return r;
	size = jrn_region_size(cfg->capacity);
	region = malloc(size); /* formatted by journal_make: its header cannot match garbage */
	if (!region)
		return -ENOMEM;
	memset(region, 0, JRN_REGION_HDR_BYTES);
	r = journal_make(region, size, true, cfg, no_boot_id, ret_journal, NULL);
	if (r < 0)
		free(region);
	return r;
}

JRN_EXPORT struct jrn *jrn_free(struct jrn *j)
{
	if (!j)
		return NULL;
	if (j->owns_region)
		free(j->hdr);
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
	if (z->message_len == 0)
		return -ENODATA; /* a record says something */
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

/* Zeroes a chunk leaving the ring: its first record's crc and size first, so a stop midway
 * leaves a chunk that reads as empty (its other bytes count as a torn write at most). Every
 * chunk outside the ring is zero, so the next one is ready to write. */
static void chunk_clear(struct jrn *j, const struct chunk *c)
{
	uint8_t *base = chunk_base(j, c);

	memset(base, 0, 8);
	store_barrier();
	memset(base, 0, j->chunk_bytes);
}

static void evict_tail(struct jrn *j)
{
	struct chunk *c = chunk_at(j, 0);

	/* Before the records go: an empty ring must still know which ids were used. */
	__atomic_store_n(&j->hdr->id_floor, j->next_id, __ATOMIC_RELAXED);
	store_barrier();
	chunk_clear(j, c);
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
static uint64_t write_record(struct jrn *j, const char *subject, const struct jrn_entry *e,
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
	        .call_realtime_ns = e->call_realtime_ns,
	        .size = (uint32_t)z->size,
	        .message_len = (uint16_t)z->message_len,
	        .level = (uint8_t)e->level,
	        .n_fields = (uint8_t)z->n_fields,
	        .subject_len = (uint8_t)z->subject_len,
	        .scope_len = (uint8_t)z->scope_len,
	};
	uint8_t *start = chunk_base(j, c) + c->used;
	uint8_t *p = start + sizeof(h);
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
	h.crc = jrn_crc32c(
	        jrn_crc32c(0, (const uint8_t *)&h + sizeof(h.crc), sizeof(h) - sizeof(h.crc)),
	        start + sizeof(h), z->size - sizeof(h));
	/* The body before the header that makes it a record: stopped in between, the chunk's
	 * next header is still zero and the body reads as a torn write. */
	store_barrier();
	memcpy(start, &h, sizeof(h));
	store_barrier();

	slot_set(j, c, c->count, c->used);
	c->count++;
	c->used += (uint32_t)z->size;
	j->bytes_used += z->size;
	j->records++;
	j->appended++;
	j->last_mono = mono;
	return j->next_id++;
}

/* ---- Reading a region back */

/* Whether the `room` bytes at p start with a whole record (of id want, unless 0): size,
 * checksum, then the lengths against the size and every text's NUL where its length says, as
 * view() trusts them. */
static bool record_ok(const uint8_t *p, size_t room, uint64_t want, struct rec_hdr *ret)
{
	struct rec_hdr h;
	size_t need, off;

	if (room < sizeof(h))
		return false;
	memcpy(&h, p, sizeof(h));
	if (h.size < sizeof(h) || h.size > room || h.size % 8 != 0 || h.id == 0 ||
	        (want != 0 && h.id != want))
		return false;
	if (jrn_crc32c(0, p + sizeof(h.crc), h.size - sizeof(h.crc)) != h.crc)
		return false;
	if (h.level >= JRN_LEVEL_COUNT || h.n_fields > JRN_FIELDS_MAX || h.subject_len == 0 ||
	        h.scope_len > JRN_SCOPE_MAX || h.message_len > JRN_MESSAGE_MAX)
		return false;
	off = sizeof(h) + 4u * h.n_fields;
	need = off + h.subject_len + 1u + h.scope_len + 1u + h.message_len + 1u;
	if (need > h.size || p[off + h.subject_len] != 0 ||
	        p[off + h.subject_len + 1 + h.scope_len] != 0 || p[need - 1] != 0)
		return false;
	for (size_t k = 0; k < h.n_fields; k++) {
		uint16_t kl, vl;

		memcpy(&kl, p + sizeof(h) + 4 * k, 2);
		memcpy(&vl, p + sizeof(h) + 4 * k + 2, 2);
		if (kl == 0 || kl > JRN_KEY_MAX || vl > JRN_VALUE_MAX ||
		        need + kl + 1u + vl + 1u > h.size || p[need + kl] != 0 ||
		        p[need + kl + 1 + vl] != 0)
			return false;
		need += kl + 1u + vl + 1u;
	}
	*ret = h;
	return true;
}

/* The whole records at the start of chunk k, ids consecutive: first id, count, bytes. */
static void chunk_scan(const struct jrn *j, uint32_t k, struct chunk *ret)
{
	const uint8_t *base = j->arena + (size_t)k * j->chunk_bytes;
	struct chunk c = {0};
	struct rec_hdr h;

	while ((size_t)c.used + SLOT_BYTES * ((size_t)c.count + 1) < j->chunk_bytes &&
	        record_ok(base + c.used, j->chunk_bytes - c.used - SLOT_BYTES * (c.count + 1),
	                c.count ? c.first_id + c.count : 0, &h)) {
		if (c.count == 0)
			c.first_id = h.id;
		c.count++;
		c.used += h.size;
	}
	*ret = c;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Rebuilds the ring from the region: every chunk is scanned, the head is the chunk with the
 * newest record and the ring runs back from it while each chunk ends right before the next
 * one's first id. Whatever else holds bytes (the head's free space, a chunk outside the
 * ring) is what a stopped writer left: counted as torn and zeroed, so the invariants of
 * writing hold again. Slots are rewritten from the scan.
 */
static void recover(struct jrn *j, struct jrn_recovery *ret)
{
	uint32_t n = j->n_chunks, head = 0, k;
	uint64_t newest = 0;

	for (k = 0; k < n; k++) {
		struct chunk *c = &j->chunks[k];

		chunk_scan(j, k, c);
		if (c->count && c->first_id + c->count - 1 > newest) {
			newest = c->first_id + c->count - 1;
			head = k;
		}
	}
	j->tail = head;
	j->n_live = 1;
	while (newest && j->n_live < n) {
		const struct chunk *prev = &j->chunks[(j->tail + n - 1) % n];

		if (!prev->count || prev->first_id + prev->count != j->chunks[j->tail].first_id)
			break;
		j->tail = (j->tail + n - 1) % n;
		j->n_live++;
	}
	for (k = 0; k < n; k++) {
		struct chunk *c = &j->chunks[k];
		bool live = (k + n - j->tail) % n < j->n_live;
		uint8_t *base = j->arena + (size_t)k * j->chunk_bytes;
		size_t free_end = j->chunk_bytes - SLOT_BYTES * (size_t)(live ? c->count : 0);

		if (!live)
			*c = (struct chunk){0};
		if ((live && k != head) || all_zero(base + c->used, free_end - c->used))
			continue;
		ret->torn++;
		memset(base + c->used, 0, free_end - c->used);
	}
	/* The floor is written as the next id whenever a chunk is evicted, so while records
	 * remain it is at most newest + 1 and they decide; it speaks for an emptied ring. */
	j->next_id = newest + 1;
	if (!newest && j->hdr->id_floor > j->next_id)
		j->next_id = j->hdr->id_floor;
	if (!newest)
		j->chunks[head].first_id = j->next_id;
	for (uint32_t i = 0; i < j->n_live; i++) {
		struct chunk *c = chunk_at(j, i);
		uint32_t off = 0;

		for (uint32_t r = 0; r < c->count; r++) {
			struct rec_hdr h;

			memcpy(&h, chunk_base(j, c) + off, sizeof(h));
			slot_set(j, c, r, off);
			off += h.size;
		}
		j->records += c->count;
		j->bytes_used += c->used;
	}
	if (newest) {
		const struct chunk *c = chunk_at(j, j->n_live - 1);

		j->last_mono = mono_at(j, c, c->count - 1);
	}
	j->torn = ret->torn;
	ret->records = j->records;
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

static void drop_report(struct jrn *j, uint32_t idx, uint64_t realtime_ns, uint64_t mono)
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

JRN_EXPORT int jrn_append(struct jrn *j, const char *subject, const struct jrn_entry *e,
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

JRN_EXPORT int jrn_flush_drops(struct jrn *j, uint64_t realtime_ns, uint64_t monotonic_ns)
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

JRN_EXPORT int64_t jrn_evict_oldest(struct jrn *j)
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
static uint32_t chunk_of_id(const struct jrn *j, uint64_t id)
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
static uint64_t first_id_at_time(const struct jrn *j, uint64_t t)
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

static void view(const struct jrn *j, const struct chunk *c, uint32_t i, struct jrn_record *r)
{
	const uint8_t *start = chunk_base(j, c) + slot_get(j, c, i);
	struct rec_hdr h;
	memcpy(&h, start, sizeof(h));
	const uint8_t *lens = start + sizeof(h);
	const char *p = (const char *)lens + 4 * h.n_fields;

	r->id = h.id;
	r->realtime_ns = h.realtime_ns;
	r->monotonic_ns = h.monotonic_ns;
	r->call_realtime_ns = h.call_realtime_ns;
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

JRN_EXPORT int jrn_get(const struct jrn *j, uint64_t id, struct jrn_record *ret_record)
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
	uint64_t until_ns, until_id;
	bool contains_icase;
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
	cf->until_id = f->until_id;
	cf->contains_icase = f->contains_icase;
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

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* memmem ignoring ASCII case (the journal's texts are bytes; no locale). */
static bool contains_icase(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
		size_t k = 0;

		while (k < nlen && ascii_lower(hay[i + k]) == ascii_lower(needle[k]))
			k++;
		if (k == nlen)
			return true;
	}
	return false;
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
	if (cf->contains && !(cf->contains_icase ? contains_icase(r->message, r->message_len,
	                                                   cf->contains, cf->contains_len)
	                                         : memmem(r->message, r->message_len, cf->contains,
	                                                   cf->contains_len) != NULL))
		return false;
	return true;
}

/* The matches from the filter's start on, in id order: the first *skip are passed over (*skip
 * is left with what was not), the next `max` copied to out[]. */
static int scan(const struct jrn *j, const struct jrn_filter *f, uint64_t *skip,
        struct jrn_record *out, size_t max, struct jrn_query_result *ret)
{
	struct compiled_filter cf;
	int r;

	r = compile_filter(f, &cf);
	if (r < 0)
		return r;

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
			if ((cf.until_ns && mono_at(j, c, i) >= cf.until_ns) ||
			        (cf.until_id && id >= cf.until_id)) {
				res.next_cursor = id;
				break;
			}
			struct jrn_record *rec = res.count < max ? &out[res.count] : &spare;
			view(j, c, i, rec);
			if (!matches(&cf, rec))
				continue;
			if (*skip > 0) {
				(*skip)--;
				continue;
			}
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

JRN_EXPORT int jrn_query(const struct jrn *j, const struct jrn_filter *f, struct jrn_record *out,
        size_t max, struct jrn_query_result *ret)
{
	uint64_t skip = 0;

	assert_return(j && ret && (out || max == 0), -EINVAL);
	return scan(j, f, &skip, out, max > JRN_QUERY_MAX ? JRN_QUERY_MAX : max, ret);
}

JRN_EXPORT int jrn_query_newest(const struct jrn *j, const struct jrn_filter *f,
        struct jrn_record *out, size_t max, struct jrn_query_result *ret)
{
	struct jrn_query_result all;
	uint64_t skip = UINT64_MAX, matched;
	int r;

	assert_return(j && ret && (out || max == 0), -EINVAL);
	if (max > JRN_QUERY_MAX)
		max = JRN_QUERY_MAX;
	/* Two passes over the window: count the matches, then keep the last `max`. Queries are
	 * rare next to appends; the journal keeps no per-filter index. */
	r = scan(j, f, &skip, NULL, 0, &all);
	if (r < 0)
		return r;
	matched = UINT64_MAX - skip;
	skip = matched > max ? matched - max : 0;
	return scan(j, f, &skip, out, max, ret);
}

JRN_EXPORT void jrn_stats(const struct jrn *j, struct jrn_stats *ret_stats)
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
	memcpy(s->boot_id, j->hdr->boot_id, JRN_BOOT_ID_BYTES);
	s->torn = j->torn;
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
