/* SPDX-License-Identifier: MIT */
/*
 * Exec.spawn and each run's start. A spawn is checked (proc.spawn, the args and env bounds of
 * userspace/exec, the process limit), then bundlemgrd is asked on the caller's behalf (as
 * svc:execd: Bundles.info for the manifest, Bundles.openFile for the entry, a sealed memfd)
 * and the call is held (NX_RPC_ASYNC) until it answered. A run: a fresh channel adopted by
 * samgrd as app:<id> becomes the app's fd 3, its stdout and stderr a pipe execd reads (or the
 * caller's, stdio=pipe), stdin a pipe at end of file, and nx_spawn confines it (profile
 * below) and execs the memfd. It dies with execd (die_with_parent): see README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/argv.h"
#include "execd.h"
#include "nx-abi/cgroup.h"
#include "nx-abi/clock.h"
#include "nx-abi/pipe.h"
#include "nx-abi/proc.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-log/log.h"
#include "nx-util/macro.h"

/* One spawn call held while bundlemgrd answers. */
struct spawn_call {
	struct execd *d;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* ours to bundlemgrd, until its callback runs */
	struct execd_proc *p;
};

/* Defaults for a manifest's limits left at 0. */
#define EXECD_OPEN_FILES_DEFAULT 256u
#define EXECD_TASKS_DEFAULT      64u

static const struct exec_output_server output_vt = {0};

static void spawn_call_free(struct spawn_call *sc)
{
	execd_proc_free(sc->p);
	free(sc);
}

static void spawn_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct spawn_call *sc = userdata;

	nx_rpc_call_free(sc->call); /* its callback never runs */
	(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, "unavailable: canceled");
	spawn_call_free(sc);
}

/* Ends the held call with `err` and a reason, and forgets it. */
static void spawn_fail(struct spawn_call *sc, int err, const char *fmt, const char *arg)
{
	nx_rpc_incoming_set_cancel_cb(sc->in, NULL, NULL);
	(void)nx_rpc_incoming_failf(sc->in, err, fmt, arg);
	spawn_call_free(sc);
}

/* bundlemgrd said no: its reason goes to the caller as it is (it starts with its code). */
static void spawn_pass_on(struct spawn_call *sc, int error, const char *reason)
{
	nx_rpc_incoming_set_cancel_cb(sc->in, NULL, NULL);
	(void)nx_rpc_incoming_fail(sc->in, nx_rpc_exc_type_for_errno(error),
	        reason && *reason ? reason : "unavailable: bundlemgrd failed");
	spawn_call_free(sc);
}

/* A NULL-terminated copy of texts[0..n), after `first` when it is not NULL. */
static char **strv_copy(const char *first, size_t n_texts, const struct app_text *texts)
{
	size_t n = n_texts + (first ? 1 : 0), k = 0;
	char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return NULL;
	if (first && !(v[k++] = strdup(first)))
		goto fail;
	for (size_t i = 0; i < n_texts; i++, k++) {
		v[k] = strndup(texts[i].s, texts[i].len);
		if (!v[k])
			goto fail;
	}
	return v;
fail:
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return NULL;
}

/* The texts of a List(Text) param, validated already (no NUL, within its caps). */
static void texts_of(nx_capnp_list list, struct app_text *ret)
{
	for (uint32_t i = 0; i < list.count; i++) {
		nx_capnp_ptr ptr = nx_capnp_list_ptr(&list, i);

		ret[i] = (struct app_text){"", 0};
		(void)nx_capnp_ptr_read_text(&ptr, &ret[i].s, &ret[i].len);
	}
}

/* ---- The confinement of a run ---- */

/* What the address space of a process of this build holds before it allocates anything:
 * nothing in a plain build; in a sanitizer build the terabytes AddressSanitizer reserves
 * (shadow memory, its allocator's region) before main, measured once as execd's own (the
 * same runtime; an app's is a few MiB smaller). RLIMIT_AS is this plus the manifest's
 * memory, so the limit holds in both builds. */
static uint64_t sanitizer_reserve(void)
{
#if defined(__SANITIZE_ADDRESS__)
	static uint64_t reserve;
	struct nx_proc_usage use;

	if (!reserve && nx_proc_usage(getpid(), &use) == 0)
		reserve = use.vm_bytes;
	return reserve;
#else
	return 0;
#endif
}

