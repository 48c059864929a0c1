/* SPDX-License-Identifier: MIT */
/*
 * Making bad bundles for tests (tests/unit/bundle, tests/e2e/bundle-forge.c): each kind breaks
 * one check of userspace/bundle/check.h and nothing else, starting from what bnd_pack writes.
 *   forge_pack       a bundle of the given files (header-only: the caller links bundle_dep)
 *   forge_resign     transplant the signature of another bundle (signed over another manifest)
 *   forge_contents   the same bundle with one file's contents dropped or one extra added
 *   forge_flip       one byte of a file's contents flipped in place
 */
#ifndef TESTS_BUNDLE_FORGE_H
#define TESTS_BUNDLE_FORGE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-format.capnp.h"
#include "bundle/pack.h"

struct forge_buf {
	void *buf;
	size_t len;
};

static inline int forge_pack(const struct bnd_spec *spec, const struct bnd_pack_file *files,
        size_t n, const uint8_t *secret, struct forge_buf *ret)
{
	return bnd_pack(spec, files, n, secret, &ret->buf, &ret->len);
}

/* A reader over a framed bundle. */
static inline int forge_read(const struct forge_buf *b, struct nx_capnp_seg *segs,
        nx_capnp_reader *rd, nxb_bundle_file *root)
{
	uint32_t nsegs = 0;
	size_t used = 0;
	int r = nx_capnp_frame_parse(
	        b->buf, b->len, b->len, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &used);

	if (r < 0)
		return r;
	nx_capnp_reader_init(rd, segs, nsegs);
	return nxb_bundle_file_read_root(rd, root);
}

/* Replaces the signature of `b` with the one of `other` (both signed, same length). */
static inline int forge_resign(struct forge_buf *b, const struct forge_buf *other)
{
	struct nx_capnp_seg sa[NX_CAPNP_MAX_SEGMENTS], sb[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader ra, rb;
	nxb_bundle_file a, o;
	const uint8_t *siga = NULL, *sigo = NULL;
	size_t la = 0, lo = 0;

	if (forge_read(b, sa, &ra, &a) < 0 || forge_read(other, sb, &rb, &o) < 0)
		return -EINVAL;
	(void)nxb_bundle_file_get_signature(a, &siga, &la);
	(void)nxb_bundle_file_get_signature(o, &sigo, &lo);
	if (la != lo || la == 0)
		return -EINVAL;
	memcpy((uint8_t *)b->buf + (siga - (const uint8_t *)b->buf), sigo, la);
	return 0;
}

/* Rebuilds `b` with its manifest and signature as they are and its contents changed: `delta`
 * -1 drops the last file's contents, +1 appends a copy of the first's. */
static inline int forge_contents(struct forge_buf *b, int delta)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_builder nb;
	nx_capnp_reader rd;
	nxb_bundle_file root;
	nxb_bundle_file_b out;
	nx_capnp_list contents;
	nx_capnp_blist list;
	uint32_t n;
	void *buf;
	size_t len = 0;
	int r;

	r = forge_read(b, segs, &rd, &root);
	if (r < 0)
		return r;
	(void)nxb_bundle_file_get_contents(root, &contents);
	n = (uint32_t)((int)contents.count + delta);
	nx_capnp_builder_init(&nb, NULL, 0, &nx_capnp_malloc_allocator);
	r = nxb_bundle_file_init_root(&nb, &out);
	if (r >= 0) {
		nx_capnp_bptr dst = nx_capnp_bstruct_ptr(&out.s, 0);
		nx_capnp_ptr src = nx_capnp_struct_ptr(&root.s, 0);

		r = nx_capnp_bptr_copy(&dst, &src);
	}
	if (r >= 0) {
		nx_capnp_bptr dst = nx_capnp_bstruct_ptr(&out.s, 1);
		nx_capnp_ptr src = nx_capnp_struct_ptr(&root.s, 1);

		r = nx_capnp_bptr_copy(&dst, &src);
	}
	if (r >= 0)
		r = nxb_bundle_file_init_contents(out, n, &list);
	for (uint32_t i = 0; r >= 0 && i < n; i++) {
		nx_capnp_bptr dst = nx_capnp_blist_ptr(&list, i);
		nx_capnp_ptr src = nx_capnp_list_ptr(&contents, i < contents.count ? i : 0);

		r = nx_capnp_bptr_copy(&dst, &src);
	}
	if (r >= 0) {
		len = nx_capnp_frame_bytes(&nb);
		buf = aligned_alloc(8, (len + 7) & ~(size_t)7);
		r = buf ? nx_capnp_frame_write(&nb, buf, len, &len) : -ENOMEM;
		if (r >= 0) {
			free(b->buf);
			b->buf = buf;
			b->len = len;
		} else {
			free(buf);
		}
	}
	nx_capnp_builder_done(&nb);
	return r;
}

