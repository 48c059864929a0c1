/* SPDX-License-Identifier: MIT */
/*
 * keystored's two on-disk decoders, fed arbitrary bytes: the KEK file (ks_kek_file_decode) and
 * a sealed key record with the public key stored beside it (ks_record_open, under a fixed KEK,
 * owner and name). First byte even: a KEK file; odd: 32 bytes of public key, then the record.
 * A KEK file that decodes must encode back to the same bytes; a record that opens must give a
 * secret key whose public half is the one given (forging one means breaking Poly1305).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keystore/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kek[KS_KEK_LEN] = {0x6b, 0x65, 0x6b};
	uint8_t out[KS_KEK_LEN], file[KS_KEK_FILE_LEN], sk[KS_SECRET_LEN];

	if (size == 0 || sodium_init() < 0)
		return 0;
	if ((data[0] & 1) == 0) {
		if (ks_kek_file_decode(data + 1, size - 1, out) == 0) {
			ks_kek_file_encode(out, file);
			if (size - 1 != sizeof(file) || memcmp(file, data + 1, sizeof(file)) != 0)
				abort();
		}
		return 0;
	}
	if (size < 1 + KS_PUBLIC_LEN)
		return 0;
	if (ks_record_open(kek, "uid:0", "k", data + 1, KS_PUBLIC_LEN, data + 1 + KS_PUBLIC_LEN,
	            size - 1 - KS_PUBLIC_LEN, sk) == 0 &&
	        memcmp(sk + KS_SEED_LEN, data + 1, KS_PUBLIC_LEN) != 0)
		abort();
	return 0;
}
