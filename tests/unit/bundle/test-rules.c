/* SPDX-License-Identifier: MIT */
/* userspace/bundle's rules (rules.h), manifest source (spec.h) and refcount plan (plan.h). */
#include "bundle/plan.h" /* first: the public headers stand alone */
#include "bundle/rules.h"
#include "bundle/spec.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int id(const char *s)
{
	return bnd_id_check(s, strlen(s));
}

static int path(const char *s)
{
	return bnd_path_check(s, strlen(s));
}

static void ids(void **state)
{
	char long_id[BND_ID_MAX + 2], many[BND_ID_LABELS_MAX * 2 + 2], label[BND_LABEL_MAX + 4];

	assert_int_equal(id("org.nexus.hello"), 0);
	assert_int_equal(id("a.b"), 0);
	assert_int_equal(id("com.example.app_2"), 0);
	for (size_t i = 0; i < 12; i++) {
		static const char *const bad[] = {"", "hello", ".a.b", "a.b.", "a..b", "Org.x",
		        "org.X", "1org.x", "org.1x", "org.x-y", "org/x", "org.x "};

		assert_int_equal(id(bad[i]), -EINVAL);
	}
	/* BND_ID_MAX bytes, then one more. */
	for (size_t i = 0; i < sizeof(long_id); i++)
		long_id[i] = i % 32 == 1 ? '.' : 'a'; /* labels well under BND_LABEL_MAX */
	long_id[BND_ID_MAX] = '\0';
	assert_int_equal(id(long_id), 0);
	long_id[BND_ID_MAX] = 'a';
	long_id[BND_ID_MAX + 1] = '\0';
	assert_int_equal(id(long_id), -EMSGSIZE);
	/* BND_ID_LABELS_MAX labels, then one more. */
	for (size_t i = 0; i < BND_ID_LABELS_MAX; i++)
		memcpy(many + 2 * i, "a.", 2);
	many[2 * BND_ID_LABELS_MAX - 1] = '\0';
	assert_int_equal(id(many), 0);
	many[2 * BND_ID_LABELS_MAX - 1] = '.';
	many[2 * BND_ID_LABELS_MAX] = 'a';
	many[2 * BND_ID_LABELS_MAX + 1] = '\0';
	assert_int_equal(id(many), -EINVAL);
	/* A label of BND_LABEL_MAX bytes, then one more. */
	memset(label, 'a', sizeof(label));
	label[1] = '.';
	label[2 + BND_LABEL_MAX] = '\0';
	assert_int_equal(id(label), 0);
	label[2 + BND_LABEL_MAX] = 'a';
	label[3 + BND_LABEL_MAX] = '\0';
	assert_int_equal(id(label), -EINVAL);
}

