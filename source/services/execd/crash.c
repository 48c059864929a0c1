/* SPDX-License-Identifier: MIT */
/*
 * Crash reports (as Android's tombstones, without the ptrace). When a run ends by a signal or
 * a non-zero code (userspace/exec decides), execd prints `execd: crash report pid=<p>
 * code=<c> name=<n>` (c: the exit code, or SIG<name>), logs a record with the same fields,
 * waits until the app's last output lines are in the journal, asks logd for the last
 * APP_REPORT_RECORDS records of app:<id> (paged inline: newest first, then forward from the
 * cursor), and writes the report's text and JSON forms (userspace/exec crash.h) into
 * $STATE/execd/crashes, removing the oldest beyond APP_CRASHES_KEPT. The file names carry the
 * summary, so Exec.crashes lists the directory. No stack trace: see APP_CRASH_STACK_NOTE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/crash.h"
#include "execd.h"
#include "nx-abi/clock.h"
#include "nx-abi/dirfile.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-log/log.h"

struct crash_record {
	uint64_t realtime_ns;
	char level[16];
	char message[APP_LINE_MAX + 1];
};

struct execd_crash {
	struct execd_crash *next;
	struct execd *d;
	struct app_crash_summary summary;
	uint64_t process;
	unsigned restarts;
	char subject[NX_SVC_SUBJECT_MAX + 1];
	char next_step[64];
	struct app_mech mechs[NX_SANDBOX_MECH_COUNT];
	size_t nmechs;
	nx_rpc_call *query;
	struct crash_record records[APP_REPORT_RECORDS];
	size_t nrecords;
};

static void crash_free(struct execd_crash *c)
{
	for (struct execd_crash **pp = &c->d->crashes; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	nx_rpc_call_free(c->query);
	free(c);
}

void execd_crash_free_all(struct execd *d)
{
	while (d->crashes)
		crash_free(d->crashes);
	if (d->crash_dirfd >= 0)
		nx_fd_close(d->crash_dirfd);
	d->crash_dirfd = -1;
}

/* ---- The store ---- */

/* Every report's name in the directory (one per form), sorted by id: *ret_names (free()). */
static int store_list(struct execd *d, bool json, struct app_crash_summary **ret, size_t *ret_n)
{
	struct app_crash_summary *out = NULL;
	char **names = NULL;
	size_t n = 0, k = 0;
	int r = nx_dir_names(d->crash_dirfd, 4 * APP_CRASHES_KEPT, &names, &n);

	if (r < 0)
		return r;
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		bool is_json;

		if (app_crash_parse_name(names[i], &out[k], &is_json) == 0 && is_json == json)
			k++;
	}
	free(names);
	/* Insertion sort: at most a few dozen. */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && out[j - 1].id > out[j].id; j--) {
			struct app_crash_summary t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	*ret = out;
	*ret_n = k;
	return 0;
}

static void store_remove(struct execd *d, const struct app_crash_summary *s)
{
	char name[APP_CRASH_NAME_MAX];

	for (int json = 0; json < 2; json++)
		if (app_crash_name(s, json, name) == 0)
			(void)nx_file_remove(d->crash_dirfd, name);
}

