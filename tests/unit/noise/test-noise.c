/* SPDX-License-Identifier: MIT */
/* userspace/noise: the published XX vectors byte for byte, then everything a hostile or buggy
 * peer or caller can do to a handshake and a transport cipher. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fdcheck.h"
#include "noise/noise.h"
#include "vectors.h"

FDCHECK_GROUP("noise tests")

#define PROLOGUE     "nexus-bus/1"
#define PROLOGUE_LEN (sizeof(PROLOGUE) - 1)

/* Decodes the hex string into buf; returns its length in bytes. */
static size_t unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	assert_int_equal(sodium_hex2bin(buf, cap, hex, strlen(hex), NULL, &len, NULL), 0);
	return len;
}

static void keypair(const char *hex, struct noise_keypair *ret_kp)
{
	uint8_t secret[NOISE_DHLEN];

	assert_int_equal(unhex(hex, secret, sizeof(secret)), NOISE_DHLEN);
	assert_int_equal(noise_keypair_from_secret(secret, ret_kp), 0);
}

static void keypair_seeded(uint8_t seed, struct noise_keypair *ret_kp)
{
	uint8_t secret[NOISE_DHLEN];

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(seed + 31 * i);
	assert_int_equal(noise_keypair_from_secret(secret, ret_kp), 0);
}

/* A pair of handshakes, initiator and responder, with fixed keys. */
struct pair {
	struct noise_handshake init, resp;
	struct noise_keypair init_s, resp_s;
};

static void pair_init(struct pair *p, const char *init_prologue, const char *resp_prologue)
{
	struct noise_keypair ie, re;

	keypair_seeded(1, &p->init_s);
	keypair_seeded(2, &ie);
	keypair_seeded(3, &p->resp_s);
	keypair_seeded(4, &re);
	assert_int_equal(noise_hs_init(&p->init, NOISE_ROLE_INITIATOR, init_prologue,
	                         strlen(init_prologue), &p->init_s, &ie),
	        0);
	assert_int_equal(noise_hs_init(&p->resp, NOISE_ROLE_RESPONDER, resp_prologue,
	                         strlen(resp_prologue), &p->resp_s, &re),
	        0);
}

/* Writes the next message on `from` with payload "m<step>" into msg. */
static size_t pair_write(struct noise_handshake *from, uint8_t *msg, size_t cap)
{
	char payload[] = "m0";
	size_t len = 0;

	payload[1] = (char)('0' + from->step);
	assert_int_equal(noise_hs_write(from, payload, 2, msg, cap, &len), 0);
	return len;
}

static void pair_deliver(struct noise_handshake *from, struct noise_handshake *to)
{
	uint8_t msg[256], payload[256];
	size_t len = pair_write(from, msg, sizeof(msg)), plen = 0;

	assert_int_equal(noise_hs_read(to, msg, len, payload, sizeof(payload), &plen), 0);
	assert_int_equal(plen, 2);
}

/* Runs the whole handshake and splits both sides. */
static void pair_connect(struct pair *p, struct noise_cipher *init_send,
        struct noise_cipher *init_recv, struct noise_cipher *resp_send,
        struct noise_cipher *resp_recv)
{
	uint8_t ih[NOISE_HASHLEN], rh[NOISE_HASHLEN];

	pair_init(p, PROLOGUE, PROLOGUE);
	pair_deliver(&p->init, &p->resp);
	pair_deliver(&p->resp, &p->init);
	pair_deliver(&p->init, &p->resp);
	assert_int_equal(noise_hs_split(&p->init, init_send, init_recv, ih), 0);
	assert_int_equal(noise_hs_split(&p->resp, resp_send, resp_recv, rh), 0);
	assert_memory_equal(ih, rh, NOISE_HASHLEN);
}

