/* SPDX-License-Identifier: MIT */
/* policyd's install-time grants (grants.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "grants.h"
#include "nx-log/log.h"
#include "policyd.h"

#define APP_PREFIX "app:"

struct grant {
	char subject[POL_TOKEN_MAX + 1];
	char *lines; /* "allow <subject> <cap>\n" per cap */
	size_t len;
};

struct pold_grants {
	struct grant *v; /* sorted by subject */
	size_t n;
};

pold_grants *pold_grants_new(void)
{
	return calloc(1, sizeof(pold_grants));
}

static void grants_clear(pold_grants *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].lines);
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

pold_grants *pold_grants_free(pold_grants *g)
{
	if (!g)
		return NULL;
	grants_clear(g);
	free(g);
	return NULL;
}

/* All lines, subject after subject: *ret (free()) of *ret_len bytes, NULL when empty. */
static int render(const pold_grants *g, char **ret, size_t *ret_len)
{
	size_t len = 0, at = 0;
	char *text;

	for (size_t i = 0; i < g->n; i++)
		len += g->v[i].len;
	*ret = NULL;
	*ret_len = 0;
	if (len == 0)
		return 0;
	text = malloc(len);
	if (!text)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		memcpy(text + at, g->v[i].lines, g->v[i].len);
		at += g->v[i].len;
	}
	*ret = text;
	*ret_len = len;
	return 0;
}

/* Puts the table in force: 0, or the store's error (answered to `in`, returns 0 then too:
 * *ret_failed says so). */
static int apply(struct policyd *d, nx_rpc_incoming *in, bool *ret_failed)
{
	pold_store *store = policyd_store(d);
	pol_error err = {.text = ""};
	bool changed = false;
	char *text;
	size_t len;
	int r;

	*ret_failed = false;
	r = render(policyd_grants(d), &text, &len);
	if (r < 0)
		return r;
	r = pold_store_set_overlay(store, text, len, &changed, &err);
	free(text);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*ret_failed = true;
		nx_log(NX_LOG_WARN, "policy", "grants not applied, policy %s stays: %s",
		        pol_version(pold_store_policy(store)), err.text);
		return nx_rpc_incoming_failf(in, -EINVAL, "%s", err.text);
	}
	if (changed)
		policyd_announce(d);
	return 0;
}

/* Whether the caller holds policy.grant; answers `in` when not (then *ret_answered). */
static int authorize(struct policyd *d, nx_rpc_incoming *in, bool *ret_answered)
{
	const char *subject = policyd_subject(d, in);

	*ret_answered = false;
	if (!subject)
		return -EPERM;
	if (pol_check(pold_store_policy(policyd_store(d)), subject, "policy.grant") == POL_ALLOW)
		return 0;
	*ret_answered = true;
	return nx_rpc_incoming_failf(in, -EPERM, "%s does not hold policy.grant", subject);
}

static bool is_token(const char *s, size_t len, bool pattern_ok)
{
	if (len == 0 || len > POL_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e || s[i] == '#' ||
		        (!pattern_ok && s[i] == '*'))
			return false;
	return true;
}

/* The lines for subject and caps (validated by the caller): *ret (free()), *ret_len. */
static int make_lines(const char *subject, const nx_capnp_list *caps, char **ret, size_t *ret_len)
{
	size_t cap = 0, len = 0;
	char *lines;

	for (uint32_t i = 0; i < caps->count; i++) {
		nx_capnp_ptr p = nx_capnp_list_ptr(caps, i);
		const char *c = NULL;
		size_t clen = 0;

		(void)nx_capnp_ptr_read_text(&p, &c, &clen);
		cap += sizeof("allow  \n") + strlen(subject) + clen;
	}
	lines = malloc(cap ? cap : 1);
	if (!lines)
		return -ENOMEM;
	for (uint32_t i = 0; i < caps->count; i++) {
		nx_capnp_ptr p = nx_capnp_list_ptr(caps, i);
		const char *c = NULL;
		size_t clen = 0;

		(void)nx_capnp_ptr_read_text(&p, &c, &clen);
		len += (size_t)snprintf(
		        lines + len, cap - len, "allow %s %.*s\n", subject, (int)clen, c);
	}
	*ret = lines;
	*ret_len = len;
	return 0;
}

