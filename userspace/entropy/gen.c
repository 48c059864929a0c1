/* SPDX-License-Identifier: MIT */
#include "gen.h"

#include <errno.h>
#include <string.h>

void ent_gen_init(struct ent_gen *g, uint64_t reseed_bytes, uint64_t reseed_interval_ns)
{
	memset(g, 0, sizeof(*g));
	g->reseed_bytes = reseed_bytes;
	g->reseed_interval_ns = reseed_interval_ns;
}

bool ent_gen_reseed_due(const struct ent_gen *g, uint64_t now_ns)
{
	return !g->drbg.instantiated || g->bytes_since_seed >= g->reseed_bytes ||
	       now_ns - g->seeded_ns >= g->reseed_interval_ns ||
	       g->drbg.reseed_counter > ENT_DRBG_RESEED_INTERVAL;
}

static void seeded(struct ent_gen *g, uint64_t now_ns)
{
	g->seeded_ns = now_ns;
	g->bytes_since_seed = 0;
}

int ent_gen_instantiate(struct ent_gen *g, const void *entropy, size_t entropy_len,
        const void *nonce, size_t nonce_len, const void *pers, size_t pers_len, uint64_t now_ns)
{
	int r = ent_drbg_instantiate(
	        &g->drbg, entropy, entropy_len, nonce, nonce_len, pers, pers_len);

	if (r == 0)
		seeded(g, now_ns);
	return r;
}

int ent_gen_reseed(struct ent_gen *g, const void *entropy, size_t entropy_len, uint64_t now_ns)
{
	int r = ent_drbg_reseed(&g->drbg, entropy, entropy_len, NULL, 0);

	if (r == 0) {
		g->reseeds++;
		seeded(g, now_ns);
	}
	return r;
}

int ent_gen_fill(struct ent_gen *g, void *out, size_t n, uint64_t now_ns)
{
	uint8_t *p = out;
	int r;

	if (!g || !out || n == 0)
		return -EINVAL;
	if (ent_gen_reseed_due(g, now_ns))
		return -ESTALE;
	for (size_t off = 0; off < n; off += ENT_DRBG_REQUEST_MAX) {
		size_t take = n - off < ENT_DRBG_REQUEST_MAX ? n - off : ENT_DRBG_REQUEST_MAX;

		r = ent_drbg_generate(&g->drbg, p + off, take, NULL, 0);
		if (r < 0)
			return r;
	}
	g->bytes_since_seed += n;
	g->bytes_served += n;
	return 0;
}

void ent_gen_wipe(struct ent_gen *g)
{
	if (g)
		ent_drbg_wipe(&g->drbg);
}
