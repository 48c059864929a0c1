/* SPDX-License-Identifier: MIT */
/*
 * userspace/noise's handshake under fuzzer bytes. The first byte picks a case:
 *   0  garbage to a responder: msg1 then msg3 (a 2-byte big-endian length splits them)
 *   1  garbage to an initiator as msg2
 *   2  an honest handshake with one message (second byte, mod 3) XORed with the rest of the
 *      input, lengthened by the input's excess or cut by the third byte
 * No crash, no sanitizer report, and no garbage accepted: a message 2 or 3 that is not the
 * honest one must be refused, and a message 1 that is not the honest one must make the
 * initiator refuse message 2. An untouched transcript must complete, both ways.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "noise/noise.h"

#define PROLOGUE "nexus-bus/1"

static struct noise_keypair keys[4]; /* initiator s, e; responder s, e */

static void start(struct noise_handshake *init, struct noise_handshake *resp)
{
	if (noise_hs_init(init, NOISE_ROLE_INITIATOR, PROLOGUE, strlen(PROLOGUE), &keys[0],
	            &keys[1]) < 0 ||
	        noise_hs_init(resp, NOISE_ROLE_RESPONDER, PROLOGUE, strlen(PROLOGUE), &keys[2],
	                &keys[3]) < 0)
		abort();
}

static size_t honest_write(struct noise_handshake *hs, uint8_t *out, size_t size)
{
	size_t len = 0;

	if (noise_hs_write(hs, "payload", 7, out, size, &len) < 0)
		abort();
	return len;
}

static void garbage_to_responder(const uint8_t *data, size_t size)
{
	static uint8_t out[NOISE_MSG_MAX], payload[NOISE_MSG_MAX];
	struct noise_handshake init, resp;
	size_t len1, plen = 0, olen = 0;

	if (size < 2)
		return;
	len1 = (size_t)data[0] << 8 | data[1];
	data += 2, size -= 2;
	if (len1 > size)
		len1 = size;
	start(&init, &resp);
	/* Message 1 is not authenticated: any 32 bytes or more are taken. */
	if (noise_hs_read(&resp, data, len1, payload, sizeof(payload), &plen) < 0)
		return;
	if (noise_hs_write(&resp, NULL, 0, out, sizeof(out), &olen) < 0)
		return; /* a low-order ephemeral key */
	if (noise_hs_read(&resp, data + len1, size - len1, payload, sizeof(payload), &plen) == 0)
		abort(); /* garbage passed for an authenticated message 3 */
	if (noise_hs_action(&resp) != NOISE_HS_FAILED)
		abort();
}

static void garbage_to_initiator(const uint8_t *data, size_t size)
{
	static uint8_t out[NOISE_MSG_MAX], payload[NOISE_MSG_MAX];
	struct noise_handshake init, resp;
	size_t plen = 0;

	start(&init, &resp);
	honest_write(&init, out, sizeof(out));
	if (noise_hs_read(&init, data, size, payload, sizeof(payload), &plen) == 0)
		abort(); /* garbage passed for an authenticated message 2 */
	noise_hs_wipe(&resp);
}

static void tampered_transcript(const uint8_t *data, size_t size)
{
	static uint8_t msg[NOISE_MSG_MAX + 1], payload[NOISE_MSG_MAX];
	struct noise_handshake init, resp, *side[2] = {&init, &resp};
	struct noise_cipher send[2], recv[2];
	size_t len, plen = 0, honest_len;
	unsigned target;
	bool changed = false;
	int r;

	if (size < 2)
		return;
	target = data[0] % 3u;
	start(&init, &resp);
	for (unsigned step = 0; step < 3; step++) {
		struct noise_handshake *writer = side[step % 2], *reader = side[1 - step % 2];

		if (noise_hs_write(writer, "payload", 7, msg, sizeof(msg), &len) < 0) {
			if (!changed)
				abort();
			return; /* message 1 brought a low-order key */
		}
		honest_len = len;
		if (step == target) {
			const uint8_t *mask = data + 2;
			size_t mask_len = size - 2;

			/* XOR the mask in; past the message it extends it; the cut byte shortens. */
			for (size_t i = 0; i < mask_len && i < sizeof(msg); i++)
				msg[i] = i < len ? msg[i] ^ mask[i] : mask[i];
			if (mask_len > len)
				len = mask_len < sizeof(msg) ? mask_len : sizeof(msg);
			len -= data[1] < len ? data[1] : len;
			changed = len != honest_len;
			for (size_t i = 0; i < mask_len && i < len && !changed; i++)
				changed = mask[i] != 0;
		}
		r = noise_hs_read(reader, msg, len, payload, sizeof(payload), &plen);
		if (!changed && r < 0)
			abort(); /* an honest message refused */
		if (changed && step > 0 && r == 0)
			abort(); /* a changed authenticated message accepted */
		if (r < 0)
			return;
	}
	if (changed)
		abort(); /* a changed message 1 must have failed message 2 */
	if (noise_hs_split(&init, &send[0], &recv[0], NULL) < 0 ||
	        noise_hs_split(&resp, &send[1], &recv[1], NULL) < 0)
		abort();
	for (unsigned i = 0; i < 2; i++) {
		if (noise_cipher_encrypt(&send[i], NULL, 0, "x", 1, msg, sizeof(msg), &len) < 0 ||
		        noise_cipher_decrypt(&recv[1 - i], NULL, 0, msg, len, payload,
		                sizeof(payload), &plen) < 0 ||
		        plen != 1 || payload[0] != 'x')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		uint8_t secret[NOISE_DHLEN];

		if (sodium_init() < 0)
			abort();
		for (unsigned k = 0; k < 4; k++) {
			memset(secret, 0x11 * (k + 1), sizeof(secret));
			if (noise_keypair_from_secret(secret, &keys[k]) < 0)
				abort();
		}
		ready = true;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		garbage_to_responder(data + 1, size - 1);
		break;
	case 1:
		garbage_to_initiator(data + 1, size - 1);
		break;
	default:
		tampered_transcript(data + 1, size - 1);
		break;
	}
	return 0;
}
