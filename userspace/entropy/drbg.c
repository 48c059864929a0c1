/* SPDX-License-Identifier: MIT */
#include "drbg.h"

#include <errno.h>
#include <string.h>

/* One input to HMAC_DRBG_Update's provided_data, which is a concatenation. */
struct piece {
	const void *p;
	size_t len;
};

static void rekey(struct ent_drbg *d)
{
	crypto_auth_hmacsha256_init(&d->keyed, d->key, sizeof(d->key));
}

/* V = HMAC(K, V) with K's state already keyed. */
static void next_v(struct ent_drbg *d)
{
	crypto_auth_hmacsha256_state st = d->keyed;

	crypto_auth_hmacsha256_update(&st, d->v, sizeof(d->v));
	crypto_auth_hmacsha256_final(&st, d->v);
	sodium_memzero(&st, sizeof(st));
}

/* K = HMAC(K, V || round || provided_data); V = HMAC(K, V). */
static void update_round(struct ent_drbg *d, uint8_t round, const struct piece *data, size_t n)
{
	crypto_auth_hmacsha256_state st = d->keyed;

	crypto_auth_hmacsha256_update(&st, d->v, sizeof(d->v));
	crypto_auth_hmacsha256_update(&st, &round, 1);
	for (size_t i = 0; i < n; i++)
		if (data[i].len > 0)
			crypto_auth_hmacsha256_update(&st, data[i].p, data[i].len);
	crypto_auth_hmacsha256_final(&st, d->key);
	sodium_memzero(&st, sizeof(st));
	rekey(d);
	next_v(d);
}

/* HMAC_DRBG_Update (section 10.1.2.2): the second round only with provided data. */
static void drbg_update(struct ent_drbg *d, const struct piece *data, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += data[i].len;
	update_round(d, 0x00, data, n);
	if (total > 0)
		update_round(d, 0x01, data, n);
}

static bool input_ok(const void *p, size_t len)
{
	return (p || len == 0) && len <= ENT_DRBG_INPUT_MAX;
}

int ent_drbg_instantiate(struct ent_drbg *d, const void *entropy, size_t entropy_len,
        const void *nonce, size_t nonce_len, const void *pers, size_t pers_len)
{
	const struct piece seed[] = {{entropy, entropy_len}, {nonce, nonce_len}, {pers, pers_len}};

	if (!d || !entropy || !nonce || (!pers && pers_len > 0))
		return -EINVAL;
	if (!input_ok(entropy, entropy_len) || !input_ok(nonce, nonce_len) ||
	        !input_ok(pers, pers_len))
		return -EMSGSIZE;
	if (entropy_len < ENT_DRBG_SEED_MIN || nonce_len < ENT_DRBG_NONCE_MIN)
		return -EINVAL;
	memset(d->key, 0x00, sizeof(d->key));
	memset(d->v, 0x01, sizeof(d->v));
	rekey(d);
	drbg_update(d, seed, 3);
	d->reseed_counter = 1;
	d->instantiated = true;
	return 0;
}

int ent_drbg_reseed(struct ent_drbg *d, const void *entropy, size_t entropy_len, const void *add,
        size_t add_len)
{
	const struct piece seed[] = {{entropy, entropy_len}, {add, add_len}};

	if (!d || !d->instantiated || !entropy || (!add && add_len > 0))
		return -EINVAL;
	if (!input_ok(entropy, entropy_len) || !input_ok(add, add_len))
		return -EMSGSIZE;
	if (entropy_len < ENT_DRBG_SEED_MIN)
		return -EINVAL;
	drbg_update(d, seed, 2);
	d->reseed_counter = 1;
	return 0;
}

int ent_drbg_generate(struct ent_drbg *d, void *out, size_t n, const void *add, size_t add_len)
{
	const struct piece extra = {add, add_len};
	uint8_t *p = out;

	if (!d || !d->instantiated || !out || (!add && add_len > 0))
		return -EINVAL;
	if (n == 0 || n > ENT_DRBG_REQUEST_MAX || !input_ok(add, add_len))
		return -EMSGSIZE;
	if (d->reseed_counter > ENT_DRBG_RESEED_INTERVAL)
		return -ESTALE;
	if (add_len > 0)
		drbg_update(d, &extra, 1);
	for (size_t off = 0; off < n; off += sizeof(d->v)) {
		size_t take = n - off < sizeof(d->v) ? n - off : sizeof(d->v);

		next_v(d);
		memcpy(p + off, d->v, take);
	}
	drbg_update(d, &extra, 1);
	d->reseed_counter++;
	return 0;
}

void ent_drbg_wipe(struct ent_drbg *d)
{
	if (d)
		sodium_memzero(d, sizeof(*d));
}
