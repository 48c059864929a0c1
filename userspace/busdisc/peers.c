/* SPDX-License-Identifier: MIT */
/* busdisc peers (peers.h): the bounded table and the acceptance rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

#define GOODBYE_MS 1000u /* RFC 6762 section 10.1: a record with TTL 0 goes one second later */

struct busdisc_peers {
	char self_id[BUSDISC_ID_LEN + 1];
	struct busdisc_peer peers[BUSDISC_PEERS_MAX];
	size_t n;
	uint64_t counted[BUSDISC_VERDICTS];
};

static const char *const verdict_names[BUSDISC_VERDICTS] = {
        [BUSDISC_NEW] = "new",
        [BUSDISC_CHANGED] = "changed",
        [BUSDISC_REFRESHED] = "refreshed",
        [BUSDISC_GOODBYE] = "goodbye",
        [BUSDISC_SELF] = "self",
        [BUSDISC_REJECT_MALFORMED] = "malformed",
        [BUSDISC_REJECT_SIGNATURE] = "signature",
        [BUSDISC_REJECT_ID] = "id",
        [BUSDISC_REJECT_STALE] = "stale",
        [BUSDISC_REJECT_FUTURE] = "future",
        [BUSDISC_REJECT_REPLAY] = "replay",
        [BUSDISC_REJECT_FULL] = "full",
};

const char *busdisc_verdict_name(enum busdisc_verdict v)
{
	return (unsigned)v < BUSDISC_VERDICTS ? verdict_names[v] : "unknown";
}

int busdisc_peers_new(const char *self_id, busdisc_peers **ret)
{
	busdisc_peers *t;

	if (!self_id || strlen(self_id) != BUSDISC_ID_LEN || !ret)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	memcpy(t->self_id, self_id, BUSDISC_ID_LEN + 1);
	*ret = t;
	return 0;
}

busdisc_peers *busdisc_peers_free(busdisc_peers *t)
{
	free(t);
	return NULL;
}

static size_t index_of(const busdisc_peers *t, const char *id)
{
	size_t i = 0;

	while (i < t->n && strcmp(t->peers[i].announce.id, id) != 0)
		i++;
	return i;
}

/* The same announcement (a repeat: every field and the signature). */
static bool same_announce(const struct busdisc_announce *x, const struct busdisc_announce *y)
{
	return memcmp(x->device_pub, y->device_pub, BUSDISC_KEY_LEN) == 0 &&
	       memcmp(x->noise_pub, y->noise_pub, BUSDISC_KEY_LEN) == 0 && x->port == y->port &&
	       strcmp(x->services, y->services) == 0 && x->ts_ms == y->ts_ms &&
	       memcmp(x->sig, y->sig, BUSDISC_SIG_LEN) == 0;
}

/* The rules that do not depend on the table (signature, id, freshness): the rejection, or
 * BUSDISC_NEW when the announcement passes them. */
static enum busdisc_verdict judge(const struct busdisc_announce *a, struct busdisc_clock now)
{
	int r = busdisc_announce_verify(a);

	if (r == -EPERM)
		return BUSDISC_REJECT_ID;
	if (r < 0)
		return BUSDISC_REJECT_SIGNATURE;
	if (a->ts_ms < now.real_ms && now.real_ms - a->ts_ms > BUSDISC_TS_WINDOW_MS)
		return BUSDISC_REJECT_STALE;
	if (a->ts_ms > now.real_ms && a->ts_ms - now.real_ms > BUSDISC_TS_SKEW_MS)
		return BUSDISC_REJECT_FUTURE;
	return BUSDISC_NEW;
}

static uint64_t expiry(uint32_t ttl_s, struct busdisc_clock now)
{
	if (ttl_s == 0)
		return now.mono_ms + GOODBYE_MS;
	if (ttl_s > BUSDISC_TTL_MAX_S)
		ttl_s = BUSDISC_TTL_MAX_S;
	return now.mono_ms + (uint64_t)ttl_s * 1000u;
}

/* What the peer says now but its timestamp and signature. */
static bool same_content(const struct busdisc_announce *x, const struct busdisc_announce *y)
{
	return memcmp(x->device_pub, y->device_pub, BUSDISC_KEY_LEN) == 0 &&
	       memcmp(x->noise_pub, y->noise_pub, BUSDISC_KEY_LEN) == 0 && x->port == y->port &&
	       strcmp(x->services, y->services) == 0;
}

/*
 * A known device speaks again. A repeat of the announcement held (same ts, same content)
 * only refreshes the expiry: the address stays the one its first copy came from, so a copy
 * replayed from elsewhere moves nothing. Only a newer announcement replaces it.
 */
static enum busdisc_verdict update(struct busdisc_peer *p, const struct busdisc_announce *a,
        uint32_t addr, uint32_t ttl_s, struct busdisc_clock now)
{
	bool changed;

	if (a->ts_ms < p->announce.ts_ms)
		return BUSDISC_REJECT_REPLAY;
	if (a->ts_ms == p->announce.ts_ms && !same_announce(&p->announce, a))
		return BUSDISC_REJECT_REPLAY;
	if (ttl_s == 0 && addr != p->addr)
		return BUSDISC_REJECT_REPLAY; /* TTLs are not signed: see peers.h */
	changed =
	        a->ts_ms > p->announce.ts_ms && (!same_content(&p->announce, a) || addr != p->addr);
	if (a->ts_ms > p->announce.ts_ms) {
		p->announce = *a;
		p->addr = addr;
	}
	p->last_seen_ms = now.mono_ms;
	p->expires_ms = expiry(ttl_s, now);
	if (ttl_s == 0)
		return BUSDISC_GOODBYE;
	return changed ? BUSDISC_CHANGED : BUSDISC_REFRESHED;
}

