/* SPDX-License-Identifier: MIT */
/* Noise HandshakeState (rev 34 §5.3) for XX (§7.5) with X25519 (§12.1). */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "nx-util/macro.h"
#include "symmetric.h"

_Static_assert(NOISE_DHLEN == crypto_scalarmult_BYTES, "X25519");
_Static_assert(NOISE_DHLEN == crypto_scalarmult_SCALARBYTES, "X25519 secret");

/* The three messages' overhead over their payload, by step. */
static const size_t msg_overhead[3] = {
        NOISE_XX_MSG1_OVERHEAD,
        NOISE_XX_MSG2_OVERHEAD,
        NOISE_XX_MSG3_OVERHEAD,
};

int noise_keypair_from_secret(const uint8_t secret[NOISE_DHLEN], struct noise_keypair *ret_kp)
{
	struct noise_keypair kp;

	assert_return(secret && ret_kp, -EINVAL);
	memcpy(kp.secret_key, secret, NOISE_DHLEN);
	if (crypto_scalarmult_base(kp.public_key, kp.secret_key) != 0) {
		noise_keypair_wipe(&kp);
		return -EINVAL;
	}
	*ret_kp = kp;
	noise_keypair_wipe(&kp);
	return 0;
}

void noise_keypair_wipe(struct noise_keypair *kp)
{
	if (kp)
		sodium_memzero(kp, sizeof(*kp));
}

int noise_hs_init(struct noise_handshake *hs, enum noise_role role, const void *prologue,
        size_t prologue_len, const struct noise_keypair *s, const struct noise_keypair *e)
{
	assert_return(hs && s && e && (prologue || prologue_len == 0), -EINVAL);
	assert_return(role == NOISE_ROLE_INITIATOR || role == NOISE_ROLE_RESPONDER, -EINVAL);
	noise_hs_wipe(hs);
	noise_ss_init(&hs->ss, NOISE_PROTOCOL_NAME);
	noise_ss_mix_hash(&hs->ss, prologue, prologue_len);
	hs->s = *s;
	hs->e = *e;
	hs->role = role;
	hs->live = true;
	return 0;
}

void noise_hs_wipe(struct noise_handshake *hs)
{
	if (hs)
		sodium_memzero(hs, sizeof(*hs));
}

static bool our_turn(const struct noise_handshake *hs)
{
	/* The initiator writes messages 1 and 3, the responder message 2. */
	return (hs->step % 2 == 0) == (hs->role == NOISE_ROLE_INITIATOR);
}

enum noise_hs_action noise_hs_action(const struct noise_handshake *hs)
{
	if (!hs->live)
		return NOISE_HS_FAILED;
	if (hs->step == 3)
		return NOISE_HS_SPLIT;
	return our_turn(hs) ? NOISE_HS_WRITE : NOISE_HS_READ;
}

/* A refused message ends the handshake: nothing of it may be used again. */
static int fail(struct noise_handshake *hs, int r)
{
	noise_hs_wipe(hs);
	return r;
}

/* MixKey(DH(secret, public)). X25519 with a low-order public key gives the all-zero secret,
 * which libsodium refuses; we refuse the message (§12.1 allows either), since such a key
 * contributes nothing the attacker does not know. */
