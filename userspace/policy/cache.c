/* SPDX-License-Identifier: MIT */
/*
 * The decision cache (cache.h). A fixed table scanned linearly: POL_CACHE_MAX entries of short
 * keys compare faster than a hash would pay back, and the bound is the memory bound. Each
 * entry carries an insertion stamp; a full table replaces the smallest stamp (the oldest).
 */
#include "cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pol_cache_entry {
	uint64_t stamp; /* 0: free slot */
	uintptr_t conn;
	bool allowed;
	char subject[POL_CACHE_SUBJECT_MAX + 1];
	char cap[POL_CACHE_CAP_MAX + 1];
};

struct pol_cache {
	uint64_t generation;
	uint64_t next_stamp;
	size_t count;
	char version[POL_VERSION_LEN + 1];
	struct pol_cache_entry entries[POL_CACHE_MAX];
};

int pol_cache_new(struct pol_cache **ret_cache)
{
	struct pol_cache *c;

	if (!ret_cache)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->generation = 1;
	c->next_stamp = 1;
	*ret_cache = c;
	return 0;
}

struct pol_cache *pol_cache_free(struct pol_cache *c)
{
	free(c);
	return NULL;
}

uint64_t pol_cache_generation(const struct pol_cache *c)
{
	return c ? c->generation : 0;
}

static struct pol_cache_entry *find(
        const struct pol_cache *c, uintptr_t conn, const char *subject, const char *cap)
{
	for (size_t i = 0; i < POL_CACHE_MAX; i++) {
		const struct pol_cache_entry *e = &c->entries[i];

		if (e->stamp && e->conn == conn && strcmp(e->subject, subject) == 0 &&
		        strcmp(e->cap, cap) == 0)
			return (struct pol_cache_entry *)e;
	}
	return NULL;
}

int pol_cache_lookup(const struct pol_cache *c, uintptr_t conn, const char *subject,
        const char *cap, bool *ret_allowed)
{
	const struct pol_cache_entry *e;

	if (!c || !subject || !cap || !ret_allowed)
		return -ENOENT;
	e = find(c, conn, subject, cap);
	if (!e)
		return -ENOENT;
	*ret_allowed = e->allowed;
	return 0;
}

/* A free slot, else the oldest. */
static struct pol_cache_entry *slot_for_new(struct pol_cache *c)
{
	struct pol_cache_entry *oldest = &c->entries[0];

	for (size_t i = 0; i < POL_CACHE_MAX; i++) {
		struct pol_cache_entry *e = &c->entries[i];

		if (!e->stamp)
			return e;
		if (e->stamp < oldest->stamp)
			oldest = e;
	}
	return oldest;
}

int pol_cache_insert(struct pol_cache *c, uint64_t generation, uintptr_t conn, const char *subject,
        const char *cap, bool allowed)
{
	struct pol_cache_entry *e;
	size_t slen, clen;

	if (!c || !subject || !cap || !*subject || !*cap)
		return -EINVAL;
	slen = strlen(subject);
	clen = strlen(cap);
	if (slen > POL_CACHE_SUBJECT_MAX || clen > POL_CACHE_CAP_MAX)
		return -EMSGSIZE;
	if (generation != c->generation)
		return -ESTALE;
	e = find(c, conn, subject, cap);
	if (!e) {
		e = slot_for_new(c);
		if (!e->stamp)
			c->count++;
		e->conn = conn;
		memcpy(e->subject, subject, slen + 1);
		memcpy(e->cap, cap, clen + 1);
	}
	e->stamp = c->next_stamp++;
	e->allowed = allowed;
	return 0;
}

void pol_cache_invalidate(struct pol_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < POL_CACHE_MAX; i++)
		c->entries[i].stamp = 0;
	c->count = 0;
	c->generation++;
	c->version[0] = '\0';
}

int pol_cache_set_version(struct pol_cache *c, const char *version, size_t len)
{
	if (!c || !version)
		return -EINVAL;
	if (len > POL_VERSION_LEN) {
		pol_cache_invalidate(c);
		return -EMSGSIZE;
	}
	if (len == strlen(c->version) && memcmp(version, c->version, len) == 0)
		return 0;
	pol_cache_invalidate(c);
	memcpy(c->version, version, len);
	c->version[len] = '\0';
	return 1;
}

const char *pol_cache_version(const struct pol_cache *c)
{
	return c ? c->version : "";
}

void pol_cache_drop_conn(struct pol_cache *c, uintptr_t conn)
{
	if (!c)
		return;
	for (size_t i = 0; i < POL_CACHE_MAX; i++) {
		struct pol_cache_entry *e = &c->entries[i];

		if (e->stamp && e->conn == conn) {
			e->stamp = 0;
			c->count--;
		}
	}
}

size_t pol_cache_count(const struct pol_cache *c)
{
	return c ? c->count : 0;
}
