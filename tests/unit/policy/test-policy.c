/* SPDX-License-Identifier: MIT */
/* Unit tests for userspace/policy: grammar, includes, matching, explain, canonical form, limits. */
#include "policy/policy.h" /* first: the public header stands alone */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nx-util/macro.h"

/* ---- an in-memory loader ---- */

typedef struct mfile {
	const char *path;
	const char *data;
} mfile;

typedef struct mfs {
	const mfile *files;
	char asked[16][POL_PATH_MAX + 1]; /* first paths the loader was asked for */
	unsigned nasked;
} mfs;

static int mem_loader(void *ctx, const char *path, const void **ret_data, size_t *ret_len)
{
	mfs *fs = ctx;

	if (fs->nasked < 16)
		snprintf(fs->asked[fs->nasked++], POL_PATH_MAX + 1, "%s", path);
	for (const mfile *f = fs->files; f->path; f++)
		if (strcmp(f->path, path) == 0) {
			*ret_data = f->data;
			*ret_len = strlen(f->data);
			return 0;
		}
	return -ENOENT;
}

static int load_files(const mfile *files, const char *root, pol_policy **ret, pol_error *err)
{
	mfs fs = {.files = files};

	return pol_load(root, mem_loader, &fs, ret, err);
}

static int parse_str(const char *text, pol_policy **ret, pol_error *err)
{
	return pol_parse("t.policy", text, strlen(text), NULL, NULL, ret, err);
}

static pol_policy *must_parse(const char *text)
{
	pol_policy *p = NULL;
	pol_error err;
	int r = parse_str(text, &p, &err);

	if (r < 0)
		fail_msg("parse failed: %d %s", r, err.text);
	assert_non_null(p);
	return p;
}

/* ---- grammar: good and bad inputs ---- */

static void test_good_inputs(void **state)
{
	static const struct {
		const char *in;
		const char *canonical;
	} cases[] = {
	        {"", ""},
	        {"# only a comment\n\n   \t\n#\n", ""},
	        {"allow svc:a x y\n", "allow svc:a x\nallow svc:a y\n"},
	        {"deny app:* policy.reload # trailing comment\nallow * log.append",
	                "allow * log.append\ndeny app:* policy.reload\n"},
	        {"allow a b\r\nallow a b\n", "allow a b\n"},
	        {"  allow\t a   b  \n", "allow a b\n"},
	        {"allow * *\n", "allow * *\n"},
	        {"allow peer:d1/app:* ipc.connect.* log.*\n",
	                "allow peer:d1/app:* ipc.connect.*\nallow peer:d1/app:* log.*\n"},
	        {"deny b y\nallow b y\nallow a z\n", "allow a z\nallow b y\ndeny b y\n"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		pol_policy *p = must_parse(cases[i].in);
		size_t len = 0;
		const char *c = pol_canonical(p, &len);

		assert_string_equal(c, cases[i].canonical);
		assert_int_equal(len, strlen(cases[i].canonical));
		assert_int_equal(strlen(pol_version(p)), POL_VERSION_LEN);
		pol_free(p);
	}
}

static void test_bad_inputs(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *text;
	} cases[] = {
	        {"permit a b\n", -EBADMSG, "t.policy:1: unknown keyword \"permit\""},
	        {"allow\n", -EBADMSG, "t.policy:1: missing subject pattern"},
	        {"\n# c\nallow svc:a\n", -EBADMSG, "t.policy:3: missing capability pattern"},
	        {"include\n", -EBADMSG, "t.policy:1: include takes exactly one file name"},
	        {"include a b\n", -EBADMSG, "t.policy:1: include takes exactly one file name"},
	        {"allow ap*p x\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in subject \"ap*p\" (only at the end, alone or after ':' or '/')"},
	        {"allow app* x\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in subject \"app*\" (only at the end, alone or after ':' or '/')"},
	        {"allow app.* x\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in subject \"app.*\" (only at the end, alone or after ':' or '/')"},
	        {"allow app:* ipc.*.x\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in capability \"ipc.*.x\" (only at the end, alone or after '.')"},
	        {"allow app:* ok ipc*\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in capability \"ipc*\" (only at the end, alone or after '.')"},
	        {"allow app:* **\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in capability \"**\" (only at the end, alone or after '.')"},
	        {"allow app:* ipc:*\n", -EBADMSG,
	                "t.policy:1: misplaced '*' in capability \"ipc:*\" (only at the end, alone or after '.')"},
	        {"allow a\x01 b\n", -EBADMSG, "t.policy:1: control character 0x01"},
	        {"allow a b\x7f\n", -EBADMSG, "t.policy:1: control character 0x7f"},
	        {"# comment \x1b[31m\n", -EBADMSG, "t.policy:1: control character 0x1b"},
	        {"allow a b\r\r\n", -EBADMSG, "t.policy:1: control character 0x0d"},
	        {"allow a\xc3\xa9 b\n", -EBADMSG, "t.policy:1: invalid character 0xc3"},
	        {"allow a#b c\n", -EBADMSG, "t.policy:1: invalid character 0x23"},
	        {"include ../x\n", -EBADMSG,
	                "t.policy:1: bad include path \"../x\": must be relative, without empty, '.' or '..' segments"},
	        {"include /etc/x\n", -EBADMSG,
	                "t.policy:1: bad include path \"/etc/x\": must be relative, without empty, '.' or '..' segments"},
	        {"include a//b\n", -EBADMSG,
	                "t.policy:1: bad include path \"a//b\": must be relative, without empty, '.' or '..' segments"},
	        {"include ./a\n", -EBADMSG,
	                "t.policy:1: bad include path \"./a\": must be relative, without empty, '.' or '..' segments"},
	        {"include a/\n", -EBADMSG,
	                "t.policy:1: bad include path \"a/\": must be relative, without empty, '.' or '..' segments"},
	        {"include a/../../b\n", -EBADMSG,
	                "t.policy:1: bad include path \"a/../../b\": must be relative, without empty, '.' or '..' segments"},
	        {"include missing.policy\n", -ENOENT,
	                "t.policy:1: cannot load \"missing.policy\": no such file"},
	        {"deny\tx  y\n\nfoo", -EBADMSG, "t.policy:3: unknown keyword \"foo\""},
	        {"allow a b\nbogus\nallow x *y\n", -EBADMSG,
	                "t.policy:2: unknown keyword \"bogus\""},
	        {"Allow a b\n", -EBADMSG, "t.policy:1: unknown keyword \"Allow\""},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		pol_policy *p = (pol_policy *)(uintptr_t)0x1;
		pol_error err;
		int r = parse_str(cases[i].in, &p, &err);

		if (r != cases[i].rc || strcmp(err.text, cases[i].text) != 0)
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, r, err.text,
			        cases[i].rc, cases[i].text);
		/* Nothing is kept: the output stays untouched (and LeakSanitizer sees no leak). */
		assert_ptr_equal(p, (pol_policy *)(uintptr_t)0x1);
		assert_string_equal(err.file, "t.policy");
	}
}