/* Replaces (or adds, or with no lines removes) subject's entry. */
static int table_set(pold_grants *g, const char *subject, char *lines, size_t len)
{
	size_t i = 0;
	struct grant *v;

	while (i < g->n && strcmp(g->v[i].subject, subject) < 0)
		i++;
	if (i < g->n && strcmp(g->v[i].subject, subject) == 0) {
		free(g->v[i].lines);
		if (len == 0) {
			free(lines);
			memmove(&g->v[i], &g->v[i + 1], (g->n - i - 1) * sizeof(*v));
			g->n--;
			return 0;
		}
		g->v[i].lines = lines;
		g->v[i].len = len;
		return 0;
	}
	if (len == 0) {
		free(lines);
		return 0;
	}
	if (g->n >= POLD_GRANT_SUBJECTS_MAX) {
		free(lines);
		return -EDQUOT;
	}
	v = realloc(g->v, (g->n + 1) * sizeof(*v));
	if (!v) {
		free(lines);
		return -ENOMEM;
	}
	g->v = v;
	memmove(&v[i + 1], &v[i], (g->n - i) * sizeof(*v));
	snprintf(v[i].subject, sizeof(v[i].subject), "%s", subject);
	v[i].lines = lines;
	v[i].len = len;
	g->n++;
	return 0;
}

int pold_serve_set_grants(void *impl, nx_rpc_incoming *in, policy_set_grants_params params)
{
	struct policyd *d = impl;
	char subject[POL_TOKEN_MAX + 1];
	const char *s = NULL;
	nx_capnp_list caps = {0};
	size_t slen = 0, len = 0;
	char *lines = NULL;
	bool answered;
	int r;

	r = authorize(d, in, &answered);
	if (r < 0 || answered)
		return r;
	/* The dispatcher validated the texts and the count against the schema. */
	(void)policy_set_grants_params_get_subject(params, &s, &slen);
	(void)policy_set_grants_params_get_caps(params, &caps);
	if (slen <= strlen(APP_PREFIX) || memcmp(s, APP_PREFIX, strlen(APP_PREFIX)) != 0 ||
	        !is_token(s, slen, false))
		return nx_rpc_incoming_failf(in, -EINVAL, "subject: not app:<bundle id>");
	for (uint32_t i = 0; i < caps.count; i++) {
		nx_capnp_ptr p = nx_capnp_list_ptr(&caps, i);
		const char *c = NULL;
		size_t clen = 0;

		(void)nx_capnp_ptr_read_text(&p, &c, &clen);
		if (!is_token(c, clen, false))
			return nx_rpc_incoming_failf(
			        in, -EINVAL, "caps[%u]: not a capability name", (unsigned)i);
	}
	memcpy(subject, s, slen);
	subject[slen] = '\0';
	r = make_lines(subject, &caps, &lines, &len);
	if (r >= 0)
		r = table_set(policyd_grants(d), subject, lines, len); /* takes lines */
	if (r == -EDQUOT)
		return nx_rpc_incoming_failf(in, -EDQUOT, "grants: %u subjects hold grants already",
		        POLD_GRANT_SUBJECTS_MAX);
	if (r >= 0)
		r = apply(d, in, &answered);
	if (r < 0 || answered)
		return r;
	nx_log(NX_LOG_INFO, "policy", "grants of %s: %u capabilities, policy %s", subject,
	        (unsigned)caps.count, pol_version(pold_store_policy(policyd_store(d))));
	return policy_set_grants_return(in, pol_version(pold_store_policy(policyd_store(d))));
}

int pold_serve_reset_grants(void *impl, nx_rpc_incoming *in, policy_reset_grants_params params)
{
	struct policyd *d = impl;
	bool answered;
	int r;

	r = authorize(d, in, &answered);
	if (r < 0 || answered)
		return r;
	grants_clear(policyd_grants(d));
	r = apply(d, in, &answered);
	if (r < 0 || answered)
		return r;
	return policy_reset_grants_return(in, pol_version(pold_store_policy(policyd_store(d))));
}
