/* SPDX-License-Identifier: MIT */
/*
 * An app's output in the journal, under the app's own subject. For each process execd has
 * samgrd adopt a second channel as app:<id> (as the app's bootstrap), is that channel's
 * client, resolves logd through it (policy: app:* ipc.connect.logd log.append) and appends
 * each line of the app's stdout and stderr there (userspace/exec lines.h): logd stamps the
 * record with the connection's subject, so no payload ever claims one. The pipe is read once
 * logd is resolved; a run that ends before is read to end of file all the same and its lines
 * held (APP_HELD_BYTES_MAX, a pipe's worth) until logd is resolved, so an app that writes and
 * exits at once loses nothing. Lines that find no channel (logd unreachable, nx-rpc's queue full,
 * too many held) are counted and said once at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execd.h"
#include "nx-abi/pipe.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"

bool execd_applog_busy(const struct execd_proc *p)
{
	return p->applog.pending > 0 || (p->applog.resolve && p->applog.held);
}

/* Nothing on its way any more: a crash report's query goes, an ended process lets go. */
static void applog_idle(struct execd_proc *p)
{
	if (p->crash_wait)
		execd_crash_applog_idle(p); /* the report's query goes now */
	if (p->ended)
		execd_applog_close(p);
	execd_proc_release(p); /* may free p */
}

static void on_appended(void *userdata, int error, const char *reason, log_append_results out)
{
	struct execd_proc *p = userdata;

	if (error < 0)
		p->applog.dropped++;
	if (--p->applog.pending > 0 || p->freeing)
		return;
	applog_idle(p);
}

/* Keeps a line until logd is resolved; false when it cannot (APP_HELD_BYTES_MAX held, no
 * memory). */
static bool hold(struct execd_applog *a, const char *line, size_t len)
{
	struct execd_held_line *h;

	if (len > APP_HELD_BYTES_MAX - a->held_bytes)
		return false;
	h = malloc(sizeof(*h) + len);
	if (!h)
		return false;
	h->next = NULL;
	h->len = len;
	memcpy(h->text, line, len);
	if (!a->held)
		a->held_tail = &a->held;
	*a->held_tail = h;
	a->held_tail = &h->next;
	a->held_bytes += len;
	return true;
}

static void append(struct execd_proc *p, const char *line, size_t len)
{
	log_append_params_b params;
	nx_rpc_call *call = NULL;
	log_entry_b entry;
	int r = p->applog.log ? log_append_start(p->applog.log, &call, &params) : -ENOTCONN;

	if (r >= 0)
		r = log_append_params_init_entry(params, &entry);
	if (r >= 0) {
		log_entry_set_level(entry, LOG_LEVEL_INFO);
		r = log_entry_set_scope(entry, "output", strlen("output"));
	}
	if (r >= 0)
		r = log_entry_set_message(entry, line, len);
	if (r >= 0) {
		r = log_append_send(call, on_appended, p); /* takes the call */
		call = NULL;
	}
	nx_rpc_call_free(call);
	if (r < 0)
		p->applog.dropped++;
	else
		p->applog.pending++;
}

static void emit(const char *line, size_t len, void *userdata)
{
	struct execd_proc *p = userdata;

	if (p->applog.log)
		append(p, line, len);
	else if (!p->applog.resolve || !hold(&p->applog, line, len))
		p->applog.dropped++; /* logd is not coming, or too much is waiting for it */
}

/* Appends the held lines (log set), or counts them lost (log NULL). */
static void held_release(struct execd_proc *p)
{
	struct execd_applog *a = &p->applog;

	while (a->held) {
		struct execd_held_line *h = a->held;

		a->held = h->next;
		if (a->log)
			append(p, h->text, h->len);
		else
			a->dropped++;
		free(h);
	}
	a->held_tail = &a->held;
	a->held_bytes = 0;
}

/* Reads what the pipe holds now; true at end of file or on an error. */
static bool read_some(struct execd_proc *p)
{
	char buf[4096];
	size_t n = 0;
	int r;

	for (;;) {
		r = nx_pipe_read(p->out.fd, buf, sizeof(buf), &n);
		if (r == -EAGAIN)
			return false;
		if (r < 0 || n == 0) {
			app_lines_flush(&p->out.lines, emit, p);
			return true;
		}
		app_lines_feed(&p->out.lines, buf, n, emit, p);
	}
}

