/* SPDX-License-Identifier: MIT */
/*
 * userspace/bundle's packer and checks (pack.h, check.h): a packed bundle passes and reads
 * back; each bad bundle of the table is refused at its own step with its own code and text.
 */
#include "bundle/check.h" /* first: the public headers stand alone */
#include "bundle/pack.h"

#include <errno.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle-forge.h"

static uint8_t pk[BND_KEY_LEN], sk[BND_SECRET_LEN], other_pk[BND_KEY_LEN], other_sk[BND_SECRET_LEN];

static const char hello[] = "#!/bin/sh\necho hello\n", greeting[] = "Hello from a bundle.\n";

/* Trusts `pk` only. */
static int trust(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN])
{
	char want[BND_KEY_ID_LEN + 1];

	bnd_key_id(pk, want);
	if (strcmp(key_id, want) != 0)
		return -ENOENT;
	memcpy(ret_key, pk, BND_KEY_LEN);
	return 0;
}

static void sample_spec(struct bnd_spec *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "org.nexus.hello");
	s->version = 2;
	snprintf(s->entry, sizeof(s->entry), "bin/hello");
	snprintf(s->caps[0], sizeof(s->caps[0]), "log.append");
	snprintf(s->caps[1], sizeof(s->caps[1]), "rng.entropy");
	s->ncaps = 2;
	s->restart = 1;
	s->limits = (struct bnd_limits){.memory_bytes = 1 << 20, .tasks = 4, .open_files = 8};
}

static struct forge_buf pack_sample(const struct bnd_spec *spec, const uint8_t *key)
{
	const struct bnd_pack_file files[] = {
	        {"bin/hello", 0755, hello, sizeof(hello) - 1},
	        {"share/greeting.txt", 0644, greeting, sizeof(greeting) - 1},
	};
	struct forge_buf b = {0};

	assert_int_equal(forge_pack(spec, files, 2, key, &b), 0);
	return b;
}

static int setup(void **state)
{
	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(other_pk, other_sk);
	return 0;
}

static void round_trip(void **state)
{
	struct bnd_spec spec;
	struct bnd_error err = {0};
	struct forge_buf b;
	struct bnd_file f;
	bnd_bundle *bundle = NULL;
	bool allowed[2] = {true, true};
	char key_id[BND_KEY_ID_LEN + 1], expected[BND_ERROR_MAX];
	size_t mlen = 0;

	sample_spec(&spec);
	b = pack_sample(&spec, sk);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), 0);
	bnd_key_id(pk, key_id);
	assert_string_equal(bnd_bundle_id(bundle), "org.nexus.hello");
	assert_int_equal(bnd_bundle_version(bundle), 2);
	assert_string_equal(bnd_bundle_key_id(bundle), key_id);
	assert_memory_equal(bnd_bundle_publisher(bundle), pk, BND_KEY_LEN);
	assert_string_equal(bnd_bundle_entry(bundle), "bin/hello");
	assert_int_equal(bnd_bundle_restart(bundle), 1);
	assert_int_equal(bnd_bundle_limits(bundle).tasks, 4);
	assert_int_equal(bnd_bundle_cap_count(bundle), 2);
	assert_string_equal(bnd_bundle_cap(bundle, 1), "rng.entropy");
	assert_null(bnd_bundle_cap(bundle, 2));
	assert_int_equal(bnd_bundle_file_count(bundle), 2);
	bnd_bundle_file(bundle, 1, &f);
	assert_string_equal(f.path, "share/greeting.txt");
	assert_int_equal(f.mode, 0644);
	assert_int_equal(f.size, sizeof(greeting) - 1);
	assert_memory_equal(f.data, greeting, f.size);
	assert_int_equal(bnd_bundle_bytes(bundle), sizeof(hello) + sizeof(greeting) - 2);
	assert_non_null(bnd_bundle_manifest(bundle, &mlen));
	assert_true(mlen > 0 && mlen % 8 == 0);
	/* The later steps. */
	assert_int_equal(bnd_check_version(bundle, 1, false, &err), 0);
	assert_int_equal(bnd_check_version(bundle, 2, false, &err), -EEXIST);
	assert_string_equal(err.text,
	        "manifest.version: 2 is not above the installed 2 (a downgrade needs force)");
	assert_int_equal(bnd_check_version(bundle, 3, true, &err), 0);
	assert_int_equal(bnd_check_grants(bundle, allowed, &err), 0);
	allowed[1] = false;
	assert_int_equal(bnd_check_grants(bundle, allowed, &err), -EPERM);
	assert_int_equal(err.step, BND_STEP_GRANTS);
	snprintf(expected, sizeof(expected),
	        "caps: publisher:%s may not grant rng.entropy (needs grant.rng.entropy)", key_id);
	assert_string_equal(err.text, expected);
	bnd_bundle_free(bundle);
	free(b.buf);
}