/* Writes both forms of c's report, after removing the oldest beyond the bound. */
static int store_write(struct execd_crash *c)
{
	struct execd *d = c->d;
	struct app_record recs[APP_REPORT_RECORDS];
	struct app_crash_summary *kept = NULL;
	char name[APP_CRASH_NAME_MAX];
	struct app_crash report;
	size_t nkept = 0, len;
	char *buf;
	int r;

	for (size_t i = 0; i < c->nrecords; i++)
		recs[i] = (struct app_record){
		        c->records[i].realtime_ns, c->records[i].level, c->records[i].message};
	report = (struct app_crash){.summary = c->summary,
	        .process = c->process,
	        .restarts = c->restarts,
	        .next = c->next_step,
	        .sandbox = c->mechs,
	        .nsandbox = c->nmechs,
	        .records = recs,
	        .nrecords = c->nrecords};
	r = store_list(d, true, &kept, &nkept);
	if (r < 0)
		return r;
	for (size_t i = 0; i < app_crash_evict(nkept); i++)
		store_remove(d, &kept[i]);
	free(kept);
	buf = malloc(APP_REPORT_MAX);
	if (!buf)
		return -ENOMEM;
	for (int json = 0; r >= 0 && json < 2; json++) {
		r = app_crash_format(&report, json, buf, APP_REPORT_MAX, &len);
		if (r >= 0)
			r = app_crash_name(&c->summary, json, name);
		if (r >= 0)
			r = nx_file_write(d->crash_dirfd, name, buf, len, NX_FILE_SYNC);
	}
	free(buf);
	return r;
}

static void crash_done(struct execd_crash *c)
{
	int r = store_write(c);

	if (r < 0)
		nx_log(NX_LOG_ERROR, "crash", "cannot keep crash report %llu: %s",
		        (unsigned long long)c->summary.id, strerror(-r));
	crash_free(c);
}

/* ---- The app's last records ---- */

static int query_send(struct execd_crash *c, uint64_t since, uint32_t max, bool newest);

static void on_records(void *userdata, int error, const char *reason, log_query_results out)
{
	struct execd_crash *c = userdata;
	nx_capnp_list list = {0};

	c->query = NULL;
	if (error < 0) {
		nx_log(NX_LOG_WARN, "crash", "crash report %llu without journal records: %s",
		        (unsigned long long)c->summary.id, reason);
		crash_done(c);
		return;
	}
	(void)log_query_results_get_records(out, &list); /* validated; inlineOnly: never a vmo */
	for (uint32_t i = 0; i < list.count && c->nrecords < APP_REPORT_RECORDS; i++) {
		log_record rec = log_record_at(&list, i);
		struct crash_record *cr = &c->records[c->nrecords++];
		const char *msg, *level = log_level_name(log_record_get_level(rec));
		size_t len;

		cr->realtime_ns = log_record_get_realtime_ns(rec);
		(void)snprintf(cr->level, sizeof(cr->level), "%s", level ? level : "?");
		(void)log_record_get_message(rec, &msg, &len);
		(void)snprintf(cr->message, sizeof(cr->message), "%.*s", (int)len, msg);
	}
	/* The newest APP_REPORT_RECORDS came as many as fit one message: the rest follow. */
	if (log_query_results_get_more(out) && list.count > 0 && c->nrecords < APP_REPORT_RECORDS &&
	        query_send(c, log_query_results_get_next_cursor(out),
	                (uint32_t)(APP_REPORT_RECORDS - c->nrecords), false) >= 0)
		return;
	crash_done(c);
}

static int query_send(struct execd_crash *c, uint64_t since, uint32_t max, bool newest)
{
	log_query_params_b params;
	log_filter_b filter;
	int r;

	if (!c->d->log)
		return -ENOTCONN;
	r = log_query_start(c->d->log, &c->query, &params);
	if (r >= 0)
		r = log_query_params_init_filter(params, &filter);
	if (r >= 0)
		r = log_filter_set_subject(filter, c->subject, strlen(c->subject));
	if (r >= 0) {
		log_filter_set_since_id(filter, since);
		log_query_params_set_max(params, max);
		log_query_params_set_newest(params, newest);
		log_query_params_set_inline_only(params, true);
		r = log_query_send(c->query, on_records, c); /* takes the call */
		if (r >= 0)
			return 0;
		c->query = NULL;
	}
	c->query = nx_rpc_call_free(c->query);
	return r;
}

static void crash_query(struct execd_crash *c)
{
	int r = query_send(c, 0, APP_REPORT_RECORDS, true);

	if (r < 0) {
		nx_log(NX_LOG_WARN, "crash", "crash report %llu without journal records: %s",
		        (unsigned long long)c->summary.id, strerror(-r));
		crash_done(c);
	}
}

