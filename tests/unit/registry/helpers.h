/* SPDX-License-Identifier: MIT */
/* Shared by the registry tests: a callback recorder and a deterministic PRNG. */
#ifndef TESTS_REGISTRY_HELPERS_H
#define TESTS_REGISTRY_HELPERS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

#define REC_MAX 20000u

struct rec_event {
	uint64_t watcher;
	uint64_t watcher_owner;
	char name[REG_NAME_MAX + 1];
	char subject[REG_SUBJECT_MAX + 1];
	uint64_t generation;
	bool up;
};

/* Everything the callbacks said, in order. */
struct rec {
	struct rec_event *ev;
	size_t n_ev;
	void *hosts[REC_MAX];
	size_t n_hosts;
	uint64_t watchers[REC_MAX];
	size_t n_watchers;
	/* Set by a test to try re-entry from inside the event callback. */
	struct reg *reenter;
	int reenter_rc;
	int reenter_resolve_rc;
};

static inline uint64_t rnd_next(uint64_t *s)
{
	/* splitmix64: fixed seeds keep every run identical. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void rec_on_event(void *userdata, const struct reg_event *ev)
{
	struct rec *rc = userdata;
	if (rc->n_ev >= REC_MAX)
		abort();
	struct rec_event *e = &rc->ev[rc->n_ev++];
	e->watcher = ev->watcher;
	e->watcher_owner = ev->watcher_owner;
	snprintf(e->name, sizeof(e->name), "%s", ev->name);
	snprintf(e->subject, sizeof(e->subject), "%s", ev->subject);
	e->generation = ev->generation;
	e->up = ev->up;
	if (rc->reenter) {
		struct reg_entry ent;
		rc->reenter_rc =
		        reg_register(rc->reenter, 999, "svc:x", "reenter", NULL, NULL, NULL);
		rc->reenter_resolve_rc = reg_resolve(rc->reenter, ev->name, &ent);
	}
}

static inline void rec_on_host(void *userdata, void *host)
{
	struct rec *rc = userdata;
	if (rc->n_hosts >= REC_MAX)
		abort();
	rc->hosts[rc->n_hosts++] = host;
}

static inline void rec_on_watcher(void *userdata, uint64_t watcher)
{
	struct rec *rc = userdata;
	if (rc->n_watchers >= REC_MAX)
		abort();
	rc->watchers[rc->n_watchers++] = watcher;
}

static inline struct rec *rec_new(void)
{
	struct rec *rc = calloc(1, sizeof(*rc));
	if (!rc)
		abort();
	rc->ev = calloc(REC_MAX, sizeof(*rc->ev));
	if (!rc->ev)
		abort();
	return rc;
}

static inline void rec_free(struct rec *rc)
{
	if (!rc)
		return;
	free(rc->ev);
	free(rc);
}

static inline void rec_clear(struct rec *rc)
{
	rc->n_ev = 0;
	rc->n_hosts = 0;
	rc->n_watchers = 0;
}

static const struct reg_callbacks rec_callbacks = {
        .event = rec_on_event,
        .host_drop = rec_on_host,
        .watcher_drop = rec_on_watcher,
};

#endif
