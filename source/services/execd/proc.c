/* SPDX-License-Identifier: MIT */
/*
 * The process table: each spawned process from its first start until it ended for good,
 * watched through its pidfd. An exit is decided by userspace/exec (run.h: restart after a
 * backoff, or the end, and whether a crash report is due); the Process capabilities handed
 * out keep an ended process readable (info, wait) until the last is dropped. Also Exec.list,
 * Exec.get and Exec.watch.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "execd.h"
#include "nx-abi/cgroup.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"

/* A Process capability: the process and the rights it was handed out with. */
struct execd_handle {
	struct execd_proc *p;
	bool may_control; /* wait and kill */
	char holder[NX_SVC_SUBJECT_MAX + 1];
};

/* A Process.wait held until the process ends for good. */
struct execd_wait {
	struct execd_wait *next;
	struct execd_proc *p;
	nx_rpc_incoming *in;
};

static void notify(struct execd_proc *p, exec_event event);

int execd_proc_new(struct execd *d, struct execd_proc **ret)
{
	struct execd_proc *p;
	int slot = app_slot_take(&d->slots);

	if (slot < 0)
		return -EDQUOT;
	p = calloc(1, sizeof(*p));
	if (!p) {
		app_slot_put(&d->slots, (unsigned)slot);
		return -ENOMEM;
	}
	p->d = d;
	p->id = ++d->next_id;
	p->slot = slot;
	p->exe_fd = p->pidfd = p->out.fd = -1;
	p->state = EXEC_STATE_RUNNING;
	d->nprocs++;
	*ret = p;
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void list_remove(struct execd_proc **head, struct execd_proc *p)
{
	for (struct execd_proc **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			return;
		}
}

/* Off the table, its uid slot free again (idempotent). */
static void proc_unlist(struct execd_proc *p)
{
	struct execd *d = p->d;

	list_remove(&d->procs, p);
	if (p->slot >= 0) {
		app_slot_put(&d->slots, (unsigned)p->slot);
		p->slot = -1;
		d->nprocs--;
	}
}

void execd_proc_free(struct execd_proc *p)
{
	if (!p || p->freeing)
		return;
	p->freeing = true;
	proc_unlist(p);
	list_remove(&p->d->ended, p);
	while (p->waiters) { /* execd is stopping */
		struct execd_wait *w = p->waiters;

		p->waiters = w->next;
		nx_rpc_incoming_set_cancel_cb(w->in, NULL, NULL);
		(void)nx_rpc_incoming_fail(
		        w->in, NX_RPC_EXC_FAILED, "unavailable: execd is stopping");
		free(w);
	}
	p->exit_src = nx_source_free(p->exit_src);
	p->restart_timer = nx_source_free(p->restart_timer);
	execd_output_close(p);
	execd_applog_close(p);
	nx_fd_close(p->pidfd);
	nx_fd_close(p->exe_fd);
	p->pidfd = p->exe_fd = -1;
	strv_free(p->argv);
	strv_free(p->envp);
	p->argv = p->envp = NULL;
	if (p->handles == 0)
		free(p);
}

_Static_assert(EXEC_MECHANISM_COUNT == NX_SANDBOX_MECH_COUNT,
        "exec.capnp's Mechanism names each nx-abi mechanism, in nx-abi's order");

int execd_info_fill(const struct execd_proc *p, exec_proc_info_b b)
{
	static const exec_mechanism_status status[] = {
	        [NX_SANDBOX_NOT_REQUESTED] = EXEC_MECHANISM_STATUS_NOT_REQUESTED,
	        [NX_SANDBOX_APPLIED] = EXEC_MECHANISM_STATUS_APPLIED,
	        [NX_SANDBOX_UNAVAILABLE] = EXEC_MECHANISM_STATUS_UNAVAILABLE,
	};
	nx_capnp_blist list;
	int r;

	exec_proc_info_set_id(b, p->id);
	exec_proc_info_set_pid(b, p->state == EXEC_STATE_RESTARTING ? 0 : (uint32_t)p->pid);
	exec_proc_info_set_version(b, p->version);
	exec_proc_info_set_state(b, p->state);
	exec_proc_info_set_start_ns(b, p->start_ns);
	exec_proc_info_set_restarts(b, p->run.restarts);
	exec_proc_info_set_exit_code(b, p->exit_code);
	exec_proc_info_set_signal(b, p->signal);
	exec_proc_info_set_uid(b, p->slot >= 0 ? p->d->uid_base + (uint32_t)p->slot : 0);
	exec_proc_info_set_restart(b, p->restart);
	const char *profile = nx_seccomp_profile_name(p->net ? NX_SECCOMP_APP_NET : NX_SECCOMP_APP);

	r = exec_proc_info_set_bundle(b, p->bundle, strlen(p->bundle));
	if (r >= 0)
		r = exec_proc_info_set_seccomp_profile(b, profile, strlen(profile));
	if (r >= 0)
		r = exec_proc_info_set_owner(b, p->owner, strlen(p->owner));
	if (r >= 0)
		r = exec_proc_info_init_sandbox(b, EXEC_MECHANISM_COUNT, &list);
	for (unsigned m = 0; r >= 0 && m < EXEC_MECHANISM_COUNT; m++) {
		exec_sandbox_entry_b e = exec_sandbox_entry_b_at(&list, m);

		exec_sandbox_entry_set_mechanism(e, (exec_mechanism)m);
		exec_sandbox_entry_set_status(e, status[p->sandbox.mech[m].status]);
	}
	return r;
}

/* ---- Runs and exits ---- */

static void answer_waiters(struct execd_proc *p)
{
	while (p->waiters) {
		struct execd_wait *w = p->waiters;
		exec_process_wait_results_b res;
		exec_proc_info_b info;
		int r;

		p->waiters = w->next;
		nx_rpc_incoming_set_cancel_cb(w->in, NULL, NULL);
		r = exec_process_wait_results_init(w->in, &res);
		if (r >= 0)
			r = exec_process_wait_results_init_info(res, &info);
		if (r >= 0)
			r = execd_info_fill(p, info);
		(void)nx_rpc_incoming_return_built(w->in, r);
		free(w);
	}
}

void execd_proc_release(struct execd_proc *p)
{
	/* A wait is answered once the output is in the journal too: what the app wrote can be
	 * read as soon as the caller knows it ended. */
	if (!p->ended || execd_applog_busy(p))
		return;
	answer_waiters(p);
	if (p->handles == 0 && !p->crash_wait)
		execd_proc_free(p);
}

/* Ended for good: off the table, waiters answered, kept while referred to. */
static void proc_end(struct execd_proc *p, exec_state state)
{
	p->state = state;
	p->ended = true;
	p->restart_timer = nx_source_free(p->restart_timer);
	proc_unlist(p);
	p->next = p->d->ended;
	p->d->ended = p;
	execd_output_close(p);
	execd_applog_close(p);
	nx_fd_close(p->exe_fd);
	p->exe_fd = -1;
	nx_log(NX_LOG_INFO, NULL, "%s (process %llu) %s after %u restarts", p->bundle,
	        (unsigned long long)p->id, state == EXEC_STATE_FAILED ? "failed" : "exited",
	        p->run.restarts);
	execd_proc_release(p);
}

static void on_restart_due(nx_source *s, void *userdata)
{
	struct execd_proc *p = userdata;
	char why[256];

	p->restart_timer = nx_source_free(p->restart_timer);
	if (execd_run_start(p, why, sizeof(why)) < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot restart %s (process %llu): %s", p->bundle,
		        (unsigned long long)p->id, why);
		proc_end(p, EXEC_STATE_FAILED);
	}
}

