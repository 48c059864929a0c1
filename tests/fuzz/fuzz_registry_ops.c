/* SPDX-License-Identifier: MIT */
/*
 * Reads the input as a program of registry operations (register, unregister, owner death,
 * watch, unwatch, listing) with names from a small pool or raw input bytes, and checks after
 * each step: the listing is strictly sorted, complete and agrees with resolve; every name
 * listed is valid; every event goes to a live watcher; per watcher, each registration comes up
 * at most once and goes down only after it came up; hosts are dropped exactly once, watchers
 * dropped only when their owner died; limits hold; and every live watcher has exactly the
 * registrations it follows "up" (so no down event went missing). Connection accounting is
 * conns.c's, tested in tests/unit/registry/test-conns.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HANDLES  64u   /* watcher handles 1..HANDLES */
#define OWNERS   8u    /* owners 1..OWNERS */
#define ATTEMPTS 4096u /* register attempts (host tokens) and generations per input */

/* An invariant broke: name the line, then crash so libFuzzer keeps the input. */
#define check(ok)                                                                   \
	do {                                                                        \
		if (!(ok)) {                                                        \
			fprintf(stderr, "invariant failed at line %d\n", __LINE__); \
			abort();                                                    \
		}                                                                   \
	} while (0)

struct state {
	const uint8_t *p, *end;
	struct reg *r;
	/* Host tokens: one per register attempt; live while the registry holds it. */
	char tokens[ATTEMPTS];
	bool host_live[ATTEMPTS];
	size_t attempts;
	/* Watchers as we believe them to be. */
	bool w_active[HANDLES + 1];
	uint64_t w_owner[HANDLES + 1];
	bool w_wild[HANDLES + 1];
	char w_name[HANDLES + 1][REG_NAME_MAX + 1];
	/* Generations listed by the last check_state(). */
	bool listed[ATTEMPTS + 1];
	/* up[gen][handle]: watcher has seen gen come up and not go down. */
	uint64_t up[ATTEMPTS + 1][(HANDLES + 64) / 64];
	uint64_t max_gen;
	/* The owner being torn down, whose watchers may be dropped. */
	uint64_t dying;
	bool freeing;
};

static struct state st;

static const char *const pool[] = {
        "a",
        "b",
        "logd",
        "logd.x",
        "policyd",
        "vfsd",
        "z9",
        "a-b_c.d",
        "init",
        "samgrd",
        "",
        "Logd",
        "0123456789012345678901234567890123456789012345678901234567890123",
        "01234567890123456789012345678901234567890123456789012345678901234",
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static const char *const subjects[] = {"svc:a", "svc:b", "app:x", "uid:1", ""};
#define NSUBJ (sizeof(subjects) / sizeof(subjects[0]))

static uint8_t byte(void)
{
	return st.p < st.end ? *st.p++ : 0;
}

/* A name from the pool, or up to 15 raw bytes from the input (often invalid). */
static const char *name_arg(char *buf)
{
	uint8_t k = byte();
	if (k < 224)
		return pool[k % NPOOL];
	size_t n = k & 15u;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = byte();
		buf[i] = (char)(c ? c : 'a');
	}
	buf[n] = 0;
	return buf;
}

static bool up_get(uint64_t gen, uint64_t h)
{
	return st.up[gen][h / 64] >> (h % 64) & 1u;
}

static void up_set(uint64_t gen, uint64_t h, bool v)
{
	if (v)
		st.up[gen][h / 64] |= 1ull << (h % 64);
	else
		st.up[gen][h / 64] &= ~(1ull << (h % 64));
}

static void forget_watcher(uint64_t h)
{
	st.w_active[h] = false;
	for (uint64_t g = 1; g <= st.max_gen; g++)
		up_set(g, h, false);
}

static void on_event(void *userdata, const struct reg_event *ev)
{
	(void)userdata;
	check(!st.freeing);
	check(ev->watcher >= 1 && ev->watcher <= HANDLES && st.w_active[ev->watcher]);
	check(ev->watcher_owner == st.w_owner[ev->watcher]);
	check(ev->generation >= 1 && ev->generation <= st.max_gen);
	check(reg_name_check(ev->name) == 0);
	check(ev->subject && ev->subject[0]);
	/* Re-entry is refused. */
	check(reg_unwatch(st.r, ev->watcher) == -EBUSY);
	if (ev->up) {
		check(!up_get(ev->generation, ev->watcher));
		up_set(ev->generation, ev->watcher, true);
	} else {
		check(up_get(ev->generation, ev->watcher));
		up_set(ev->generation, ev->watcher, false);
	}
}

static void on_host(void *userdata, void *host)
{
	(void)userdata;
	char *t = host;
	check(t >= st.tokens && t < st.tokens + ATTEMPTS);
	size_t i = (size_t)(t - st.tokens);
	check(st.host_live[i]);
	st.host_live[i] = false;
}

static void on_watcher(void *userdata, uint64_t watcher)
{
	(void)userdata;
	check(watcher >= 1 && watcher <= HANDLES && st.w_active[watcher]);
	check(st.freeing || st.w_owner[watcher] == st.dying);
	forget_watcher(watcher);
}

static const struct reg_callbacks callbacks = {
        .event = on_event,
        .host_drop = on_host,
        .watcher_drop = on_watcher,
};

