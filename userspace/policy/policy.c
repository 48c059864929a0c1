/* SPDX-License-Identifier: MIT */
/*
 * Policy language: parser, include resolution, canonical form, version and matcher.
 *
 * The matcher is two open-addressed hash tables. The first maps a subject key (exact subject,
 * or the prefix of a "P*" pattern without its '*') to a group id. The second maps
 * (group, capability key) to the first allow and the first deny rule, in load order, with that
 * pair of patterns. A check hashes the subject once, probing the exact key and every prefix that
 * ends at a separator; for every group found it probes the capability's keys, hashed once up
 * front. The cost is bounded by the number of separators in the query, not by the rule count.
 */
#include "policy/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "nx-util/macro.h"

enum { KEY_EXACT = 1, KEY_PREFIX = 2 };

typedef struct rule {
	uint32_t subj; /* arena offsets of the full tokens, '*' included */
	uint32_t cap;
	uint16_t subj_len;
	uint16_t cap_len;
	uint32_t file;
	uint32_t line;
	uint8_t deny;
} rule;

typedef struct subj_slot {
	uint64_t h;
	uint32_t off;
	uint32_t group;
	uint16_t len;
	uint8_t kind; /* 0: empty slot */
} subj_slot;

typedef struct cap_slot {
	uint64_t h;
	uint32_t off;
	uint32_t group;
	int32_t allow; /* first rule index in load order, -1 if none */
	int32_t deny;
	uint16_t len;
	uint8_t kind;
} cap_slot;

struct pol_policy {
	char *arena;
	size_t arena_len, arena_cap;
	rule *rules;
	size_t nrules, rules_cap;
	char **files;
	size_t nfiles, files_cap;
	size_t ndistinct;
	char *canonical;
	size_t canonical_len;
	char version[POL_VERSION_LEN + 1];
	subj_slot *subj_tab;
	size_t subj_mask;
	cap_slot *cap_tab;
	size_t cap_mask;
};

typedef struct loadctx {
	pol_policy *p;
	pol_loader_fn loader;
	void *ctx;
	pol_error *err;
	const char *stack[POL_INCLUDE_DEPTH_MAX + 1]; /* the include chain, root first */
	unsigned depth;                               /* entries in stack */
	unsigned loads;
} loadctx;

typedef struct token {
	const char *s;
	size_t len;
} token;

/* ---- errors ---- */

static int fail(loadctx *c, int r, const char *file, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int fail(loadctx *c, int r, const char *file, unsigned line, const char *fmt, ...)
{
	pol_error *e = c->err;
	size_t flen = strlen(file);
	int n;
	va_list ap;

	if (flen > POL_PATH_MAX)
		flen = POL_PATH_MAX;
	memcpy(e->file, file, flen);
	e->file[flen] = '\0';
	e->line = line;
	if (flen == 0)
		n = 0;
	else if (line > 0)
		n = snprintf(e->text, sizeof(e->text), "%s:%u: ", e->file, line);
	else
		n = snprintf(e->text, sizeof(e->text), "%s: ", e->file);
	if (n < 0 || (size_t)n >= sizeof(e->text))
		return r;
	va_start(ap, fmt);
	/* clang-tidy 14 with -fsanitize=fuzzer-no-link wrongly reports ap as uninitialized. */
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	vsnprintf(e->text + n, sizeof(e->text) - (size_t)n, fmt, ap);
	va_end(ap);
	return r;
}

static const char *errno_text(int r)
{
	switch (r) {
	case -ENOENT:
		return "no such file";
	case -EACCES:
		return "permission denied";
	case -ENOMEM:
		return "out of memory";
	case -EIO:
		return "I/O error";
	default:
		return "load failed";
	}
}

/* ---- storage ---- */

static int arena_add(pol_policy *p, const char *s, size_t len, uint32_t *ret_off)
{
	if (p->arena_cap - p->arena_len < len + 1) {
		size_t cap = p->arena_cap ? p->arena_cap : 4096;
		char *a;

		while (cap - p->arena_len < len + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -ENOMEM;
		a = realloc(p->arena, cap);
		if (!a)
			return -ENOMEM;
		p->arena = a;
		p->arena_cap = cap;
	}
	memcpy(p->arena + p->arena_len, s, len);
	p->arena[p->arena_len + len] = '\0';
	*ret_off = (uint32_t)p->arena_len;
	p->arena_len += len + 1;
	return 0;
}

/* Interns a file name; the string's address is stable until pol_free. */
static int file_add(pol_policy *p, const char *name, uint32_t *ret_idx, const char **ret_name)
{
	size_t len = strlen(name);
	char *copy;

	for (size_t i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i], name) == 0) {
			*ret_idx = (uint32_t)i;
			*ret_name = p->files[i];
			return 0;
		}
	if (p->nfiles == p->files_cap) {
		size_t cap = p->files_cap ? p->files_cap * 2 : 8;
		char **f = realloc(p->files, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		p->files = f;
		p->files_cap = cap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, name, len + 1);
	p->files[p->nfiles] = copy;
	*ret_idx = (uint32_t)p->nfiles++;
	*ret_name = copy;
	return 0;
}

pol_policy *pol_free(pol_policy *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->arena);
	free(p->rules);
	free(p->canonical);
	free(p->subj_tab);
	free(p->cap_tab);
	free(p);
	return NULL;
}

