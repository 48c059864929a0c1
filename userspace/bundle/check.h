/* SPDX-License-Identifier: MIT */
/*
 * The checks of a bundle file, in the order bundlemgrd applies them at install (DESIGN.md
 * section 7), each failing with its own code and a sentence naming what failed:
 *
 *   1 size       at most BND_PAYLOAD_MAX bytes                          -EMSGSIZE
 *   2 structure  one framed message; reader limits (traversal 8x, nesting) and the schema's
 *                annotated limits hold (bundle-format.capnp)             -EINVAL
 *   3 signature  the publisher key is a trust anchor (the caller's lookup) and the signature
 *                verifies over BND_SIG_PREFIX || canonical(manifest)     -EPERM
 *   4 hashes     one content per entry, each of the entry's size and SHA-256  -EBADMSG
 *   5 manifest   the rules of rules.h for id, version, entry, caps, paths and modes  -EINVAL
 * then, with what the caller knows:
 *   5 version    bnd_version_check against the installed version       -EEXIST
 *   6 grants     every requested capability may be granted by the publisher (the caller
 *                asks policy: `publisher:<key id>` holds `grant.<cap>`)  -EPERM
 *
 * Pure: the payload is a buffer the caller holds; hashing and verifying are libsodium's.
 * A checked bundle is a view: it borrows the payload, which must outlive it.
 */
#ifndef BUNDLE_CHECK_H
#define BUNDLE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h" /* struct bnd_limits */

/* What the signature covers before the canonical manifest: 16 bytes, NUL included. */
#define BND_SIG_PREFIX     "nexus-bundle-v1"
#define BND_SIG_PREFIX_LEN 16u

enum bnd_step {
	BND_STEP_NONE = 0,
	BND_STEP_SIZE,
	BND_STEP_STRUCTURE,
	BND_STEP_SIGNATURE,
	BND_STEP_HASHES,
	BND_STEP_MANIFEST,
	BND_STEP_GRANTS,
};

/* Why a check failed: the step and a sentence naming the field ("files[2]: contents do not
 * match sha256"), cut to fit. */
struct bnd_error {
	enum bnd_step step;
	char text[BND_ERROR_MAX];
};

/* Finds the trust anchor for `key_id` (BND_KEY_ID_LEN hex digits of the key the manifest
 * claims, `claimed`): 0 with the trusted key in ret_key, -ENOENT when the publisher is not
 * trusted, another negative errno when it cannot tell. An offline inspection that only asks
 * whether the bundle is signed by the key it names answers with `claimed` itself. */
typedef int (*bnd_trust_fn)(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN]);

/* One file of a checked bundle: views into the payload. */
struct bnd_file {
	const char *path; /* NUL-terminated, path_len bytes */
	size_t path_len;
	uint32_t mode;
	uint64_t size;
	const uint8_t *sha256; /* BND_HASH_LEN bytes */
	const uint8_t *data;   /* size bytes */
};

typedef struct bnd_bundle bnd_bundle;

/* Runs steps 1 to 5 (not the version and grant steps) over `buf` (len bytes, 8-byte aligned;
 * borrowed, must outlive *ret). 0 with *ret (free with bnd_bundle_free), or the step's errno
 * with *ret_err filled (if not NULL); -ENOMEM; -EIO when `trust` failed otherwise than
 * -ENOENT (ret_err says so, step signature). */
int bnd_check(const void *buf, size_t len, bnd_trust_fn trust, void *trust_ctx, bnd_bundle **ret,
        struct bnd_error *ret_err);

/* Told about file i right after its hash matched (step 4), while its bytes are still in the
 * CPU's caches: an installer stages it then instead of reading 64 MiB again after the checks.
 * The bundle may still fail a later step. A negative return stops the checks with that errno
 * (ret_err's step stays BND_STEP_NONE: not the bundle's fault). */
typedef int (*bnd_file_fn)(void *ctx, size_t i, const struct bnd_file *f);

/* bnd_check, calling on_file (with ctx, as trust is) for each file that passed its hash. */
int bnd_check_each(const void *buf, size_t len, bnd_trust_fn trust, bnd_file_fn on_file, void *ctx,
        bnd_bundle **ret, struct bnd_error *ret_err);

/* Step 6 with the caller's decisions: allowed[i] says whether the publisher may grant cap i.
 * 0, or -EPERM with *ret_err naming the first capability refused. */
int bnd_check_grants(const bnd_bundle *b, const bool *allowed, struct bnd_error *ret_err);

/* Step 5's version rule for this bundle against the installed version (0: none): 0, or
 * -EEXIST with *ret_err saying which versions. */
int bnd_check_version(
        const bnd_bundle *b, uint64_t installed, bool force, struct bnd_error *ret_err);

/* The manifest of a checked bundle. Strings are NUL-terminated and borrowed from b. */
const char *bnd_bundle_id(const bnd_bundle *b);
uint64_t bnd_bundle_version(const bnd_bundle *b);
const char *bnd_bundle_key_id(const bnd_bundle *b);
const uint8_t *bnd_bundle_publisher(const bnd_bundle *b); /* BND_KEY_LEN bytes */
const char *bnd_bundle_entry(const bnd_bundle *b);
unsigned bnd_bundle_restart(const bnd_bundle *b); /* NXB_RESTART_* */
struct bnd_limits bnd_bundle_limits(const bnd_bundle *b);
size_t bnd_bundle_cap_count(const bnd_bundle *b);
const char *bnd_bundle_cap(const bnd_bundle *b, size_t i);
size_t bnd_bundle_file_count(const bnd_bundle *b);
/* Entry i (< bnd_bundle_file_count) into *ret. */
void bnd_bundle_file(const bnd_bundle *b, size_t i, struct bnd_file *ret);
/* The files' sizes added up. */
uint64_t bnd_bundle_bytes(const bnd_bundle *b);
/* The canonical manifest (what was signed after the prefix), borrowed from b. */
const void *bnd_bundle_manifest(const bnd_bundle *b, size_t *ret_len);

/* Takes NULL, returns NULL. */
bnd_bundle *bnd_bundle_free(bnd_bundle *b);

/* The signature's message: BND_SIG_PREFIX_LEN prefix bytes then the canonical manifest,
 * written into out (cap bytes). Returns 0 with *ret_len, -ENOBUFS (with *ret_len the size
 * needed), or nx_capnp_canonicalize's errors. Shared by the packer and the checker. */
struct nx_capnp_struct;
int bnd_signed_message(
        const struct nx_capnp_struct *manifest, void *out, size_t cap, size_t *ret_len);

#endif