static void paths(void **state)
{
	static const char *const bad[] = {"", "/abs", "a/", "a//b", "./a", "a/./b", "..", "../a",
	        "a/../b", "a/..", "a b", "a\\b", "\t", "caf\xc3\xa9"};
	char long_path[BND_PATH_MAX + 2];

	assert_int_equal(path("bin/hello"), 0);
	assert_int_equal(path("a"), 0);
	assert_int_equal(path("...a/..b/.c"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(path(bad[i]), -EINVAL);
	/* A NUL inside: the length says there is more. */
	assert_int_equal(bnd_path_check("a\0b", 3), -EINVAL);
	memset(long_path, 'p', sizeof(long_path));
	long_path[BND_PATH_MAX] = '\0';
	assert_int_equal(path(long_path), 0);
	long_path[BND_PATH_MAX] = 'p';
	long_path[BND_PATH_MAX + 1] = '\0';
	assert_int_equal(path(long_path), -EMSGSIZE);
	/* Duplicates and file-versus-directory clashes. */
	assert_true(bnd_paths_clash("a/b", 3, "a/b", 3));
	assert_true(bnd_paths_clash("a", 1, "a/b", 3));
	assert_true(bnd_paths_clash("a/b/c", 5, "a/b", 3));
	assert_false(bnd_paths_clash("a", 1, "ab", 2));
	assert_false(bnd_paths_clash("a/b", 3, "a/c", 3));
}

static void caps_modes_versions(void **state)
{
	char cap[BND_CAP_MAX + 2];

	assert_int_equal(bnd_cap_check("log.append", 10), 0);
	assert_int_equal(bnd_cap_check("log.*", 5), -EINVAL);
	assert_int_equal(bnd_cap_check("a b", 3), -EINVAL);
	assert_int_equal(bnd_cap_check("#x", 2), -EINVAL);
	assert_int_equal(bnd_cap_check("", 0), -EINVAL);
	memset(cap, 'c', sizeof(cap));
	assert_int_equal(bnd_cap_check(cap, BND_CAP_MAX), 0);
	assert_int_equal(bnd_cap_check(cap, BND_CAP_MAX + 1), -EMSGSIZE);

	assert_int_equal(bnd_mode_check(0644), 0);
	assert_int_equal(bnd_mode_check(0755), 0);
	assert_int_equal(bnd_mode_check(0400), 0);
	assert_int_equal(bnd_mode_check(04755), -EINVAL);   /* setuid */
	assert_int_equal(bnd_mode_check(01777), -EINVAL);   /* sticky */
	assert_int_equal(bnd_mode_check(0120777), -EINVAL); /* a symlink's type bits */
	assert_int_equal(bnd_mode_check(0044), -EINVAL);    /* not owner-readable */

	assert_int_equal(bnd_version_check(0, 1, false), 0);
	assert_int_equal(bnd_version_check(1, 2, false), 0);
	assert_int_equal(bnd_version_check(2, 2, false), -EEXIST);
	assert_int_equal(bnd_version_check(3, 2, false), -EEXIST);
	assert_int_equal(bnd_version_check(3, 2, true), 0);
	assert_int_equal(bnd_version_check(0, 0, true), -EINVAL);
}

static void hex_and_key_id(void **state)
{
	uint8_t key[BND_KEY_LEN] = {0}, back[4] = {9, 9, 9, 9};
	char hex[9], key_id[BND_KEY_ID_LEN + 1];

	bnd_hex((const uint8_t *)"\x01\xab\xff\x00", 4, hex);
	assert_string_equal(hex, "01abff00");
	assert_int_equal(bnd_unhex("01ABff00", 8, back, 4), 0);
	assert_memory_equal(back, "\x01\xab\xff\x00", 4);
	assert_int_equal(bnd_unhex("01abff0", 7, back, 4), -EINVAL);
	assert_int_equal(bnd_unhex("01abffzz", 8, back, 4), -EINVAL);
	/* SHA-256 of 32 zero bytes starts 66687aadf862bd77 (a known vector). */
	bnd_key_id(key, key_id);
	assert_string_equal(key_id, "66687aadf862bd77");
}

static int spec(const char *text, struct bnd_spec *s, struct bnd_spec_error *err)
{
	return bnd_spec_parse(text, strlen(text), s, err);
}

static void spec_parse(void **state)
{
	struct bnd_spec s;
	struct bnd_spec_error err;

	assert_int_equal(spec("# a comment\n\nid = org.nexus.hello\nversion= 7\n  entry =bin/x\n"
	                      "restart = always\ncaps = log.append rng.entropy\ncaps = x.y\n"
	                      "memory = 16M\ntasks = 4\nopen-files = 32\n",
	                         &s, &err),
	        0);
	assert_string_equal(s.id, "org.nexus.hello");
	assert_int_equal(s.version, 7);
	assert_string_equal(s.entry, "bin/x");
	assert_int_equal(s.restart, 2);
	assert_int_equal(s.ncaps, 3);
	assert_string_equal(s.caps[2], "x.y");
	assert_int_equal(s.limits.memory_bytes, 16u << 20);
	assert_int_equal(s.limits.tasks, 4);
	assert_int_equal(s.limits.open_files, 32);
	assert_string_equal(bnd_restart_name(1), "on-failure");
	assert_null(bnd_restart_name(3));

	/* Each error names its line. */
	static const struct {
		const char *text, *msg;
	} bad[] = {
	        {"id = org.x\nversion = 1\n", "entry: missing"},
	        {"id = org.x\nversion = 1\nentry = a\nfrob = 1\n", "line 4: unknown key 'frob'"},
	        {"id = x\n", "line 1: id: 'x' is not a reverse-DNS bundle id"},
	        {"id = a.b\nid = a.c\n", "line 2: id: given twice"},
	        {"version = 0\n", "line 1: version: not a number from 1"},
	        {"version = 18446744073709551616\n", "line 1: version: not a number from 1"},
	        {"entry = ../x\n", "line 1: entry: '../x' is not a bundle path"},
	        {"restart = sometimes\n", "line 1: restart: not never, on-failure or always"},
	        {"caps = a.*\n", "line 1: caps: 'a.*' is not a capability name"},
	        {"memory = 1T\n", "line 1: memory: not a byte count (K, M, G suffix)"},
	        {"tasks = 4294967296\n", "line 1: tasks: not a number up to 4294967295"},
	        {"just words\n", "line 1: not 'key = value'"},
	        {"id =\n", "line 1: id: empty"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spec(bad[i].text, &s, &err), -EINVAL);
		assert_string_equal(err.text, bad[i].msg);
	}
	assert_int_equal(bnd_spec_parse("id = a\0.b\n", 10, &s, &err), -EINVAL);
	assert_string_equal(err.text, "line 1: contains NUL");
}

static void spec_limits(void **state)
{
	static char text[BND_SPEC_MAX + 2];
	struct bnd_spec s;
	struct bnd_spec_error err;
	size_t n = 0;

	/* BND_CAPS_MAX capabilities, then one more. */
	n = (size_t)snprintf(text, sizeof(text), "id = a.b\nversion = 1\nentry = e\ncaps =");
	for (unsigned i = 0; i < BND_CAPS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " c.%u", i);
	assert_int_equal(spec(text, &s, &err), 0);
	assert_int_equal(s.ncaps, BND_CAPS_MAX);
	snprintf(text + n, sizeof(text) - n, " one.more");
	assert_int_equal(spec(text, &s, &err), -EMSGSIZE);
	assert_string_equal(err.text, "line 4: caps: more than 16");
	/* A line of BND_SPEC_LINE_MAX bytes, then one more. */
	memset(text, '#', BND_SPEC_LINE_MAX + 1);
	assert_int_equal(bnd_spec_parse(text, BND_SPEC_LINE_MAX, &s, &err), -EINVAL); /* no id */
	assert_int_equal(bnd_spec_parse(text, BND_SPEC_LINE_MAX + 1, &s, &err), -EMSGSIZE);
	/* BND_SPEC_MAX bytes, then one more. */
	memset(text, '\n', sizeof(text));
	assert_int_equal(bnd_spec_parse(text, BND_SPEC_MAX, &s, &err), -EINVAL);
	assert_int_equal(bnd_spec_parse(text, BND_SPEC_MAX + 1, &s, &err), -EMSGSIZE);
	/* Messages are cut to BND_ERROR_MAX, NUL included. */
	memset(text, 'k', BND_SPEC_LINE_MAX);
	memcpy(text + BND_SPEC_LINE_MAX - 2, "=1", 2);
	assert_int_equal(bnd_spec_parse(text, BND_SPEC_LINE_MAX, &s, &err), -EINVAL);
	assert_int_equal(strlen(err.text), BND_ERROR_MAX - 1);
}

static void hash_of(bnd_hash h, uint8_t v)
{
	memset(h, 0, BND_HASH_LEN);
	h[0] = v;
}

static void plan(void **state)
{
	bnd_hash old[3], new_[4];
	struct bnd_plan p;

	/* old {1, 2, 2}, new {2, 3, 3, 4}: add 3 and 4, drop 1, keep 2 (counted once each). */
	hash_of(old[0], 1), hash_of(old[1], 2), hash_of(old[2], 2);
	hash_of(new_[0], 4), hash_of(new_[1], 3), hash_of(new_[2], 2), hash_of(new_[3], 3);
	assert_int_equal(bnd_plan_make(old, 3, new_, 4, &p), 0);
	assert_int_equal(p.nadd, 2);
	assert_int_equal(p.add[0][0], 3);
	assert_int_equal(p.add[1][0], 4);
	assert_int_equal(p.ndrop, 1);
	assert_int_equal(p.drop[0][0], 1);
	bnd_plan_done(&p);
	/* New bundle: everything added once; removal: everything dropped once. */
	assert_int_equal(bnd_plan_make(NULL, 0, old, 3, &p), 0);
	assert_int_equal(p.nadd, 2);
	assert_int_equal(p.ndrop, 0);
	bnd_plan_done(&p);
	assert_int_equal(bnd_plan_make(old, 3, NULL, 0, &p), 0);
	assert_int_equal(p.nadd, 0);
	assert_int_equal(p.ndrop, 2);
	bnd_plan_done(&p);
	assert_int_equal(bnd_plan_make(NULL, 1, NULL, 0, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ids),
	        cmocka_unit_test(paths),
	        cmocka_unit_test(caps_modes_versions),
	        cmocka_unit_test(hex_and_key_id),
	        cmocka_unit_test(spec_parse),
	        cmocka_unit_test(spec_limits),
	        cmocka_unit_test(plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