/* Sends `text` from one cipher to the other and checks it arrives. */
static void transport_ok(struct noise_cipher *send, struct noise_cipher *recv, const char *text)
{
	uint8_t ct[128], pt[128];
	size_t clen = 0, plen = 0;

	assert_int_equal(
	        noise_cipher_encrypt(send, NULL, 0, text, strlen(text), ct, sizeof(ct), &clen), 0);
	assert_int_equal(clen, strlen(text) + NOISE_TAGLEN);
	assert_int_equal(noise_cipher_decrypt(recv, NULL, 0, ct, clen, pt, sizeof(pt), &plen), 0);
	assert_int_equal(plen, strlen(text));
	assert_memory_equal(pt, text, plen);
}

/* ---- The published vectors ---- */

static void replay_vector(const struct vector *v)
{
	struct noise_keypair is, ie, rs, re;
	struct noise_handshake init, resp;
	struct noise_cipher send[2], recv[2]; /* [0] initiator, [1] responder */
	uint8_t prologue[128], want[512], payload[512], out[512], got[512];
	uint8_t hash[2][NOISE_HASHLEN], rstatic[NOISE_DHLEN];
	size_t prologue_len = unhex(v->prologue, prologue, sizeof(prologue));

	keypair(v->init_static, &is);
	keypair(v->init_ephemeral, &ie);
	keypair(v->resp_static, &rs);
	keypair(v->resp_ephemeral, &re);
	assert_int_equal(
	        noise_hs_init(&init, NOISE_ROLE_INITIATOR, prologue, prologue_len, &is, &ie), 0);
	assert_int_equal(
	        noise_hs_init(&resp, NOISE_ROLE_RESPONDER, prologue, prologue_len, &rs, &re), 0);

	for (unsigned i = 0; i < v->n_messages; i++) {
		/* Even messages go initiator -> responder, odd ones back. */
		unsigned from = i % 2, to = 1 - from;
		struct noise_handshake *writer = from == 0 ? &init : &resp;
		struct noise_handshake *reader = from == 0 ? &resp : &init;
		size_t plen = unhex(v->messages[i].payload, payload, sizeof(payload));
		size_t wlen = unhex(v->messages[i].ciphertext, want, sizeof(want));
		size_t olen = 0, glen = 0;

		if (i < 3) {
			assert_int_equal(noise_hs_action(writer), NOISE_HS_WRITE);
			assert_int_equal(noise_hs_action(reader), NOISE_HS_READ);
			assert_int_equal(
			        noise_hs_write(writer, payload, plen, out, sizeof(out), &olen), 0);
			assert_int_equal(
			        noise_hs_read(reader, out, olen, got, sizeof(got), &glen), 0);
		} else {
			assert_int_equal(noise_cipher_encrypt(&send[from], NULL, 0, payload, plen,
			                         out, sizeof(out), &olen),
			        0);
			assert_int_equal(noise_cipher_decrypt(&recv[to], NULL, 0, out, olen, got,
			                         sizeof(got), &glen),
			        0);
		}
		assert_int_equal(olen, wlen);
		assert_memory_equal(out, want, wlen);
		assert_int_equal(glen, plen);
		assert_memory_equal(got, payload, plen);

		if (i == 2) {
			/* Each side learnt the other's static key, authenticated. */
			assert_int_equal(noise_hs_remote_static(&init, rstatic), 0);
			assert_memory_equal(rstatic, rs.public_key, NOISE_DHLEN);
			assert_int_equal(noise_hs_remote_static(&resp, rstatic), 0);
			assert_memory_equal(rstatic, is.public_key, NOISE_DHLEN);
			assert_int_equal(noise_hs_action(&init), NOISE_HS_SPLIT);
			assert_int_equal(noise_hs_split(&init, &send[0], &recv[0], hash[0]), 0);
			assert_int_equal(noise_hs_split(&resp, &send[1], &recv[1], hash[1]), 0);
			assert_memory_equal(hash[0], hash[1], NOISE_HASHLEN);
			if (v->handshake_hash) {
				assert_int_equal(unhex(v->handshake_hash, want, sizeof(want)),
				        NOISE_HASHLEN);
				assert_memory_equal(hash[0], want, NOISE_HASHLEN);
			}
			/* Split wiped the handshakes: nothing more comes out of them. */
			assert_int_equal(noise_hs_action(&init), NOISE_HS_FAILED);
			assert_int_equal(
			        noise_hs_write(&init, NULL, 0, out, sizeof(out), &olen), -EPROTO);
		}
	}
	for (unsigned i = 0; i < 2; i++) {
		noise_cipher_wipe(&send[i]);
		noise_cipher_wipe(&recv[i]);
	}
}