static void on_run_exit(nx_source *s, int pid, int status, bool signaled, void *userdata)
{
	struct execd_proc *p = userdata;
	uint64_t delay = 0;
	enum app_next next;
	char what[64], name[32];
	bool crashed;

	p->exit_src = nx_source_free(p->exit_src);
	nx_fd_close(p->pidfd);
	p->pidfd = -1;
	p->exit_code = signaled || status < 0 ? 0 : status;
	p->signal = signaled ? (uint32_t)status : 0;
	if (p->d->cgroup_base >= 0) {
		(void)snprintf(name, sizeof(name), "app-%llu", (unsigned long long)p->id);
		(void)nx_cgroup_remove(p->d->cgroup_base, name);
	}
	execd_output_drain(p);
	crashed = app_run_crashed(&p->run, p->exit_code, (int)p->signal);
	next = app_run_exited(
	        &p->run, p->exit_code, (int)p->signal, nx_clock_monotonic_ns(), &delay);
	if (next == APP_NEXT_RESTART)
		(void)snprintf(what, sizeof(what), "restart in %llu ms",
		        (unsigned long long)(delay / 1000000u));
	else
		(void)snprintf(what, sizeof(what), "stays down (%s)",
		        next == APP_NEXT_EXITED ? "done"
		        : p->run.restarts == 0  ? "restart policy"
		                                : "restart policy or storm limit");
	nx_log(crashed ? NX_LOG_WARN : NX_LOG_INFO, NULL,
	        "%s (process %llu, pid %d) exited: code %d, signal %u; %s", p->bundle,
	        (unsigned long long)p->id, pid, p->exit_code, p->signal, what);
	if (crashed)
		execd_crash_report(p, what);
	if (next == APP_NEXT_RESTART &&
	        nx_loop_add_timer(p->d->loop, nx_clock_monotonic_ns() + delay, on_restart_due, p,
	                &p->restart_timer) >= 0) {
		p->state = EXEC_STATE_RESTARTING;
		execd_output_close(p);
		notify(p, EXEC_EVENT_EXITED);
		return;
	}
	p->state = next == APP_NEXT_EXITED ? EXEC_STATE_EXITED : EXEC_STATE_FAILED;
	notify(p, EXEC_EVENT_EXITED);
	proc_end(p, p->state);
}

