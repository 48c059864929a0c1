/* SPDX-License-Identifier: MIT */
/* The checks of a bundle file, in order (check.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle-format.capnp.h"
#include "check.h"
#include "crypto.h"
#include "nx-capnp/validate.h"

struct bnd_bundle {
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	nxb_manifest manifest;
	nx_capnp_list files, contents;
	char id[BND_ID_MAX + 1];
	char entry[BND_PATH_MAX + 1];
	char key_id[BND_KEY_ID_LEN + 1];
	const uint8_t *publisher;
	char caps[BND_CAPS_MAX][BND_CAP_MAX + 1];
	size_t ncaps;
	uint64_t bytes;
	struct bnd_file *file; /* read once, by the hashes step: the reader charges every read */
	uint8_t *signed_msg;   /* prefix || canonical manifest */
	size_t signed_len;
};

static int fail(struct bnd_error *err, enum bnd_step step, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct bnd_error *err, enum bnd_step step, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->step = step;
		va_start(ap, fmt);
		/* clang-tidy 14 wrongly reports ap as uninitialized (as in userspace/policy). */
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		(void)vsnprintf(err->text, sizeof(err->text), fmt, ap);
		va_end(ap);
	}
	return code;
}

int bnd_signed_message(
        const struct nx_capnp_struct *manifest, void *out, size_t cap, size_t *ret_len)
{
	size_t need = 0;
	int r;

	r = nx_capnp_canonicalize(manifest, NULL, 0, &need);
	if (r < 0 && r != -ENOBUFS)
		return r;
	if (!out || cap < BND_SIG_PREFIX_LEN + need) {
		*ret_len = BND_SIG_PREFIX_LEN + need;
		return -ENOBUFS;
	}
	memcpy(out, BND_SIG_PREFIX, BND_SIG_PREFIX_LEN); /* the string's NUL is the 16th byte */
	r = nx_capnp_canonicalize(manifest, (uint8_t *)out + BND_SIG_PREFIX_LEN, need, &need);
	if (r < 0)
		return r;
	*ret_len = BND_SIG_PREFIX_LEN + need;
	return 0;
}

/* Step 2: one message whose root is a BundleFile within the schema's limits. */
static int check_structure(bnd_bundle *b, const void *buf, size_t len, struct bnd_error *err)
{
	struct nx_capnp_invalid why = {0};
	nxb_bundle_file root;
	char what[NX_CAPNP_PATH_MAX + 64];
	uint32_t nsegs = 0;
	size_t used = 0;
	int r;

	r = nx_capnp_frame_parse(
	        buf, len, BND_PAYLOAD_MAX, b->segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &used);
	if (r == -EAGAIN)
		return fail(
		        err, BND_STEP_STRUCTURE, -EINVAL, "structure: truncated (%zu bytes)", len);
	if (r < 0)
		return fail(err, BND_STEP_STRUCTURE, -EINVAL, "structure: not one framed message");
	if (used != len)
		return fail(err, BND_STEP_STRUCTURE, -EINVAL,
		        "structure: %zu bytes after the message", len - used);
	nx_capnp_reader_init(&b->rd, b->segs, nsegs);
	r = nxb_bundle_file_read_root(&b->rd, &root);
	if (r >= 0)
		r = nxb_bundle_file_validate(&root.s, &why);
	if (r < 0) {
		(void)nx_capnp_invalid_describe(&why, what, sizeof(what));
		return fail(err, BND_STEP_STRUCTURE, -EINVAL, "structure: %s",
		        what[0] ? what : "malformed");
	}
	b->manifest = nxb_bundle_file_get_manifest(root);
	(void)nxb_manifest_get_files(b->manifest, &b->files); /* validated */
	(void)nxb_bundle_file_get_contents(root, &b->contents);
	return 0;
}