static void vectors_replay_byte_for_byte(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		print_message("vector %s\n", vectors[i].source);
		replay_vector(&vectors[i]);
	}
}

/* ---- Handshake misuse and hostile messages ---- */

static void calls_out_of_turn_are_refused(void **state)
{
	struct pair p;
	uint8_t msg[256], payload[256], rs[NOISE_DHLEN];
	struct noise_cipher a, b;
	size_t len = 0;

	(void)state;
	pair_init(&p, PROLOGUE, PROLOGUE);
	/* The responder speaks second, the initiator cannot read first. */
	assert_int_equal(noise_hs_write(&p.resp, NULL, 0, msg, sizeof(msg), &len), -EPROTO);
	assert_int_equal(noise_hs_read(&p.init, msg, 32, payload, sizeof(payload), &len), -EPROTO);
	assert_int_equal(noise_hs_split(&p.init, &a, &b, NULL), -EPROTO);
	assert_int_equal(noise_hs_remote_static(&p.init, rs), -EPROTO);
	/* A refused call changed nothing: the handshake still completes. */
	pair_deliver(&p.init, &p.resp);
	assert_int_equal(noise_hs_write(&p.init, NULL, 0, msg, sizeof(msg), &len), -EPROTO);
	assert_int_equal(noise_hs_remote_static(&p.resp, rs), -EPROTO);
	pair_deliver(&p.resp, &p.init);
	assert_int_equal(noise_hs_remote_static(&p.init, rs), 0);
	assert_memory_equal(rs, p.resp_s.public_key, NOISE_DHLEN);
	assert_int_equal(noise_hs_remote_static(&p.resp, rs), -EPROTO);
	assert_int_equal(noise_hs_split(&p.init, &a, &b, NULL), -EPROTO);
	pair_deliver(&p.init, &p.resp);
	assert_int_equal(noise_hs_write(&p.init, NULL, 0, msg, sizeof(msg), &len), -EPROTO);
	assert_int_equal(noise_hs_read(&p.resp, msg, 64, payload, sizeof(payload), &len), -EPROTO);
	assert_int_equal(noise_hs_split(&p.resp, &a, &b, NULL), 0);
	assert_int_equal(noise_hs_init(&p.init, 7, NULL, 0, &p.init_s, &p.init_s), -EINVAL);
	noise_hs_wipe(&p.init);
	noise_cipher_wipe(&a);
	noise_cipher_wipe(&b);
}

/* Every message cut short at every length is refused and ends the handshake, except a first
 * message cut inside its payload: nothing authenticates message 1 yet, so the cut shows at
 * message 2, which the initiator then refuses. */
