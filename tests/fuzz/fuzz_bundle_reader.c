/* SPDX-License-Identifier: MIT */
/*
 * The bundle reader and its checks (userspace/bundle check.h) on arbitrary bytes, twice:
 * as they are (almost always refused at the structure or signature step), and, when they read
 * as a BundleFile, re-signed with a fixed key over their own manifest, so that the file
 * hashes and the manifest rules see fuzzed manifests too. A bundle that passes must read back
 * consistently: every file within the payload, a canonical manifest, its id and paths valid
 * by rules.h. The same bytes also go through the manifest source parser (spec.h).
 */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-format.capnp.h"
#include "bundle/check.h"

static uint8_t pk[BND_KEY_LEN], sk[BND_SECRET_LEN];

static int trust(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN])
{
	memcpy(ret_key, pk, BND_KEY_LEN);
	return 0;
}

static void check_passed(const bnd_bundle *b, const uint8_t *buf, size_t len)
{
	size_t mlen = 0;

	if (bnd_id_check(bnd_bundle_id(b), strlen(bnd_bundle_id(b))) < 0 ||
	        !bnd_bundle_manifest(b, &mlen) || mlen % 8 != 0)
		abort();
	for (size_t i = 0; i < bnd_bundle_file_count(b); i++) {
		struct bnd_file f;

		bnd_bundle_file(b, i, &f);
		if (bnd_path_check(f.path, f.path_len) < 0 || f.data < buf ||
		        f.size > (size_t)(buf + len - f.data))
			abort();
	}
}

static void run(const uint8_t *buf, size_t len)
{
	struct bnd_error err;
	bnd_bundle *b = NULL;

	if (bnd_check(buf, len, trust, NULL, &b, &err) == 0) {
		check_passed(b, buf, len);
		bnd_bundle_free(b);
	}
}

/* Copies pointer field i of `from` into `to`. */
static int copy_ptr(const nx_capnp_bstruct *to, const nx_capnp_struct *from, uint32_t i)
{
	nx_capnp_bptr dst = nx_capnp_bstruct_ptr(to, i);
	nx_capnp_ptr src = nx_capnp_struct_ptr(from, i);

	return nx_capnp_bptr_copy(&dst, &src);
}

/* Signs the manifest the builder holds and sets the signature of its root. */
static int sign(nx_capnp_builder *nb, nxb_bundle_file_b dst)
{
	struct nx_capnp_seg segs[NX_CAPNP_BUILDER_MAX_SEGS];
	uint8_t sig[BND_SIG_LEN], *msg = NULL;
	nx_capnp_reader rd;
	nxb_bundle_file built;
	nxb_manifest m;
	size_t need = 0;
	int r;

	nx_capnp_builder_as_reader(nb, segs, &rd);
	r = nxb_bundle_file_read_root(&rd, &built);
	m = nxb_bundle_file_get_manifest(built);
	if (r >= 0)
		r = bnd_signed_message(&m.s, NULL, 0, &need);
	if (r != -ENOBUFS)
		return -1;
	msg = malloc(need);
	r = msg ? bnd_signed_message(&m.s, msg, need, &need) : -1;
	if (r >= 0)
		r = crypto_sign_detached(sig, NULL, msg, need, sk) == 0 ? 0 : -1;
	free(msg);
	if (r >= 0)
		r = nxb_bundle_file_set_signature(dst, sig, sizeof(sig));
	return r;
}

/* The message rebuilt with its manifest (every field but the publisher, now pk) and contents,
 * signed by sk: *ret (free()) of *ret_len bytes; < 0 when the bytes do not read as a
 * BundleFile. Pointer fields of Manifest: id 0, publisher 1, entry 2, caps 3, limits 4,
 * files 5. */
static int resign(const uint8_t *buf, size_t len, uint8_t **ret, size_t *ret_len)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_builder nb;
	nx_capnp_reader rd;
	nxb_bundle_file root;
	nxb_bundle_file_b dst;
	nxb_manifest src;
	nxb_manifest_b m;
	uint8_t *out = NULL;
	uint32_t nsegs;
	size_t used, olen = 0;
	int r;

	r = nx_capnp_frame_parse(buf, len, len, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &used);
	if (r < 0)
		return r;
	nx_capnp_reader_init(&rd, segs, nsegs);
	r = nxb_bundle_file_read_root(&rd, &root);
	if (r < 0)
		return r;
	src = nxb_bundle_file_get_manifest(root);
	nx_capnp_builder_init(&nb, NULL, 0, &nx_capnp_malloc_allocator);
	r = nxb_bundle_file_init_root(&nb, &dst);
	if (r >= 0)
		r = nxb_bundle_file_init_manifest(dst, &m);
	for (uint32_t i = 0; r >= 0 && i < NXB_MANIFEST_PTRS; i++)
		r = i == 1 ? nxb_manifest_set_publisher(m, pk, sizeof(pk))
		           : copy_ptr(&m.s, &src.s, i);
	if (r >= 0) {
		nxb_manifest_set_version(m, nxb_manifest_get_version(src));
		nxb_manifest_set_restart(m, nxb_manifest_get_restart(src));
		r = copy_ptr(&dst.s, &root.s, 2); /* contents */
	}
	if (r >= 0 && rd.error == 0)
		r = sign(&nb, dst);
	else
		r = -1;
	if (r >= 0) {
		olen = nx_capnp_frame_bytes(&nb);
		out = aligned_alloc(8, (olen + 7) & ~(size_t)7);
		r = out ? nx_capnp_frame_write(&nb, out, olen, &olen) : -1;
	}
	nx_capnp_builder_done(&nb);
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	*ret_len = olen;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct bnd_spec spec;
	uint8_t *buf, *signed_ = NULL;
	size_t signed_len = 0;

	if (!ready) {
		static const uint8_t seed[crypto_sign_SEEDBYTES] = {1};

		if (sodium_init() < 0)
			abort();
		crypto_sign_seed_keypair(pk, sk, seed);
		ready = 1;
	}
	(void)bnd_spec_parse((const char *)data, size, &spec, NULL);
	/* The checker wants 8-byte aligned words, as a mapped VMO is. */
	buf = aligned_alloc(8, (size + 8) & ~(size_t)7);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	run(buf, size);
	if (resign(buf, size, &signed_, &signed_len) == 0)
		run(signed_, signed_len);
	free(signed_);
	free(buf);
	return 0;
}