/* Step 3: a trusted publisher signed prefix || canonical(manifest). */
static int check_signature(bnd_bundle *b, const nxb_bundle_file *root, bnd_trust_fn trust,
        void *ctx, struct bnd_error *err)
{
	uint8_t anchor[BND_KEY_LEN];
	const uint8_t *sig = NULL;
	size_t key_len = 0, sig_len = 0, need = 0;
	int r;

	(void)nxb_bundle_file_get_signature(*root, &sig, &sig_len);
	if (sig_len == 0)
		return fail(
		        err, BND_STEP_SIGNATURE, -EPERM, "signature: missing (unsigned bundle)");
	(void)nxb_manifest_get_publisher(b->manifest, &b->publisher, &key_len);
	if (key_len != BND_KEY_LEN)
		return fail(err, BND_STEP_SIGNATURE, -EPERM,
		        "signature: manifest.publisher is %zu bytes, not a %u-byte Ed25519 key",
		        key_len, BND_KEY_LEN);
	bnd_key_id(b->publisher, b->key_id);
	if (sig_len != BND_SIG_LEN)
		return fail(err, BND_STEP_SIGNATURE, -EPERM,
		        "signature: %zu bytes, not a %u-byte Ed25519 signature", sig_len,
		        BND_SIG_LEN);
	r = trust(ctx, b->key_id, b->publisher, anchor);
	if (r == -ENOENT)
		return fail(err, BND_STEP_SIGNATURE, -EPERM,
		        "signature: publisher %s is not a trust anchor", b->key_id);
	if (r < 0)
		return fail(err, BND_STEP_SIGNATURE, -EIO,
		        "signature: trust anchor %s cannot be read: %s", b->key_id, strerror(-r));
	if (!bnd_equal(anchor, b->publisher, BND_KEY_LEN))
		return fail(err, BND_STEP_SIGNATURE, -EPERM,
		        "signature: publisher %s differs from its trust anchor", b->key_id);
	r = bnd_signed_message(&b->manifest.s, NULL, 0, &need);
	if (r != -ENOBUFS)
		return fail(err, BND_STEP_STRUCTURE, -EINVAL,
		        "structure: manifest has no canonical form");
	b->signed_msg = malloc(need);
	if (!b->signed_msg)
		return -ENOMEM;
	r = bnd_signed_message(&b->manifest.s, b->signed_msg, need, &b->signed_len);
	if (r < 0)
		return fail(err, BND_STEP_STRUCTURE, -EINVAL,
		        "structure: manifest has no canonical form");
	if (!bnd_verify(sig, b->signed_msg, b->signed_len, b->publisher))
		return fail(err, BND_STEP_SIGNATURE, -EPERM,
		        "signature: does not verify with publisher %s's key", b->key_id);
	return 0;
}