static void truncated_messages_are_refused(void **state)
{
	uint8_t msg[256], payload[256];
	size_t len, plen = 0;

	(void)state;
	for (unsigned step = 0; step < 3; step++) {
		struct pair p;

		pair_init(&p, PROLOGUE, PROLOGUE);
		for (unsigned s = 0; s < step; s++)
			pair_deliver(
			        s % 2 == 0 ? &p.init : &p.resp, s % 2 == 0 ? &p.resp : &p.init);
		len = pair_write(step % 2 == 0 ? &p.init : &p.resp, msg, sizeof(msg));
		for (size_t cut = 0; cut < len; cut++) {
			struct noise_handshake reader = step % 2 == 0 ? p.resp : p.init;
			int r = noise_hs_read(&reader, msg, cut, payload, sizeof(payload), &plen);

			if (step == 0 && cut >= NOISE_XX_MSG1_OVERHEAD) {
				struct noise_handshake init = p.init;
				uint8_t m2[256];
				size_t m2len;

				assert_int_equal(r, 0);
				m2len = pair_write(&reader, m2, sizeof(m2));
				assert_int_equal(noise_hs_read(&init, m2, m2len, payload,
				                         sizeof(payload), &plen),
				        -EBADMSG);
				assert_int_equal(noise_hs_action(&init), NOISE_HS_FAILED);
				noise_hs_wipe(&reader);
				continue;
			}
			assert_int_equal(r, -EBADMSG);
			assert_int_equal(noise_hs_action(&reader), NOISE_HS_FAILED);
			/* A failed handshake takes nothing more, not even the right message. */
			assert_int_equal(
			        noise_hs_read(&reader, msg, len, payload, sizeof(payload), &plen),
			        -EPROTO);
		}
		noise_hs_wipe(&p.init);
		noise_hs_wipe(&p.resp);
	}
}

static void flipped_bits_are_refused(void **state)
{
	uint8_t msg[256], payload[256];
	size_t len, plen = 0;

	(void)state;
	/* Message 1 is not authenticated; messages 2 and 3 are, in every byte. */
	for (unsigned step = 1; step < 3; step++) {
		struct pair p;

		pair_init(&p, PROLOGUE, PROLOGUE);
		for (unsigned s = 0; s < step; s++)
			pair_deliver(
			        s % 2 == 0 ? &p.init : &p.resp, s % 2 == 0 ? &p.resp : &p.init);
		len = pair_write(step % 2 == 0 ? &p.init : &p.resp, msg, sizeof(msg));
		for (size_t i = 0; i < len; i++) {
			struct noise_handshake reader = step % 2 == 0 ? p.resp : p.init;

			msg[i] ^= 0x20;
			assert_int_equal(
			        noise_hs_read(&reader, msg, len, payload, sizeof(payload), &plen),
			        -EBADMSG);
			msg[i] ^= 0x20;
		}
		noise_hs_wipe(&p.init);
		noise_hs_wipe(&p.resp);
	}
}

static void different_prologues_do_not_meet(void **state)
{
	struct pair p;
	uint8_t msg[256], payload[256];
	size_t len, plen = 0;

	(void)state;
	pair_init(&p, "nexus-bus/1", "nexus-bus/2");
	pair_deliver(&p.init, &p.resp);
	len = pair_write(&p.resp, msg, sizeof(msg));
	assert_int_equal(
	        noise_hs_read(&p.init, msg, len, payload, sizeof(payload), &plen), -EBADMSG);
	noise_hs_wipe(&p.resp);
}

/* An all-zero ephemeral key (a low-order point) contributes nothing secret: the responder
 * refuses to go on with it. */
static void low_order_keys_are_refused(void **state)
{
	struct pair p;
	uint8_t msg[256], payload[256];
	size_t len, plen = 0;

	(void)state;
	pair_init(&p, PROLOGUE, PROLOGUE);
	len = pair_write(&p.init, msg, sizeof(msg));
	memset(msg, 0, NOISE_DHLEN);
	assert_int_equal(noise_hs_read(&p.resp, msg, len, payload, sizeof(payload), &plen), 0);
	assert_int_equal(noise_hs_write(&p.resp, NULL, 0, msg, sizeof(msg), &len), -EBADMSG);
	assert_int_equal(noise_hs_action(&p.resp), NOISE_HS_FAILED);
	noise_hs_wipe(&p.init);
}