static void sandbox_profile(const struct execd_proc *p, int cgroup_fd, struct nx_sandbox *ret)
{
	unsigned n = 0;

	memset(ret, 0, sizeof(*ret));
	ret->mechs = (1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_LANDLOCK) |
	             (1u << NX_SANDBOX_SECCOMP) | (1u << NX_SANDBOX_CLOSE_RANGE) |
	             (1u << NX_SANDBOX_RLIMITS) | (1u << NX_SANDBOX_CAPS) |
	             (1u << NX_SANDBOX_IDENTITY) | (1u << NX_SANDBOX_NAMESPACES);
	if (cgroup_fd >= 0)
		ret->mechs |= 1u << NX_SANDBOX_CGROUP;
	ret->cgroup_fd = cgroup_fd;
	ret->seccomp_profile = p->net ? NX_SECCOMP_APP_NET : NX_SECCOMP_APP;
	/* Not a user or mount namespace, nor mount_ns's private /tmp: execd's own Landlock and
	 * seccomp (services.conf sandbox=default), which its children inherit, refuse them, and
	 * nx-abi then fails the spawn rather than run the app without. The app sees no /tmp at
	 * all (Landlock grants nothing writable): its files are vfsd's, per subject. Not a pid
	 * namespace either: its pid 1 ignores every signal it has no handler for, so
	 * Process.kill(SIGTERM) and the app's own abort() would do nothing. */
	ret->ns_flags = NX_NS_NET | NX_NS_IPC | NX_NS_UTS;
	ret->uid = ret->gid = p->d->uid_base + (uint32_t)p->slot;
	ret->nofile = p->open_files ? p->open_files : EXECD_OPEN_FILES_DEFAULT;
	ret->nproc = p->tasks ? p->tasks : EXECD_TASKS_DEFAULT;
	if (p->memory_bytes)
		ret->as_bytes = sanitizer_reserve() + p->memory_bytes;
	/* The loader and libraries; nothing writable: files are vfsd's (/data, /tmp, /pkg). */
	ret->paths[n++] = (struct nx_sandbox_path){"/usr", NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/lib", NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/lib64", NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/etc/ld.so.cache", NX_SANDBOX_READ};
	ret->paths[n++] = (struct nx_sandbox_path){"/proc/self", NX_SANDBOX_READ};
	ret->npaths = n;
}

/* Says once per mechanism that the kernel (or execd's privileges) lacks it. */
static void sandbox_note(struct execd *d, const struct nx_sandbox_report *report)
{
	for (int m = 0; m < NX_SANDBOX_MECH_COUNT; m++)
		if (report->mech[m].status == NX_SANDBOX_UNAVAILABLE && !d->said_unavailable[m]) {
			d->said_unavailable[m] = true;
			nx_log(NX_LOG_WARN, "sandbox",
			        "%s unavailable for apps (%s), going on without it",
			        nx_sandbox_mech_name(m), strerror(-report->mech[m].error));
		}
}

/* A cgroup for the run, where cgroup v2 is delegated to execd: -1 elsewhere. */
static int run_cgroup(struct execd_proc *p)
{
	struct nx_cgroup_limits limits = {p->memory_bytes, p->tasks};
	char name[32];
	int fd = -1;

	if (p->d->cgroup_base < 0)
		return -1;
	(void)snprintf(name, sizeof(name), "app-%llu", (unsigned long long)p->id);
	if (nx_cgroup_create(p->d->cgroup_base, name, &limits, &fd) < 0)
		return -1; /* reported as not requested: rlimits still hold */
	return fd;
}

/* ---- A run ---- */

static void on_adopted(void *userdata, int error, const char *reason, samgr_adopt_results out)
{
	/* The app finds its fd 3 closed and fails on its own; supervision takes it from there. */
	if (error < 0)
		nx_log(NX_LOG_ERROR, NULL, "samgrd refused an app's bootstrap channel: %s", reason);
}

int execd_adopt(struct execd_proc *p, int *ret_fd)
{
	static const struct nexus_endpoint_server endpoint_vt = {0};
	struct samgr *samgr = nx_svc_samgr(p->d->svc);
	struct nexus_endpoint *ep;
	int chan[2], r;

	if (!samgr)
		return -EAGAIN;
	r = nx_chan_pair(chan);
	if (r < 0)
		return r;
	r = nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, chan[0], &ep); /* takes */
	if (r < 0) {
		nx_fd_close(chan[1]);
		return r;
	}
	/* Sent before anyone speaks on the other end: samgrd serves it by then. */
	r = samgr_adopt(samgr, ep, p->subject, on_adopted, NULL);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	if (r < 0) {
		nx_fd_close(chan[1]);
		return r;
	}
	*ret_fd = chan[1];
	return 0;
}

