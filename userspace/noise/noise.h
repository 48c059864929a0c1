/* SPDX-License-Identifier: MIT */
/*
 * Noise_XX_25519_ChaChaPoly_BLAKE2b, exactly as the Noise Protocol Framework rev 34 says:
 * CipherState (§5.1, rekey §11.3), SymmetricState (§5.2, HMAC-BLAKE2b with a 128-byte block
 * and HKDF §4.3), HandshakeState (§5.3) for the XX pattern (§7.5):
 *
 *     -> e
 *     <- e, ee, s, es
 *     -> s, se
 *
 * and Split, with the handshake hash kept for channel binding.
 *
 * Pure: libsodium's X25519, ChaCha20-Poly1305 (IETF) and BLAKE2b; no I/O, no randomness of
 * its own. The caller brings every key pair, the ephemeral one included (dsoftbusd draws it
 * from rngd, tests use fixed vectors). Call sodium_init() once before. All state is caller
 * allocated; secrets are wiped (sodium_memzero) by the _wipe functions, by Split and when a
 * handshake fails.
 *
 * Errors are negative errno values: -EINVAL a programmer error (NULL, bad role), -EPROTO a
 * call out of turn (write when it is the peer's turn, split before the end, use of a failed
 * handshake or a keyless cipher), -EBADMSG a message that is malformed or fails to decrypt,
 * -EMSGSIZE a message or payload that would pass NOISE_MSG_MAX, -ENOBUFS an output buffer
 * too small (nothing changed), -EOVERFLOW a cipher whose nonces are used up.
 */
#ifndef USERSPACE_NOISE_NOISE_H
#define USERSPACE_NOISE_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* NOISE_MSG_MAX */

#define NOISE_PROTOCOL_NAME "Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define NOISE_DHLEN         32u /* X25519 public key, secret key and shared secret */
#define NOISE_KEYLEN        32u /* ChaChaPoly key */
#define NOISE_TAGLEN        16u /* Poly1305 tag */
#define NOISE_HASHLEN       64u /* BLAKE2b-512: chaining key and handshake hash */

/* Bytes the XX handshake adds to each message's payload (ephemeral keys, encrypted static
 * keys, tags): msg1 "e", msg2 "e, ee, s, es" + payload tag, msg3 "s, se" + payload tag. */
#define NOISE_XX_MSG1_OVERHEAD NOISE_DHLEN
#define NOISE_XX_MSG2_OVERHEAD (2u * NOISE_DHLEN + 2u * NOISE_TAGLEN)
#define NOISE_XX_MSG3_OVERHEAD (NOISE_DHLEN + 2u * NOISE_TAGLEN)

/* Largest plaintext of one transport message. */
#define NOISE_PAYLOAD_MAX (NOISE_MSG_MAX - NOISE_TAGLEN)

enum noise_role {
	NOISE_ROLE_INITIATOR,
	NOISE_ROLE_RESPONDER,
};

/* An X25519 key pair. */
struct noise_keypair {
	uint8_t public_key[NOISE_DHLEN];
	uint8_t secret_key[NOISE_DHLEN];
};

/* Sets ret_kp to the pair of `secret` (borrowed; copied into ret_kp, which the caller wipes
 * with noise_keypair_wipe). 0, or -EINVAL for NULL or a secret whose public key would be the
 * all-zero point. */
int noise_keypair_from_secret(const uint8_t secret[NOISE_DHLEN], struct noise_keypair *ret_kp);

void noise_keypair_wipe(struct noise_keypair *kp);

/* A CipherState: key k and nonce n. Without a key it passes plaintext through (as during
 * the first handshake message); after Split both ciphers have keys. */
struct noise_cipher {
	uint8_t k[NOISE_KEYLEN];
	uint64_t n;
	bool has_key;
};

/* InitializeKey(k): k is copied, n = 0. k NULL = no key. */
void noise_cipher_init(struct noise_cipher *cs, const uint8_t k[NOISE_KEYLEN]);

/* EncryptWithAd: writes len + NOISE_TAGLEN bytes (len bytes without a key) of ciphertext to
 * out (size bytes; out may equal in) and *ret_len, then n += 1. ad may be NULL with ad_len 0.
 * -EOVERFLOW once n reached 2^64-1 (reserved, §5.1), -EMSGSIZE when the result would pass
 * NOISE_MSG_MAX, -ENOBUFS. Nothing changes on failure. */
int noise_cipher_encrypt(struct noise_cipher *cs, const void *ad, size_t ad_len, const void *in,
        size_t len, uint8_t *out, size_t size, size_t *ret_len);

/* DecryptWithAd: writes len - NOISE_TAGLEN bytes of plaintext to out (may equal in) and
 * *ret_len, then n += 1. -EBADMSG when the tag does not verify (a flipped bit, a replayed or
 * reordered message: the nonce is implicit) or len < NOISE_TAGLEN; n does not advance, and
 * the transport session should end. -EOVERFLOW, -EMSGSIZE (len > NOISE_MSG_MAX), -ENOBUFS as
 * for encrypt. */