static void bad_bundles(void **state)
{
	static const struct {
		const char *kind;
		enum bnd_step step;
		int code;
		const char *text; /* the start of the error's text */
	} table[] = {
	        {"unsigned", BND_STEP_SIGNATURE, -EPERM, "signature: missing (unsigned bundle)"},
	        {"untrusted", BND_STEP_SIGNATURE, -EPERM, "signature: publisher "},
	        {"other-manifest", BND_STEP_SIGNATURE, -EPERM, "signature: does not verify"},
	        {"flipped", BND_STEP_HASHES, -EBADMSG, "files[1]: contents do not match sha256"},
	        {"missing", BND_STEP_HASHES, -EBADMSG,
	                "contents: 1 files for 2 manifest entries (one missing)"},
	        {"extra", BND_STEP_HASHES, -EBADMSG,
	                "contents: 3 files for 2 manifest entries (one extra)"},
	        {"dotdot", BND_STEP_MANIFEST, -EINVAL, "manifest.files[1].path: not a relative"},
	        {"absolute", BND_STEP_MANIFEST, -EINVAL, "manifest.files[1].path: not a relative"},
	        {"duplicate", BND_STEP_MANIFEST, -EINVAL,
	                "manifest.files[1].path: the same path as files[0]"},
	        {"file-dir", BND_STEP_MANIFEST, -EINVAL,
	                "manifest.files[1].path: a file and a directory"},
	        {"no-entry", BND_STEP_MANIFEST, -EINVAL, "manifest.entry: names no file"},
	        {"entry-not-exec", BND_STEP_MANIFEST, -EINVAL,
	                "manifest.entry: files[0] is not executable"},
	        {"setuid", BND_STEP_MANIFEST, -EINVAL, "manifest.files[0].mode: 4755"},
	        {"truncated", BND_STEP_STRUCTURE, -EINVAL, "structure: truncated"},
	        {"trailing", BND_STEP_STRUCTURE, -EINVAL, "structure: 8 bytes after the message"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct bnd_error err = {0};
		struct forge_buf b = {0};
		bnd_bundle *bundle = NULL;

		assert_int_equal(forge_make(table[i].kind, "org.nexus.bad", sk, other_sk, &b), 0);
		assert_int_equal(
		        bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), table[i].code);
		assert_null(bundle);
		if (err.step != table[i].step ||
		        strncmp(err.text, table[i].text, strlen(table[i].text)) != 0)
			fail_msg("%s: step %d, '%s'", table[i].kind, err.step, err.text);
		free(b.buf);
	}
}