int execd_run_start(struct execd_proc *p, char *why, size_t why_size)
{
	struct nx_sandbox sandbox;
	struct nx_spawned child;
	int boot = -1, out[2] = {-1, -1}, in[2] = {-1, -1}, cgroup_fd, r;
	const char *step = "samgrd's adoption";

	r = execd_adopt(p, &boot);
	if (r >= 0) {
		step = "pipes";
		r = nx_pipe(out);
	}
	if (r >= 0)
		r = nx_pipe(in);
	if (r < 0)
		goto done;
	nx_fd_close(in[1]); /* stdin: at end of file at once */
	in[1] = -1;
	cgroup_fd = run_cgroup(p);
	sandbox_profile(p, cgroup_fd, &sandbox);
	struct nx_spawn spec = {
	        .exec_fd = p->exe_fd,
	        .argv = p->argv,
	        .envp = p->envp,
	        .fds = {{0, in[0]}, {1, out[1]}, {2, out[1]}, {3, boot}},
	        .nfds = 4,
	        .new_session = true,
	        .sandbox = &sandbox,
	        .die_with_parent = true,
	};
	step = "spawn";
	r = nx_spawn(&spec, &child);
	if (cgroup_fd >= 0)
		nx_fd_close(cgroup_fd);
	if (r < 0)
		goto done;
	p->pid = child.pid;
	p->pidfd = child.pidfd;
	p->sandbox = child.sandbox;
	sandbox_note(p->d, &child.sandbox);
	/* Output: the caller's (spawn hands it over) or read into the journal. */
	if (p->piped)
		p->out.fd = out[0];
	else
		execd_output_watch(p, out[0]);
	out[0] = -1;
	execd_proc_started(p);
done:
	if (r < 0)
		(void)snprintf(why, why_size, "%s: %s", step, strerror(-r));
	nx_fd_close(boot);
	nx_fd_close(out[0]);
	nx_fd_close(out[1]);
	nx_fd_close(in[0]);
	return r;
}

/* ---- The spawn call ---- */

/* Answers the spawn: the Process (wait and kill: the caller spawned it), its info, and the
 * output pipe for stdio=pipe. */
static int spawn_return(struct spawn_call *sc)
{
	struct execd_proc *p = sc->p;
	struct exec_process *process = NULL;
	struct exec_output *output = NULL;
	exec_spawn_results_b res;
	exec_proc_info_b info;
	int r;

	r = execd_proc_handle(p, true, p->owner, &process);
	if (r >= 0 && p->piped) {
		/* The caller gets a plain blocking pipe (ours was non-blocking for the loop). */
		(void)nx_fd_set_nonblock(p->out.fd, 0);
		r = exec_output_server_new_with_fd(&output_vt, NULL, NULL, p->out.fd, &output);
		p->out.fd = -1; /* taken, also on failure */
	}
	if (r >= 0)
		r = exec_spawn_results_init(sc->in, &res);
	if (r >= 0)
		r = exec_spawn_results_set_process(res, process);
	if (r >= 0 && output)
		r = exec_spawn_results_set_output(res, output);
	if (r >= 0)
		r = exec_spawn_results_init_info(res, &info);
	if (r >= 0)
		r = execd_info_fill(p, info);
	nx_rpc_cap_unref(exec_process_cap(process));
	nx_rpc_cap_unref(exec_output_cap(output));
	return nx_rpc_incoming_return_built(sc->in, r);
}

