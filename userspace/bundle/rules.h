/* SPDX-License-Identifier: MIT */
/*
 * The rules of a bundle's names (bundle-format.capnp states them for publishers): ids, paths,
 * modes, requested capabilities, versions, publisher key ids. Pure: each is a function of its
 * arguments. Lengths are given, so a string may come straight from a Cap'n Proto Text.
 */
#ifndef BUNDLE_RULES_H
#define BUNDLE_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* BND_*: nexus/limits-bundle.h */

#define BND_KEY_LEN      32u /* Ed25519 public key */
#define BND_SECRET_LEN   64u /* Ed25519 secret key (libsodium's seed || public key) */
#define BND_SIG_LEN      64u
#define BND_HASH_LEN     32u /* SHA-256 */
#define BND_HASH_HEX_LEN 64u
#define BND_KEY_ID_LEN   16u /* hex digits: the first 8 bytes of SHA-256(public key) */
#define BND_MODE_EXEC    0100u
#define BND_MODE_READ    0400u
#define BND_MODE_PERM    0777u

/* Reverse-DNS: 2..BND_ID_LABELS_MAX labels joined by '.', each 1..BND_LABEL_MAX bytes of
 * [a-z0-9_] starting with a letter, at most BND_ID_MAX bytes. 0, -EINVAL or -EMSGSIZE. */
int bnd_id_check(const char *id, size_t len);

/* Relative and normalised: '/'-separated segments, none empty, "." or "..", bytes
 * 0x21..0x7e except '\\', at most BND_PATH_MAX bytes. 0, -EINVAL or -EMSGSIZE. */
int bnd_path_check(const char *path, size_t len);

/* Whether one of the two paths is the other or a directory of the other ("a" and "a/b"):
 * both cannot be files of one bundle. */
bool bnd_paths_clash(const char *a, size_t alen, const char *b, size_t blen);

/* A capability name of the policy language (printable ASCII without spaces), no '*', at
 * most BND_CAP_MAX bytes. 0, -EINVAL or -EMSGSIZE. */
int bnd_cap_check(const char *cap, size_t len);

/* Permission bits only, owner-readable. 0 or -EINVAL. */
int bnd_mode_check(uint32_t mode);

/* Whether `incoming` may replace `installed` (0: nothing installed): 0 when higher, or
 * anything when `force`; -EEXIST for the same version or a downgrade. -EINVAL: incoming 0. */
int bnd_version_check(uint64_t installed, uint64_t incoming, bool force);

/* The key id of an Ed25519 public key, BND_KEY_ID_LEN lowercase hex digits and a NUL. */
void bnd_key_id(const uint8_t key[BND_KEY_LEN], char ret[BND_KEY_ID_LEN + 1]);

/* `len` bytes as lowercase hex into ret (2 * len + 1 bytes, NUL-terminated). */
void bnd_hex(const uint8_t *bytes, size_t len, char *ret);

/* Parses exactly 2 * len hex digits (either case) into ret. 0 or -EINVAL. */
int bnd_unhex(const char *hex, size_t hex_len, uint8_t *ret, size_t len);

#endif