void execd_proc_started(struct execd_proc *p)
{
	struct execd *d = p->d;
	struct nx_spawned child = {.pidfd = p->pidfd, .pid = p->pid};
	bool listed = false;

	p->state = EXEC_STATE_RUNNING;
	p->start_ns = nx_clock_realtime_ns();
	app_run_started(&p->run, nx_clock_monotonic_ns());
	if (nx_loop_add_process(d->loop, &child, on_run_exit, p, &p->exit_src) < 0) {
		/* Cannot watch it: do not keep what we cannot supervise. */
		(void)nx_process_signal(p->pidfd, SIGKILL);
		nx_log(NX_LOG_ERROR, NULL, "cannot watch %s (pid %d): killed", p->bundle, p->pid);
	}
	for (struct execd_proc *q = d->procs; q; q = q->next)
		listed |= q == p;
	if (!listed) {
		struct execd_proc **tail = &d->procs;

		while (*tail)
			tail = &(*tail)->next;
		*tail = p;
	}
	notify(p, EXEC_EVENT_STARTED);
}

void execd_procs_free(struct execd *d)
{
	/* Stopping: the apps die with us (die_with_parent); nothing to answer. */
	while (d->procs)
		execd_proc_free(d->procs);
	while (d->ended)
		execd_proc_free(d->ended);
	while (d->watchers) {
		struct execd_watcher *w = d->watchers;

		d->watchers = w->next;
		nx_rpc_cap_unref(exec_process_watcher_cap(w->cb));
		free(w);
	}
}

/* ---- Process ---- */

static struct execd_handle *handle_of(void *impl)
{
	return impl;
}

static void wait_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct execd_wait *w = userdata;

	for (struct execd_wait **pp = &w->p->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, "unavailable: canceled");
	free(w);
}

static int serve_wait(void *impl, nx_rpc_incoming *in, exec_process_wait_params params)
{
	struct execd_handle *h = handle_of(impl);
	struct execd_wait *w;

	if (!h->may_control)
		return nx_rpc_incoming_failf(in, -EPERM,
		        "%s may not wait for process %llu: not its own (needs proc.kill.any)",
		        h->holder, (unsigned long long)h->p->id);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct execd_wait){.next = h->p->waiters, .p = h->p, .in = in};
	h->p->waiters = w;
	if (h->p->ended && !execd_applog_busy(h->p)) {
		answer_waiters(h->p);
		return 0;
	}
	/* Running, or ended with output on its way: execd_proc_release answers. */
	nx_rpc_incoming_set_cancel_cb(in, wait_canceled, w);
	return NX_RPC_ASYNC;
}