static void test_embedded_nul(void **state)
{
	static const char in[] = "allow a b\nallow a\0b c\n";
	pol_policy *p = NULL;
	pol_error err;

	assert_int_equal(pol_parse("t.policy", in, sizeof(in) - 1, NULL, NULL, &p, &err), -EBADMSG);
	assert_string_equal(err.text, "t.policy:2: control character 0x00");
	assert_int_equal(err.line, 2);
	assert_null(p);
}

static void test_bad_arguments(void **state)
{
	pol_policy *p = NULL;
	pol_error err;
	mfs fs = {.files = (const mfile[]){{NULL, NULL}}};

	assert_int_equal(pol_parse(NULL, "", 0, NULL, NULL, &p, &err), -EINVAL);
	assert_int_equal(pol_parse("t.policy", "", 0, NULL, NULL, NULL, &err), -EINVAL);
	assert_int_equal(pol_parse("t.policy", NULL, 3, NULL, NULL, &p, &err), -EINVAL);
	assert_int_equal(pol_parse("/abs.policy", "", 0, NULL, NULL, &p, &err), -EINVAL);
	assert_string_equal(err.text, "invalid root path");
	assert_string_equal(err.file, "");
	assert_int_equal(pol_parse("../t.policy", "", 0, NULL, NULL, &p, &err), -EINVAL);
	assert_int_equal(pol_load("t.policy", NULL, NULL, &p, &err), -EINVAL);
	assert_int_equal(pol_load("t.policy", mem_loader, &fs, &p, &err), -ENOENT);
	assert_string_equal(err.text, "t.policy: cannot load: no such file");
	assert_int_equal(err.line, 0);
	/* a NULL error pointer is allowed */
	assert_int_equal(pol_parse("t.policy", "bogus", 5, NULL, NULL, &p, NULL), -EBADMSG);
	assert_null(p);
	assert_null(pol_free(NULL));
	assert_null(pol_version(NULL));
	assert_null(pol_canonical(NULL, NULL));
	assert_int_equal(pol_rule_count(NULL), 0);
}

/* ---- includes ---- */

static void test_include_relative(void **state)
{
	static const mfile files[] = {
	        {"sub/a.policy", "include b.policy\ninclude inner/c.policy\nallow a x\n"},
	        {"sub/b.policy", "\n\ndeny svc:b y\n"},
	        {"sub/inner/c.policy", "include d.policy\n"},
	        {"sub/inner/d.policy", "allow svc:d z\n"},
	        {NULL, NULL},
	};
	mfs fs = {.files = files};
	pol_policy *p = NULL;
	pol_error err;
	pol_explanation ex;

	assert_int_equal(pol_load("sub/a.policy", mem_loader, &fs, &p, &err), 0);
	assert_int_equal(fs.nasked, 4);
	assert_string_equal(fs.asked[0], "sub/a.policy");
	assert_string_equal(fs.asked[1], "sub/b.policy");
	assert_string_equal(fs.asked[2], "sub/inner/c.policy");
	assert_string_equal(fs.asked[3], "sub/inner/d.policy");
	assert_int_equal(pol_rule_count(p), 3);
	assert_string_equal(pol_canonical(p, NULL), "allow a x\nallow svc:d z\ndeny svc:b y\n");
	assert_int_equal(pol_explain(p, "svc:b", "y", &ex), 0);
	assert_string_equal(ex.file, "sub/b.policy");
	assert_int_equal(ex.line, 3);
	assert_int_equal(pol_explain(p, "svc:d", "z", &ex), 0);
	assert_string_equal(ex.file, "sub/inner/d.policy");
	assert_int_equal(ex.line, 1);
	assert_int_equal(ex.verdict, POL_ALLOW);
	pol_free(p);
}

