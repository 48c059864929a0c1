/* SPDX-License-Identifier: MIT */
/* Writing a bundle file (pack.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-format.capnp.h"
#include "check.h"
#include "crypto.h"
#include "pack.h"

/* Words the message needs, a little over: one segment holds it all, so readers follow no far
 * pointers and the canonical manifest is cheap. */
static size_t estimate_words(
        const struct bnd_spec *spec, const struct bnd_pack_file *files, size_t n)
{
	size_t words = 64 + BND_CAPS_MAX * (1 + (BND_CAP_MAX + 8) / 8);

	for (size_t i = 0; i < n; i++)
		words += 2 * (NXB_ENTRY_DATA_WORDS + NXB_ENTRY_PTRS) +
		         (strlen(files[i].path) + 8) / 8 + BND_HASH_LEN / 8 + 1 +
		         (files[i].size + 7) / 8;
	return words + (strlen(spec->id) + strlen(spec->entry)) / 8 + 4;
}

static int build_manifest(nxb_manifest_b m, const struct bnd_spec *spec,
        const struct bnd_pack_file *files, size_t n, const uint8_t *public_key)
{
	nx_capnp_blist caps, entries;
	nxb_limits_b limits;
	int r;

	r = nxb_manifest_set_id(m, spec->id, strlen(spec->id));
	if (r >= 0)
		r = nxb_manifest_set_publisher(m, public_key, public_key ? BND_KEY_LEN : 0);
	if (r >= 0)
		r = nxb_manifest_set_entry(m, spec->entry, strlen(spec->entry));
	if (r >= 0)
		r = nxb_manifest_init_caps(m, (uint32_t)spec->ncaps, &caps);
	for (size_t i = 0; r >= 0 && i < spec->ncaps; i++) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&caps, (uint32_t)i);

		r = nx_capnp_bptr_set_text(&p, spec->caps[i], strlen(spec->caps[i]));
	}
	if (r >= 0)
		r = nxb_manifest_init_limits(m, &limits);
	if (r >= 0)
		r = nxb_manifest_init_files(m, (uint32_t)n, &entries);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		nxb_entry_b e = nxb_entry_b_at(&entries, (uint32_t)i);
		uint8_t digest[BND_HASH_LEN];

		bnd_sha256(digest, files[i].data, files[i].size);
		r = nxb_entry_set_path(e, files[i].path, strlen(files[i].path));
		if (r >= 0)
			r = nxb_entry_set_sha256(e, digest, sizeof(digest));
		nxb_entry_set_mode(e, files[i].mode);
		nxb_entry_set_size(e, files[i].size);
	}
	if (r < 0)
		return r;
	nxb_manifest_set_version(m, spec->version);
	nxb_manifest_set_restart(m, (nxb_restart)spec->restart);
	nxb_limits_set_memory_bytes(limits, spec->limits.memory_bytes);
	nxb_limits_set_tasks(limits, spec->limits.tasks);
	nxb_limits_set_open_files(limits, spec->limits.open_files);
	return 0;
}

/* Signs what `m` holds now: the builder read back as a message. */
static int sign(nx_capnp_builder *b, const uint8_t *secret, uint8_t sig[BND_SIG_LEN])
{
	struct nx_capnp_seg segs[NX_CAPNP_BUILDER_MAX_SEGS];
	nx_capnp_reader rd;
	nxb_bundle_file root;
	nxb_manifest m;
	uint8_t *msg;
	size_t need = 0;
	int r;

	nx_capnp_builder_as_reader(b, segs, &rd);
	r = nxb_bundle_file_read_root(&rd, &root);
	if (r < 0)
		return r;
	m = nxb_bundle_file_get_manifest(root);
	r = bnd_signed_message(&m.s, NULL, 0, &need);
	if (r != -ENOBUFS)
		return r < 0 ? r : -EIO;
	msg = malloc(need);
	if (!msg)
		return -ENOMEM;
	r = bnd_signed_message(&m.s, msg, need, &need);
	if (r >= 0)
		r = bnd_sign(sig, msg, need, secret);
	free(msg);
	return r;
}

static int build(nx_capnp_builder *b, const struct bnd_spec *spec,
        const struct bnd_pack_file *files, size_t n, const uint8_t *secret)
{
	uint8_t sig[BND_SIG_LEN];
	nxb_bundle_file_b root;
	nxb_manifest_b m;
	nx_capnp_blist contents;
	int r;

	r = nxb_bundle_file_init_root(b, &root);
	if (r >= 0)
		r = nxb_bundle_file_init_manifest(root, &m);
	if (r >= 0)
		r = build_manifest(m, spec, files, n, secret ? secret + BND_KEY_LEN : NULL);
	if (r >= 0)
		r = nxb_bundle_file_init_contents(root, (uint32_t)n, &contents);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&contents, (uint32_t)i);

		r = nx_capnp_bptr_set_data(&p, files[i].data, files[i].size);
	}
	if (r >= 0 && secret) {
		r = sign(b, secret, sig);
		if (r >= 0)
			r = nxb_bundle_file_set_signature(root, sig, sizeof(sig));
	}
	return r;
}

int bnd_pack(const struct bnd_spec *spec, const struct bnd_pack_file *files, size_t n,
        const uint8_t *secret, void **ret_buf, size_t *ret_len)
{
	nx_capnp_builder b;
	uint64_t *first;
	void *out = NULL;
	size_t words, len = 0, total = 0;
	int r;

	if (!spec || (!files && n > 0) || !ret_buf || !ret_len)
		return -EINVAL;
	if (n > BND_FILES_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		if (files[i].size > BND_PAYLOAD_MAX - total)
			return -EMSGSIZE;
		total += files[i].size;
	}
	words = estimate_words(spec, files, n);
	first = calloc(words, sizeof(uint64_t));
	if (!first)
		return -ENOMEM;
	nx_capnp_builder_init(&b, first, words * sizeof(uint64_t), &nx_capnp_malloc_allocator);
	r = build(&b, spec, files, n, secret);
	if (r >= 0 && nx_capnp_frame_bytes(&b) > BND_PAYLOAD_MAX)
		r = -EMSGSIZE;
	if (r >= 0) {
		len = nx_capnp_frame_bytes(&b);
		out = aligned_alloc(8, (len + 7) & ~(size_t)7);
		r = out ? nx_capnp_frame_write(&b, out, len, &len) : -ENOMEM;
	}
	nx_capnp_builder_done(&b);
	free(first);
	if (r < 0) {
		free(out);
		return r;
	}
	*ret_buf = out;
	*ret_len = len;
	return 0;
}