/* Flips the first byte of the first occurrence of `contents` (len bytes) in the bundle. */
static inline int forge_flip(struct forge_buf *b, const void *contents, size_t len)
{
	uint8_t *at = memmem(b->buf, b->len, contents, len);

	if (!at || len == 0)
		return -ENOENT;
	*at ^= 0x01;
	return 0;
}

/* The sample forge_make packs: an entry and a data file. */
static const char forge_hello[] = "#!/bin/sh\necho hello\n";
static const char forge_greeting[] = "Hello from a forged bundle.\n";

static inline void forge_spec(struct bnd_spec *s, const char *id)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->version = 1;
	snprintf(s->entry, sizeof(s->entry), "bin/hello");
	snprintf(s->caps[0], sizeof(s->caps[0]), "log.append");
	s->ncaps = 1;
}

/* A bundle `id` (spec: forge_spec) signed with `sk` and broken as `kind` says, every other
 * part valid (`other_sk`: a key nobody trusts). Kinds, by the step that refuses them:
 *   signature  unsigned, untrusted, other-manifest
 *   hashes     flipped, missing, extra
 *   manifest   dotdot, absolute, duplicate, file-dir, no-entry, entry-not-exec, setuid,
 *              ungrantable (requests proc.spawn: refused at the grants step by policy)
 *   structure  truncated, trailing
 *   none       good
 * -ENOENT for an unknown kind. */
static inline int forge_make(const char *kind, const char *id, const uint8_t *sk,
        const uint8_t *other_sk, struct forge_buf *ret)
{
	struct bnd_pack_file files[3] = {
	        {"bin/hello", 0755, forge_hello, sizeof(forge_hello) - 1},
	        {"share/greeting.txt", 0644, forge_greeting, sizeof(forge_greeting) - 1},
	};
	const uint8_t *key = sk;
	struct bnd_spec spec;
	struct forge_buf other = {0};
	size_t n = 2;
	int r;

	forge_spec(&spec, id);
	if (strcmp(kind, "unsigned") == 0)
		key = NULL;
	else if (strcmp(kind, "untrusted") == 0)
		key = other_sk;
	else if (strcmp(kind, "dotdot") == 0)
		files[1].path = "share/../../etc/passwd";
	else if (strcmp(kind, "absolute") == 0)
		files[1].path = "/etc/passwd";
	else if (strcmp(kind, "duplicate") == 0)
		files[1].path = "bin/hello";
	else if (strcmp(kind, "file-dir") == 0)
		files[1].path = "bin/hello/more";
	else if (strcmp(kind, "no-entry") == 0)
		snprintf(spec.entry, sizeof(spec.entry), "bin/missing");
	else if (strcmp(kind, "entry-not-exec") == 0)
		files[0].mode = 0644;
	else if (strcmp(kind, "setuid") == 0)
		files[0].mode = 04755;
	else if (strcmp(kind, "ungrantable") == 0)
		snprintf(spec.caps[0], sizeof(spec.caps[0]), "proc.spawn");
	else if (strcmp(kind, "good") != 0 && strcmp(kind, "other-manifest") != 0 &&
	         strcmp(kind, "flipped") != 0 && strcmp(kind, "missing") != 0 &&
	         strcmp(kind, "extra") != 0 && strcmp(kind, "truncated") != 0 &&
	         strcmp(kind, "trailing") != 0)
		return -ENOENT;
	r = forge_pack(&spec, files, n, key, ret);
	if (r < 0)
		return r;
	if (strcmp(kind, "other-manifest") == 0) {
		spec.version = 2; /* the same key signed another manifest */
		r = forge_pack(&spec, files, n, sk, &other);
		if (r >= 0)
			r = forge_resign(ret, &other);
		free(other.buf);
	} else if (strcmp(kind, "flipped") == 0) {
		r = forge_flip(ret, forge_greeting, sizeof(forge_greeting) - 1);
	} else if (strcmp(kind, "missing") == 0 || strcmp(kind, "extra") == 0) {
		r = forge_contents(ret, kind[0] == 'm' ? -1 : 1);
	} else if (strcmp(kind, "truncated") == 0) {
		ret->len -= 8;
	} else if (strcmp(kind, "trailing") == 0) {
		void *longer = realloc(ret->buf, ret->len + 8);

		r = longer ? 0 : -ENOMEM;
		if (longer) {
			memset((char *)longer + ret->len, 0, 8);
			ret->buf = longer;
			ret->len += 8;
		}
	}
	if (r < 0) {
		free(ret->buf);
		ret->buf = NULL;
	}
	return r;
}

#endif