static void test_include_errors_name_file(void **state)
{
	static const mfile files[] = {
	        {"a.policy", "allow x y\ninclude b.policy\n"},
	        {"b.policy", "# b\nallow x z\nallow x *z\n"},
	        {NULL, NULL},
	};
	pol_policy *p = NULL;
	pol_error err;

	assert_int_equal(load_files(files, "a.policy", &p, &err), -EBADMSG);
	assert_string_equal(err.text,
	        "b.policy:3: misplaced '*' in capability \"*z\" (only at the end, alone or after '.')");
	assert_string_equal(err.file, "b.policy");
	assert_int_equal(err.line, 3);
	assert_null(p);
}

static void test_include_cycles(void **state)
{
	static const mfile self[] = {{"a.policy", "include a.policy\n"}, {NULL, NULL}};
	static const mfile two[] = {
	        {"a.policy", "allow x y\ninclude b.policy\n"},
	        {"b.policy", "\ninclude a.policy\n"},
	        {NULL, NULL},
	};
	static const mfile deep[] = {
	        {"a.policy", "include d/b.policy\n"},
	        {"d/b.policy", "include c.policy\n"},
	        {"d/c.policy", "allow x y\ninclude b.policy\n"},
	        {NULL, NULL},
	};
	/* The same file twice, not nested, is not a cycle. */
	static const mfile diamond[] = {
	        {"a.policy", "include b.policy\ninclude c.policy\n"},
	        {"b.policy", "include d.policy\n"},
	        {"c.policy", "include d.policy\n"},
	        {"d.policy", "allow x y\n"},
	        {NULL, NULL},
	};
	pol_policy *p = NULL;
	pol_error err;

	assert_int_equal(load_files(self, "a.policy", &p, &err), -ELOOP);
	assert_string_equal(err.text, "a.policy:1: include cycle: a.policy -> a.policy");
	assert_int_equal(load_files(two, "a.policy", &p, &err), -ELOOP);
	assert_string_equal(
	        err.text, "b.policy:2: include cycle: a.policy -> b.policy -> a.policy");
	assert_int_equal(load_files(deep, "a.policy", &p, &err), -ELOOP);
	assert_string_equal(err.text,
	        "d/c.policy:2: include cycle: a.policy -> d/b.policy -> d/c.policy -> d/b.policy");
	assert_null(p);
	assert_int_equal(load_files(diamond, "a.policy", &p, &err), 0);
	assert_int_equal(pol_rule_count(p), 1);
	pol_free(p);
}

/* A chain d0 -> d1 -> ... -> d<n>: n includes deep. */
static int load_chain(unsigned n, pol_policy **ret, pol_error *err)
{
	static char names[POL_INCLUDE_DEPTH_MAX + 2][16];
	static char bodies[POL_INCLUDE_DEPTH_MAX + 2][64];
	mfile files[POL_INCLUDE_DEPTH_MAX + 3];

	assert_true(n <= POL_INCLUDE_DEPTH_MAX + 1);
	for (unsigned i = 0; i <= n; i++) {
		snprintf(names[i], sizeof(names[i]), "d%u.policy", i);
		if (i < n)
			snprintf(bodies[i], sizeof(bodies[i]), "include d%u.policy\n", i + 1);
		else
			snprintf(bodies[i], sizeof(bodies[i]), "allow deep x\n");
		files[i] = (mfile){names[i], bodies[i]};
	}
	files[n + 1] = (mfile){NULL, NULL};
	return load_files(files, "d0.policy", ret, err);
}

static void test_include_depth(void **state)
{
	pol_policy *p = NULL;
	pol_error err;

	assert_int_equal(load_chain(POL_INCLUDE_DEPTH_MAX, &p, &err), 0);
	assert_int_equal(pol_check(p, "deep", "x"), POL_ALLOW);
	p = pol_free(p);
	assert_int_equal(load_chain(POL_INCLUDE_DEPTH_MAX + 1, &p, &err), -ELOOP);
	assert_string_equal(err.text,
	        "d8.policy:1: include depth limit 8 exceeded: d0.policy -> d1.policy -> d2.policy -> "
	        "d3.policy -> d4.policy -> d5.policy -> d6.policy -> d7.policy -> d8.policy -> d9.policy");
	assert_null(p);
}

static void test_include_file_count(void **state)
{
	size_t n = POL_FILES_MAX + 4, len = n * 17 + 1;
	char *root = malloc(len);
	mfile files[3] = {{"t.policy", root}, {"x.policy", "allow x y\n"}, {NULL, NULL}};
	pol_policy *p = NULL;
	pol_error err;
	size_t pos = 0;

	assert_non_null(root);
	/* the root counts as a load: POL_FILES_MAX - 1 includes fit */
	for (size_t i = 0; i < POL_FILES_MAX - 1; i++)
		pos += (size_t)snprintf(root + pos, len - pos, "include x.policy\n");
	assert_int_equal(load_files(files, "t.policy", &p, &err), 0);
	assert_int_equal(pol_rule_count(p), 1);
	p = pol_free(p);
	snprintf(root + pos, len - pos, "include x.policy\n");
	assert_int_equal(load_files(files, "t.policy", &p, &err), -EMSGSIZE);
	assert_string_equal(err.text, "t.policy:256: too many files (limit 256)");
	free(root);
}

