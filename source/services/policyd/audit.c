/* SPDX-License-Identifier: MIT */
/* policyd's audit records. See audit.h. */
#include "audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/clock.h"
#include "nx-log/log.h"
#include "ratelog/ratelog.h"

struct pold_audit {
	bool allows;
	struct ratelog *rl; /* keys "<subject> <rule>": subjects hold no space */
	nx_source *summary; /* due when the earliest window with suppressed records ends */
};

/* One "suppressed" record for a key whose window ended. The overflow key (every subject and
 * rule that found no entry) has no subject of its own. */
static void on_summary(void *userdata, const char *key, uint64_t suppressed)
{
	struct nx_log_field f[3];
	char subject[NX_RATELOG_KEY_MAX + 1], num[24];
	const char *space = strchr(key, ' ');
	size_t n = 0;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)suppressed);
	if (strcmp(key, RATELOG_OVERFLOW_KEY) == 0) {
		f[n++] = (struct nx_log_field){"of", key};
	} else {
		snprintf(subject, sizeof(subject), "%.*s",
		        (int)(space ? (size_t)(space - key) : strlen(key)), key);
		f[n++] = (struct nx_log_field){"subject", subject};
		if (space)
			f[n++] = (struct nx_log_field){"rule", space + 1};
	}
	f[n++] = (struct nx_log_field){"suppressed", num};
	nx_log_fields(NX_LOG_NOTICE, POLD_AUDIT_SCOPE, "suppressed", f, n);
}

static void on_summary_timer(nx_source *src, void *userdata)
{
	pold_audit *a = userdata;

	nx_source_set_deadline(src, ratelog_flush(a->rl, nx_clock_monotonic_ns(), on_summary, a));
}

int pold_audit_new(nx_loop *loop, pold_audit **ret)
{
	const char *env = getenv(POLD_AUDIT_ALLOW_ENV);
	pold_audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->allows = env && strcmp(env, "1") == 0;
	r = ratelog_new(&a->rl);
	if (r >= 0)
		r = nx_loop_add_timer(loop, UINT64_MAX, on_summary_timer, a, &a->summary);
	if (r < 0)
		return pold_audit_free(a), r;
	*ret = a;
	return 0;
}

pold_audit *pold_audit_free(pold_audit *a)
{
	if (!a)
		return NULL;
	nx_source_free(a->summary);
	ratelog_free(a->rl);
	free(a);
	return NULL;
}

/* Whether the decision by rule `e` about `subject` is recorded now; if not it is counted, and
 * the summary's timer follows the earliest window due. */
static bool admit(pold_audit *a, const char *subject, const pol_explanation *e)
{
	char key[NX_RATELOG_KEY_MAX + 1];
	uint64_t now = nx_clock_monotonic_ns();
	/* Cut at NX_RATELOG_KEY_MAX as ratelog would: the subject first, whole if it fits. */
	int sl = (int)strnlen(subject, NX_RATELOG_KEY_MAX);

	snprintf(key, sizeof(key), "%.*s %.*s", sl, subject, (int)NX_RATELOG_KEY_MAX - sl, e->rule);
	if (ratelog_event(a->rl, key, now))
		return true;
	nx_source_set_deadline(a->summary, ratelog_flush(a->rl, now, on_summary, a));
	return false;
}

void pold_audit_decision(pold_audit *a, const pol_policy *p, const char *asker, const char *subject,
        const char *cap, bool allowed)
{
	struct nx_log_field f[6];
	pol_explanation e;
	char at[POL_TOKEN_MAX + 16];
	size_t n = 0;

	if (!a || (allowed && !a->allows))
		return;
	if (pol_explain(p, subject, cap, &e) < 0) {
		memset(&e, 0, sizeof(e));
		snprintf(e.rule, sizeof(e.rule), "?");
	}
	if (!admit(a, subject, &e))
		return;
	f[n++] = (struct nx_log_field){"subject", subject};
	f[n++] = (struct nx_log_field){"cap", cap};
	f[n++] = (struct nx_log_field){"rule", e.rule};
	if (e.file) {
		snprintf(at, sizeof(at), "%s:%u", e.file, e.line);
		f[n++] = (struct nx_log_field){"at", at};
	}
	f[n++] = (struct nx_log_field){"version", pol_version(p)};
	if (asker)
		f[n++] = (struct nx_log_field){"asker", asker};
	nx_log_fields(allowed ? NX_LOG_INFO : NX_LOG_NOTICE, POLD_AUDIT_SCOPE,
	        allowed ? "allowed" : "denied", f, n);
}