/* Step 4: one content per entry, of its size and SHA-256. */
static int check_hashes(bnd_bundle *b, bnd_file_fn on_file, void *ctx, struct bnd_error *err)
{
	int r;

	uint8_t digest[BND_HASH_LEN];

	if (b->contents.count != b->files.count)
		return fail(err, BND_STEP_HASHES, -EBADMSG,
		        "contents: %u files for %u manifest entries (one %s)",
		        (unsigned)b->contents.count, (unsigned)b->files.count,
		        b->contents.count < b->files.count ? "missing" : "extra");
	b->bytes = 0;
	b->file = calloc(b->files.count ? b->files.count : 1, sizeof(*b->file));
	if (!b->file)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->files.count; i++) {
		nxb_entry e = nxb_entry_at(&b->files, i);
		nx_capnp_ptr p = nx_capnp_list_ptr(&b->contents, i);
		const uint8_t *data = NULL, *want = NULL;
		size_t len = 0, want_len = 0;

		if (nx_capnp_ptr_read_data(&p, &data, &len) < 0)
			return fail(err, BND_STEP_STRUCTURE, -EINVAL, "structure: contents[%u]",
			        (unsigned)i);
		(void)nxb_entry_get_sha256(e, &want, &want_len);
		if (len != nxb_entry_get_size(e))
			return fail(err, BND_STEP_HASHES, -EBADMSG,
			        "files[%u]: %zu bytes, the manifest says %llu", (unsigned)i, len,
			        (unsigned long long)nxb_entry_get_size(e));
		bnd_sha256(digest, data, len);
		if (want_len != BND_HASH_LEN || !bnd_equal(digest, want, BND_HASH_LEN))
			return fail(err, BND_STEP_HASHES, -EBADMSG,
			        "files[%u]: contents do not match sha256", (unsigned)i);
		b->file[i] = (struct bnd_file){
		        .mode = nxb_entry_get_mode(e), .size = len, .sha256 = want, .data = data};
		(void)nxb_entry_get_path(e, &b->file[i].path, &b->file[i].path_len);
		b->bytes += len;
		r = on_file ? on_file(ctx, i, &b->file[i]) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* Copies a validated Text of at most max bytes into dst (max + 1). */
static void copy_text(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

struct path_ref {
	const char *path;
	size_t len;
	uint32_t index;
};

/* Bytewise with '/' lowest: a directory's files sort right after it ("a", "a/b", "a-x"), so
 * a clash (rules.h bnd_paths_clash) is always between neighbours. */
static int cmp_path(const void *x, const void *y)
{
	const struct path_ref *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;

	for (size_t i = 0; i < n; i++) {
		unsigned ca = a->path[i] == '/' ? 0 : (unsigned char)a->path[i];
		unsigned cb = b->path[i] == '/' ? 0 : (unsigned char)b->path[i];

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return a->len < b->len ? -1 : a->len > b->len;
}

/* Every path and mode by the rules, then no two paths clash. */
static int check_paths(bnd_bundle *b, struct bnd_error *err)
{
	struct path_ref *refs = malloc((b->files.count ? b->files.count : 1) * sizeof(*refs));
	int r = 0;

	if (!refs)
		return -ENOMEM;
	for (uint32_t i = 0; r == 0 && i < b->files.count; i++) {
		refs[i] = (struct path_ref){b->file[i].path, b->file[i].path_len, i};
		if (bnd_path_check(refs[i].path, refs[i].len) < 0)
			r = fail(err, BND_STEP_MANIFEST, -EINVAL,
			        "manifest.files[%u].path: not a relative normalised path",
			        (unsigned)i);
		else if (bnd_mode_check(b->file[i].mode) < 0)
			r = fail(err, BND_STEP_MANIFEST, -EINVAL,
			        "manifest.files[%u].mode: %o is not owner-readable permission bits",
			        (unsigned)i, (unsigned)b->file[i].mode);
	}
	if (r == 0)
		qsort(refs, b->files.count, sizeof(*refs), cmp_path);
	for (uint32_t i = 1; r == 0 && i < b->files.count; i++) {
		const struct path_ref *p = &refs[i - 1], *q = &refs[i];
		uint32_t first = p->index < q->index ? p->index : q->index;
		uint32_t second = p->index < q->index ? q->index : p->index;

		if (bnd_paths_clash(p->path, p->len, q->path, q->len))
			r = fail(err, BND_STEP_MANIFEST, -EINVAL,
			        "manifest.files[%u].path: %s as files[%u] is", (unsigned)second,
			        p->len == q->len ? "the same path" : "a file and a directory",
			        (unsigned)first);
	}
	free(refs);
	return r;
}

static int check_entry(bnd_bundle *b, struct bnd_error *err)
{
	const char *entry = NULL;
	size_t len = 0;

	(void)nxb_manifest_get_entry(b->manifest, &entry, &len);
	for (uint32_t i = 0; i < b->files.count; i++) {
		if (b->file[i].path_len != len || memcmp(b->file[i].path, entry, len) != 0)
			continue;
		if (!(b->file[i].mode & BND_MODE_EXEC))
			return fail(err, BND_STEP_MANIFEST, -EINVAL,
			        "manifest.entry: files[%u] is not executable", (unsigned)i);
		copy_text(b->entry, entry, len);
		return 0;
	}
	return fail(err, BND_STEP_MANIFEST, -EINVAL, "manifest.entry: names no file of the bundle");
}

static int check_caps(bnd_bundle *b, struct bnd_error *err)
{
	nx_capnp_list caps = {0};

	(void)nxb_manifest_get_caps(b->manifest, &caps);
	for (uint32_t i = 0; i < caps.count; i++) {
		nx_capnp_ptr p = nx_capnp_list_ptr(&caps, i);
		const char *cap = NULL;
		size_t len = 0;

		(void)nx_capnp_ptr_read_text(&p, &cap, &len);
		if (bnd_cap_check(cap, len) < 0)
			return fail(err, BND_STEP_MANIFEST, -EINVAL,
			        "manifest.caps[%u]: not a capability name", (unsigned)i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(b->caps[j], cap) == 0)
				return fail(err, BND_STEP_MANIFEST, -EINVAL,
				        "manifest.caps[%u]: the same as caps[%zu]", (unsigned)i, j);
		copy_text(b->caps[i], cap, len);
	}
	b->ncaps = caps.count;
	return 0;
}

/* Step 5: the rules of rules.h. */
static int check_manifest(bnd_bundle *b, struct bnd_error *err)
{
	const char *id = NULL;
	size_t len = 0;
	int r;

	(void)nxb_manifest_get_id(b->manifest, &id, &len);
	if (bnd_id_check(id, len) < 0)
		return fail(err, BND_STEP_MANIFEST, -EINVAL,
		        "manifest.id: not a reverse-DNS bundle id");
	copy_text(b->id, id, len);
	if (nxb_manifest_get_version(b->manifest) == 0)
		return fail(err, BND_STEP_MANIFEST, -EINVAL,
		        "manifest.version: 0 (versions start at 1)");
	r = check_paths(b, err);
	if (r >= 0)
		r = check_entry(b, err);
	if (r >= 0)
		r = check_caps(b, err);
	return r;
}

int bnd_check(const void *buf, size_t len, bnd_trust_fn trust, void *trust_ctx, bnd_bundle **ret,
        struct bnd_error *ret_err)
{
	return bnd_check_each(buf, len, trust, NULL, trust_ctx, ret, ret_err);
}

int bnd_check_each(const void *buf, size_t len, bnd_trust_fn trust, bnd_file_fn on_file, void *ctx,
        bnd_bundle **ret, struct bnd_error *ret_err)
{
	bnd_bundle *b;
	nxb_bundle_file root;
	int r;

	if (!buf || !trust || !ret)
		return -EINVAL;
	if (ret_err)
		ret_err->step = BND_STEP_NONE;
	if (len > BND_PAYLOAD_MAX)
		return fail(ret_err, BND_STEP_SIZE, -EMSGSIZE, "size: %zu bytes, more than %u", len,
		        BND_PAYLOAD_MAX);
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	r = check_structure(b, buf, len, ret_err);
	if (r >= 0) {
		(void)nxb_bundle_file_read_root(&b->rd, &root); /* read before */
		r = check_signature(b, &root, trust, ctx, ret_err);
	}
	if (r >= 0)
		r = check_hashes(b, on_file, ctx, ret_err);
	if (r >= 0)
		r = check_manifest(b, ret_err);
	if (r < 0)
		return bnd_bundle_free(b), r;
	*ret = b;
	return 0;
}

int bnd_check_grants(const bnd_bundle *b, const bool *allowed, struct bnd_error *ret_err)
{
	for (size_t i = 0; i < b->ncaps; i++)
		if (!allowed[i])
			return fail(ret_err, BND_STEP_GRANTS, -EPERM,
			        "caps: publisher:%s may not grant %s (needs grant.%s)", b->key_id,
			        b->caps[i], b->caps[i]);
	return 0;
}

int bnd_check_version(
        const bnd_bundle *b, uint64_t installed, bool force, struct bnd_error *ret_err)
{
	uint64_t v = nxb_manifest_get_version(b->manifest);

	if (bnd_version_check(installed, v, force) < 0)
		return fail(ret_err, BND_STEP_MANIFEST, -EEXIST,
		        "manifest.version: %llu is not above the installed %llu (a downgrade needs "
		        "force)",
		        (unsigned long long)v, (unsigned long long)installed);
	return 0;
}

const char *bnd_bundle_id(const bnd_bundle *b)
{
	return b->id;
}

uint64_t bnd_bundle_version(const bnd_bundle *b)
{
	return nxb_manifest_get_version(b->manifest);
}

const char *bnd_bundle_key_id(const bnd_bundle *b)
{
	return b->key_id;
}

const uint8_t *bnd_bundle_publisher(const bnd_bundle *b)
{
	return b->publisher;
}

const char *bnd_bundle_entry(const bnd_bundle *b)
{
	return b->entry;
}

unsigned bnd_bundle_restart(const bnd_bundle *b)
{
	return nxb_manifest_get_restart(b->manifest);
}

struct bnd_limits bnd_bundle_limits(const bnd_bundle *b)
{
	nxb_limits l = nxb_manifest_get_limits(b->manifest);

	return (struct bnd_limits){
	        .memory_bytes = nxb_limits_get_memory_bytes(l),
	        .tasks = nxb_limits_get_tasks(l),
	        .open_files = nxb_limits_get_open_files(l),
	};
}

size_t bnd_bundle_cap_count(const bnd_bundle *b)
{
	return b->ncaps;
}

const char *bnd_bundle_cap(const bnd_bundle *b, size_t i)
{
	return i < b->ncaps ? b->caps[i] : NULL;
}

size_t bnd_bundle_file_count(const bnd_bundle *b)
{
	return b->files.count;
}

void bnd_bundle_file(const bnd_bundle *b, size_t i, struct bnd_file *ret)
{
	*ret = b->file[i];
}

uint64_t bnd_bundle_bytes(const bnd_bundle *b)
{
	return b->bytes;
}

const void *bnd_bundle_manifest(const bnd_bundle *b, size_t *ret_len)
{
	*ret_len = b->signed_len - BND_SIG_PREFIX_LEN;
	return b->signed_msg + BND_SIG_PREFIX_LEN;
}

bnd_bundle *bnd_bundle_free(bnd_bundle *b)
{
	if (!b)
		return NULL;
	free(b->signed_msg);
	free(b->file);
	free(b);
	return NULL;
}