static void structure_and_size(void **state)
{
	static const uint64_t garbage[4] = {0x0000000200000000ull, 0xffffffffffffffffull};
	struct bnd_error err = {0};
	struct bnd_spec spec;
	bnd_bundle *bundle = NULL;
	struct forge_buf b;

	/* One byte over BND_PAYLOAD_MAX is refused before a byte is read. */
	assert_int_equal(
	        bnd_check(garbage, (size_t)BND_PAYLOAD_MAX + 1, trust, NULL, &bundle, &err),
	        -EMSGSIZE);
	assert_int_equal(err.step, BND_STEP_SIZE);
	assert_int_equal(bnd_check(garbage, sizeof(garbage), trust, NULL, &bundle, &err), -EINVAL);
	assert_int_equal(err.step, BND_STEP_STRUCTURE);
	assert_int_equal(bnd_check(garbage, 0, trust, NULL, &bundle, &err), -EINVAL);
	/* Bad ids, version 0, a wildcard capability, a duplicate one: the manifest rules. */
	forge_spec(&spec, "Not.An.Id");
	b = pack_sample(&spec, sk);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), -EINVAL);
	assert_string_equal(err.text, "manifest.id: not a reverse-DNS bundle id");
	free(b.buf);
	forge_spec(&spec, "org.nexus.v0");
	spec.version = 0;
	b = pack_sample(&spec, sk);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), -EINVAL);
	assert_string_equal(err.text, "manifest.version: 0 (versions start at 1)");
	free(b.buf);
	forge_spec(&spec, "org.nexus.caps");
	snprintf(spec.caps[0], sizeof(spec.caps[0]), "log.*");
	b = pack_sample(&spec, sk);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), -EINVAL);
	assert_string_equal(err.text, "manifest.caps[0]: not a capability name");
	free(b.buf);
	snprintf(spec.caps[0], sizeof(spec.caps[0]), "log.append");
	snprintf(spec.caps[1], sizeof(spec.caps[1]), "log.append");
	spec.ncaps = 2;
	b = pack_sample(&spec, sk);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), -EINVAL);
	assert_string_equal(err.text, "manifest.caps[1]: the same as caps[0]");
	free(b.buf);
	/* More than BND_CAPS_MAX capabilities break the schema: structure. */
	spec.ncaps = BND_CAPS_MAX + 1;
	for (size_t i = 0; i < spec.ncaps && i < BND_CAPS_MAX; i++)
		snprintf(spec.caps[i], sizeof(spec.caps[i]), "c.%zu", i);
	spec.ncaps = BND_CAPS_MAX;
	b = pack_sample(&spec, sk);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), 0);
	bundle = bnd_bundle_free(bundle);
	free(b.buf);
}

static void files_limit(void **state)
{
	struct bnd_pack_file *files = calloc(BND_FILES_MAX + 1, sizeof(*files));
	static char names[BND_FILES_MAX + 1][16];
	struct bnd_error err = {0};
	struct bnd_spec spec;
	bnd_bundle *bundle = NULL;
	struct forge_buf b = {0};

	assert_non_null(files);
	for (size_t i = 0; i <= BND_FILES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), i ? "f%05zu" : "bin/hello", i);
		files[i] = (struct bnd_pack_file){names[i], 0755, "x", 1};
	}
	forge_spec(&spec, "org.nexus.many");
	/* BND_FILES_MAX files pack and check (the same contents each time), one more does not. */
	assert_int_equal(forge_pack(&spec, files, BND_FILES_MAX, sk, &b), 0);
	assert_int_equal(bnd_check(b.buf, b.len, trust, NULL, &bundle, &err), 0);
	assert_int_equal(bnd_bundle_file_count(bundle), BND_FILES_MAX);
	/* Every file reads back as often as the store asks, whatever the reader's budget. */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < BND_FILES_MAX; i++) {
			struct bnd_file f;

			bnd_bundle_file(bundle, i, &f);
			assert_int_equal(f.size, 1);
			assert_int_equal(f.data[0], 'x');
			assert_string_equal(f.path, names[i]);
		}
	bnd_bundle_free(bundle);
	free(b.buf);
	assert_int_equal(forge_pack(&spec, files, BND_FILES_MAX + 1, sk, &b), -EMSGSIZE);
	free(files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(round_trip),
	        cmocka_unit_test(bad_bundles),
	        cmocka_unit_test(structure_and_size),
	        cmocka_unit_test(files_limit),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
