/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: what execd takes from the two parties it does not trust (userspace/exec).
 *
 * Even first byte: an app's output. The bytes are fed to app_lines_feed in pieces whose sizes
 * come from the next two bytes (a pipe read returns any size), then flushed. The records must
 * be exactly those of a byte-at-a-time model of the rule in lines.h (cut at '\n', a '\r'
 * before the cut dropped, empty records skipped, a record full at APP_LINE_MAX bytes), so how
 * the pipe split the output can never change what reaches the journal; each record is
 * 1..APP_LINE_MAX bytes without a '\n'.
 *
 * Odd first byte: a caller's Exec.spawn arguments. The rest is split into elements at 0xff,
 * from args to env at the first 0xfe; each element is copied to an allocation of its own size
 * (a read past it is ASan's). app_argv_check must agree with a model of its contract (limits of
 * nexus/limits-exec.h, no NUL, env as NAME=value with each NAME once) on accept or the error,
 * write a NUL-terminated reason naming the list on failure and leave `why` untouched on
 * success.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/argv.h"
#include "exec/lines.h"

#define ELEMS_MAX 40 /* past both count limits (32 args, 16 env) */

/* ---- Output lines ------------------------------------------------------------------------ */

struct records {
	char *bytes; /* every record, each followed by '\n' */
	size_t len;
	size_t count;
};

static void record(const char *line, size_t len, void *userdata)
{
	struct records *r = userdata;

	if (len == 0 || len > APP_LINE_MAX || memchr(line, '\n', len))
		abort();
	memcpy(r->bytes + r->len, line, len);
	r->len += len;
	r->bytes[r->len++] = '\n';
	r->count++;
}

/* The rule of lines.h, one byte at a time. */
static void model_lines(const uint8_t *data, size_t len, struct records *out)
{
	char cur[APP_LINE_MAX];
	size_t n = 0;

	for (size_t i = 0; i <= len; i++) {
		bool end = i == len, cut = end || data[i] == '\n';

		if (!cut) {
			cur[n++] = (char)data[i];
			cut = n == sizeof(cur);
		}
		if (cut) {
			if (n && cur[n - 1] == '\r')
				n--;
			if (n)
				record(cur, n, out);
			n = 0;
		}
	}
}

static void fuzz_lines(const uint8_t *data, size_t size)
{
	uint32_t seed = size >= 2 ? (uint32_t)(data[0] | data[1] << 8) | 1u : 1u;
	const uint8_t *out = size >= 2 ? data + 2 : data + size;
	size_t len = size >= 2 ? size - 2 : 0;
	/* Each record takes at most its bytes and a '\n': twice the input bounds both sides. */
	struct records got = {.bytes = malloc(2 * len + 1)}, want = {.bytes = malloc(2 * len + 1)};
	struct app_lines l = {.len = 0};

	if (!got.bytes || !want.bytes)
		abort();
	for (size_t at = 0; at < len;) {
		size_t piece;

		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		piece = 1 + seed % (3 * APP_LINE_MAX);
		if (piece > len - at)
			piece = len - at;
		app_lines_feed(&l, (const char *)out + at, piece, record, &got);
		at += piece;
	}
	app_lines_flush(&l, record, &got);
	model_lines(out, len, &want);
	if (got.count != want.count || got.len != want.len ||
	        memcmp(got.bytes, want.bytes, got.len))
		abort();
	free(got.bytes);
	free(want.bytes);
}

/* ---- Spawn arguments --------------------------------------------------------------------- */

static bool env_name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* NAME's length in "NAME=value", 0 when there is no valid NAME before a '='. */
static size_t model_name(const struct app_text *t)
{
	const char *eq = memchr(t->s, '=', t->len);
	size_t n = eq ? (size_t)(eq - t->s) : 0;

	for (size_t i = 0; i < n; i++)
		if (!env_name_char(t->s[i], i == 0))
			return 0;
	return n;
}

static int model_list(
        const struct app_text *v, size_t n, size_t count_max, size_t elem_max, size_t total_max)
{
	size_t total = 0;

	if (n > count_max)
		return -EMSGSIZE;
	for (size_t i = 0; i < n; i++) {
		if (v[i].len > elem_max)
			return -EMSGSIZE;
		if (memchr(v[i].s, '\0', v[i].len))
			return -EINVAL;
		total += v[i].len;
	}
	return total > total_max ? -EMSGSIZE : 0;
}

static int model_argv(
        const struct app_text *args, size_t nargs, const struct app_text *env, size_t nenv)
{
	int r = model_list(args, nargs, APP_ARGS_MAX, APP_ARG_MAX, APP_ARGS_BYTES_MAX);

	if (r == 0)
		r = model_list(env, nenv, APP_ENV_MAX, APP_ENV_ENTRY_MAX, APP_ENV_BYTES_MAX);
	for (size_t i = 0; r == 0 && i < nenv; i++) {
		size_t n = model_name(&env[i]);

		if (n == 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (model_name(&env[j]) == n && memcmp(env[j].s, env[i].s, n) == 0)
				return -EINVAL;
	}
	return r;
}

static void fuzz_argv(const uint8_t *data, size_t size)
{
	struct app_text lists[2][ELEMS_MAX];
	size_t counts[2] = {0, 0}, list = 0, start = 0;
	char why[APP_WHY_MAX];
	int got, want;

	for (size_t i = 0; i <= size; i++) {
		bool end = i == size;

		if (!end && data[i] != 0xff && !(data[i] == 0xfe && list == 0))
			continue;
		if (counts[list] < ELEMS_MAX && (end || start < i || data[i] == 0xff)) {
			size_t len = i - start;
			char *copy = malloc(len ? len : 1);

			if (!copy)
				abort();
			memcpy(copy, data + start, len);
			lists[list][counts[list]++] = (struct app_text){copy, len};
		}
		if (!end && data[i] == 0xfe)
			list = 1;
		start = i + 1;
	}
	memset(why, 0x5a, sizeof(why));
	got = app_argv_check(lists[0], counts[0], lists[1], counts[1], why);
	want = model_argv(lists[0], counts[0], lists[1], counts[1]);
	if (got != want)
		abort();
	if (got == 0) {
		for (size_t i = 0; i < sizeof(why); i++)
			if (why[i] != 0x5a)
				abort();
	} else if (!memchr(why, '\0', sizeof(why)) ||
	           (strncmp(why, "args", 4) != 0 && strncmp(why, "env", 3) != 0)) {
		abort();
	}
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++)
			free((void *)lists[l][i].s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_argv(data + 1, size - 1);
	else
		fuzz_lines(data + 1, size - 1);
	return 0;
}
