/* SPDX-License-Identifier: MIT */
/*
 * Our Noise (userspace/noise) as one end of a Noise_XX_25519_ChaChaPoly_BLAKE2b session over
 * stdin/stdout, for noise-dissononce.py to talk to with an independent implementation. Every
 * message, handshake and transport, is a 2-byte big-endian length then that many bytes, as on
 * the bus. The prologue is the bus's, "nexus-bus/1".
 *
 *   noise-peer --role initiator|responder --static HEX
 *
 * Handshake: our payloads are "c1" / "c2" / "c3" for messages 1 / 2 / 3. Then our first
 * transport message reports what we saw: handshake hash (64) | the peer's static key (32) |
 * the peer's handshake payloads, each behind a 1-byte length. Then for each record received:
 * "bye" ends (exit 0); anything else is answered with "echo:" + it. A record "rekey" makes
 * both ends rekey after it in its direction, and its answer likewise in the other direction
 * (the bus's REKEY frame). Any message refused by the library: a line on stderr, exit 3.
 * Short input or a usage error: exit 2.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "noise/noise.h"

#define EXIT_USAGE   2
#define EXIT_REFUSED 3

static uint8_t msg[NOISE_MSG_MAX], buf[NOISE_MSG_MAX];

static void die(int status, const char *what, int r)
{
	fprintf(stderr, "noise-peer: %s: %s\n", what, strerror(-r));
	exit(status);
}

/* Reads one length-prefixed message into msg; returns its length. */
static size_t read_msg(void)
{
	uint8_t len_be[2];
	size_t len;

	if (fread(len_be, 1, 2, stdin) != 2)
		die(EXIT_USAGE, "reading a length", -EPIPE);
	len = (size_t)len_be[0] << 8 | len_be[1];
	if (fread(msg, 1, len, stdin) != len)
		die(EXIT_USAGE, "reading a message", -EPIPE);
	return len;
}

static void write_msg(const uint8_t *data, size_t len)
{
	uint8_t len_be[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (fwrite(len_be, 1, 2, stdout) != 2 || fwrite(data, 1, len, stdout) != len ||
	        fflush(stdout) != 0)
		die(EXIT_USAGE, "writing a message", -EPIPE);
}

static void send_record(struct noise_cipher *send, const void *pt, size_t len)
{
	size_t clen = 0;
	int r = noise_cipher_encrypt(send, NULL, 0, pt, len, msg, sizeof(msg), &clen);

	if (r < 0)
		die(EXIT_REFUSED, "encrypting", r);
	write_msg(msg, clen);
}

/* The handshake; leaves the transport ciphers and the report for the first record in
 * ret_report (ret_report_len bytes). */
static void handshake(struct noise_handshake *hs, struct noise_cipher *ret_send,
        struct noise_cipher *ret_recv, uint8_t *ret_report, size_t *ret_report_len)
{
	size_t pos = NOISE_HASHLEN + NOISE_DHLEN;
	char payload[] = "c1";
	size_t len = 0, plen = 0;
	int r;

	while (noise_hs_action(hs) != NOISE_HS_SPLIT) {
		if (noise_hs_action(hs) == NOISE_HS_WRITE) {
			payload[1] = (char)('1' + hs->step);
			r = noise_hs_write(hs, payload, 2, msg, sizeof(msg), &len);
			if (r < 0)
				die(EXIT_REFUSED, "writing a handshake message", r);
			write_msg(msg, len);
		} else {
			len = read_msg();
			r = noise_hs_read(hs, msg, len, buf, sizeof(buf), &plen);
			if (r < 0)
				die(EXIT_REFUSED, "handshake message refused", r);
			if (plen > UINT8_MAX)
				die(EXIT_USAGE, "handshake payload too long to report", -EMSGSIZE);
			ret_report[pos++] = (uint8_t)plen;
			memcpy(ret_report + pos, buf, plen);
			pos += plen;
		}
	}
	r = noise_hs_remote_static(hs, ret_report + NOISE_HASHLEN);
	if (r < 0)
		die(EXIT_REFUSED, "remote static key", r);
	r = noise_hs_split(hs, ret_send, ret_recv, ret_report);
	if (r < 0)
		die(EXIT_REFUSED, "split", r);
	*ret_report_len = pos;
}

static void serve(struct noise_cipher *send, struct noise_cipher *recv)
{
	static const char echo[] = "echo:";
	size_t len, plen = 0;
	int r;

	for (;;) {
		len = read_msg();
		r = noise_cipher_decrypt(recv, NULL, 0, msg, len, buf + strlen(echo),
		        sizeof(buf) - strlen(echo), &plen);
		if (r < 0)
			die(EXIT_REFUSED, "transport record refused", r);
		if (plen == 3 && memcmp(buf + strlen(echo), "bye", 3) == 0)
			return;
		bool rekey = plen == 5 && memcmp(buf + strlen(echo), "rekey", 5) == 0;
		if (rekey && (r = noise_cipher_rekey(recv)) < 0)
			die(EXIT_REFUSED, "rekey", r);
		memcpy(buf, echo, strlen(echo));
		send_record(send, buf, strlen(echo) + plen);
		if (rekey && (r = noise_cipher_rekey(send)) < 0)
			die(EXIT_REFUSED, "rekey", r);
	}
}

int main(int argc, char **argv)
{
	struct noise_keypair s, e;
	struct noise_handshake hs;
	struct noise_cipher send, recv;
	uint8_t secret[NOISE_DHLEN], report[NOISE_HASHLEN + NOISE_DHLEN + 2 * 256];
	enum noise_role role;
	size_t report_len = 0, secret_len = 0;

	if (argc != 5 || strcmp(argv[1], "--role") != 0 || strcmp(argv[3], "--static") != 0) {
		fprintf(stderr, "usage: noise-peer --role initiator|responder --static HEX\n");
		return EXIT_USAGE;
	}
	if (strcmp(argv[2], "initiator") == 0)
		role = NOISE_ROLE_INITIATOR;
	else if (strcmp(argv[2], "responder") == 0)
		role = NOISE_ROLE_RESPONDER;
	else
		die(EXIT_USAGE, "--role", -EINVAL);
	if (sodium_init() < 0)
		die(EXIT_USAGE, "sodium_init", -ENOMEM);
	if (sodium_hex2bin(secret, sizeof(secret), argv[4], strlen(argv[4]), NULL, &secret_len,
	            NULL) != 0 ||
	        secret_len != sizeof(secret) || noise_keypair_from_secret(secret, &s) < 0)
		die(EXIT_USAGE, "--static", -EINVAL);
	/* The ephemeral key is the caller's to make: here, from libsodium's generator. */
	randombytes_buf(secret, sizeof(secret));
	if (noise_keypair_from_secret(secret, &e) < 0)
		die(EXIT_USAGE, "ephemeral key", -EINVAL);
	sodium_memzero(secret, sizeof(secret));

	if (noise_hs_init(&hs, role, "nexus-bus/1", strlen("nexus-bus/1"), &s, &e) < 0)
		die(EXIT_USAGE, "init", -EINVAL);
	noise_keypair_wipe(&s);
	noise_keypair_wipe(&e);
	handshake(&hs, &send, &recv, report, &report_len);
	send_record(&send, report, report_len);
	serve(&send, &recv);
	noise_cipher_wipe(&send);
	noise_cipher_wipe(&recv);
	return 0;
}