static void check_state(void)
{
	struct reg_entry out[REG_LIST_MAX];
	char cursor[REG_NAME_MAX + 1] = "";
	char prev[REG_NAME_MAX + 1] = "";
	bool more = true, first = true;
	size_t seen = 0, live_hosts = 0;
	memset(st.listed, 0, sizeof(st.listed));
	while (more) {
		int c = reg_list(st.r, cursor, out, REG_LIST_MAX, &more);
		check(c >= 0 && (size_t)c <= REG_LIST_MAX);
		check(c > 0 || !more);
		for (int i = 0; i < c; i++) {
			check(reg_name_check(out[i].name) == 0);
			check(first || strcmp(prev, out[i].name) < 0);
			first = false;
			snprintf(prev, sizeof(prev), "%s", out[i].name);
			check(out[i].owner >= 1 && out[i].owner <= OWNERS);
			check(out[i].generation >= 1 && out[i].generation <= st.max_gen);
			struct reg_entry e;
			check(reg_resolve(st.r, out[i].name, &e) == 0);
			check(e.generation == out[i].generation && e.host == out[i].host);
			char *t = e.host;
			check(t >= st.tokens && t < st.tokens + ATTEMPTS &&
			        st.host_live[t - st.tokens]);
			st.listed[e.generation] = true;
			for (uint64_t h = 1; h <= HANDLES; h++) {
				bool follows = st.w_active[h] &&
				               (st.w_wild[h] || strcmp(st.w_name[h], e.name) == 0);
				check(up_get(e.generation, h) == follows);
			}
			seen++;
		}
		if (c > 0)
			snprintf(cursor, sizeof(cursor), "%s", out[c - 1].name);
	}
	check(seen == reg_count(st.r) && seen <= REG_NAMES_MAX);
	for (size_t i = 0; i < st.attempts; i++)
		live_hosts += st.host_live[i];
	check(live_hosts == seen);
	for (uint64_t g = 1; g <= st.max_gen; g++)
		if (!st.listed[g])
			for (uint64_t h = 1; h <= HANDLES; h++)
				check(!up_get(g, h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&st, 0, sizeof(st));
	st.p = data;
	st.end = data + size;
	check(reg_new(&callbacks, NULL, &st.r) == 0);
	char buf[32];

	while (st.p < st.end) {
		uint8_t op = byte();
		uint64_t owner = 1 + byte() % OWNERS;
		switch (op % 6) {
		case 0:
		case 1: {
			if (st.attempts >= ATTEMPTS)
				break;
			const char *name = name_arg(buf);
			const char *subject = subjects[byte() % NSUBJ];
			size_t t = st.attempts++;
			uint64_t gen = 0;
			/* The generation it will get, so events during the call can be checked. */
			uint64_t before = st.max_gen;
			st.max_gen = before + 1;
			st.host_live[t] = true;
			int rc =
			        reg_register(st.r, owner, subject, name, &st.tokens[t], &gen, NULL);
			if (rc == 0) {
				check(gen == before + 1);
			} else {
				check(rc == -EEXIST || rc == -EINVAL || rc == -EPERM ||
				        rc == -ENAMETOOLONG || rc == -ENOSPC);
				st.host_live[t] = false;
				st.max_gen = before;
			}
			break;
		}
		case 2: {
			int rc = reg_unregister(st.r, owner, name_arg(buf));
			check(rc == 0 || rc == -ENOENT || rc == -EPERM);
			break;
		}
		case 3: {
			st.dying = owner;
			int rc = reg_owner_gone(st.r, owner);
			st.dying = 0;
			check(rc >= 0);
			for (uint64_t h = 1; h <= HANDLES; h++)
				check(!st.w_active[h] || st.w_owner[h] != owner);
			struct reg_entry out[REG_LIST_MAX];
			bool more = true;
			char cursor[REG_NAME_MAX + 1] = "";
			while (more) {
				int c = reg_list(st.r, cursor, out, REG_LIST_MAX, &more);
				for (int i = 0; i < c; i++)
					check(out[i].owner != owner);
				if (c > 0)
					snprintf(cursor, sizeof(cursor), "%s", out[c - 1].name);
			}
			break;
		}
		case 4: {
			uint64_t h = 1 + byte() % HANDLES;
			const char *name = byte() & 1 ? NULL : name_arg(buf);
			bool was = st.w_active[h];
			size_t mine = 0;
			for (uint64_t k = 1; k <= HANDLES; k++)
				mine += st.w_active[k] && st.w_owner[k] == owner;
			if (!was) {
				/* Set first: the immediate up events arrive during the call. */
				st.w_active[h] = true;
				st.w_owner[h] = owner;
				st.w_wild[h] = !name;
				snprintf(
				        st.w_name[h], sizeof(st.w_name[h]), "%s", name ? name : "");
			}
			int rc = reg_watch(st.r, owner, name, h);
			if (was) {
				check(rc == -EEXIST || (name && reg_name_check(name) < 0));
			} else if (rc != 0) {
				st.w_active[h] = false;
				check(rc == -EDQUOT || rc == -EINVAL || rc == -EPERM ||
				        rc == -ENAMETOOLONG);
				check(rc != -EDQUOT || mine >= REG_WATCHERS_PER_OWNER_MAX);
			}
			break;
		}
		default: {
			uint64_t h = 1 + byte() % HANDLES;
			int rc = reg_unwatch(st.r, h);
			check(rc == (st.w_active[h] ? 0 : -ENOENT));
			if (rc == 0)
				forget_watcher(h);
			break;
		}
		}
		check_state();
	}
	st.freeing = true;
	st.r = reg_free(st.r);
	for (size_t i = 0; i < st.attempts; i++)
		check(!st.host_live[i]);
	for (uint64_t h = 1; h <= HANDLES; h++)
		check(!st.w_active[h]);
	return 0;
}
