/* SPDX-License-Identifier: MIT */
/*
 * keystore signatures: Ed25519 over a domain-separated message,
 *
 *     "nexus-sign-v1" NUL domain NUL data
 *
 * The domain has no NUL (ks_domain_valid), so the message says unambiguously which domain it
 * was signed for: a signature made in one domain never verifies in another, and no data in
 * one domain can be made to look like a message of another.
 *
 * Pure: libsodium's Ed25519, no I/O, no randomness (Ed25519 signing is deterministic). Call
 * sodium_init() once before.
 */
#ifndef KEYSTORE_SIGN_H
#define KEYSTORE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define KS_SIGN_PREFIX   "nexus-sign-v1"
#define KS_PUBLIC_LEN    32u /* crypto_sign_PUBLICKEYBYTES */
#define KS_SECRET_LEN    64u /* crypto_sign_SECRETKEYBYTES: seed then public key */
#define KS_SEED_LEN      32u /* crypto_sign_SEEDBYTES */
#define KS_SIGNATURE_LEN 64u /* crypto_sign_BYTES */

/* Bytes of the message for a domain of domain_len bytes and data_len bytes of data. */
size_t ks_sign_message_len(size_t domain_len, size_t data_len);

/* Writes the message into buf (cap bytes): 0 with *ret_len, -ENOBUFS if it does not fit,
 * -EINVAL for a domain ks_domain_valid refuses. */
int ks_sign_message(const char *domain, const void *data, size_t len, uint8_t *buf, size_t cap,
        size_t *ret_len);

/* Signs data in `domain` with `secret` (borrowed; nothing of it is kept or copied out):
 * 0 with ret_sig set, -EINVAL (domain), -ENOMEM. */
int ks_sign(const uint8_t secret[KS_SECRET_LEN], const char *domain, const void *data, size_t len,
        uint8_t ret_sig[KS_SIGNATURE_LEN]);

/* 0 when `sig` is `public`'s signature over data in `domain`, -EBADMSG when it is not,
 * -EINVAL (domain), -ENOMEM. */
int ks_verify(const uint8_t public[KS_PUBLIC_LEN], const char *domain, const void *data, size_t len,
        const uint8_t sig[KS_SIGNATURE_LEN]);

#endif
