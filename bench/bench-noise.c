/* SPDX-License-Identifier: MIT */
/*
 * userspace/noise in process, each figure beside its baseline from the same run:
 *
 *   handshake   one side's share of a whole XX handshake (both sides run here: ephemeral key
 *               pair, three messages, split; the total halved) beside 3 x X25519, the DH work
 *               each side cannot avoid (ee, es, se); no round trips, no sockets
 *   transport   ChaChaPoly records of NOISE_PAYLOAD_MAX bytes, encrypted then decrypted in
 *               place, beside memcpy of the same bytes, in GiB/s
 *
 * Medians over rounds. Nothing here is a test.
 *
 *   bench-noise [--rounds R] [--handshakes N] [--mib M]
 */
#include <sodium.h>

#include "bench-util.h"
#include "noise/noise.h"

#define NB_ROUNDS_MAX 64u

static int nb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double nb_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), nb_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void nb_clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* One whole handshake, both sides, fresh ephemeral keys; 0 or a negative errno. */
static int nb_handshake(const struct noise_keypair *is, const struct noise_keypair *rs)
{
	struct noise_handshake hs[2];
	struct noise_keypair e[2];
	struct noise_cipher send, recv;
	uint8_t secret[NOISE_DHLEN], msg[256], payload[256];
	size_t len = 0, plen = 0;
	int r = 0;

	for (unsigned i = 0; i < 2 && r == 0; i++) {
		randombytes_buf(secret, sizeof(secret));
		r = noise_keypair_from_secret(secret, &e[i]);
	}
	if (r == 0)
		r = noise_hs_init(&hs[0], NOISE_ROLE_INITIATOR, "nexus-bus/1", 11, is, &e[0]);
	if (r == 0)
		r = noise_hs_init(&hs[1], NOISE_ROLE_RESPONDER, "nexus-bus/1", 11, rs, &e[1]);
	for (unsigned step = 0; step < 3 && r == 0; step++) {
		r = noise_hs_write(&hs[step % 2], "payload", 7, msg, sizeof(msg), &len);
		if (r == 0)
			r = noise_hs_read(
			        &hs[1 - step % 2], msg, len, payload, sizeof(payload), &plen);
	}
	for (unsigned i = 0; i < 2 && r == 0; i++)
		r = noise_hs_split(&hs[i], &send, &recv, NULL);
	noise_cipher_wipe(&send);
	noise_cipher_wipe(&recv);
	return r;
}