/* ---- lexical rules ---- */

static bool is_subject_sep(char ch)
{
	return ch == ':' || ch == '/';
}

static bool is_cap_sep(char ch)
{
	return ch == '.';
}

POL_EXPORT bool pol_pattern_matches(const char *pattern, const char *s)
{
	size_t plen = strlen(pattern), slen = strlen(s);

	if (plen > 0 && pattern[plen - 1] == '*')
		return slen >= plen && memcmp(pattern, s, plen - 1) == 0;
	return plen == slen && memcmp(pattern, s, plen) == 0;
}

/* "P*": P empty or ending in a separator; no other '*'. */
static bool pattern_ok(const char *s, size_t len, bool subject)
{
	const char *star = memchr(s, '*', len);

	if (!star)
		return true;
	if (star != s + len - 1)
		return false;
	if (len == 1)
		return true;
	return subject ? is_subject_sep(s[len - 2]) : is_cap_sep(s[len - 2]);
}

/* Relative, segments non-empty and neither "." nor "..". */
static bool path_ok(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > POL_PATH_MAX)
		return false;
	while (i <= len) {
		size_t j = i;

		while (j < len && s[j] != '/')
			j++;
		if (j == i)
			return false;
		if ((j - i == 1 && s[i] == '.') || (j - i == 2 && s[i] == '.' && s[i + 1] == '.'))
			return false;
		i = j + 1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* ---- parser ---- */

static int parse_file(loadctx *c, const char *name, const char *data, size_t len);

static int add_rule(loadctx *c, const char *file, unsigned line, uint32_t file_idx, bool deny,
        const token *subj, const token *cap)
{
	pol_policy *p = c->p;
	rule *r;
	int k;

	if (p->nrules >= POL_RULES_MAX)
		return fail(c, -EMSGSIZE, file, line, "too many rules (limit %u)", POL_RULES_MAX);
	if (p->nrules == p->rules_cap) {
		size_t cap2 = p->rules_cap ? p->rules_cap * 2 : 64;
		rule *nr = realloc(p->rules, cap2 * sizeof(*nr));

		if (!nr)
			return fail(c, -ENOMEM, file, line, "out of memory");
		p->rules = nr;
		p->rules_cap = cap2;
	}
	r = &p->rules[p->nrules];
	k = arena_add(p, subj->s, subj->len, &r->subj);
	if (k >= 0)
		k = arena_add(p, cap->s, cap->len, &r->cap);
	if (k < 0)
		return fail(c, k, file, line, "out of memory");
	r->subj_len = (uint16_t)subj->len;
	r->cap_len = (uint16_t)cap->len;
	r->file = file_idx;
	r->line = line;
	r->deny = deny;
	p->nrules++;
	return 0;
}

static void chain_append(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos >= size - 1)
		return;
	if (n > size - 1 - *pos)
		n = size - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

static int do_include(loadctx *c, const char *file, unsigned line, const token *t)
{
	char joined[POL_PATH_MAX + 1];
	char chain[POL_ERROR_MAX];
	size_t dirlen = 0, pos = 0;
	const void *data = NULL;
	size_t len = 0;
	bool cycle = false;
	int r;

	if (!path_ok(t->s, t->len))
		return fail(c, -EBADMSG, file, line,
		        "bad include path \"%.*s\": must be relative, without empty, '.' or '..' segments",
		        (int)t->len, t->s);
	for (size_t i = 0; file[i]; i++)
		if (file[i] == '/')
			dirlen = i + 1;
	if (dirlen + t->len > POL_PATH_MAX)
		return fail(c, -EMSGSIZE, file, line, "include path too long (limit %u bytes)",
		        POL_PATH_MAX);
	memcpy(joined, file, dirlen);
	memcpy(joined + dirlen, t->s, t->len);
	joined[dirlen + t->len] = '\0';

	for (unsigned i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], joined) == 0)
			cycle = true;
	if (cycle || c->depth > POL_INCLUDE_DEPTH_MAX) {
		chain[0] = '\0';
		for (unsigned i = 0; i < c->depth; i++) {
			chain_append(chain, sizeof(chain), &pos, c->stack[i]);
			chain_append(chain, sizeof(chain), &pos, " -> ");
		}
		chain_append(chain, sizeof(chain), &pos, joined);
		if (cycle)
			return fail(c, -ELOOP, file, line, "include cycle: %s", chain);
		return fail(c, -ELOOP, file, line, "include depth limit %u exceeded: %s",
		        POL_INCLUDE_DEPTH_MAX, chain);
	}
	if (c->loads >= POL_FILES_MAX)
		return fail(c, -EMSGSIZE, file, line, "too many files (limit %u)", POL_FILES_MAX);

	r = c->loader ? c->loader(c->ctx, joined, &data, &len) : -ENOENT;
	if (r >= 0 && !data && len > 0)
		r = -EIO;
	if (r < 0)
		return fail(c, r, file, line, "cannot load \"%s\": %s", joined, errno_text(r));
	if (len > POL_FILE_MAX)
		return fail(c, -EMSGSIZE, file, line, "\"%s\" is too large (limit %u bytes)",
		        joined, POL_FILE_MAX);
	return parse_file(c, joined, data ? data : "", len);
}

