/* SPDX-License-Identifier: MIT */
/*
 * Writing a bundle file (bundle-format.capnp): the manifest from a spec (spec.h) and the
 * files' entries, the files' SHA-256, the Ed25519 signature over BND_SIG_PREFIX ||
 * canonical(manifest), the contents. Pure: the caller read the files and the key.
 *
 * The packer writes what it is given, in the order given: the rules (rules.h) are the
 * checker's, so a test can pack a bundle that breaks them and see it refused.
 */
#ifndef BUNDLE_PACK_H
#define BUNDLE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

struct bnd_pack_file {
	const char *path; /* NUL-terminated */
	uint32_t mode;
	const void *data; /* size bytes, borrowed for the call */
	size_t size;
};

/* Packs files[0..n) under `spec`, published by the Ed25519 key pair `secret` (libsodium's
 * BND_SECRET_LEN bytes, the public key in its second half), or unsigned when `secret` is
 * NULL. On success *ret_buf (the caller's, free()) holds *ret_len bytes, 8-byte aligned.
 * -EINVAL (arguments), -EMSGSIZE (over BND_PAYLOAD_MAX or BND_FILES_MAX), -ENOMEM. */
int bnd_pack(const struct bnd_spec *spec, const struct bnd_pack_file *files, size_t n,
        const uint8_t *secret, void **ret_buf, size_t *ret_len);

#endif