void execd_crash_applog_idle(struct execd_proc *p)
{
	struct execd_crash *c = p->crash_wait;

	p->crash_wait = NULL;
	if (c)
		crash_query(c);
}

/* ---- A new report ---- */

static const char *mech_status(enum nx_sandbox_status s)
{
	return s == NX_SANDBOX_APPLIED       ? "applied"
	       : s == NX_SANDBOX_UNAVAILABLE ? "unavailable"
	                                     : "off";
}

void execd_crash_report(struct execd_proc *p, const char *next)
{
	struct execd *d = p->d;
	struct execd_crash *c = calloc(1, sizeof(*c));
	char code[16], sig[12], pid[16], id[24];

	if (p->signal)
		(void)snprintf(code, sizeof(code), "SIG%s", app_signal_name(p->signal, sig));
	else
		(void)snprintf(code, sizeof(code), "%d", p->exit_code);
	nx_log_marker("crash report pid=%d code=%s name=%s", p->pid, code, p->bundle);
	(void)snprintf(pid, sizeof(pid), "%d", p->pid);
	(void)snprintf(id, sizeof(id), "%llu", (unsigned long long)d->next_crash);
	const struct nx_log_field fields[] = {
	        {"crash", id}, {"bundle", p->bundle}, {"pid", pid}, {"code", code}, {"next", next}};
	nx_log_fields(NX_LOG_ERROR, "crash", "an app crashed", fields,
	        sizeof(fields) / sizeof(fields[0]));
	if (!c || d->crash_dirfd < 0) {
		free(c);
		return;
	}
	c->d = d;
	c->summary = (struct app_crash_summary){.id = d->next_crash++,
	        .pid = (uint32_t)p->pid,
	        .code = p->exit_code,
	        .signal = p->signal,
	        .time_ns = nx_clock_realtime_ns(),
	        .version = p->version};
	(void)snprintf(c->summary.bundle, sizeof(c->summary.bundle), "%s", p->bundle);
	(void)snprintf(c->subject, sizeof(c->subject), "%s", p->subject);
	(void)snprintf(c->next_step, sizeof(c->next_step), "%s", next);
	c->process = p->id;
	c->restarts = p->run.restarts;
	for (int m = 0; m < NX_SANDBOX_MECH_COUNT; m++)
		c->mechs[c->nmechs++] = (struct app_mech){
		        nx_sandbox_mech_name(m), mech_status(p->sandbox.mech[m].status)};
	c->next = d->crashes;
	d->crashes = c;
	if (p->crash_wait) /* an earlier report still waiting: it goes now */
		execd_crash_applog_idle(p);
	if (execd_applog_busy(p)) {
		p->crash_wait = c; /* the app's last lines first */
		return;
	}
	crash_query(c);
}

int execd_crash_open(struct execd *d)
{
	const char *state = getenv("NEXUS_STATE_DIR");
	struct app_crash_summary *kept = NULL;
	char path[4096];
	size_t n = 0;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/execd/crashes",
	            state && *state ? state : "./.nexus/state") >= sizeof(path))
		return -ENAMETOOLONG;
	r = nx_dir_open_at(-1, path, true, &d->crash_dirfd);
	if (r >= 0)
		r = store_list(d, true, &kept, &n);
	if (r < 0)
		return r;
	d->next_crash = n ? kept[n - 1].id + 1 : 1;
	free(kept);
	return 0;
}

/* ---- Exec.crashes, Exec.crash ---- */

static int need_crash_read(struct execd *d, nx_rpc_incoming *in)
{
	bool allowed;
	int r = nx_svc_allowed(d->svc, in, "proc.crash.read", &allowed);

	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(
		        in, -EPERM, "%s lacks proc.crash.read", nx_svc_subject(d->svc, in));
	return 0;
}