static int mix_dh(struct noise_handshake *hs, const struct noise_keypair *ours,
        const uint8_t theirs[NOISE_DHLEN])
{
	uint8_t shared[NOISE_DHLEN];

	if (crypto_scalarmult(shared, ours->secret_key, theirs) != 0)
		return -EBADMSG;
	noise_ss_mix_key(&hs->ss, shared);
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

int noise_hs_write(struct noise_handshake *hs, const void *payload, size_t len, uint8_t *out,
        size_t size, size_t *ret_len)
{
	size_t pos = 0, n = 0;
	int r;

	assert_return(hs && out && ret_len && (payload || len == 0), -EINVAL);
	if (noise_hs_action(hs) != NOISE_HS_WRITE)
		return -EPROTO;
	if (len > NOISE_MSG_MAX - msg_overhead[hs->step])
		return -EMSGSIZE;
	if (size < len + msg_overhead[hs->step])
		return -ENOBUFS;

	/* msg1 "e" and msg2 "e": our ephemeral, in clear. */
	if (hs->step < 2) {
		memcpy(out, hs->e.public_key, NOISE_DHLEN);
		noise_ss_mix_hash(&hs->ss, hs->e.public_key, NOISE_DHLEN);
		pos = NOISE_DHLEN;
	}
	if (hs->step == 1) {
		/* "ee", "s", "es" (responder: DH(s, re)). */
		r = mix_dh(hs, &hs->e, hs->re);
		if (r < 0)
			return fail(hs, r);
		r = noise_ss_encrypt_and_hash(
		        &hs->ss, hs->s.public_key, NOISE_DHLEN, out + pos, size - pos, &n);
		if (r < 0)
			return fail(hs, r);
		pos += n;
		r = mix_dh(hs, &hs->s, hs->re);
		if (r < 0)
			return fail(hs, r);
	} else if (hs->step == 2) {
		/* "s", "se" (initiator: DH(s, re)). */
		r = noise_ss_encrypt_and_hash(
		        &hs->ss, hs->s.public_key, NOISE_DHLEN, out + pos, size - pos, &n);
		if (r < 0)
			return fail(hs, r);
		pos += n;
		r = mix_dh(hs, &hs->s, hs->re);
		if (r < 0)
			return fail(hs, r);
	}
	r = noise_ss_encrypt_and_hash(&hs->ss, payload, len, out + pos, size - pos, &n);
	if (r < 0)
		return fail(hs, r);
	hs->step++;
	*ret_len = pos + n;
	return 0;
}

int noise_hs_read(struct noise_handshake *hs, const uint8_t *msg, size_t len, uint8_t *payload,
        size_t size, size_t *ret_len)
{
	size_t pos = 0, n = 0;
	uint8_t rs[NOISE_DHLEN];
	int r;

	assert_return(hs && (msg || len == 0) && (payload || size == 0) && ret_len, -EINVAL);
	if (noise_hs_action(hs) != NOISE_HS_READ)
		return -EPROTO;
	if (len > NOISE_MSG_MAX)
		return fail(hs, -EMSGSIZE);
	if (len < msg_overhead[hs->step])
		return fail(hs, -EBADMSG);
	if (size < len - msg_overhead[hs->step])
		return -ENOBUFS;

	if (hs->step < 2) {
		memcpy(hs->re, msg, NOISE_DHLEN);
		noise_ss_mix_hash(&hs->ss, hs->re, NOISE_DHLEN);
		pos = NOISE_DHLEN;
	}
	if (hs->step == 1) {
		/* "ee", "s", "es" (initiator: DH(e, rs)). */
		r = mix_dh(hs, &hs->e, hs->re);
		if (r < 0)
			return fail(hs, r);
		r = noise_ss_decrypt_and_hash(
		        &hs->ss, msg + pos, NOISE_DHLEN + NOISE_TAGLEN, rs, sizeof(rs), &n);
		if (r < 0)
			return fail(hs, r);
		pos += NOISE_DHLEN + NOISE_TAGLEN;
		memcpy(hs->rs, rs, NOISE_DHLEN);
		r = mix_dh(hs, &hs->e, hs->rs);
		if (r < 0)
			return fail(hs, r);
	} else if (hs->step == 2) {
		/* "s", "se" (responder: DH(e, rs)). */
		r = noise_ss_decrypt_and_hash(
		        &hs->ss, msg + pos, NOISE_DHLEN + NOISE_TAGLEN, rs, sizeof(rs), &n);
		if (r < 0)
			return fail(hs, r);
		pos += NOISE_DHLEN + NOISE_TAGLEN;
		memcpy(hs->rs, rs, NOISE_DHLEN);
		r = mix_dh(hs, &hs->e, hs->rs);
		if (r < 0)
			return fail(hs, r);
	}
	r = noise_ss_decrypt_and_hash(&hs->ss, msg + pos, len - pos, payload, size, &n);
	if (r < 0)
		return fail(hs, r);
	hs->step++;
	*ret_len = n;
	return 0;
}

int noise_hs_remote_static(const struct noise_handshake *hs, uint8_t ret_rs[NOISE_DHLEN])
{
	assert_return(hs && ret_rs, -EINVAL);
	/* The initiator learns it from message 2 (step 2), the responder from message 3. */
	if (!hs->live || hs->step < (hs->role == NOISE_ROLE_INITIATOR ? 2u : 3u))
		return -EPROTO;
	memcpy(ret_rs, hs->rs, NOISE_DHLEN);
	return 0;
}

void noise_hs_hash(const struct noise_handshake *hs, uint8_t ret_hash[NOISE_HASHLEN])
{
	memcpy(ret_hash, hs->ss.h, NOISE_HASHLEN);
}

int noise_hs_split(struct noise_handshake *hs, struct noise_cipher *ret_send,
        struct noise_cipher *ret_recv, uint8_t ret_hash[NOISE_HASHLEN])
{
	struct noise_cipher c1, c2;

	assert_return(hs && ret_send && ret_recv, -EINVAL);
	if (noise_hs_action(hs) != NOISE_HS_SPLIT)
		return -EPROTO;
	noise_ss_split(&hs->ss, &c1, &c2);
	if (ret_hash)
		noise_hs_hash(hs, ret_hash);
	*ret_send = hs->role == NOISE_ROLE_INITIATOR ? c1 : c2;
	*ret_recv = hs->role == NOISE_ROLE_INITIATOR ? c2 : c1;
	noise_cipher_wipe(&c1);
	noise_cipher_wipe(&c2);
	noise_hs_wipe(hs);
	return 0;
}