static void handshake_sizes_are_bounded(void **state)
{
	struct pair p;
	uint8_t *big = calloc(1, NOISE_MSG_MAX + 1), *msg = calloc(1, NOISE_MSG_MAX + 1);
	uint8_t small[NOISE_XX_MSG1_OVERHEAD + 1], payload[256];
	size_t len = 0, plen = 0;

	(void)state;
	assert_non_null(big);
	assert_non_null(msg);
	pair_init(&p, PROLOGUE, PROLOGUE);
	/* Too small an output buffer, too big a payload: refused, nothing changed. */
	assert_int_equal(noise_hs_write(&p.init, "xy", 2, small, sizeof(small), &len), -ENOBUFS);
	assert_int_equal(noise_hs_write(&p.init, big, NOISE_MSG_MAX - NOISE_XX_MSG1_OVERHEAD + 1,
	                         msg, NOISE_MSG_MAX + 1, &len),
	        -EMSGSIZE);
	assert_int_equal(noise_hs_write(&p.init, big, NOISE_MSG_MAX - NOISE_XX_MSG1_OVERHEAD, msg,
	                         NOISE_MSG_MAX + 1, &len),
	        0);
	assert_int_equal(len, NOISE_MSG_MAX);
	assert_int_equal(
	        noise_hs_read(&p.resp, msg, len, payload, sizeof(payload), &plen), -ENOBUFS);
	assert_int_equal(noise_hs_action(&p.resp), NOISE_HS_READ);
	/* A message over the limit ends the handshake. */
	assert_int_equal(
	        noise_hs_read(&p.resp, msg, NOISE_MSG_MAX + 1, big, NOISE_MSG_MAX + 1, &plen),
	        -EMSGSIZE);
	assert_int_equal(noise_hs_action(&p.resp), NOISE_HS_FAILED);
	noise_hs_wipe(&p.init);
	free(big);
	free(msg);
}

/* No payload at all (NULL, 0) in every message, and an empty record: dsoftbusd's message 1. */
static void empty_payloads_pass(void **state)
{
	struct pair p;
	struct noise_handshake *side[2];
	struct noise_cipher send[2], recv[2];
	uint8_t msg[128];
	size_t len = 0, plen = 0;

	(void)state;
	pair_init(&p, PROLOGUE, PROLOGUE);
	side[0] = &p.init;
	side[1] = &p.resp;
	for (unsigned step = 0; step < 3; step++) {
		assert_int_equal(
		        noise_hs_write(side[step % 2], NULL, 0, msg, sizeof(msg), &len), 0);
		assert_int_equal(noise_hs_read(side[1 - step % 2], msg, len, NULL, 0, &plen), 0);
		assert_int_equal(plen, 0);
	}
	assert_int_equal(noise_hs_split(&p.init, &send[0], &recv[0], NULL), 0);
	assert_int_equal(noise_hs_split(&p.resp, &send[1], &recv[1], NULL), 0);
	assert_int_equal(
	        noise_cipher_encrypt(&send[0], NULL, 0, NULL, 0, msg, sizeof(msg), &len), 0);
	assert_int_equal(len, NOISE_TAGLEN);
	assert_int_equal(noise_cipher_decrypt(&recv[1], NULL, 0, msg, len, NULL, 0, &plen), 0);
	assert_int_equal(plen, 0);
	for (unsigned i = 0; i < 2; i++) {
		noise_cipher_wipe(&send[i]);
		noise_cipher_wipe(&recv[i]);
	}
}

/* ---- Transport ---- */

static void transport_goes_both_ways(void **state)
{
	struct pair p;
	struct noise_cipher is, ir, rs, rr;

	(void)state;
	pair_connect(&p, &is, &ir, &rs, &rr);
	for (int i = 0; i < 4; i++) {
		transport_ok(&is, &rr, "to the responder");
		transport_ok(&rs, &ir, "to the initiator");
	}
	assert_int_equal(is.n, 4);
	assert_int_equal(rr.n, 4);
	noise_cipher_wipe(&is);
	noise_cipher_wipe(&ir);
	noise_cipher_wipe(&rs);
	noise_cipher_wipe(&rr);
}