static int parse_line(
        loadctx *c, const char *file, uint32_t file_idx, unsigned line, const char *s, size_t len)
{
	token tok[POL_LINE_MAX / 2 + 1];
	size_t ntok = 0, i = 0;
	bool deny;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fail(c, -EBADMSG, file, line, "control character 0x%02x", ch);
	}
	i = 0;
	for (;;) {
		size_t start;

		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len || s[i] == '#')
			break;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t') {
			unsigned char ch = (unsigned char)s[i];

			if (ch > 0x7e || ch == '#')
				return fail(
				        c, -EBADMSG, file, line, "invalid character 0x%02x", ch);
			i++;
		}
		if (i - start > POL_TOKEN_MAX)
			return fail(c, -EMSGSIZE, file, line, "token too long (limit %u bytes)",
			        POL_TOKEN_MAX);
		tok[ntok].s = s + start;
		tok[ntok].len = i - start;
		ntok++;
	}
	if (ntok == 0)
		return 0;

	if (tok[0].len == 7 && memcmp(tok[0].s, "include", 7) == 0) {
		if (ntok != 2)
			return fail(c, -EBADMSG, file, line, "include takes exactly one file name");
		return do_include(c, file, line, &tok[1]);
	}
	if (tok[0].len == 5 && memcmp(tok[0].s, "allow", 5) == 0)
		deny = false;
	else if (tok[0].len == 4 && memcmp(tok[0].s, "deny", 4) == 0)
		deny = true;
	else
		return fail(c, -EBADMSG, file, line, "unknown keyword \"%.*s\"", (int)tok[0].len,
		        tok[0].s);
	if (ntok < 2)
		return fail(c, -EBADMSG, file, line, "missing subject pattern");
	if (ntok < 3)
		return fail(c, -EBADMSG, file, line, "missing capability pattern");
	if (!pattern_ok(tok[1].s, tok[1].len, true))
		return fail(c, -EBADMSG, file, line,
		        "misplaced '*' in subject \"%.*s\" (only at the end, alone or after ':' or '/')",
		        (int)tok[1].len, tok[1].s);
	for (i = 2; i < ntok; i++)
		if (!pattern_ok(tok[i].s, tok[i].len, false))
			return fail(c, -EBADMSG, file, line,
			        "misplaced '*' in capability \"%.*s\" (only at the end, alone or after '.')",
			        (int)tok[i].len, tok[i].s);
	for (i = 2; i < ntok; i++) {
		int r = add_rule(c, file, line, file_idx, deny, &tok[1], &tok[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_file(loadctx *c, const char *name, const char *data, size_t len)
{
	const char *fname;
	uint32_t file_idx;
	size_t pos = 0;
	unsigned line = 0;
	int r;

	r = file_add(c->p, name, &file_idx, &fname);
	if (r < 0)
		return fail(c, r, name, 0, "out of memory");
	c->loads++;
	c->stack[c->depth++] = fname;
	while (pos < len) {
		const char *s = data + pos;
		const char *eol = memchr(s, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - s) : len - pos;

		line++;
		pos += n + (eol ? 1 : 0);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > POL_LINE_MAX) {
			r = fail(c, -EMSGSIZE, fname, line, "line too long (limit %u bytes)",
			        POL_LINE_MAX);
			break;
		}
		r = parse_line(c, fname, file_idx, line, s, n);
		if (r < 0)
			break;
	}
	c->depth--;
	return r < 0 ? r : 0;
}

/* ---- compile ---- */

#define FNV_INIT  0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t fnv_step(uint64_t h, unsigned char ch)
{
	return (h ^ ch) * FNV_PRIME;
}

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static inline uint64_t key_hash(uint64_t state, unsigned kind)
{
	return mix(state ^ ((uint64_t)kind << 56));
}

static inline uint64_t cap_key_hash(uint64_t khash, uint32_t group)
{
	return mix(khash ^ ((uint64_t)(group + 1) * 0x9e3779b97f4a7c15ull));
}

static uint64_t str_state(const char *s, size_t len)
{
	uint64_t h = FNV_INIT;

	for (size_t i = 0; i < len; i++)
		h = fnv_step(h, (unsigned char)s[i]);
	return h;
}

static int32_t subj_find(const pol_policy *p, uint64_t h, const char *s, size_t len, unsigned kind)
{
	for (size_t i = h & p->subj_mask;; i = (i + 1) & p->subj_mask) {
		const subj_slot *e = &p->subj_tab[i];

		if (!e->kind)
			return -1;
		if (e->h == h && e->kind == kind && e->len == len &&
		        memcmp(p->arena + e->off, s, len) == 0)
			return (int32_t)e->group;
	}
}

static const cap_slot *cap_find(
        const pol_policy *p, uint64_t h, uint32_t group, const char *s, size_t len, unsigned kind)
{
	for (size_t i = h & p->cap_mask;; i = (i + 1) & p->cap_mask) {
		const cap_slot *e = &p->cap_tab[i];

		if (!e->kind)
			return NULL;
		if (e->h == h && e->group == group && e->kind == kind && e->len == len &&
		        memcmp(p->arena + e->off, s, len) == 0)
			return e;
	}
}

static int build_tables(pol_policy *p)
{
	size_t size = 16;
	uint32_t ngroups = 0;

	while (size < 2 * p->nrules)
		size *= 2;
	p->subj_tab = calloc(size, sizeof(*p->subj_tab));
	p->cap_tab = calloc(size, sizeof(*p->cap_tab));
	if (!p->subj_tab || !p->cap_tab)
		return -ENOMEM;
	p->subj_mask = size - 1;
	p->cap_mask = size - 1;

	for (size_t r = 0; r < p->nrules; r++) {
		const rule *ru = &p->rules[r];
		const char *s = p->arena + ru->subj;
		const char *cp = p->arena + ru->cap;
		unsigned skind = s[ru->subj_len - 1] == '*' ? KEY_PREFIX : KEY_EXACT;
		unsigned ckind = cp[ru->cap_len - 1] == '*' ? KEY_PREFIX : KEY_EXACT;
		size_t slen = ru->subj_len - (skind == KEY_PREFIX);
		size_t clen = ru->cap_len - (ckind == KEY_PREFIX);
		uint64_t sh = key_hash(str_state(s, slen), skind);
		uint64_t ch;
		int32_t g = subj_find(p, sh, s, slen, skind);
		size_t i;
		cap_slot *e;

		if (g < 0) {
			for (i = sh & p->subj_mask; p->subj_tab[i].kind; i = (i + 1) & p->subj_mask)
				;
			p->subj_tab[i] = (subj_slot){.h = sh,
			        .off = ru->subj,
			        .group = ngroups,
			        .len = (uint16_t)slen,
			        .kind = (uint8_t)skind};
			g = (int32_t)ngroups++;
		}
		ch = cap_key_hash(key_hash(str_state(cp, clen), ckind), (uint32_t)g);
		e = (cap_slot *)cap_find(p, ch, (uint32_t)g, cp, clen, ckind);
		if (!e) {
			for (i = ch & p->cap_mask; p->cap_tab[i].kind; i = (i + 1) & p->cap_mask)
				;
			e = &p->cap_tab[i];
			*e = (cap_slot){.h = ch,
			        .off = ru->cap,
			        .group = (uint32_t)g,
			        .allow = -1,
			        .deny = -1,
			        .len = (uint16_t)clen,
			        .kind = (uint8_t)ckind};
		}
		if (ru->deny && e->deny < 0)
			e->deny = (int32_t)r;
		if (!ru->deny && e->allow < 0)
			e->allow = (int32_t)r;
	}
	return 0;
}

static int rule_cmp(const pol_policy *p, uint32_t ia, uint32_t ib)
{
	const rule *a = &p->rules[ia], *b = &p->rules[ib];
	int d;

	if (a->deny != b->deny)
		return a->deny ? 1 : -1; /* "allow" < "deny" */
	d = strcmp(p->arena + a->subj, p->arena + b->subj);
	if (d)
		return d;
	return strcmp(p->arena + a->cap, p->arena + b->cap);
}

/* Stable merge sort of rule indices (qsort takes no context, and globals hold no state here). */
static void sort_idx(const pol_policy *p, uint32_t *v, uint32_t *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j, k = 0;

	if (n < 2)
		return;
	sort_idx(p, v, tmp, mid);
	sort_idx(p, v + mid, tmp, n - mid);
	j = mid;
	while (i < mid && j < n)
		tmp[k++] = rule_cmp(p, v[j], v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static int build_canonical(pol_policy *p)
{
	uint32_t *idx = NULL, *tmp = NULL;
	unsigned char digest[crypto_hash_sha256_BYTES];
	size_t total = 0, pos = 0;
	int r = -ENOMEM;

	if (p->nrules) {
		idx = malloc(p->nrules * sizeof(*idx));
		tmp = malloc(p->nrules * sizeof(*tmp));
		if (!idx || !tmp)
			goto fail;
	}
	for (size_t i = 0; i < p->nrules; i++)
		idx[i] = (uint32_t)i;
	sort_idx(p, idx, tmp, p->nrules);

	for (size_t i = 0; i < p->nrules; i++) {
		const rule *ru = &p->rules[idx[i]];

		if (i > 0 && rule_cmp(p, idx[i - 1], idx[i]) == 0)
			continue;
		total += (ru->deny ? 4 : 5) + 1 + ru->subj_len + 1 + ru->cap_len + 1;
	}
	p->canonical = malloc(total + 1);
	if (!p->canonical)
		goto fail;
	p->ndistinct = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		const rule *ru = &p->rules[idx[i]];
		const char *eff = ru->deny ? "deny " : "allow ";
		size_t el = strlen(eff);

		if (i > 0 && rule_cmp(p, idx[i - 1], idx[i]) == 0)
			continue;
		memcpy(p->canonical + pos, eff, el);
		pos += el;
		memcpy(p->canonical + pos, p->arena + ru->subj, ru->subj_len);
		pos += ru->subj_len;
		p->canonical[pos++] = ' ';
		memcpy(p->canonical + pos, p->arena + ru->cap, ru->cap_len);
		pos += ru->cap_len;
		p->canonical[pos++] = '\n';
		p->ndistinct++;
	}
	p->canonical[pos] = '\0';
	p->canonical_len = pos;

	/* Pure C in libsodium; needs no sodium_init(). */
	crypto_hash_sha256(digest, (const unsigned char *)p->canonical, pos);
	sodium_bin2hex(p->version, sizeof(p->version), digest, sizeof(digest));
	r = 0;
fail:
	free(idx);
	free(tmp);
	return r;
}

int pol_parse(const char *root_path, const void *data, size_t len, pol_loader_fn loader, void *ctx,
        pol_policy **ret_policy, pol_error *ret_err)
{
	pol_error scratch = {.line = 0};
	loadctx c = {.loader = loader, .ctx = ctx, .err = ret_err ? ret_err : &scratch};
	int r;

	assert_return(root_path && ret_policy && (data || len == 0), -EINVAL);
	if (!path_ok(root_path, strlen(root_path)))
		return fail(&c, -EINVAL, "", 0, "invalid root path");
	if (len > POL_FILE_MAX)
		return fail(&c, -EMSGSIZE, root_path, 0, "file too large (limit %u bytes)",
		        POL_FILE_MAX);

	c.p = calloc(1, sizeof(*c.p));
	if (!c.p)
		return fail(&c, -ENOMEM, root_path, 0, "out of memory");
	r = parse_file(&c, root_path, data ? data : "", len);
	if (r < 0)
		goto fail;
	r = build_canonical(c.p);
	if (r >= 0)
		r = build_tables(c.p);
	if (r < 0) {
		fail(&c, r, root_path, 0, "out of memory");
		goto fail;
	}
	*ret_policy = c.p;
	return 0;
fail:
	pol_free(c.p);
	return r;
}

int pol_load(const char *root_path, pol_loader_fn loader, void *ctx, pol_policy **ret_policy,
        pol_error *ret_err)
{
	pol_error scratch = {.line = 0};
	loadctx c = {.err = ret_err ? ret_err : &scratch};
	const void *data = NULL;
	size_t len = 0;
	int r;

	assert_return(root_path && loader && ret_policy, -EINVAL);
	if (!path_ok(root_path, strlen(root_path)))
		return fail(&c, -EINVAL, "", 0, "invalid root path");
	r = loader(ctx, root_path, &data, &len);
	if (r >= 0 && !data && len > 0)
		r = -EIO;
	if (r < 0)
		return fail(&c, r, root_path, 0, "cannot load: %s", errno_text(r));
	return pol_parse(root_path, data, len, loader, ctx, ret_policy, ret_err);
}

/* ---- checks ---- */

typedef struct cand {
	uint64_t h; /* key_hash, before mixing in a group */
	uint16_t len;
	uint8_t kind;
} cand;

static bool query_ok(const char *s, size_t *ret_len)
{
	size_t n;

	if (!s)
		return false;
	n = strnlen(s, POL_TOKEN_MAX + 1);
	if (n == 0 || n > POL_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	*ret_len = n;
	return true;
}

/* The keys a string can match: "*" (empty prefix), every prefix ending at a separator with at
 * least one byte after it, and the string itself. */
static size_t candidates(const char *s, size_t len, bool subject, cand *out)
{
	uint64_t st = FNV_INIT;
	size_t n = 0;

	out[n++] = (cand){key_hash(st, KEY_PREFIX), 0, KEY_PREFIX};
	for (size_t i = 0; i < len; i++) {
		st = fnv_step(st, (unsigned char)s[i]);
		if (i + 1 < len && (subject ? is_subject_sep(s[i]) : is_cap_sep(s[i])))
			out[n++] = (cand){key_hash(st, KEY_PREFIX), (uint16_t)(i + 1), KEY_PREFIX};
	}
	out[n++] = (cand){key_hash(st, KEY_EXACT), (uint16_t)len, KEY_EXACT};
	return n;
}

/* Sets the first matching allow and deny rule indices (-1: none). */
static void decide(const pol_policy *p, const char *subj, size_t slen, const char *cap, size_t clen,
        int32_t *ret_allow, int32_t *ret_deny)
{
	cand sc[POL_TOKEN_MAX + 2], cc[POL_TOKEN_MAX + 2];
	size_t ns = candidates(subj, slen, true, sc);
	size_t nc = 0;
	int32_t allow = -1, deny = -1;

	for (size_t i = 0; i < ns; i++) {
		int32_t g = subj_find(p, sc[i].h, subj, sc[i].len, sc[i].kind);

		if (g < 0)
			continue;
		if (nc == 0)
			nc = candidates(cap, clen, false, cc);
		for (size_t j = 0; j < nc; j++) {
			const cap_slot *e = cap_find(p, cap_key_hash(cc[j].h, (uint32_t)g),
			        (uint32_t)g, cap, cc[j].len, cc[j].kind);

			if (!e)
				continue;
			if (e->allow >= 0 && (allow < 0 || e->allow < allow))
				allow = e->allow;
			if (e->deny >= 0 && (deny < 0 || e->deny < deny))
				deny = e->deny;
		}
	}
	*ret_allow = allow;
	*ret_deny = deny;
}

pol_verdict pol_check(const pol_policy *p, const char *subject, const char *cap)
{
	size_t slen, clen;
	int32_t allow, deny;

	if (!p || !query_ok(subject, &slen) || !query_ok(cap, &clen))
		return POL_DENY;
	decide(p, subject, slen, cap, clen, &allow, &deny);
	return allow >= 0 && deny < 0 ? POL_ALLOW : POL_DENY;
}

int pol_check_many(
        const pol_policy *p, const pol_query *queries, size_t n, pol_verdict *ret_verdicts)
{
	assert_return(p && (n == 0 || (queries && ret_verdicts)), -EINVAL);
	assert_return(n <= POL_CHECK_MANY_MAX, -E2BIG);
	for (size_t i = 0; i < n; i++)
		ret_verdicts[i] = pol_check(p, queries[i].subject, queries[i].cap);
	return 0;
}

int pol_explain(const pol_policy *p, const char *subject, const char *cap, pol_explanation *ret)
{
	size_t slen, clen;
	int32_t allow, deny, which;
	const rule *ru;

	assert_return(p && ret, -EINVAL);
	assert_return(query_ok(subject, &slen) && query_ok(cap, &clen), -EINVAL);
	decide(p, subject, slen, cap, clen, &allow, &deny);
	which = deny >= 0 ? deny : allow;
	if (which < 0) {
		*ret = (pol_explanation){.verdict = POL_DENY, .by_default = true};
		snprintf(ret->rule, sizeof(ret->rule), "no rule: deny by default");
		return 0;
	}
	ru = &p->rules[which];
	*ret = (pol_explanation){
	        .verdict = ru->deny ? POL_DENY : POL_ALLOW,
	        .file = p->files[ru->file],
	        .line = ru->line,
	};
	snprintf(ret->rule, sizeof(ret->rule), "%s %s %s", ru->deny ? "deny" : "allow",
	        p->arena + ru->subj, p->arena + ru->cap);
	return 0;
}

const char *pol_version(const pol_policy *p)
{
	assert_return(p, NULL);
	return p->version;
}

const char *pol_canonical(const pol_policy *p, size_t *ret_len)
{
	assert_return(p, NULL);
	if (ret_len)
		*ret_len = p->canonical_len;
	return p->canonical;
}

size_t pol_rule_count(const pol_policy *p)
{
	assert_return(p, 0);
	return p->ndistinct;
}

POL_EXPORT size_t pol_rules_len(const pol_policy *p)
{
	return p ? p->nrules : 0;
}

POL_EXPORT int pol_rule_at(const pol_policy *p, size_t i, pol_rule *ret)
{
	const rule *ru;

	if (!p || !ret)
		return -EINVAL;
	if (i >= p->nrules)
		return -ERANGE;
	ru = &p->rules[i];
	*ret = (pol_rule){
	        .effect = ru->deny ? POL_DENY : POL_ALLOW,
	        .subject = p->arena + ru->subj,
	        .cap = p->arena + ru->cap,
	        .file = p->files[ru->file],
	        .line = ru->line,
	};
	return 0;
}