/* The entry's memfd from an openFile answer, checked sealed: a dup in *ret_fd. */
static int entry_fd(bundle_bundles_open_file_results out, int *ret_fd)
{
	struct nexus_vmo *vmo = NULL;
	unsigned seals = 0;
	int r, fd = -1;

	r = nexus_vmo_ref_get_vmo(bundle_bundles_open_file_results_get_file(out), &vmo);
	if (r >= 0)
		r = fd = nx_rpc_cap_dup_fd(nexus_vmo_cap(vmo));
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r >= 0)
		r = nx_vmo_get_seals(fd, &seals);
	if (r >= 0 && !(seals & NX_VMO_SEAL_FROZEN))
		r = -EPERM; /* bundlemgrd serves frozen files: anything else is not what it says */
	if (r < 0) {
		if (fd >= 0)
			nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static void entry_opened(
        void *userdata, int error, const char *reason, bundle_bundles_open_file_results out)
{
	struct spawn_call *sc = userdata;
	struct execd_proc *p = sc->p;
	char why[256];
	int r;

	sc->call = NULL;
	if (error < 0) {
		spawn_pass_on(sc, error, reason);
		return;
	}
	if (entry_fd(out, &p->exe_fd) < 0) {
		spawn_fail(
		        sc, -EBADMSG, "%s: bundlemgrd answered with a bad entry file", p->bundle);
		return;
	}
	r = execd_applog_open(p);
	if (r >= 0)
		r = execd_run_start(p, why, sizeof(why));
	else
		(void)snprintf(why, sizeof(why), "journal channel: %s", strerror(-r));
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start %s: %s", p->bundle, why);
		spawn_fail(sc, r == -EAGAIN ? r : -EIO, "spawn: %s", why);
		return;
	}
	nx_rpc_incoming_set_cancel_cb(sc->in, NULL, NULL);
	nx_log(NX_LOG_INFO, NULL, "started %s (process %llu, pid %d, uid %u) for %s", p->bundle,
	        (unsigned long long)p->id, p->pid, p->d->uid_base + (unsigned)p->slot, p->owner);
	(void)spawn_return(sc);
	sc->p = NULL; /* on the table now */
	free(sc);
}

/* The manifest's request for the wider seccomp profile, if any, against policy for
 * app:<id>: 0 decided, NX_RPC_ASYNC asked (the spawn runs again from the start). */
static int net_decide(struct spawn_call *sc, bundle_info info)
{
	nx_capnp_list caps = {0};
	bool requested = false;

	(void)bundle_info_get_caps(info, &caps); /* validated */
	for (uint32_t i = 0; i < caps.count && !requested; i++) {
		nx_capnp_ptr ptr = nx_capnp_list_ptr(&caps, i);
		const char *cap = "";
		size_t len = 0;

		(void)nx_capnp_ptr_read_text(&ptr, &cap, &len);
		requested = strcmp(cap, APP_CAP_NET) == 0;
	}
	sc->p->net = false;
	if (!requested)
		return 0;
	return nx_svc_allowed_as(sc->d->svc, sc->in, sc->p->subject, APP_CAP_NET, &sc->p->net);
}

static void bundle_seen(
        void *userdata, int error, const char *reason, bundle_bundles_info_results out)
{
	struct spawn_call *sc = userdata;
	struct execd_proc *p = sc->p;
	bundle_info info = bundle_bundles_info_results_get_info(out);
	nxb_limits limits;
	const char *entry;
	size_t len;
	int r;

	sc->call = NULL;
	if (error < 0) {
		spawn_pass_on(sc, error, reason);
		return;
	}
	p->version = bundle_summary_get_version(bundle_info_get_summary(info));
	p->restart = bundle_info_get_restart(info);
	limits = bundle_info_get_limits(info);
	p->memory_bytes = nxb_limits_get_memory_bytes(limits);
	p->tasks = nxb_limits_get_tasks(limits);
	p->open_files = nxb_limits_get_open_files(limits);
	app_run_init(&p->run, p->restart, p->piped);
	r = net_decide(sc, info);
	if (r == NX_RPC_ASYNC) {
		/* policyd is asked; the call runs again from the start with the answer cached. */
		nx_rpc_incoming_set_cancel_cb(sc->in, NULL, NULL);
		spawn_call_free(sc);
		return;
	}
	if (r < 0) {
		spawn_fail(sc, r, "%s: policyd cannot decide sandbox.net", p->bundle);
		return;
	}
	(void)bundle_info_get_entry(info, &entry, &len); /* validated, non-empty in a manifest */
	if (r >= 0) {
		/* argv[0]: the entry's path in the bundle (a placeholder until now). */
		free(p->argv[0]);
		r = (p->argv[0] = strndup(entry, len)) ? 0 : -ENOMEM;
	}
	if (r >= 0 && !sc->d->bundles)
		r = -EAGAIN;
	if (r >= 0) {
		bundle_bundles_open_file_params_b params;

		r = bundle_bundles_open_file_start(sc->d->bundles, &sc->call, &params);
		if (r >= 0)
			r = bundle_bundles_open_file_params_set_bundle(
			        params, p->bundle, strlen(p->bundle));
		if (r >= 0)
			r = bundle_bundles_open_file_params_set_path(params, entry, len);
		if (r >= 0)
			return (void)bundle_bundles_open_file_send(sc->call, entry_opened, sc);
		sc->call = nx_rpc_call_free(sc->call);
	}
	spawn_fail(sc, -EAGAIN, "%s: bundlemgrd cannot be asked", p->bundle);
}

