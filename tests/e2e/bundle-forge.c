/* SPDX-License-Identifier: MIT */
/*
 * bundle-forge: writes a bad bundle for tests/e2e/bundlemgrd.sh, broken as KIND says
 * (tests/common/bundle-forge.h forge_make), signed with the secret key in KEY (the hex file
 * `nx bundle keygen` writes); "untrusted" is signed by a key made on the spot.
 *
 *   bundle-forge KIND ID KEY OUT
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-forge.h"

static int read_key(const char *path, uint8_t sk[BND_SECRET_LEN])
{
	char hex[2 * BND_SECRET_LEN + 2] = "";
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(hex, 1, sizeof(hex) - 1, f);
	fclose(f);
	while (n > 0 && hex[n - 1] == '\n')
		n--;
	return bnd_unhex(hex, n, sk, BND_SECRET_LEN);
}

int main(int argc, char **argv)
{
	uint8_t sk[BND_SECRET_LEN], other_pk[BND_KEY_LEN], other_sk[BND_SECRET_LEN];
	struct forge_buf b = {0};
	FILE *out;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: bundle-forge KIND ID KEY OUT\n");
		return 2;
	}
	if (sodium_init() < 0 || read_key(argv[3], sk) < 0) {
		fprintf(stderr, "bundle-forge: %s: not a key\n", argv[3]);
		return 1;
	}
	crypto_sign_keypair(other_pk, other_sk);
	r = forge_make(argv[1], argv[2], sk, other_sk, &b);
	if (r < 0) {
		fprintf(stderr, "bundle-forge: %s: %s\n", argv[1], strerror(-r));
		return r == -ENOENT ? 2 : 1;
	}
	out = fopen(argv[4], "wbe");
	r = out && fwrite(b.buf, 1, b.len, out) == b.len ? 0 : 1;
	if (out && fclose(out) != 0)
		r = 1;
	free(b.buf);
	return r;
}