static void test_include_path_length(void **state)
{
	char line[POL_LINE_MAX], name[POL_PATH_MAX + 2];
	pol_policy *p = NULL;
	pol_error err;
	char want[POL_ERROR_MAX];

	/* "dir/" + 251 = POL_PATH_MAX: accepted, then not found */
	memset(name, 'n', sizeof(name));
	name[POL_PATH_MAX - 4] = '\0';
	snprintf(line, sizeof(line), "include %s\n", name);
	assert_int_equal(
	        pol_parse("dir/t.policy", line, strlen(line), NULL, NULL, &p, &err), -ENOENT);
	snprintf(want, sizeof(want), "dir/t.policy:1: cannot load \"dir/%s\": no such file", name);
	assert_string_equal(err.text, want);
	/* one more byte crosses the limit */
	name[POL_PATH_MAX - 4] = 'n';
	name[POL_PATH_MAX - 3] = '\0';
	snprintf(line, sizeof(line), "include %s\n", name);
	assert_int_equal(
	        pol_parse("dir/t.policy", line, strlen(line), NULL, NULL, &p, &err), -EMSGSIZE);
	assert_string_equal(err.text, "dir/t.policy:1: include path too long (limit 255 bytes)");
	assert_null(p);
}

static int big_loader(void *ctx, const char *path, const void **ret_data, size_t *ret_len)
{
	*ret_data = ctx;
	*ret_len = POL_FILE_MAX + 1;
	return 0;
}

static int failing_loader(void *ctx, const char *path, const void **ret_data, size_t *ret_len)
{
	return -EACCES;
}

static void test_file_size(void **state)
{
	char *buf = malloc(POL_FILE_MAX + 1);
	pol_policy *p = NULL;
	pol_error err;

	assert_non_null(buf);
	/* POL_FILE_MAX bytes of blank and comment lines parse */
	memset(buf, '\n', POL_FILE_MAX + 1);
	for (size_t i = 0; i + 2 < POL_FILE_MAX; i += 100)
		buf[i] = '#';
	assert_int_equal(pol_parse("t.policy", buf, POL_FILE_MAX, NULL, NULL, &p, &err), 0);
	assert_int_equal(pol_rule_count(p), 0);
	p = pol_free(p);
	assert_int_equal(
	        pol_parse("t.policy", buf, POL_FILE_MAX + 1, NULL, NULL, &p, &err), -EMSGSIZE);
	assert_string_equal(err.text, "t.policy: file too large (limit 1048576 bytes)");
	assert_int_equal(pol_parse("t.policy", "include big.policy", 18, big_loader, buf, &p, &err),
	        -EMSGSIZE);
	assert_string_equal(
	        err.text, "t.policy:1: \"big.policy\" is too large (limit 1048576 bytes)");
	assert_int_equal(
	        pol_parse("t.policy", "\ninclude x", 10, failing_loader, NULL, &p, &err), -EACCES);
	assert_string_equal(err.text, "t.policy:2: cannot load \"x\": permission denied");
	assert_null(p);
	free(buf);
}

/* ---- limits on lines and tokens ---- */

static void test_line_length(void **state)
{
	char line[POL_LINE_MAX + 8];
	pol_policy *p = NULL;
	pol_error err;
	size_t n;

	/* "allow a " + caps of 1 byte separated by spaces, padded to exactly POL_LINE_MAX */
	memset(line, ' ', sizeof(line));
	for (n = 0; n < 8; n++)
		line[n] = "allow a "[n];
	for (n = 8; n < POL_LINE_MAX; n += 2)
		line[n] = 'c';
	line[POL_LINE_MAX] = '\r';
	line[POL_LINE_MAX + 1] = '\n';
	assert_int_equal(pol_parse("t.policy", line, POL_LINE_MAX + 2, NULL, NULL, &p, &err), 0);
	assert_int_equal(pol_rule_count(p), 1);
	p = pol_free(p);
	line[POL_LINE_MAX] = ' ';
	line[POL_LINE_MAX + 1] = '\n';
	assert_int_equal(
	        pol_parse("t.policy", line, POL_LINE_MAX + 2, NULL, NULL, &p, &err), -EMSGSIZE);
	assert_string_equal(err.text, "t.policy:1: line too long (limit 1024 bytes)");
	/* comments count too */
	memset(line, '#', POL_LINE_MAX + 1);
	assert_int_equal(
	        pol_parse("t.policy", line, POL_LINE_MAX + 1, NULL, NULL, &p, &err), -EMSGSIZE);
	assert_null(p);
}