/* Copies the call's bundle, args and env into a new process p (not on the table yet). */
static int proc_from_params(struct spawn_call *sc, exec_spawn_params params, char *why)
{
	struct app_text args[APP_ARGS_MAX], env[APP_ENV_MAX];
	nx_capnp_list largs = {0}, lenv = {0};
	struct execd_proc *p = NULL;
	const char *bundle;
	size_t len;
	int r;

	(void)exec_spawn_params_get_bundle(params, &bundle, &len); /* validated: 1..128 bytes */
	(void)exec_spawn_params_get_args(params, &largs);          /* at most APP_ARGS_MAX */
	(void)exec_spawn_params_get_env(params, &lenv);            /* at most APP_ENV_MAX */
	texts_of(largs, args);
	texts_of(lenv, env);
	r = app_argv_check(args, largs.count, env, lenv.count, why);
	if (r < 0)
		return r;
	/* app:<id> is a subject samgrd adopts: its name part follows samgrd's name limit. */
	if (len > REG_NAME_MAX) {
		(void)snprintf(why, APP_WHY_MAX,
		        "bundle: ids over %u bytes cannot be app subjects (samgrd's names)",
		        REG_NAME_MAX);
		return -EINVAL;
	}
	r = execd_proc_new(sc->d, &p);
	if (r < 0) {
		(void)snprintf(why, APP_WHY_MAX, "%u processes run already", APP_PROCESSES_MAX);
		return r;
	}
	sc->p = p;
	memcpy(p->bundle, bundle, len);
	p->bundle[len] = '\0';
	(void)snprintf(p->subject, sizeof(p->subject), "app:%.*s", (int)REG_NAME_MAX, p->bundle);
	(void)snprintf(p->owner, sizeof(p->owner), "%s", nx_svc_subject(sc->d->svc, sc->in));
	p->piped = exec_spawn_params_get_stdio(params) == EXEC_STDIO_PIPE;
	p->argv = strv_copy("", largs.count, args);
	p->envp = strv_copy(NULL, lenv.count, env);
	if (!p->argv || !p->envp)
		return -ENOMEM;
	return 0;
}

int execd_serve_spawn(void *impl, nx_rpc_incoming *in, exec_spawn_params params)
{
	struct execd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	char why[APP_WHY_MAX];
	struct spawn_call *sc;
	bool allowed;
	int r = nx_svc_allowed(d->svc, in, "proc.spawn", &allowed);

	if (r != 0)
		return r; /* NX_RPC_ASYNC: asked; this runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks proc.spawn", subject);
	if (!d->bundles)
		return nx_rpc_incoming_failf(in, -EAGAIN, "bundlemgrd is not reachable now");
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	*sc = (struct spawn_call){.d = d, .in = in};
	r = proc_from_params(sc, params, why);
	if (r < 0) {
		spawn_call_free(sc);
		return r == -ENOMEM ? r : nx_rpc_incoming_failf(in, r, "%s", why);
	}
	bundle_bundles_info_params_b bp;

	r = bundle_bundles_info_start(d->bundles, &sc->call, &bp);
	if (r >= 0)
		r = bundle_bundles_info_params_set_id(bp, sc->p->bundle, strlen(sc->p->bundle));
	if (r < 0)
		sc->call = nx_rpc_call_free(sc->call); /* started, not sent */
	if (r >= 0)
		r = bundle_bundles_info_send(sc->call, bundle_seen, sc); /* takes the call */
	if (r < 0) {
		sc->call = NULL;
		spawn_call_free(sc);
		return nx_rpc_incoming_failf(
		        in, -EAGAIN, "bundlemgrd cannot be asked: %s", strerror(-r));
	}
	nx_rpc_incoming_set_cancel_cb(in, spawn_canceled, sc);
	return NX_RPC_ASYNC;
}