static void reordered_and_replayed_records_are_refused(void **state)
{
	struct pair p;
	struct noise_cipher is, ir, rs, rr;
	uint8_t c1[64], c2[64], pt[64];
	size_t l1 = 0, l2 = 0, plen = 0;

	(void)state;
	pair_connect(&p, &is, &ir, &rs, &rr);
	assert_int_equal(noise_cipher_encrypt(&is, NULL, 0, "one", 3, c1, sizeof(c1), &l1), 0);
	assert_int_equal(noise_cipher_encrypt(&is, NULL, 0, "two", 3, c2, sizeof(c2), &l2), 0);
	/* The second record first: its nonce is not the one expected. */
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, c2, l2, pt, sizeof(pt), &plen), -EBADMSG);
	assert_int_equal(rr.n, 0);
	assert_int_equal(noise_cipher_decrypt(&rr, NULL, 0, c1, l1, pt, sizeof(pt), &plen), 0);
	/* The first again: a replay. */
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, c1, l1, pt, sizeof(pt), &plen), -EBADMSG);
	assert_int_equal(noise_cipher_decrypt(&rr, NULL, 0, c2, l2, pt, sizeof(pt), &plen), 0);
	assert_memory_equal(pt, "two", 3);
	/* A record of one direction does not decrypt in the other. */
	assert_int_equal(noise_cipher_encrypt(&is, NULL, 0, "three", 5, c1, sizeof(c1), &l1), 0);
	assert_int_equal(
	        noise_cipher_decrypt(&ir, NULL, 0, c1, l1, pt, sizeof(pt), &plen), -EBADMSG);
	/* Shorter than a tag, a flipped bit, other associated data. */
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, c1, NOISE_TAGLEN - 1, pt, sizeof(pt), &plen),
	        -EBADMSG);
	c1[0] ^= 1;
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, c1, l1, pt, sizeof(pt), &plen), -EBADMSG);
	c1[0] ^= 1;
	assert_int_equal(
	        noise_cipher_decrypt(&rr, "ad", 2, c1, l1, pt, sizeof(pt), &plen), -EBADMSG);
	assert_int_equal(noise_cipher_decrypt(&rr, NULL, 0, c1, l1, pt, sizeof(pt), &plen), 0);
	noise_cipher_wipe(&is);
	noise_cipher_wipe(&ir);
	noise_cipher_wipe(&rs);
	noise_cipher_wipe(&rr);
}

static void rekey_changes_the_key_on_both_sides(void **state)
{
	struct pair p;
	struct noise_cipher is, ir, rs, rr, stale;
	uint8_t old[NOISE_KEYLEN], ct[64], pt[64];
	size_t clen = 0, plen = 0;

	(void)state;
	pair_connect(&p, &is, &ir, &rs, &rr);
	transport_ok(&is, &rr, "before");
	memcpy(old, is.k, sizeof(old));
	assert_int_equal(noise_cipher_rekey(&is), 0);
	assert_memory_not_equal(old, is.k, sizeof(old));
	assert_int_equal(is.n, 1); /* rekey keeps n */
	/* The receiver has not rekeyed yet: the record does not decrypt. */
	stale = rr;
	assert_int_equal(noise_cipher_encrypt(&is, NULL, 0, "after", 5, ct, sizeof(ct), &clen), 0);
	assert_int_equal(
	        noise_cipher_decrypt(&stale, NULL, 0, ct, clen, pt, sizeof(pt), &plen), -EBADMSG);
	assert_int_equal(noise_cipher_rekey(&rr), 0);
	assert_int_equal(noise_cipher_decrypt(&rr, NULL, 0, ct, clen, pt, sizeof(pt), &plen), 0);
	assert_memory_equal(pt, "after", 5);
	/* The other direction is untouched. */
	transport_ok(&rs, &ir, "back");
	noise_cipher_init(&stale, NULL);
	assert_int_equal(noise_cipher_rekey(&stale), -EPROTO);
	noise_cipher_wipe(&is);
	noise_cipher_wipe(&ir);
	noise_cipher_wipe(&rs);
	noise_cipher_wipe(&rr);
}