static void test_token_length(void **state)
{
	char line[2 * POL_TOKEN_MAX + 32], tok[POL_TOKEN_MAX + 2];
	pol_policy *p = NULL;
	pol_error err;
	pol_explanation ex;

	memset(tok, 'c', sizeof(tok));
	tok[POL_TOKEN_MAX] = '\0';
	snprintf(line, sizeof(line), "allow %s %s\n", tok, tok);
	p = must_parse(line);
	assert_int_equal(pol_check(p, tok, tok), POL_ALLOW);
	/* the longest rule text fits POL_RULE_TEXT_MAX uncut */
	assert_int_equal(pol_explain(p, tok, tok, &ex), 0);
	assert_int_equal(strlen(ex.rule), POL_RULE_TEXT_MAX - 1);
	assert_int_equal(strncmp(ex.rule, line, POL_RULE_TEXT_MAX - 1), 0);
	p = pol_free(p);
	tok[POL_TOKEN_MAX] = 'c';
	tok[POL_TOKEN_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "allow a %s\n", tok);
	assert_int_equal(parse_str(line, &p, &err), -EMSGSIZE);
	assert_string_equal(err.text, "t.policy:1: token too long (limit 255 bytes)");
	assert_null(p);
}

static void test_rule_count(void **state)
{
	const unsigned per_line = 50;
	size_t cap = (POL_RULES_MAX / per_line + 2) * (per_line * 8 + 16);
	char *buf = malloc(cap);
	size_t pos = 0;
	unsigned k = 0;
	pol_policy *p = NULL;
	pol_error err;
	char want[128];

	assert_non_null(buf);
	for (unsigned l = 0; l < POL_RULES_MAX / per_line; l++) {
		pos += (size_t)snprintf(buf + pos, cap - pos, "allow s");
		for (unsigned j = 0; j < per_line; j++)
			pos += (size_t)snprintf(buf + pos, cap - pos, " c%u", k++);
		buf[pos++] = '\n';
	}
	assert_int_equal(k, POL_RULES_MAX);
	assert_int_equal(pol_parse("t.policy", buf, pos, NULL, NULL, &p, &err), 0);
	assert_int_equal(pol_rule_count(p), POL_RULES_MAX);
	assert_int_equal(pol_check(p, "s", "c99999"), POL_ALLOW);
	assert_int_equal(pol_check(p, "s", "c100000"), POL_DENY);
	p = pol_free(p);
	pos += (size_t)snprintf(buf + pos, cap - pos, "allow s extra\n");
	assert_int_equal(pol_parse("t.policy", buf, pos, NULL, NULL, &p, &err), -EMSGSIZE);
	snprintf(want, sizeof(want), "t.policy:%u: too many rules (limit 100000)",
	        POL_RULES_MAX / per_line + 1);
	assert_string_equal(err.text, want);
	assert_null(p);
	free(buf);
}

/* ---- decisions ---- */

static void test_default_deny(void **state)
{
	pol_policy *p = must_parse("");
	pol_explanation ex;

	assert_int_equal(pol_check(p, "svc:samgrd", "samgr.list"), POL_DENY);
	assert_int_equal(pol_explain(p, "svc:samgrd", "samgr.list", &ex), 0);
	assert_true(ex.by_default);
	assert_int_equal(ex.verdict, POL_DENY);
	assert_null(ex.file);
	assert_int_equal(ex.line, 0);
	assert_string_equal(ex.rule, "no rule: deny by default");
	pol_free(p);

	/* deny rules alone never allow */
	p = must_parse("deny app:* ipc.connect.*\n");
	assert_int_equal(pol_check(p, "app:x", "log.append"), POL_DENY);
	pol_free(p);
}

static void test_deny_beats_allow(void **state)
{
	/* order in the file does not matter */
	static const char *const texts[] = {
	        "allow app:* ipc.connect.*\ndeny app:mail ipc.connect.keystored\n",
	        "deny app:mail ipc.connect.keystored\nallow app:* ipc.connect.*\n",
	        "allow app:mail ipc.connect.keystored\ndeny * ipc.connect.keystored\n",
	};

	for (size_t i = 0; i < 3; i++) {
		pol_policy *p = must_parse(texts[i]);

		assert_int_equal(pol_check(p, "app:mail", "ipc.connect.keystored"), POL_DENY);
		assert_int_equal(
		        pol_check(p, "app:mail", "ipc.connect.logd"), i < 2 ? POL_ALLOW : POL_DENY);
		pol_free(p);
	}
}

