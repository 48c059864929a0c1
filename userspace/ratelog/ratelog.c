/* SPDX-License-Identifier: MIT */
/* ratelog: a fixed table of keys, each with its window's end and its suppressed count. A
 * linear scan: NX_RATELOG_KEYS_MAX is small, and events are refusals, not the hot path. */
#include "ratelog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ratelog_entry {
	char key[NX_RATELOG_KEY_MAX + 1];
	uint64_t window_end; /* events before this are counted, not logged */
	uint64_t suppressed;
	bool used;
};

struct ratelog {
	struct ratelog_entry e[NX_RATELOG_KEYS_MAX];
	struct ratelog_entry overflow; /* every key that found no entry */
};

int ratelog_new(struct ratelog **ret)
{
	struct ratelog *rl;

	if (!ret)
		return -EINVAL;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	memcpy(rl->overflow.key, RATELOG_OVERFLOW_KEY, sizeof(RATELOG_OVERFLOW_KEY));
	rl->overflow.used = true;
	*ret = rl;
	return 0;
}

struct ratelog *ratelog_free(struct ratelog *rl)
{
	free(rl);
	return NULL;
}

/* The key's entry, a new one in a free or quiet slot (window over, nothing pending), or the
 * overflow entry. */
static struct ratelog_entry *entry_for(struct ratelog *rl, const char *key, uint64_t now_ns)
{
	struct ratelog_entry *spare = NULL;

	for (unsigned i = 0; i < NX_RATELOG_KEYS_MAX; i++) {
		struct ratelog_entry *e = &rl->e[i];

		if (e->used && strcmp(e->key, key) == 0)
			return e;
		if (!spare && (!e->used || (now_ns >= e->window_end && e->suppressed == 0)))
			spare = e;
	}
	if (!spare)
		return &rl->overflow;
	memset(spare, 0, sizeof(*spare));
	memcpy(spare->key, key, strlen(key) + 1);
	spare->used = true;
	return spare;
}

bool ratelog_event(struct ratelog *rl, const char *key, uint64_t now_ns)
{
	char cut[NX_RATELOG_KEY_MAX + 1];
	struct ratelog_entry *e;
	size_t len = strnlen(key, NX_RATELOG_KEY_MAX);

	memcpy(cut, key, len);
	cut[len] = '\0';
	e = entry_for(rl, cut, now_ns);
	/* A window still open, or one whose count is not summarised yet: the summary comes
	 * first, so lines stay in order. */
	if (now_ns < e->window_end || e->suppressed > 0) {
		e->suppressed++;
		return false;
	}
	e->window_end = now_ns + NX_RATELOG_WINDOW_NS;
	return true;
}

static uint64_t flush_one(struct ratelog_entry *e, uint64_t now_ns,
        void (*emit)(void *userdata, const char *key, uint64_t suppressed), void *userdata)
{
	if (!e->used || e->suppressed == 0)
		return UINT64_MAX;
	if (now_ns < e->window_end)
		return e->window_end;
	emit(userdata, e->key, e->suppressed);
	e->suppressed = 0;
	return UINT64_MAX;
}

uint64_t ratelog_flush(struct ratelog *rl, uint64_t now_ns,
        void (*emit)(void *userdata, const char *key, uint64_t suppressed), void *userdata)
{
	uint64_t next = flush_one(&rl->overflow, now_ns, emit, userdata), due;

	for (unsigned i = 0; i < NX_RATELOG_KEYS_MAX; i++) {
		due = flush_one(&rl->e[i], now_ns, emit, userdata);
		if (due < next)
			next = due;
	}
	return next;
}