static enum busdisc_verdict offer(busdisc_peers *t, const struct busdisc_announce *a, uint32_t addr,
        uint32_t ttl_s, struct busdisc_clock now)
{
	enum busdisc_verdict v;
	struct busdisc_peer *p;
	size_t i;

	if (strcmp(a->id, t->self_id) == 0)
		return BUSDISC_SELF;
	v = judge(a, now);
	if (v != BUSDISC_NEW)
		return v;
	i = index_of(t, a->id);
	if (i < t->n)
		return update(&t->peers[i], a, addr, ttl_s, now);
	if (ttl_s == 0)
		return BUSDISC_GOODBYE; /* a device we do not hold leaves: nothing to do */
	if (t->n == BUSDISC_PEERS_MAX)
		return BUSDISC_REJECT_FULL;
	p = &t->peers[t->n++];
	*p = (struct busdisc_peer){.announce = *a,
	        .addr = addr,
	        .first_seen_ms = now.mono_ms,
	        .last_seen_ms = now.mono_ms,
	        .expires_ms = expiry(ttl_s, now)};
	return BUSDISC_NEW;
}

enum busdisc_verdict busdisc_peers_offer(busdisc_peers *t, const struct busdisc_announce *a,
        uint32_t addr, uint32_t ttl_s, struct busdisc_clock now)
{
	enum busdisc_verdict v = offer(t, a, addr, ttl_s, now);

	t->counted[v]++;
	return v;
}

int busdisc_peers_feed(busdisc_peers *t, const uint8_t *buf, size_t len, uint32_t addr,
        struct busdisc_clock now, busdisc_verdict_fn on_verdict, void *userdata,
        bool *ret_asks_for_us)
{
	struct busdisc_packet pkt;
	int r = busdisc_decode(buf, len, t->self_id, &pkt);

	if (r < 0) {
		t->counted[BUSDISC_REJECT_MALFORMED]++;
		if (on_verdict)
			on_verdict(userdata, BUSDISC_REJECT_MALFORMED, NULL);
		return r;
	}
	for (size_t i = 0; i < pkt.n_announces; i++) {
		enum busdisc_verdict v =
		        busdisc_peers_offer(t, &pkt.announces[i], addr, pkt.ttl_s[i], now);

		/* NEW..GOODBYE name an entry of the table (none for a goodbye of one not held). */
		if (on_verdict)
			on_verdict(userdata, v,
			        v <= BUSDISC_GOODBYE ? busdisc_peers_find(t, pkt.announces[i].id)
			                             : NULL);
	}
	if (ret_asks_for_us)
		*ret_asks_for_us = pkt.asks_for_us;
	return 0;
}

size_t busdisc_peers_expire(
        busdisc_peers *t, uint64_t now_mono_ms, busdisc_gone_fn on_gone, void *userdata)
{
	size_t gone = 0;

	for (size_t i = 0; i < t->n;) {
		if (t->peers[i].expires_ms > now_mono_ms) {
			i++;
			continue;
		}
		if (on_gone)
			on_gone(userdata, &t->peers[i]);
		t->peers[i] = t->peers[--t->n];
		gone++;
	}
	return gone;
}

uint64_t busdisc_peers_next_expiry(const busdisc_peers *t)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < t->n; i++)
		if (t->peers[i].expires_ms < next)
			next = t->peers[i].expires_ms;
	return next;
}

size_t busdisc_peers_count(const busdisc_peers *t)
{
	return t->n;
}

const struct busdisc_peer *busdisc_peers_at(const busdisc_peers *t, size_t i)
{
	return i < t->n ? &t->peers[i] : NULL;
}

const struct busdisc_peer *busdisc_peers_find(const busdisc_peers *t, const char *id)
{
	size_t i = id ? index_of(t, id) : t->n;

	return i < t->n ? &t->peers[i] : NULL;
}

int busdisc_dial_address(const struct busdisc_peer *p, const struct busdisc_dialled *dialled,
        uint32_t *ret_addr, uint16_t *ret_port)
{
	if (dialled && (!p || dialled->reached_ms > p->last_seen_ms)) {
		*ret_addr = dialled->addr;
		*ret_port = dialled->port;
		return 0;
	}
	if (!p)
		return -ENOENT;
	*ret_addr = p->addr;
	*ret_port = p->announce.port;
	return 0;
}

void busdisc_peers_count_oversized(busdisc_peers *t)
{
	t->counted[BUSDISC_REJECT_MALFORMED]++;
}

uint64_t busdisc_peers_counted(const busdisc_peers *t, enum busdisc_verdict v)
{
	return (unsigned)v < BUSDISC_VERDICTS ? t->counted[v] : 0;
}