int main(int argc, char **argv)
{
	size_t rounds = 15, handshakes = 200, mib = 256;
	double t_hs[NB_ROUNDS_MAX], t_dh[NB_ROUNDS_MAX], t_enc[NB_ROUNDS_MAX], t_dec[NB_ROUNDS_MAX],
	        t_cpy[NB_ROUNDS_MAX];
	struct noise_keypair is, rs;
	struct noise_cipher a, b;
	uint8_t secret[NOISE_DHLEN], shared[NOISE_DHLEN], key[NOISE_KEYLEN];
	uint8_t *rec = NULL, *src = NULL, *dst = NULL;
	size_t records, len = 0, plen = 0;
	uint64_t t0;
	int err = 1;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--rounds"))
			rounds = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--handshakes"))
			handshakes = strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--mib"))
			mib = strtoul(argv[++i], NULL, 10);
		else {
			(void)fprintf(stderr,
			        "usage: bench-noise [--rounds R] [--handshakes N] [--mib M]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > NB_ROUNDS_MAX || handshakes < 1 || mib < 1) {
		(void)fprintf(stderr, "bench-noise: rounds 1..%u, handshakes and mib >= 1\n",
		        NB_ROUNDS_MAX);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(secret, sizeof(secret));
	if (noise_keypair_from_secret(secret, &is) < 0)
		return 1;
	randombytes_buf(secret, sizeof(secret));
	if (noise_keypair_from_secret(secret, &rs) < 0)
		return 1;
	records = mib * (1u << 20) / NOISE_PAYLOAD_MAX;
	rec = malloc(NOISE_MSG_MAX);
	src = malloc(NOISE_PAYLOAD_MAX);
	dst = malloc(NOISE_PAYLOAD_MAX);
	if (!rec || !src || !dst)
		goto out;
	randombytes_buf(src, NOISE_PAYLOAD_MAX);
	randombytes_buf(key, sizeof(key));

	for (size_t r = 0; r < rounds; r++) {
		t0 = bench_now_ns();
		for (size_t i = 0; i < handshakes; i++)
			if (nb_handshake(&is, &rs) < 0) {
				(void)fprintf(stderr, "bench-noise: handshake failed\n");
				goto out;
			}
		t_hs[r] = (double)(bench_now_ns() - t0) / (double)handshakes / 2;

		t0 = bench_now_ns();
		for (size_t i = 0; i < handshakes; i++)
			for (unsigned k = 0; k < 3; k++) {
				if (crypto_scalarmult(shared, is.secret_key, rs.public_key) != 0)
					goto out;
				nb_clobber(shared);
			}
		t_dh[r] = (double)(bench_now_ns() - t0) / (double)handshakes;

		noise_cipher_init(&a, key);
		noise_cipher_init(&b, key);
		memcpy(rec, src, NOISE_PAYLOAD_MAX);
		t0 = bench_now_ns();
		for (size_t i = 0; i < records; i++) {
			if (noise_cipher_encrypt(&a, NULL, 0, rec, NOISE_PAYLOAD_MAX, rec,
			            NOISE_MSG_MAX, &len) < 0)
				goto out;
			nb_clobber(rec);
		}
		t_enc[r] = (double)(bench_now_ns() - t0);
		/* Decrypting needs each record as it was sent: re-encrypt into place before each
		 * decrypt would measure both, so decrypt one record `records` times under a
		 * cipher whose nonce is set back each time (the work is the same). */
		noise_cipher_init(&a, key);
		if (noise_cipher_encrypt(
		            &a, NULL, 0, src, NOISE_PAYLOAD_MAX, rec, NOISE_MSG_MAX, &len) < 0)
			goto out;
		t0 = bench_now_ns();
		for (size_t i = 0; i < records; i++) {
			b.n = 0;
			if (noise_cipher_decrypt(
			            &b, NULL, 0, rec, len, dst, NOISE_PAYLOAD_MAX, &plen) < 0)
				goto out;
			nb_clobber(dst);
		}
		t_dec[r] = (double)(bench_now_ns() - t0);

		t0 = bench_now_ns();
		for (size_t i = 0; i < records; i++) {
			memcpy(dst, src, NOISE_PAYLOAD_MAX);
			nb_clobber(dst);
		}
		t_cpy[r] = (double)(bench_now_ns() - t0);
	}

	double hs = nb_median(t_hs, rounds), dh = nb_median(t_dh, rounds);
	double bytes = (double)records * NOISE_PAYLOAD_MAX, gib = (double)(1u << 30);
	double enc = bytes / nb_median(t_enc, rounds) * 1e9 / gib;
	double dec = bytes / nb_median(t_dec, rounds) * 1e9 / gib;
	double cpy = bytes / nb_median(t_cpy, rounds) * 1e9 / gib;

	printf("noise handshake (one side of XX, in process): %8.1f us   3 x X25519: %8.1f us   "
	       "%.2fx\n",
	        hs / 1e3, dh / 1e3, hs / dh);
	printf("noise transport encrypt (%u B records): %6.2f GiB/s   memcpy: %6.2f GiB/s   "
	       "%.3fx\n",
	        NOISE_PAYLOAD_MAX, enc, cpy, enc / cpy);
	printf("noise transport decrypt (%u B records): %6.2f GiB/s   memcpy: %6.2f GiB/s   "
	       "%.3fx\n",
	        NOISE_PAYLOAD_MAX, dec, cpy, dec / cpy);
	printf("RESULT bench=noise mode=xx handshake_ns=%.0f x25519x3_ns=%.0f encrypt_gib_s=%.3f"
	       " decrypt_gib_s=%.3f memcpy_gib_s=%.3f\n",
	        hs, dh, enc, dec, cpy);
	err = 0;
out:
	noise_keypair_wipe(&is);
	noise_keypair_wipe(&rs);
	free(rec);
	free(src);
	free(dst);
	return err;
}