static int serve_kill(void *impl, nx_rpc_incoming *in, exec_process_kill_params params)
{
	struct execd_handle *h = handle_of(impl);
	struct execd_proc *p = h->p;
	uint32_t sig = exec_process_kill_params_get_signal(params);
	int r = 0;

	if (sig < 1 || sig > 64)
		return nx_rpc_incoming_failf(in, -EINVAL, "signal: %u is not 1..64", sig);
	if (!h->may_control)
		return nx_rpc_incoming_failf(in, -EPERM,
		        "%s may not kill process %llu: not its own (needs proc.kill.any)",
		        h->holder, (unsigned long long)p->id);
	if (p->ended)
		return nx_rpc_incoming_failf(
		        in, -ENOENT, "process %llu: ended already", (unsigned long long)p->id);
	app_run_stop(&p->run);
	nx_log(NX_LOG_INFO, NULL, "%s asks to stop %s (process %llu) with signal %u", h->holder,
	        p->bundle, (unsigned long long)p->id, sig);
	if (p->state == EXEC_STATE_RESTARTING)
		proc_end(p, EXEC_STATE_EXITED); /* between runs: nothing to signal */
	else
		r = nx_process_signal(p->pidfd, (int)sig);
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, r, "process %llu: %s", (unsigned long long)p->id, strerror(-r));
	return exec_process_kill_return(in);
}

static int serve_info(void *impl, nx_rpc_incoming *in, exec_process_info_params params)
{
	struct execd_handle *h = handle_of(impl);
	exec_process_info_results_b res;
	exec_proc_info_b info;
	int r = exec_process_info_results_init(in, &res);

	if (r >= 0)
		r = exec_process_info_results_init_info(res, &info);
	if (r >= 0)
		r = execd_info_fill(h->p, info);
	return nx_rpc_incoming_return_built(in, r);
}

static const struct exec_process_server process_vt = {
        .wait = serve_wait,
        .kill = serve_kill,
        .info = serve_info,
};

static void handle_destroy(void *impl)
{
	struct execd_handle *h = impl;
	struct execd_proc *p = h->p;

	free(h);
	if (--p->handles == 0 && p->freeing)
		free(p); /* released already (execd stopping): only the memory was left */
	else
		execd_proc_release(p);
}

int execd_proc_handle(
        struct execd_proc *p, bool may_control, const char *holder, struct exec_process **ret)
{
	struct execd_handle *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	*h = (struct execd_handle){.p = p, .may_control = may_control};
	(void)snprintf(h->holder, sizeof(h->holder), "%s", holder);
	r = exec_process_server_new(&process_vt, h, handle_destroy, ret);
	if (r < 0) {
		free(h);
		return r;
	}
	p->handles++;
	return 0;
}

/* ---- Exec.list, Exec.get, Exec.watch ---- */

/* 0 and *ret_allowed, NX_RPC_ASYNC, or an answered refusal (> 0 never). */
static int need(struct execd *d, nx_rpc_incoming *in, const char *cap, bool *ret_allowed)
{
	return nx_svc_allowed(d->svc, in, cap, ret_allowed);
}

int execd_serve_list(void *impl, nx_rpc_incoming *in, exec_list_params params)
{
	struct execd *d = impl;
	struct execd_proc *page[EXEC_LIST_MAX];
	uint64_t after = exec_list_params_get_after(params);
	exec_list_results_b res;
	nx_capnp_blist list;
	unsigned n = 0, left = 0;
	bool allowed;
	int r = need(d, in, "proc.list", &allowed);

	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(
		        in, -EPERM, "%s lacks proc.list", nx_svc_subject(d->svc, in));
	/* The table is in id order (appended at each first start, ids increasing). */
	for (struct execd_proc *p = d->procs; p; p = p->next) {
		if (p->id <= after)
			continue;
		if (n < EXEC_LIST_MAX)
			page[n++] = p;
		else
			left++;
	}
	r = exec_list_results_init(in, &res);
	if (r >= 0)
		r = exec_list_results_init_processes(res, n, &list);
	for (unsigned i = 0; r >= 0 && i < n; i++)
		r = execd_info_fill(page[i], exec_proc_info_b_at(&list, i));
	if (r >= 0)
		exec_list_results_set_more(res, left > 0);
	return nx_rpc_incoming_return_built(in, r);
}