static void test_prefix_boundaries(void **state)
{
	pol_policy *p = must_parse("allow app:* a.b.*\n"
	                           "allow peer:d1/* x\n"
	                           "allow * any.*\n"
	                           "allow exact cap\n");
	static const struct {
		const char *s, *c;
		pol_verdict v;
	} cases[] = {
	        {"app:mail", "a.b.c", POL_ALLOW},
	        {"app:mail/sub", "a.b.c.d", POL_ALLOW}, /* '*' spans later separators */
	        {"apple", "a.b.c", POL_DENY},           /* not at a boundary */
	        {"app", "a.b.c", POL_DENY},
	        {"app:", "a.b.c", POL_DENY}, /* '*' needs at least one byte */
	        {"app:mail", "a.b", POL_DENY},
	        {"app:mail", "a.b.", POL_DENY},
	        {"app:mail", "a.bc", POL_DENY},
	        {"app:mail", "a.bx.c", POL_DENY},
	        {"xapp:mail", "a.b.c", POL_DENY},
	        {"peer:d1/app:x", "x", POL_ALLOW},
	        {"peer:d1", "x", POL_DENY},
	        {"peer:d10/app:x", "x", POL_DENY},
	        {"anyone", "any.thing", POL_ALLOW},
	        {"anyone", "any", POL_DENY},
	        {"anyone", "anything", POL_DENY},
	        {"exact", "cap", POL_ALLOW},
	        {"exact", "ca", POL_DENY},
	        {"exac", "cap", POL_DENY},
	        {"exact:x", "cap", POL_DENY},
	        {"exact", "cap.x", POL_DENY},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		if (pol_check(p, cases[i].s, cases[i].c) != cases[i].v)
			fail_msg("case %zu: %s %s", i, cases[i].s, cases[i].c);
	pol_free(p);
}

static void test_invalid_queries(void **state)
{
	pol_policy *p = must_parse("allow * *\n");
	char big[POL_TOKEN_MAX + 2];
	pol_explanation ex;

	memset(big, 's', sizeof(big));
	big[POL_TOKEN_MAX] = '\0';
	assert_int_equal(pol_check(p, big, "c"), POL_ALLOW);
	big[POL_TOKEN_MAX] = 's';
	big[POL_TOKEN_MAX + 1] = '\0';
	assert_int_equal(pol_check(p, big, "c"), POL_DENY);
	assert_int_equal(pol_check(p, "s", big), POL_DENY);
	assert_int_equal(pol_explain(p, big, "c", &ex), -EINVAL);
	assert_int_equal(pol_check(p, "", "c"), POL_DENY);
	assert_int_equal(pol_check(p, "s", ""), POL_DENY);
	assert_int_equal(pol_check(p, NULL, "c"), POL_DENY);
	assert_int_equal(pol_check(p, "s", NULL), POL_DENY);
	assert_int_equal(pol_check(p, "a b", "c"), POL_DENY);
	assert_int_equal(pol_check(p, "s", "c\n"), POL_DENY);
	assert_int_equal(pol_check(NULL, "s", "c"), POL_DENY);
	assert_int_equal(pol_explain(NULL, "s", "c", &ex), -EINVAL);
	assert_int_equal(pol_explain(p, "s", "c", NULL), -EINVAL);
	pol_free(p);
}

static void test_check_many(void **state)
{
	pol_policy *p = must_parse("allow svc:* log.append\ndeny svc:x log.append\n");
	pol_query q[POL_CHECK_MANY_MAX + 1];
	pol_verdict v[POL_CHECK_MANY_MAX + 1];

	for (size_t i = 0; i <= POL_CHECK_MANY_MAX; i++) {
		q[i] = (pol_query){i % 2 ? "svc:x" : "svc:y", "log.append"};
		v[i] = (pol_verdict)7;
	}
	assert_int_equal(pol_check_many(p, q, POL_CHECK_MANY_MAX, v), 0);
	for (size_t i = 0; i < POL_CHECK_MANY_MAX; i++)
		assert_int_equal(v[i], i % 2 ? POL_DENY : POL_ALLOW);
	assert_int_equal(v[POL_CHECK_MANY_MAX], 7);
	assert_int_equal(pol_check_many(p, q, POL_CHECK_MANY_MAX + 1, v), -E2BIG);
	assert_int_equal(pol_check_many(p, NULL, 1, v), -EINVAL);
	assert_int_equal(pol_check_many(NULL, q, 1, v), -EINVAL);
	assert_int_equal(pol_check_many(p, NULL, 0, NULL), 0);
	pol_free(p);
}

static void test_explain(void **state)
{
	pol_policy *p = must_parse("# header\n"
	                           "allow app:* ipc.connect.* log.append\n"
	                           "allow app:mail ipc.connect.keystored\n"
	                           "deny * ipc.connect.keystored\n"
	                           "deny app:mail ipc.connect.*\n");
	pol_explanation ex;

	assert_int_equal(pol_explain(p, "app:notes", "ipc.connect.logd", &ex), 0);
	assert_int_equal(ex.verdict, POL_ALLOW);
	assert_false(ex.by_default);
	assert_string_equal(ex.file, "t.policy");
	assert_int_equal(ex.line, 2);
	assert_string_equal(ex.rule, "allow app:* ipc.connect.*");

	assert_int_equal(pol_explain(p, "app:notes", "log.append", &ex), 0);
	assert_string_equal(ex.rule, "allow app:* log.append");

	/* two denies match: the first in load order decides the explanation */
	assert_int_equal(pol_explain(p, "app:mail", "ipc.connect.keystored", &ex), 0);
	assert_int_equal(ex.verdict, POL_DENY);
	assert_int_equal(ex.line, 4);
	assert_string_equal(ex.rule, "deny * ipc.connect.keystored");

	assert_int_equal(pol_explain(p, "app:mail", "ipc.connect.logd", &ex), 0);
	assert_int_equal(ex.verdict, POL_DENY);
	assert_int_equal(ex.line, 5);
	assert_string_equal(ex.rule, "deny app:mail ipc.connect.*");

	assert_int_equal(pol_explain(p, "svc:x", "samgr.list", &ex), 0);
	assert_true(ex.by_default);
	pol_free(p);
}

/* ---- canonical form and version ---- */

static void test_version(void **state)
{
	pol_policy *a = must_parse("# policy A\nallow svc:a x y\ndeny app:* z\n");
	pol_policy *b =
	        must_parse("deny   app:*   z   # reordered\n\n\tallow svc:a y\nallow svc:a x\n"
	                   "allow svc:a x\n");
	pol_policy *c = must_parse("allow svc:a x y\ndeny app:* z\nallow svc:a w\n");
	pol_policy *d = must_parse("allow svc:a x y\nallow app:* z\n");
	pol_policy *e = must_parse("");
	pol_policy *r;
	size_t len;
	const char *canon;
	pol_error err;

	assert_string_equal(pol_version(a), pol_version(b));
	assert_string_not_equal(pol_version(a), pol_version(c));
	assert_string_not_equal(pol_version(a), pol_version(d));
	/* SHA-256 of the empty string */
	assert_string_equal(
	        pol_version(e), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* the canonical form parses back to the same version and the same form */
	canon = pol_canonical(a, &len);
	assert_string_equal(canon, "allow svc:a x\nallow svc:a y\ndeny app:* z\n");
	assert_int_equal(pol_parse("c.policy", canon, len, NULL, NULL, &r, &err), 0);
	assert_string_equal(pol_version(r), pol_version(a));
	assert_string_equal(pol_canonical(r, NULL), canon);
	pol_free(r);

	/* includes are flattened: same rules split over files, same version */
	{
		static const mfile files[] = {
		        {"m.policy", "include parts/one.policy\ndeny app:* z\n"},
		        {"parts/one.policy", "allow svc:a y x\n"},
		        {NULL, NULL},
		};
		assert_int_equal(load_files(files, "m.policy", &r, &err), 0);
		assert_string_equal(pol_version(r), pol_version(a));
		pol_free(r);
	}
	pol_free(a);
	pol_free(b);
	pol_free(c);
	pol_free(d);
	pol_free(e);
}

/* ---- 10,000 random rules against a brute-force matcher ---- */

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static void gen_name(char *out, size_t size, bool subject)
{
	static const char *const ssegs[] = {"app", "svc", "a", "ab", "peer", "d1", "apple", "x"};
	static const char *const csegs[] = {"ipc", "connect", "logd", "log", "a", "ab", "x"};
	unsigned n = 1 + rnd(4);
	size_t pos = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const char *seg = subject ? ssegs[rnd(8)] : csegs[rnd(7)];

		if (i > 0)
			out[pos++] = subject ? (rnd(3) ? ':' : '/') : '.';
		if (rnd(2))
			pos += (size_t)snprintf(out + pos, size - pos, "%s", seg);
		else
			pos += (size_t)snprintf(out + pos, size - pos, "w%u", rnd(40));
	}
}

/* A pattern: a name, cut after a random separator into "P*" half of the time; rarely "*". */
static void gen_pattern(char *out, size_t size, bool subject)
{
	size_t cuts[16], ncut = 0, len;

	gen_name(out, size, subject);
	len = strlen(out);
	if (rnd(5000) == 0) {
		snprintf(out, size, "*");
		return;
	}
	if (rnd(2))
		return;
	for (size_t i = 0; i + 1 < len && ncut < 16; i++)
		if (subject ? (out[i] == ':' || out[i] == '/') : out[i] == '.')
			cuts[ncut++] = i + 1;
	if (ncut == 0)
		return;
	len = cuts[rnd((uint32_t)ncut)];
	out[len] = '*';
	out[len + 1] = '\0';
}

/* A name that a pattern matches: its '*' replaced by a random name. */
static void gen_match(const char *pat, char *out, size_t size, bool subject)
{
	size_t pl = strlen(pat);
	char tail[64];

	if (pl == 0 || pat[pl - 1] != '*') {
		snprintf(out, size, "%s", pat);
		return;
	}
	gen_name(tail, sizeof(tail), subject);
	assert_true(pl - 1 + strlen(tail) < size);
	memcpy(out, pat, pl - 1);
	memcpy(out + pl - 1, tail, strlen(tail) + 1);
}

static bool ref_match(const char *pat, const char *s)
{
	size_t pl = strlen(pat);

	if (pl && pat[pl - 1] == '*')
		return strlen(s) > pl - 1 && strncmp(pat, s, pl - 1) == 0;
	return strcmp(pat, s) == 0;
}

typedef struct ref_rule {
	bool deny;
	char subj[64], cap[64];
} ref_rule;

static void test_random_vs_reference(void **state)
{
	enum { NRULES = 10000, NQUERIES = 4000 };
	ref_rule *rules = calloc(NRULES, sizeof(*rules));
	size_t cap = NRULES * 140, pos = 0;
	char *text = malloc(cap);
	pol_policy *p = NULL;
	pol_error err;
	unsigned allows = 0, denies = 0, by_rule_deny = 0, defaults = 0;

	assert_non_null(rules);
	assert_non_null(text);
	for (unsigned i = 0; i < NRULES; i++) {
		rules[i].deny = rnd(10) == 0;
		gen_pattern(rules[i].subj, sizeof(rules[i].subj), true);
		gen_pattern(rules[i].cap, sizeof(rules[i].cap), false);
		pos += (size_t)snprintf(text + pos, cap - pos, "%s %s %s\n",
		        rules[i].deny ? "deny" : "allow", rules[i].subj, rules[i].cap);
	}
	assert_int_equal(pol_parse("big.policy", text, pos, NULL, NULL, &p, &err), 0);

	for (unsigned q = 0; q < NQUERIES; q++) {
		char s[128], c[128];
		int first_allow = -1, first_deny = -1;
		pol_verdict want;
		pol_explanation ex;

		if (q % 2) {
			const ref_rule *ru = &rules[rnd(NRULES)];

			gen_match(ru->subj, s, sizeof(s), true);
			gen_match(ru->cap, c, sizeof(c), false);
		} else {
			gen_name(s, sizeof(s), true);
			gen_name(c, sizeof(c), false);
		}
		for (int i = 0; i < NRULES; i++) {
			if (!ref_match(rules[i].subj, s) || !ref_match(rules[i].cap, c))
				continue;
			if (rules[i].deny && first_deny < 0)
				first_deny = i;
			if (!rules[i].deny && first_allow < 0)
				first_allow = i;
		}
		want = first_allow >= 0 && first_deny < 0 ? POL_ALLOW : POL_DENY;
		if (pol_check(p, s, c) != want)
			fail_msg("query %u: %s %s: want %d", q, s, c, want);
		assert_int_equal(pol_explain(p, s, c, &ex), 0);
		assert_int_equal(ex.verdict, want);
		if (first_deny >= 0) {
			assert_int_equal(ex.line, (unsigned)first_deny + 1);
			by_rule_deny++;
		} else if (first_allow >= 0) {
			assert_int_equal(ex.line, (unsigned)first_allow + 1);
		} else {
			assert_true(ex.by_default);
			defaults++;
		}
		if (want == POL_ALLOW)
			allows++;
		else
			denies++;
	}
	print_message("allow %u, deny by rule %u, by default %u\n", allows, by_rule_deny, defaults);
	/* the query mix exercises every outcome */
	assert_true(allows > NQUERIES / 20);
	assert_true(by_rule_deny > NQUERIES / 20);
	assert_true(defaults > NQUERIES / 20);
	pol_free(p);
	free(text);
	free(rules);
}

/* ---- the shipped default policy ---- */

static int disk_loader(void *ctx, const char *path, const void **ret_data, size_t *ret_len)
{
	char **bufs = ctx, full[1024];
	FILE *f;
	size_t n;
	unsigned slot = 0;

	while (bufs[slot])
		slot++;
	if (slot >= 15)
		return -EMFILE;
	snprintf(full, sizeof(full), "%s/%s", POLICIES_DIR, path);
	f = fopen(full, "re");
	if (!f)
		return -ENOENT;
	bufs[slot] = malloc(POL_FILE_MAX + 1);
	n = fread(bufs[slot], 1, POL_FILE_MAX + 1, f);
	fclose(f);
	*ret_data = bufs[slot];
	*ret_len = n;
	return 0;
}

static void test_default_policy(void **state)
{
	char *bufs[16] = {NULL};
	pol_policy *p = NULL;
	pol_error err = {.text = ""};
	static const struct {
		const char *s, *c;
		pol_verdict v;
	} cases[] = {
	        {"svc:samgrd", "ipc.register.samgrd", POL_ALLOW},
	        {"svc:logd", "ipc.register.logd", POL_ALLOW},
	        {"svc:logd", "ipc.register.samgrd", POL_DENY},
	        {"svc:logd", "ipc.connect.policyd", POL_ALLOW},
	        {"svc:rngd", "log.append", POL_ALLOW},
	        {"svc:keystored", "rng.entropy", POL_ALLOW},
	        {"app:notes", "log.append", POL_ALLOW},
	        {"app:notes", "policy.reload", POL_DENY},
	        {"app:notes", "ipc.register.logd", POL_DENY},
	        {"app:notes", "ipc.connect.keystored", POL_DENY},
	        {"uid:0", "policy.reload", POL_ALLOW},
	        {"uid:1000", "policy.reload", POL_DENY},
	        {"peer:dev1/app:x", "ipc.register.logd", POL_DENY},
	        {"nobody", "log.append", POL_DENY},
	};
	int r = pol_load("default.policy", disk_loader, bufs, &p, &err);

	for (unsigned i = 0; bufs[i]; i++)
		free(bufs[i]);
	if (r < 0)
		fail_msg("default.policy: %d %s", r, err.text);
	assert_true(pol_rule_count(p) > 20);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		if (pol_check(p, cases[i].s, cases[i].c) != cases[i].v)
			fail_msg("default policy: %s %s: want %d", cases[i].s, cases[i].c,
			        cases[i].v);
	pol_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_good_inputs),
	        cmocka_unit_test(test_bad_inputs),
	        cmocka_unit_test(test_embedded_nul),
	        cmocka_unit_test(test_bad_arguments),
	        cmocka_unit_test(test_include_relative),
	        cmocka_unit_test(test_include_errors_name_file),
	        cmocka_unit_test(test_include_cycles),
	        cmocka_unit_test(test_include_depth),
	        cmocka_unit_test(test_include_file_count),
	        cmocka_unit_test(test_include_path_length),
	        cmocka_unit_test(test_file_size),
	        cmocka_unit_test(test_line_length),
	        cmocka_unit_test(test_token_length),
	        cmocka_unit_test(test_rule_count),
	        cmocka_unit_test(test_default_deny),
	        cmocka_unit_test(test_deny_beats_allow),
	        cmocka_unit_test(test_prefix_boundaries),
	        cmocka_unit_test(test_invalid_queries),
	        cmocka_unit_test(test_check_many),
	        cmocka_unit_test(test_explain),
	        cmocka_unit_test(test_version),
	        cmocka_unit_test(test_random_vs_reference),
	        cmocka_unit_test(test_default_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
