/* SPDX-License-Identifier: MIT */
/* The list of known capabilities. See known.h. */
#include "known.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pol_known {
	size_t n;
	char *names[POL_KNOWN_MAX];
};

static int fail(pol_error *err, int r, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int fail(pol_error *err, int r, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return r;
	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	n = snprintf(err->text, sizeof(err->text), "%s:%u: ", file, line);
	va_start(ap, fmt);
	/* clang-tidy 14 wrongly reports ap as uninitialized (as in policy.c's fail). */
	if (n >= 0 && (size_t)n < sizeof(err->text))
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
		vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
	va_end(ap);
	return r;
}

/* A capability pattern: printable, no '#', '*' only as a last segment after a '.'. */
static bool cap_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x21 || ch > 0x7e || ch == '#')
			return false;
		if (ch == '*' && !(i == len - 1 && (len == 1 || s[i - 1] == '.')))
			return false;
	}
	return true;
}

POL_EXPORT pol_known *pol_known_free(pol_known *k)
{
	if (!k)
		return NULL;
	for (size_t i = 0; i < k->n; i++)
		free(k->names[i]);
	free(k);
	return NULL;
}

/* One line: a name, or nothing (blank, comment). */
static int parse_line(
        pol_known *k, const char *file, unsigned line, const char *s, size_t len, pol_error *err)
{
	size_t a = 0, b;

	while (a < len && (s[a] == ' ' || s[a] == '\t'))
		a++;
	if (a == len || s[a] == '#')
		return 0;
	for (b = a; b < len && s[b] != ' ' && s[b] != '\t'; b++)
		;
	for (size_t c = b; c < len; c++)
		if (s[c] == '#')
			break;
		else if (s[c] != ' ' && s[c] != '\t')
			return fail(err, -EBADMSG, file, line, "one capability per line");
	if (b - a > POL_TOKEN_MAX)
		return fail(err, -EMSGSIZE, file, line, "longer than %u bytes", POL_TOKEN_MAX);
	if (!cap_ok(s + a, b - a))
		return fail(err, -EBADMSG, file, line, "'%.*s' is not a capability pattern",
		        (int)(b - a), s + a);
	if (k->n == POL_KNOWN_MAX)
		return fail(err, -EMSGSIZE, file, line, "more than %u capabilities", POL_KNOWN_MAX);
	k->names[k->n] = strndup(s + a, b - a);
	if (!k->names[k->n])
		return -ENOMEM;
	k->n++;
	return 0;
}

POL_EXPORT int pol_known_parse(
        const char *file, const char *data, size_t len, pol_known **ret, pol_error *ret_err)
{
	pol_known *k;
	unsigned line = 0;
	size_t pos = 0;
	int r = 0;

	if (!file || (!data && len) || !ret)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	while (r == 0 && pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;

		r = parse_line(k, file, ++line, data + pos, end - pos, ret_err);
		pos = end + 1;
	}
	if (r < 0) {
		pol_known_free(k);
		return r;
	}
	*ret = k;
	return 0;
}

/* Whether some capability matches both patterns (each exact or "P*"). */
static bool overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	bool pa = la && a[la - 1] == '*', pb = lb && b[lb - 1] == '*';

	if (pa && pb) /* one prefix starts with the other */
		return strncmp(a, b, (la < lb ? la : lb) - 1) == 0;
	if (pa)
		return pol_pattern_matches(a, b);
	if (pb)
		return pol_pattern_matches(b, a);
	return strcmp(a, b) == 0;
}

/* Levenshtein distance over bytes, both within POL_TOKEN_MAX. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[POL_TOKEN_MAX + 1];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

POL_EXPORT const char *pol_known_nearest(const pol_known *k, const char *cap)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	if (!k || !cap || strlen(cap) > POL_TOKEN_MAX)
		return NULL;
	for (size_t i = 0; i < k->n; i++) {
		size_t d = distance(cap, k->names[i]);

		if (d < best_d) {
			best_d = d;
			best = k->names[i];
		}
	}
	return best;
}

POL_EXPORT int pol_known_check(const pol_known *k, const pol_policy *p, pol_error *ret_err)
{
	size_t n = pol_rules_len(p);

	if (!k || !p)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const char *near;
		bool known = false;
		pol_rule ru;

		(void)pol_rule_at(p, i, &ru); /* i < n */
		for (size_t j = 0; j < k->n && !known; j++)
			known = overlap(ru.cap, k->names[j]);
		if (known)
			continue;
		near = pol_known_nearest(k, ru.cap);
		if (near)
			return fail(ret_err, -EBADMSG, ru.file, ru.line,
			        "unknown capability '%s' (nearest known: '%s')", ru.cap, near);
		return fail(ret_err, -EBADMSG, ru.file, ru.line,
		        "unknown capability '%s' (the list of known capabilities is empty)",
		        ru.cap);
	}
	return 0;
}
