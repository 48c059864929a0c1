/* SPDX-License-Identifier: MIT */
/* policyd's audit records. See audit.h. */
#include "audit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/clock.h"
#include "nx-log/log.h"

#define SECOND_NS 1000000000ull

struct pold_audit {
	bool allows;
	uint64_t window_start; /* monotonic ns */
	unsigned in_window;
	uint64_t dropped; /* since the last report */
	nx_source *report;
};

static void report_drops(pold_audit *a)
{
	char num[24];
	struct nx_log_field f[] = {{"dropped", num}};

	if (a->dropped == 0)
		return;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)a->dropped);
	a->dropped = 0;
	nx_log_fields(NX_LOG_WARN, POLD_AUDIT_SCOPE, "audit records dropped", f, 1);
}

static void on_report(nx_source *s, void *userdata)
{
	report_drops(userdata);
}

int pold_audit_new(nx_loop *loop, pold_audit **ret)
{
	const char *env = getenv(POLD_AUDIT_ALLOW_ENV);
	pold_audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	a->allows = env && strcmp(env, "1") == 0;
	r = nx_loop_add_timer(loop, UINT64_MAX, on_report, a, &a->report);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret = a;
	return 0;
}

pold_audit *pold_audit_free(pold_audit *a)
{
	if (!a)
		return NULL;
	nx_source_free(a->report);
	free(a);
	return NULL;
}

/* The local cap: a fixed one-second window. */
static bool admit(pold_audit *a)
{
	uint64_t now = nx_clock_monotonic_ns();

	if (now - a->window_start >= SECOND_NS) {
		report_drops(a);
		a->window_start = now;
		a->in_window = 0;
	}
	if (a->in_window < POLD_AUDIT_PER_SEC) {
		a->in_window++;
		return true;
	}
	if (a->dropped++ == 0)
		nx_source_set_deadline(a->report, a->window_start + SECOND_NS);
	return false;
}

void pold_audit_decision(pold_audit *a, const pol_policy *p, const char *asker, const char *subject,
        const char *cap, bool allowed)
{
	struct nx_log_field f[6];
	pol_explanation e;
	char at[POL_TOKEN_MAX + 16];
	size_t n = 0;

	if (!a || (allowed && !a->allows) || !admit(a))
		return;
	if (pol_explain(p, subject, cap, &e) < 0) {
		memset(&e, 0, sizeof(e));
		snprintf(e.rule, sizeof(e.rule), "?");
	}
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
