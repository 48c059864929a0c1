/* SPDX-License-Identifier: MIT */
/* The manifest source (spec.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

static const char *const restart_names[] = {"never", "on-failure", "always"};

const char *bnd_restart_name(unsigned restart)
{
	return restart < sizeof(restart_names) / sizeof(restart_names[0]) ? restart_names[restart]
	                                                                  : NULL;
}

static int fail(struct bnd_spec_error *err, unsigned line, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct bnd_spec_error *err, unsigned line, int code, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err) {
		err->line = line;
		if (line)
			n = snprintf(err->text, sizeof(err->text), "line %u: ", line);
		va_start(ap, fmt);
		/* clang-tidy 14 wrongly reports ap as uninitialized (as in userspace/policy). */
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		(void)vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Decimal digits only, no overflow, then an optional K/M/G when `suffix`. */
static int parse_u64(const char *s, size_t len, bool suffix, uint64_t *ret)
{
	uint64_t v = 0, mul = 1;

	if (suffix && len > 1) {
		switch (s[len - 1]) {
		case 'K':
			mul = 1ull << 10;
			break;
		case 'M':
			mul = 1ull << 20;
			break;
		case 'G':
			mul = 1ull << 30;
			break;
		default:
			break;
		}
		if (mul != 1)
			len--;
	}
	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT64_MAX / mul)
		return -EINVAL;
	*ret = v * mul;
	return 0;
}

static int add_caps(
        struct bnd_spec *s, const char *v, size_t len, unsigned line, struct bnd_spec_error *err)
{
	size_t i = 0;

	while (i < len) {
		size_t start, n;

		while (i < len && is_space(v[i]))
			i++;
		start = i;
		while (i < len && !is_space(v[i]))
			i++;
		n = i - start;
		if (n == 0)
			break;
		if (s->ncaps >= BND_CAPS_MAX)
			return fail(err, line, -EMSGSIZE, "caps: more than %u", BND_CAPS_MAX);
		if (bnd_cap_check(v + start, n) < 0)
			return fail(err, line, -EINVAL, "caps: '%.*s' is not a capability name",
			        (int)n, v + start);
		memcpy(s->caps[s->ncaps], v + start, n);
		s->caps[s->ncaps++][n] = '\0';
	}
	return 0;
}

enum key {
	KEY_ID,
	KEY_VERSION,
	KEY_ENTRY,
	KEY_RESTART,
	KEY_CAPS,
	KEY_MEMORY,
	KEY_TASKS,
	KEY_OPEN_FILES,
	KEY_COUNT,
};

static const char *const key_names[KEY_COUNT] = {
        "id", "version", "entry", "restart", "caps", "memory", "tasks", "open-files"};

static int set_u32(uint32_t *dst, const char *v, size_t len, const char *key, unsigned line,
        struct bnd_spec_error *err)
{
	uint64_t x;

	if (parse_u64(v, len, false, &x) < 0 || x > UINT32_MAX)
		return fail(err, line, -EINVAL, "%s: not a number up to %u", key, UINT32_MAX);
	*dst = (uint32_t)x;
	return 0;
}

static int set_key(struct bnd_spec *s, enum key k, const char *v, size_t len, unsigned line,
        struct bnd_spec_error *err)
{
	switch (k) {
	case KEY_ID:
		if (bnd_id_check(v, len) < 0)
			return fail(err, line, -EINVAL, "id: '%.*s' is not a reverse-DNS bundle id",
			        (int)len, v);
		memcpy(s->id, v, len);
		s->id[len] = '\0';
		return 0;
	case KEY_VERSION:
		if (parse_u64(v, len, false, &s->version) < 0 || s->version == 0)
			return fail(err, line, -EINVAL, "version: not a number from 1");
		return 0;
	case KEY_ENTRY:
		if (bnd_path_check(v, len) < 0)
			return fail(err, line, -EINVAL, "entry: '%.*s' is not a bundle path",
			        (int)len, v);
		memcpy(s->entry, v, len);
		s->entry[len] = '\0';
		return 0;
	case KEY_RESTART:
		for (unsigned i = 0; bnd_restart_name(i); i++)
			if (strlen(bnd_restart_name(i)) == len &&
			        memcmp(bnd_restart_name(i), v, len) == 0) {
				s->restart = i;
				return 0;
			}
		return fail(err, line, -EINVAL, "restart: not never, on-failure or always");
	case KEY_CAPS:
		return add_caps(s, v, len, line, err);
	case KEY_MEMORY:
		if (parse_u64(v, len, true, &s->limits.memory_bytes) < 0)
			return fail(
			        err, line, -EINVAL, "memory: not a byte count (K, M, G suffix)");
		return 0;
	case KEY_TASKS:
		return set_u32(&s->limits.tasks, v, len, "tasks", line, err);
	case KEY_OPEN_FILES:
	default:
		return set_u32(&s->limits.open_files, v, len, "open-files", line, err);
	}
}

static int parse_line(struct bnd_spec *s, bool *seen, const char *p, size_t len, unsigned line,
        struct bnd_spec_error *err)
{
	const char *eq = memchr(p, '=', len);
	size_t klen, vstart, vlen;

	while (len > 0 && is_space(p[len - 1]))
		len--;
	while (len > 0 && is_space(*p))
		p++, len--;
	if (len == 0 || p[0] == '#')
		return 0;
	if (!eq)
		return fail(err, line, -EINVAL, "not 'key = value'");
	klen = (size_t)(eq - p);
	while (klen > 0 && is_space(p[klen - 1]))
		klen--;
	vstart = (size_t)(eq - p) + 1;
	while (vstart < len && is_space(p[vstart]))
		vstart++;
	vlen = len - vstart;
	for (enum key k = 0; k < KEY_COUNT; k++) {
		if (strlen(key_names[k]) != klen || memcmp(key_names[k], p, klen) != 0)
			continue;
		if (seen[k] && k != KEY_CAPS)
			return fail(err, line, -EINVAL, "%s: given twice", key_names[k]);
		seen[k] = true;
		if (vlen == 0 && k != KEY_CAPS)
			return fail(err, line, -EINVAL, "%s: empty", key_names[k]);
		return set_key(s, k, p + vstart, vlen, line, err);
	}
	return fail(err, line, -EINVAL, "unknown key '%.*s'", (int)klen, p);
}

int bnd_spec_parse(
        const char *text, size_t len, struct bnd_spec *ret, struct bnd_spec_error *ret_err)
{
	static const enum key required[] = {KEY_ID, KEY_VERSION, KEY_ENTRY};
	struct bnd_spec s = {0};
	bool seen[KEY_COUNT] = {false};
	unsigned line = 0;
	size_t pos = 0;
	int r;

	if (!text || !ret)
		return -EINVAL;
	if (len > BND_SPEC_MAX)
		return fail(ret_err, 0, -EMSGSIZE, "more than %u bytes", BND_SPEC_MAX);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		if (n > BND_SPEC_LINE_MAX)
			return fail(ret_err, line, -EMSGSIZE, "longer than %u bytes",
			        BND_SPEC_LINE_MAX);
		if (memchr(text + pos, '\0', n))
			return fail(ret_err, line, -EINVAL, "contains NUL");
		r = parse_line(&s, seen, text + pos, n, line, ret_err);
		if (r < 0)
			return r;
		pos += n + 1;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!seen[required[i]])
			return fail(ret_err, 0, -EINVAL, "%s: missing", key_names[required[i]]);
	*ret = s;
	return 0;
}
