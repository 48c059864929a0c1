/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd's discovery decoder and acceptance rules (userspace/busdisc), fed arbitrary bytes.
 * First byte even: the rest is one mDNS packet, fed to a fresh peer table; every announcement
 * it decodes that carries a signature must encode again and decode to the same fields.
 * First byte odd: the rest is a script of 8-byte steps, each an announcement of one of four
 * devices (signed here, so the rules past the signature are reached) with a fuzzed port,
 * timestamp, TTL and clocks, or an expiry; the table must stay within BUSDISC_PEERS_MAX,
 * count every offer once, and hold what it accepted.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "busdisc/peers.h"
#include "keystore/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SELF_ID "ffffffffffffffffffffffffffffffff"
#define DEVICES 4u
#define BASE_MS 1800000000000ull

static void same_or_abort(const struct busdisc_announce *x, const struct busdisc_announce *y)
{
	if (strcmp(x->id, y->id) != 0 || memcmp(x->device_pub, y->device_pub, BUSDISC_KEY_LEN) ||
	        memcmp(x->noise_pub, y->noise_pub, BUSDISC_KEY_LEN) || x->port != y->port ||
	        strcmp(x->services, y->services) != 0 || x->ts_ms != y->ts_ms ||
	        x->has_sig != y->has_sig || memcmp(x->sig, y->sig, BUSDISC_SIG_LEN))
		abort();
}

static void packet(const uint8_t *data, size_t size)
{
	static uint8_t buf[BUSDISC_PACKET_MAX];
	struct busdisc_packet p, again;
	busdisc_peers *t = NULL;
	size_t len;

	if (busdisc_peers_new(SELF_ID, &t) < 0)
		abort();
	(void)busdisc_peers_feed(
	        t, data, size, 1, (struct busdisc_clock){BASE_MS, 0}, NULL, NULL, NULL);
	if (busdisc_peers_count(t) > 0 && busdisc_peers_counted(t, BUSDISC_NEW) == 0)
		abort();
	busdisc_peers_free(t);
	if (busdisc_decode(data, size, SELF_ID, &p) < 0)
		return;
	for (size_t i = 0; i < p.n_announces; i++) {
		if (!p.announces[i].has_sig)
			continue;
		if (busdisc_encode_response(
		            &p.announces[i], p.ttl_s[i], NULL, 0, buf, sizeof(buf), &len) < 0 ||
		        busdisc_decode(buf, len, NULL, &again) < 0 || again.n_announces != 1 ||
		        again.ttl_s[0] != p.ttl_s[i])
			abort();
		same_or_abort(&p.announces[i], &again.announces[0]);
	}
}

struct device {
	uint8_t pub[KS_PUBLIC_LEN], secret[KS_SECRET_LEN];
};

static void script(const uint8_t *data, size_t size)
{
	static struct device dev[DEVICES];
	static bool made;
	static const char *const services[4] = {"", "echod", "echod,vfsd", "vfsd"};
	uint64_t offers = 0, counted = 0, mono = 0;
	busdisc_peers *t = NULL;

	if (!made) {
		for (unsigned i = 0; i < DEVICES; i++) {
			uint8_t seed[KS_SEED_LEN];

			memset(seed, (int)i + 1, sizeof(seed));
			crypto_sign_seed_keypair(dev[i].pub, dev[i].secret, seed);
		}
		made = true;
	}
	if (busdisc_peers_new(SELF_ID, &t) < 0)
		abort();
	for (; size >= 8; data += 8, size -= 8) {
		const struct device *d = &dev[data[0] % DEVICES];
		uint64_t ts = BASE_MS + (uint64_t)(int16_t)(data[2] << 8 | data[3]) * 1000;
		struct busdisc_clock now = {
		        BASE_MS + (uint64_t)(int16_t)(data[4] << 8 | data[5]) * 1000,
		        mono += data[6] * 100u};
		uint8_t msg[BUSDISC_SIGNED_MAX], sig[BUSDISC_SIG_LEN];
		struct busdisc_announce a;
		enum busdisc_verdict v;
		size_t len;

		if (data[0] & 0x80) {
			(void)busdisc_peers_expire(t, mono, NULL, NULL);
			continue;
		}
		if (busdisc_announce_init(&a, d->pub, d->pub, (uint16_t)(1 + data[1]),
		            services[data[7] & 3], ts) < 0 ||
		        busdisc_signed_data(&a, msg, sizeof(msg), &len) < 0 ||
		        ks_sign(d->secret, BUSDISC_SIGN_DOMAIN, msg, len, sig) < 0)
			abort();
		busdisc_announce_set_sig(&a, sig);
		if (data[0] & 0x40)
			a.sig[0] ^= 1; /* forged */
		v = busdisc_peers_offer(t, &a, data[1] & 3, (data[7] >> 2) * 60u, now);
		offers++;
		if ((v == BUSDISC_NEW || v == BUSDISC_CHANGED) &&
		        busdisc_peers_find(t, a.id)->announce.ts_ms != ts)
			abort();
		if (busdisc_peers_count(t) > BUSDISC_PEERS_MAX)
			abort();
	}
	for (int v = 0; v < BUSDISC_VERDICTS; v++)
		counted += busdisc_peers_counted(t, (enum busdisc_verdict)v);
	if (counted != offers)
		abort();
	busdisc_peers_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || sodium_init() < 0)
		return 0;
	if (data[0] & 1)
		script(data + 1, size - 1);
	else
		packet(data + 1, size - 1);
	return 0;
}