static int summary_fill(const struct app_crash_summary *s, exec_crash_summary_b b)
{
	exec_crash_summary_set_id(b, s->id);
	exec_crash_summary_set_pid(b, s->pid);
	exec_crash_summary_set_version(b, s->version);
	exec_crash_summary_set_exit_code(b, s->code);
	exec_crash_summary_set_signal(b, s->signal);
	exec_crash_summary_set_time_ns(b, s->time_ns);
	return exec_crash_summary_set_bundle(b, s->bundle, strlen(s->bundle));
}

int execd_serve_crashes(void *impl, nx_rpc_incoming *in, exec_crashes_params params)
{
	struct execd *d = impl;
	uint64_t after = exec_crashes_params_get_after(params);
	struct app_crash_summary *kept = NULL;
	exec_crashes_results_b res;
	size_t n = 0, first = 0, count;
	nx_capnp_blist list;
	int r = need_crash_read(d, in);

	if (r != 0)
		return r;
	r = store_list(d, true, &kept, &n);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "crash reports: %s", strerror(-r));
	while (first < n && kept[first].id <= after)
		first++;
	count = n - first < EXEC_CRASH_LIST_MAX ? n - first : EXEC_CRASH_LIST_MAX;
	r = exec_crashes_results_init(in, &res);
	if (r >= 0)
		r = exec_crashes_results_init_reports(res, (uint32_t)count, &list);
	for (size_t i = 0; r >= 0 && i < count; i++)
		r = summary_fill(&kept[first + i], exec_crash_summary_b_at(&list, (uint32_t)i));
	if (r >= 0)
		exec_crashes_results_set_more(res, first + count < n);
	free(kept);
	return nx_rpc_incoming_return_built(in, r);
}

int execd_serve_crash(void *impl, nx_rpc_incoming *in, exec_crash_params params)
{
	static const struct nexus_vmo_server vmo_vt = {0};
	struct execd *d = impl;
	uint64_t id = exec_crash_params_get_id(params);
	bool json = exec_crash_params_get_json(params);
	struct app_crash_summary *kept = NULL, *s = NULL;
	char name[APP_CRASH_NAME_MAX];
	struct nexus_vmo *vmo = NULL;
	exec_crash_results_b res;
	exec_crash_summary_b sb;
	nexus_vmo_ref_b ref;
	size_t n = 0, size = 0;
	int fd = -1, r = need_crash_read(d, in);

	if (r != 0)
		return r;
	r = store_list(d, json, &kept, &n);
	for (size_t i = 0; r >= 0 && i < n && !s; i++)
		if (kept[i].id == id)
			s = &kept[i];
	if (r >= 0 && !s)
		r = -ENOENT;
	if (r >= 0)
		r = app_crash_name(s, json, name);
	if (r >= 0)
		r = nx_vmo_from_file(d->crash_dirfd, name, APP_REPORT_MAX, &fd, &size);
	if (r < 0) {
		free(kept);
		return nx_rpc_incoming_failf(in, r, "crash %llu: %s", (unsigned long long)id,
		        r == -ENOENT ? "no such report (or removed as one of the oldest)"
		                     : strerror(-r));
	}
	r = nexus_vmo_server_new_with_fd(&vmo_vt, NULL, NULL, fd, &vmo); /* takes fd */
	if (r >= 0)
		r = exec_crash_results_init(in, &res);
	if (r >= 0)
		r = exec_crash_results_init_summary(res, &sb);
	if (r >= 0)
		r = summary_fill(s, sb);
	if (r >= 0)
		r = exec_crash_results_init_report(res, &ref);
	if (r >= 0) {
		nexus_vmo_ref_set_size(ref, size);
		r = nexus_vmo_ref_set_vmo(ref, vmo);
	}
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	free(kept);
	return nx_rpc_incoming_return_built(in, r);
}