int execd_serve_get(void *impl, nx_rpc_incoming *in, exec_get_params params)
{
	struct execd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	uint64_t id = exec_get_params_get_id(params);
	struct exec_process *process = NULL;
	struct execd_proc *p = d->procs;
	bool allowed, control;
	int r = need(d, in, "proc.list", &allowed);

	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks proc.list", subject);
	while (p && p->id != id)
		p = p->next;
	if (!p)
		return nx_rpc_incoming_failf(in, -ENOENT, "process %llu: no such process running",
		        (unsigned long long)id);
	/* Control (wait, kill): the owner with proc.kill, anyone with proc.kill.any. */
	r = need(d, in, strcmp(subject, p->owner) == 0 ? "proc.kill" : "proc.kill.any", &control);
	if (r != 0)
		return r;
	r = execd_proc_handle(p, control, subject, &process);
	if (r >= 0)
		r = exec_get_return(in, process);
	nx_rpc_cap_unref(exec_process_cap(process));
	return r;
}

static void watcher_drop(struct execd *d, struct execd_watcher *w)
{
	for (struct execd_watcher **pp = &d->watchers; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			d->nwatchers--;
			nx_rpc_cap_unref(exec_process_watcher_cap(w->cb));
			free(w);
			return;
		}
}

struct notice {
	struct execd *d;
	struct execd_watcher *w;
};

static void on_noticed(
        void *userdata, int error, const char *reason, exec_process_watcher_changed_results out)
{
	struct notice *n = userdata;

	/* A watcher that fails (dropped it, its connection gone) is forgotten. */
	if (error < 0)
		watcher_drop(n->d, n->w);
	free(n);
}

static void notify(struct execd_proc *p, exec_event event)
{
	struct execd *d = p->d;

	for (struct execd_watcher *w = d->watchers, *next; w; w = next) {
		exec_process_watcher_changed_params_b params;
		exec_proc_info_b info;
		struct notice *n = malloc(sizeof(*n));
		nx_rpc_call *call = NULL;
		int r = n ? 0 : -ENOMEM;

		next = w->next;
		if (r >= 0)
			r = exec_process_watcher_changed_start(w->cb, &call, &params);
		if (r >= 0) {
			exec_process_watcher_changed_params_set_event(params, event);
			r = exec_process_watcher_changed_params_init_info(params, &info);
		}
		if (r >= 0)
			r = execd_info_fill(p, info);
		if (r >= 0) {
			*n = (struct notice){d, w};
			r = exec_process_watcher_changed_send(call, on_noticed, n); /* takes call */
			call = NULL;
			if (r >= 0)
				continue;
		}
		nx_rpc_call_free(call);
		free(n);
		watcher_drop(d, w);
	}
}

int execd_serve_watch(void *impl, nx_rpc_incoming *in, exec_watch_params params)
{
	struct execd *d = impl;
	nx_rpc_conn *conn = nx_rpc_incoming_conn(in);
	struct exec_process_watcher *cb = NULL;
	struct execd_watcher *w;
	unsigned on_conn = 0;
	bool allowed;
	int r = need(d, in, "proc.list", &allowed);

	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(
		        in, -EPERM, "%s lacks proc.list", nx_svc_subject(d->svc, in));
	for (w = d->watchers; w; w = w->next)
		on_conn += w->conn == conn;
	if (on_conn >= EXEC_WATCHERS_PER_CONN_MAX || d->nwatchers >= EXEC_WATCHERS_MAX)
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "cb: %u watchers on this connection or %u in all already",
		        EXEC_WATCHERS_PER_CONN_MAX, EXEC_WATCHERS_MAX);
	r = exec_watch_params_get_cb(params, &cb);
	if (r < 0 || !cb) {
		nx_rpc_cap_unref(exec_process_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EINVAL, "cb: no watcher");
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		nx_rpc_cap_unref(exec_process_watcher_cap(cb));
		return -ENOMEM;
	}
	*w = (struct execd_watcher){.next = d->watchers, .cb = cb, .conn = conn};
	d->watchers = w;
	d->nwatchers++;
	return exec_watch_return(in);
}