static void exhausted_nonces_are_refused(void **state)
{
	struct pair p;
	struct noise_cipher is, ir, rs, rr;
	uint8_t ct[64] = {0}, pt[64];
	size_t clen = 0, plen = 0;

	(void)state;
	pair_connect(&p, &is, &ir, &rs, &rr);
	/* n = 2^64-2 is the last nonce; 2^64-1 is reserved for rekey. */
	is.n = UINT64_MAX - 1;
	rr.n = UINT64_MAX - 1;
	transport_ok(&is, &rr, "last");
	assert_int_equal(is.n, UINT64_MAX);
	assert_int_equal(
	        noise_cipher_encrypt(&is, NULL, 0, "x", 1, ct, sizeof(ct), &clen), -EOVERFLOW);
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, ct, 17, pt, sizeof(pt), &plen), -EOVERFLOW);
	/* Rekey does not reset n: the session is over. */
	assert_int_equal(noise_cipher_rekey(&is), 0);
	assert_int_equal(
	        noise_cipher_encrypt(&is, NULL, 0, "x", 1, ct, sizeof(ct), &clen), -EOVERFLOW);
	noise_cipher_wipe(&is);
	noise_cipher_wipe(&ir);
	noise_cipher_wipe(&rs);
	noise_cipher_wipe(&rr);
}

static void transport_sizes_are_bounded(void **state)
{
	struct pair p;
	struct noise_cipher is, ir, rs, rr;
	uint8_t *buf = calloc(1, NOISE_MSG_MAX + 1);
	size_t len = 0;

	(void)state;
	assert_non_null(buf);
	pair_connect(&p, &is, &ir, &rs, &rr);
	assert_int_equal(noise_cipher_encrypt(&is, NULL, 0, buf, NOISE_PAYLOAD_MAX + 1, buf,
	                         NOISE_MSG_MAX + 1, &len),
	        -EMSGSIZE);
	assert_int_equal(noise_cipher_encrypt(&is, NULL, 0, buf, NOISE_PAYLOAD_MAX, buf,
	                         NOISE_MSG_MAX - 1, &len),
	        -ENOBUFS);
	assert_int_equal(is.n, 0);
	/* In place, the largest record. */
	assert_int_equal(noise_cipher_encrypt(
	                         &is, NULL, 0, buf, NOISE_PAYLOAD_MAX, buf, NOISE_MSG_MAX, &len),
	        0);
	assert_int_equal(len, NOISE_MSG_MAX);
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, buf, len, buf, NOISE_PAYLOAD_MAX - 1, &len),
	        -ENOBUFS);
	assert_int_equal(noise_cipher_decrypt(&rr, NULL, 0, buf, NOISE_MSG_MAX + 1, buf,
	                         NOISE_MSG_MAX + 1, &len),
	        -EMSGSIZE);
	assert_int_equal(
	        noise_cipher_decrypt(&rr, NULL, 0, buf, NOISE_MSG_MAX, buf, NOISE_MSG_MAX, &len),
	        0);
	assert_int_equal(len, NOISE_PAYLOAD_MAX);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[i], 0);
	free(buf);
	noise_cipher_wipe(&is);
	noise_cipher_wipe(&ir);
	noise_cipher_wipe(&rs);
	noise_cipher_wipe(&rr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(vectors_replay_byte_for_byte),
	        cmocka_unit_test(calls_out_of_turn_are_refused),
	        cmocka_unit_test(truncated_messages_are_refused),
	        cmocka_unit_test(flipped_bits_are_refused),
	        cmocka_unit_test(different_prologues_do_not_meet),
	        cmocka_unit_test(low_order_keys_are_refused),
	        cmocka_unit_test(handshake_sizes_are_bounded),
	        cmocka_unit_test(empty_payloads_pass),
	        cmocka_unit_test(transport_goes_both_ways),
	        cmocka_unit_test(reordered_and_replayed_records_are_refused),
	        cmocka_unit_test(rekey_changes_the_key_on_both_sides),
	        cmocka_unit_test(exhausted_nonces_are_refused),
	        cmocka_unit_test(transport_sizes_are_bounded),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
