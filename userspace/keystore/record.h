/* SPDX-License-Identifier: MIT */
/*
 * keystore records: how a private key rests on disk, and the key-encryption key's file.
 *
 * A key record seals the key's Ed25519 seed with XChaCha20-Poly1305 under the KEK:
 *
 *     "NXKR" | version 1 | nonce (24) | ciphertext of the seed (32) | tag (16)   = 77 bytes
 *
 * Its associated data binds the record to where it is stored and to the public key kept next
 * to it in clear: "nexus-key-record-v1" NUL owner NUL name NUL public (32). A record copied to
 * another owner or name, or a public key swapped beside it, fails authentication as surely as
 * a flipped bit does.
 *
 * The KEK file: "NXKEK1\n" NUL | KEK (32) | BLAKE2b-128 of the previous 40 bytes = 56 bytes,
 * so a truncated or damaged file is told apart from a wrong key.
 *
 * Randomness comes in (rngd's bytes, KS_CREATE_ENTROPY per key): nothing here draws any.
 * Pure: libsodium, no I/O. Call sodium_init() once before. Secrets handed back are the
 * caller's to lock and wipe; temporaries here are wiped before returning.
 */
#ifndef KEYSTORE_RECORD_H
#define KEYSTORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* KS_NAME_MAX, NX_SVC_SUBJECT_MAX */
#include "sign.h"

#define KS_KEK_LEN      32u /* crypto_aead_xchacha20poly1305_ietf_KEYBYTES */
#define KS_NONCE_LEN    24u /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
#define KS_TAG_LEN      16u /* crypto_aead_xchacha20poly1305_ietf_ABYTES */
#define KS_RECORD_LEN   (4u + 1u + KS_NONCE_LEN + KS_SEED_LEN + KS_TAG_LEN)
#define KS_KEK_FILE_LEN (8u + KS_KEK_LEN + 16u)
/* rngd bytes one new key takes: its seed, then its record's nonce. */
#define KS_CREATE_ENTROPY (KS_SEED_LEN + KS_NONCE_LEN)
/* rngd bytes the first boot takes: the KEK, then the device key's KS_CREATE_ENTROPY. */
#define KS_PROVISION_ENTROPY (KS_KEK_LEN + KS_CREATE_ENTROPY)
/* Longest owner a record binds (a subject). */
#define KS_OWNER_MAX NX_SVC_SUBJECT_MAX

/* Makes the key pair of `entropy` (KS_CREATE_ENTROPY bytes: seed, nonce) and seals it for
 * (owner, name) under `kek`. 0 with ret_public and ret_record set; -EINVAL for an empty or
 * over-long owner or name (KS_OWNER_MAX, KS_NAME_MAX). */
int ks_record_make(const uint8_t kek[KS_KEK_LEN], const char *owner, const char *name,
        const uint8_t entropy[KS_CREATE_ENTROPY], uint8_t ret_public[KS_PUBLIC_LEN],
        uint8_t ret_record[KS_RECORD_LEN]);

/* Opens the record (rec, len) stored as (owner, name) beside `public` (pub_len bytes) into the
 * Ed25519 secret key (seed, public). -EBADMSG: not a record of this layout (length, magic,
 * version), a public key of the wrong length, or authentication failed (damaged, moved, or
 * another KEK); ret_secret is then untouched. -EINVAL: owner or name as for ks_record_make. */
int ks_record_open(const uint8_t kek[KS_KEK_LEN], const char *owner, const char *name,
        const uint8_t *public, size_t pub_len, const uint8_t *rec, size_t len,
        uint8_t ret_secret[KS_SECRET_LEN]);

/* The KEK file's bytes for `kek`. */
void ks_kek_file_encode(const uint8_t kek[KS_KEK_LEN], uint8_t ret_file[KS_KEK_FILE_LEN]);

/* The KEK in a file's bytes: -EBADMSG for a wrong length, magic or checksum (ret_kek
 * untouched). */
int ks_kek_file_decode(const uint8_t *buf, size_t len, uint8_t ret_kek[KS_KEK_LEN]);

#endif