int noise_cipher_decrypt(struct noise_cipher *cs, const void *ad, size_t ad_len, const void *in,
        size_t len, uint8_t *out, size_t size, size_t *ret_len);

/* Rekey (§11.3): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zero bytes); n unchanged.
 * Both sides rekey at the same point of their message streams. -EPROTO without a key. */
int noise_cipher_rekey(struct noise_cipher *cs);

void noise_cipher_wipe(struct noise_cipher *cs);

/* SymmetricState: chaining key, handshake hash and the cipher they key. */
struct noise_symmetric {
	uint8_t ck[NOISE_HASHLEN];
	uint8_t h[NOISE_HASHLEN];
	struct noise_cipher cipher;
};

/* What a handshake expects next. */
enum noise_hs_action {
	NOISE_HS_WRITE,  /* noise_hs_write the next message */
	NOISE_HS_READ,   /* noise_hs_read the peer's next message */
	NOISE_HS_SPLIT,  /* all three messages done: noise_hs_split */
	NOISE_HS_FAILED, /* a message was refused, or the handshake was split or wiped: its
	                  * secrets are gone and every call is -EPROTO */
};

/* HandshakeState for XX. */
struct noise_handshake {
	struct noise_symmetric ss;
	struct noise_keypair s; /* ours, static */
	struct noise_keypair e; /* ours, ephemeral */
	uint8_t rs[NOISE_DHLEN];
	uint8_t re[NOISE_DHLEN];
	enum noise_role role;
	unsigned step; /* messages done, 0..3 */
	bool live;     /* set by init; cleared by a refused message, split and wipe */
};

/* Initialize(XX, role, prologue, s, e): both key pairs are copied (the caller keeps and wipes
 * its own). prologue (may be NULL with length 0) is hashed in; both sides must give the same
 * bytes or the second message fails to decrypt. 0 or -EINVAL. */
int noise_hs_init(struct noise_handshake *hs, enum noise_role role, const void *prologue,
        size_t prologue_len, const struct noise_keypair *s, const struct noise_keypair *e);

enum noise_hs_action noise_hs_action(const struct noise_handshake *hs);

/* WriteMessage: the next handshake message carrying `payload` (len bytes, may be NULL with 0)
 * into out (size bytes) and *ret_len: payload + NOISE_XX_MSGn_OVERHEAD bytes. -EPROTO when it
 * is not our turn, -EMSGSIZE when the message would pass NOISE_MSG_MAX, -ENOBUFS; nothing
 * changes on those. -EBADMSG fails the handshake: the peer's ephemeral key from message 1 is
 * a low-order point (the responder finds out when it computes "ee" for message 2). */
int noise_hs_write(struct noise_handshake *hs, const void *payload, size_t len, uint8_t *out,
        size_t size, size_t *ret_len);

/* ReadMessage: the peer's next handshake message (msg, len bytes, borrowed); its payload goes
 * to `payload` (size bytes) and *ret_len. -EPROTO out of turn and -ENOBUFS (size below len -
 * overhead) change nothing; -EBADMSG (too short, fails to decrypt, a low-order key) and
 * -EMSGSIZE (len > NOISE_MSG_MAX) fail the handshake for good. The payload of message 1 is
 * not authenticated (nothing is keyed yet); message 2's is authenticated to the responder's
 * static key, which noise_hs_remote_static then returns. */
int noise_hs_read(struct noise_handshake *hs, const uint8_t *msg, size_t len, uint8_t *payload,
        size_t size, size_t *ret_len);

/* The peer's static public key, known to the initiator after reading message 2 and to the
 * responder after reading message 3: 0 with ret_rs set, -EPROTO before. */
int noise_hs_remote_static(const struct noise_handshake *hs, uint8_t ret_rs[NOISE_DHLEN]);

/* The handshake hash h so far; after the last message it is the channel binding value (the
 * same on both sides). */
void noise_hs_hash(const struct noise_handshake *hs, uint8_t ret_hash[NOISE_HASHLEN]);

/* Split, once all three messages are done: ret_send is the cipher this side encrypts with and
 * ret_recv the one it decrypts with, whatever its role: the role is applied here (Split's c1
 * goes to the initiator's ret_send and the responder's ret_recv, c2 the other way), so callers
 * never swap them. ret_hash (may be NULL) gets the handshake hash. Then the handshake is
 * wiped. -EPROTO before the end. */
int noise_hs_split(struct noise_handshake *hs, struct noise_cipher *ret_send,
        struct noise_cipher *ret_recv, uint8_t ret_hash[NOISE_HASHLEN]);

void noise_hs_wipe(struct noise_handshake *hs);

#endif