static void on_output(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct execd_proc *p = userdata;

	if (read_some(p))
		execd_output_close(p);
}

/* Starts reading once both the pipe and the journal channel are there: until then the pipe
 * holds the app's output (and a full pipe makes the app wait, rather than lose it). */
static void output_start(struct execd_proc *p)
{
	if (p->out.fd < 0 || p->out.src || !p->applog.log)
		return;
	if (nx_loop_add_fd(p->d->loop, p->out.fd, NX_EV_IN, on_output, p, &p->out.src) < 0)
		execd_output_close(p); /* the app gets EPIPE: its output is lost, said below */
}

void execd_output_watch(struct execd_proc *p, int fd)
{
	execd_output_close(p); /* the last run's, if any */
	p->out.fd = fd;
	p->out.lines.len = 0;
	output_start(p);
}

void execd_output_drain(struct execd_proc *p)
{
	/* The app has exited: all it wrote is in the pipe. Read to the end now, into the
	 * journal or, while logd is being resolved, held for it. */
	if (p->out.fd >= 0)
		(void)read_some(p);
}

void execd_output_close(struct execd_proc *p)
{
	p->out.src = nx_source_free(p->out.src);
	if (p->out.fd >= 0)
		nx_fd_close(p->out.fd);
	p->out.fd = -1;
}

/* ---- The journal channel ---- */

static void on_logd(void *userdata, int error, const char *reason, samgr_resolve_results out)
{
	struct execd_proc *p = userdata;
	struct nexus_endpoint *ep = NULL;
	nx_rpc_cap *bootstrap = NULL;
	int r = error, fd = -1;

	p->applog.resolve = NULL;
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, &ep);
	if (r >= 0)
		r = fd = nx_rpc_cap_take_fd(nexus_endpoint_cap(ep));
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	if (r >= 0)
		r = nx_rpc_conn_new(p->d->loop, fd, NULL, &p->applog.log_conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(p->applog.log_conn, &bootstrap);
	if (r < 0)
		nx_log(NX_LOG_WARN, NULL, "%s cannot reach logd: %s; its output is dropped",
		        p->subject, error < 0 ? reason : strerror(-r));
	else
		p->applog.log = log_from_cap(bootstrap);
	held_release(p);
	output_start(p);
	if (!execd_applog_busy(p))
		applog_idle(p); /* may free p */
}

int execd_applog_open(struct execd_proc *p)
{
	nx_rpc_cap *samgr = NULL;
	int fd, r = execd_adopt(p, &fd);

	if (r < 0)
		return r;
	r = nx_rpc_conn_new(p->d->loop, fd, NULL, &p->applog.samgr_conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(p->applog.samgr_conn, &samgr);
	if (r >= 0) {
		samgr_resolve_params_b params;

		r = samgr_resolve_start(samgr_from_cap(samgr), &p->applog.resolve, &params);
		if (r >= 0)
			r = samgr_resolve_params_set_name(params, "logd", strlen("logd"));
		if (r >= 0)
			r = samgr_resolve_send(p->applog.resolve, on_logd, p); /* takes the call */
		if (r < 0)
			p->applog.resolve = NULL;
	}
	nx_rpc_cap_unref(samgr);
	return r;
}

void execd_applog_close(struct execd_proc *p)
{
	struct execd_applog *a = &p->applog;

	if (execd_applog_busy(p) && !p->freeing)
		return; /* the last lines are on their way: on_appended or on_logd closes it */
	a->resolve = nx_rpc_call_free(a->resolve);
	held_release(p); /* counted lost: logd was never resolved */
	a->log = log_from_cap(nx_rpc_cap_unref(log_cap(a->log)));
	a->log_conn = nx_rpc_conn_free(a->log_conn);
	a->samgr_conn = nx_rpc_conn_free(a->samgr_conn);
	if (a->dropped)
		nx_log(NX_LOG_WARN, NULL, "%s: %llu output lines could not reach the journal",
		        p->subject, (unsigned long long)a->dropped);
	a->dropped = 0;
}
