/* SPDX-License-Identifier: MIT */
/*
 * nexus-init: boot order, readiness, supervision (DESIGN.md section 6).
 *
 *   table      services.conf (table.c): name, binary, restart policy, in boot order
 *   boot       one service at a time: start, wait for its readiness line (deadline), up
 *   bootstrap  samgrd gets fd 3 = the admin channel (init keeps SamgrAdmin); every other
 *              service gets fd 3 = one end of a socketpair whose other end init adopts at
 *              samgrd as svc:<name>; fd 4 = readiness pipe; fd 5 = its channel to init
 *              (FdStore); nothing else (close_range)
 *   supervise  pidfd per child (nx-abi spawn.h); restart, backoff, storm limit and failed
 *              decided by userspace/supervise
 *   samgrd     restarts alone: when it exits (restart always|on-failure) the others keep
 *              running. Each loses only its channel to samgrd and asks init for a new one on
 *              its fd 5 (FdStore.reconnect); init answers once samgrd is up again, adopting the
 *              new channel as svc:<name>, and the service registers again. Channels between
 *              services and clients were never samgrd's: they keep working. A service due to
 *              (re)start while samgrd is down waits for it. samgrd's storm limit (or restart
 *              never) still ends in failed + stop, exit 1
 *   stop       SIGTERM/SIGINT: reverse order, each with a deadline, then exit 0
 *   sandbox    applied by nx_spawn just before exec (nx-abi/sandbox.h), by the profile in
 *              services.conf; its report comes back from nx_spawn, and a mechanism the
 *              kernel lacks is logged once
 *   privilege  each service runs under its own uid and gid: uid=N in services.conf, else
 *              $NEXUS_UID_BASE (default 61184) + its index in the table; its state dir is
 *              chowned to it (0700); every capability is dropped, the bounding set too,
 *              unless its entry keeps some (caps=); RLIMIT_NOFILE and RLIMIT_NPROC from
 *              nofile= and nproc= (NX_INIT_NOFILE_DEFAULT, NX_INIT_NPROC_DEFAULT); a mount
 *              namespace with a private /tmp. Files named by open=PATH are opened read-only
 *              by init (as root) before each start and handed over as fd 6, 7, ... in the
 *              entry's order, so a service reading a device needs no root.
 *              The runtime dir becomes root:<samgrd's gid> 01771 (samgrd binds samgr.sock
 *              there, nobody removes another's file), the state root 0711.
 *              Init itself closes every fd above stdio it inherited, first thing.
 *   status     $NEXUS_RUNTIME_DIR/status, rewritten (tmp + rename) on every change, read by
 *              `nx status`:
 *                nexus-init <version=3> <init pid>
 *                <name> <pid or 0> <starting|up|backoff|down|failed|stopping> <restarts>
 *                        <active mechanisms, comma-separated, or -> <start time of the
 *                        running child, realtime ns, or 0> <last exit: code:N, signal:N, or ->
 *                        <uid or -> <kept capabilities, comma-separated, or ->
 *                        <namespaces of its own: mnt, or ->
 *   control    control.c: InitControl (init.capnp) registered with samgrd as `initctl`;
 *              restart/stop/start of one service (below: control_*), needing svc.control
 *
 *   fdstore   per service, named fds it deposits over its fd 5 (fdstore.c), handed back to
 *              its next run; dropped when it stays down or fails for good
 *   lock      $NEXUS_RUNTIME_DIR/lock (flock): a second init on the dir names us and exits
 *
 * Console markers (stable, greppable): init: start|up|exit|restart|failed|stop <svc>, init: ready,
 * init: recover samgrd (it exited and restarts alone), init: dropped <n> held fds of <svc>,
 * init: stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/file.h"
#include "nx-abi/lock.h"
#include "nx-abi/sandbox.h"
#include "nx-abi/sock.h"
#include "nx-abi/spawn.h"
#include "nx-log/log.h"
#include "samgr.capnp.h"
#include "events.h"
#include "fdstore.capnp.h"
#include "fdstore.h"
#include "table.h"

/* meson sets it to policyd's default: the source tree's policies/. */
#ifndef INIT_POLICY_DIR
#define INIT_POLICY_DIR "policies"
#endif
/* An installed nexus-init (no services.conf beside it, `make install`): meson sets where the
 * table and policy ($sysconfdir/nexus) and the daemons ($libexecdir/nexus) went; its state
 * lives in the system's dirs. */
#ifndef INIT_INSTALLED_ETC
#define INIT_INSTALLED_ETC "/usr/local/etc/nexus"
#endif
#ifndef INIT_INSTALLED_BINDIR
#define INIT_INSTALLED_BINDIR "/usr/local/libexec/nexus"
#endif

/* Defaults of a build tree and of an installed system. */
struct init_defaults {
	const char *runtime_dir, *state_dir, *policy_dir;
};
static const struct init_defaults tree_defaults = {
        "./.nexus/run", "./.nexus/state", INIT_POLICY_DIR};
static const struct init_defaults installed_defaults = {
        "/run/nexus", "/var/lib/nexus", INIT_INSTALLED_ETC "/policies"};

/* The first uid (and gid) allocated to services without uid=: systemd's DynamicUser range
 * starts here too, clear of distribution-allocated ids. */
#define INIT_UID_BASE_DEFAULT 61184u
#define INIT_OPEN_FD_FIRST    6

#define MS               (1000ull * 1000ull)
#define READY_TIMEOUT_NS (10000 * MS)
#define STOP_TIMEOUT_NS  (5000 * MS)

enum svc_state {
	SVC_DOWN,     /* not started yet, or stopped for good */
	SVC_STARTING, /* running, readiness line not seen yet */
	SVC_UP,
	SVC_BACKOFF, /* exited, restart timer armed */
	SVC_FAILED,  /* storm limit hit: stays down */
	SVC_STOPPING,
};

struct svc {
	struct init_entry e;
	struct init *init;
	enum svc_state state;
	int pid;   /* the running child's, for the console and the status file; 0: none */
	int pidfd; /* the running child; -1: none */
	int ready_fd;
	nx_source *child_src, *ready_src, *timer;
	unsigned starts;
	struct sup_child sup;
	uint64_t restart_delay_ns; /* the backoff before the pending restart */
	unsigned sandboxed;        /* 1u << nx_sandbox_mech: active in the running child */
	uint32_t uid;              /* its own uid and gid */
	/* nx_sandbox_report_format of the running child, for the status file */
	char sandbox_summary[NX_SANDBOX_SUMMARY_MAX];
	char state_dir[PATH_MAX];
	uint64_t started_ns;        /* realtime of the running child's start, for `nx status` */
	char last_exit[24];         /* "code:N" / "signal:N" of the last exit; "" before one */
	bool held;                  /* stopped by control: stays down until started */
	bool restart_pending;       /* control asked for a restart: start again once it exited */
	struct init_fdstore store;  /* kept across restarts; dropped when it stops for good */
	init_link *link;            /* the running child's fd 5 */
	nx_rpc_incoming *reconnect; /* its FdStore.reconnect, waiting for samgrd */
	bool awaits_samgrd;         /* due to start while samgrd was down */
};

struct init {
	nx_loop *loop;
	struct svc svcs[INIT_MAX_SERVICES];
	unsigned n;
	unsigned booting; /* index of the service boot waits for; n once booted */
	bool stopping;
	int exit_code;
	nx_rpc_conn *admin_conn;
	struct samgr_admin *admin; /* samgrd's */
	struct init_ctl *control;
	char sock_path[PATH_MAX];
	char runtime_dir[PATH_MAX], status_path[PATH_MAX], policy_dir[PATH_MAX];
	bool said_unavailable[NX_SANDBOX_MECH_COUNT];
	init_events *events;     /* every console line, also to the journal (events.c) */
	struct svc *events_from; /* the logd whose Log they go to */
};

static void boot_next(struct init *in);
static void stop_next(struct init *in);
static int svc_start(struct svc *s);
static void svc_start_failed(struct svc *s, int error);
static void svc_settled(struct svc *s);

/* ---- Console and journal ---- */

/* Prints "init: <text>" and records it as an event of svc:init about s (NULL: init). */
__attribute__((format(printf, 4, 5))) static void say(
        struct init *in, log_level level, const struct svc *s, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	printf("init: %s\n", text);
	if (in->events)
		init_events_add(in->events, level, s ? s->e.name : NULL, text);
}
static bool control_exited(struct svc *s);

/* ---- Status file ---- */

static const char *state_name(enum svc_state st)
{
	switch (st) {
	case SVC_STARTING:
		return "starting";
	case SVC_UP:
		return "up";
	case SVC_BACKOFF:
		return "backoff";
	case SVC_FAILED:
		return "failed";
	case SVC_STOPPING:
		return "stopping";
	case SVC_DOWN:
	default:
		return "down";
	}
}

/* " <uid> <caps> <namespaces>\n" of a running service, "-" for each it lacks. */
static void status_write_privileges(FILE *f, const struct svc *s)
{
	bool running = s->pid > 0, first = true;

	if (running && (s->sandboxed & (1u << NX_SANDBOX_IDENTITY)))
		fprintf(f, " %u ", (unsigned)s->uid);
	else
		fprintf(f, " - ");
	for (int cap = 0; running && cap < 64; cap++)
		if (s->e.keep_caps & (1ull << cap)) {
			fprintf(f, "%s%s", first ? "" : ",", nx_sandbox_cap_name(cap));
			first = false;
		}
	/* Without the caps mechanism the child kept whatever init had. */
	if (running && !(s->sandboxed & (1u << NX_SANDBOX_CAPS)))
		fprintf(f, "%sinherited", first ? "" : ",");
	else if (first)
		fprintf(f, "-");
	fprintf(f, " %s\n", running && (s->sandboxed & (1u << NX_SANDBOX_MOUNT_NS)) ? "mnt" : "-");
}

/* Rewrites the status file atomically; a failure is reported once and otherwise ignored:
 * supervision matters more than its display. */
static void status_write(struct init *in)
{
	static bool said;
	char tmp[PATH_MAX + 8];
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", in->status_path);
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		goto out;
	}
	fprintf(f, "nexus-init 3 %d\n", (int)getpid());
	for (unsigned i = 0; i < in->n; i++) {
		const struct svc *s = &in->svcs[i];

		fprintf(f, "%s %d %s %u %s %llu %s", s->e.name, s->pid, state_name(s->state),
		        s->starts > 1 ? s->starts - 1 : 0, s->pid > 0 ? s->sandbox_summary : "-",
		        (unsigned long long)(s->pid > 0 ? s->started_ns : 0),
		        s->last_exit[0] ? s->last_exit : "-");
		status_write_privileges(f, s);
	}
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, in->status_path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
out:
	if (r < 0 && !said) {
		said = true;
		say(in, LOG_LEVEL_WARN, NULL, "cannot write %s: %s", in->status_path, strerror(-r));
	}
}

/* ---- Sandbox ---- */

/* The profile of services.conf as Landlock paths and mechanisms. Paths point into s and in,
 * which outlive the spawn. Which fds the child keeps is the spawn's fd map. */
static void sandbox_profile(const struct svc *s, struct nx_sandbox *ret)
{
	const struct init *in = s->init;
	unsigned n = 0;

	memset(ret, 0, sizeof(*ret));
	ret->mechs = 1u << NX_SANDBOX_CLOSE_RANGE;
	if (s->e.sandbox == INIT_SANDBOX_NONE)
		return;
	ret->mechs |= (1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_LANDLOCK) |
	              (1u << NX_SANDBOX_SECCOMP) | (1u << NX_SANDBOX_RLIMITS) |
	              (1u << NX_SANDBOX_MOUNT_NS) | (1u << NX_SANDBOX_CAPS) |
	              (1u << NX_SANDBOX_IDENTITY);
	ret->uid = s->uid;
	ret->gid = s->uid;
	ret->keep_caps = s->e.keep_caps;
	ret->nofile = s->e.nofile ? s->e.nofile : NX_INIT_NOFILE_DEFAULT;
	ret->nproc = s->e.nproc ? s->e.nproc : NX_INIT_NPROC_DEFAULT;
	ret->paths[n++] =
	        (struct nx_sandbox_path){s->state_dir, NX_SANDBOX_READ | NX_SANDBOX_WRITE};
	ret->paths[n++] = (struct nx_sandbox_path){s->e.binary, NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/usr", NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/lib", NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/lib64", NX_SANDBOX_EXEC};
	ret->paths[n++] = (struct nx_sandbox_path){"/etc/ld.so.cache", NX_SANDBOX_READ};
	ret->paths[n++] = (struct nx_sandbox_path){"/proc/self", NX_SANDBOX_READ};
	if (s->e.sandbox == INIT_SANDBOX_POLICY)
		ret->paths[n++] = (struct nx_sandbox_path){in->policy_dir, NX_SANDBOX_READ};
	/* The table puts samgrd first: it binds samgr.sock in the runtime dir. */
	if (s == &in->svcs[0])
		ret->paths[n++] = (struct nx_sandbox_path){
		        in->runtime_dir, NX_SANDBOX_READ | NX_SANDBOX_WRITE};
	ret->npaths = n;
}

/* Notes what the child applied; logs a mechanism the kernel lacks once. */
static void sandbox_note(struct svc *s, const struct nx_sandbox_report *report)
{
	struct init *in = s->init;

	s->sandboxed = 0;
	(void)nx_sandbox_report_format(report, s->sandbox_summary, sizeof(s->sandbox_summary));
	for (int m = 0; m < NX_SANDBOX_MECH_COUNT; m++) {
		if (report->mech[m].status == NX_SANDBOX_APPLIED)
			s->sandboxed |= 1u << m;
		if (report->mech[m].status == NX_SANDBOX_UNAVAILABLE && !in->said_unavailable[m]) {
			in->said_unavailable[m] = true;
			say(in, LOG_LEVEL_WARN, NULL,
			        "sandbox: %s unavailable (%s), going on without it",
			        nx_sandbox_mech_name(m), strerror(-report->mech[m].error));
		}
	}
}

static void on_adopted(
        void *userdata, int error, const char *reason, samgr_admin_adopt_results results)
{
	struct svc *s = userdata;

	if (error < 0 && s->pid > 0 && s->state == SVC_STARTING) {
		say(s->init, LOG_LEVEL_ERROR, s, "samgrd refused to adopt %s: %s", s->e.name,
		        reason);
		nx_process_signal(s->pidfd, SIGKILL); /* supervision takes it from here */
	}
}

/* Hands samgrd our end of the service's bootstrap channel, as svc:<name>. Takes fd. */
static int adopt(struct svc *s, int fd)
{
	static const struct nexus_endpoint_server endpoint_vt = {0};
	char subject[INIT_NAME_MAX + 8];
	struct nexus_endpoint *ep;
	int r;

	r = nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, fd, &ep); /* takes fd */
	if (r < 0)
		return r;
	snprintf(subject, sizeof(subject), "svc:%s", s->e.name);
	r = samgr_admin_adopt(s->init->admin, ep, subject, on_adopted, s); /* ep borrowed */
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	return r;
}

static void on_admin_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	/* samgrd's exit is handled by supervision; the connection just goes with it. */
}

static void on_child(nx_source *src, int pid, int status, bool signaled, void *userdata);
static void on_ready(nx_source *src, int fd, uint32_t events, void *userdata);
static void on_timer(nx_source *src, void *userdata);

/* Closes s's fd 5; init's events stop going to a logd whose channel it was. */
static void svc_link_free(struct svc *s)
{
	if (s->init->events_from == s) {
		init_events_detach(s->init->events);
		s->init->events_from = NULL;
	}
	s->link = init_link_free(s->link);
}

static void svc_sources_free(struct svc *s)
{
	s->ready_src = nx_source_free(s->ready_src);
	s->ready_fd = nx_fd_close(s->ready_fd);
}

/* ---- samgrd restarts alone ---- */

/* A service may notice samgrd's death before init does: then the admin channel may be dead
 * already while samgrd still looks up; a channel adopted there dies at once, and the service
 * asks again (nx-svc). */
static bool samgrd_serves(const struct init *in)
{
	return in->svcs[0].state == SVC_UP && in->admin && nx_rpc_conn_error(in->admin_conn) == 0;
}

/* A new channel to samgrd for s, adopted as svc:<name>, answering `in`. */
static int reconnect_answer(struct svc *s, nx_rpc_incoming *in)
{
	static const struct nexus_endpoint_server endpoint_vt = {0};
	struct nexus_endpoint *ep;
	int chan[2], r;

	r = nx_chan_pair(chan);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "no channel to samgrd: %s", strerror(-r));
	nx_fd_set_nonblock(chan[1], 0);
	/* Sent before the answer: samgrd serves the channel by the time the service asks. */
	r = adopt(s, chan[0]); /* takes chan[0] */
	if (r >= 0)
		r = nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, chan[1], &ep);
	else
		nx_fd_close(chan[1]);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "no channel to samgrd: %s", strerror(-r));
	r = fdstore_fd_store_reconnect_return(in, ep);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	return r;
}

static void on_reconnect_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct svc *s = userdata;

	s->reconnect = NULL; /* its channel to init is gone: the service went with it */
	nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
}

/* FdStore.reconnect from service s: now if samgrd serves, else once it does (samgrd_up). */
static int on_reconnect(void *userdata, nx_rpc_incoming *in)
{
	struct svc *s = userdata;
	struct init *init = s->init;

	if (s == &init->svcs[0])
		return nx_rpc_incoming_failf(in, -EINVAL, "samgrd has no samgrd to reconnect to");
	if (init->stopping)
		return nx_rpc_incoming_failf(in, -EAGAIN, "init is stopping");
	if (samgrd_serves(init))
		return reconnect_answer(s, in);
	if (s->reconnect) {
		nx_rpc_incoming_set_cancel_cb(s->reconnect, NULL, NULL);
		nx_rpc_incoming_failf(s->reconnect, -EAGAIN, "replaced by a newer request");
	}
	s->reconnect = in;
	nx_rpc_incoming_set_cancel_cb(in, on_reconnect_canceled, s);
	return NX_RPC_ASYNC;
}

/* FdStore.journal: logd says where init's events go. */
static int on_journal(void *userdata, struct log *log)
{
	struct svc *s = userdata;

	if (strcmp(s->e.name, "logd") != 0)
		return -EPERM;
	s->init->events_from = s;
	init_events_attach(s->init->events, log);
	return 0;
}

static const struct init_link_ops link_ops = {.reconnect = on_reconnect, .journal = on_journal};

/* samgrd is up (again): the services waiting for it get their channel, or start. */
static void samgrd_up(struct init *in)
{
	for (unsigned i = 1; i < in->n; i++) {
		struct svc *s = &in->svcs[i];
		nx_rpc_incoming *pending = s->reconnect;
		int r;

		if (pending) {
			s->reconnect = NULL;
			nx_rpc_incoming_set_cancel_cb(pending, NULL, NULL);
			reconnect_answer(s, pending);
		}
		if (s->awaits_samgrd && !in->stopping) {
			s->awaits_samgrd = false;
			r = svc_start(s);
			if (r < 0) {
				svc_start_failed(s, r);
				svc_settled(s);
			}
		}
	}
}

/* Opens the entry's open= files into opened[] (the caller closes them). */
static int svc_open_files(struct svc *s, int opened[NX_INIT_OPEN_MAX])
{
	int r;

	for (unsigned i = 0; i < s->e.nopen; i++)
		opened[i] = -1;
	for (unsigned i = 0; i < s->e.nopen; i++) {
		r = nx_file_open_read(s->e.open[i], &opened[i]);
		if (r == -ENOENT) {
			/* A device this machine lacks (no /dev/hwrng): the service starts without
			 * that fd and falls back as it would anywhere else. */
			printf("init: %s: %s absent, started without it\n", s->e.name,
			        s->e.open[i]);
			opened[i] = -1;
			continue;
		}
		if (r < 0) {
			printf("init: %s: cannot open %s for it: %s\n", s->e.name, s->e.open[i],
			        strerror(-r));
			return r;
		}
	}
	return 0;
}

/* The child's end of the bootstrap channel at fd 3, of the readiness pipe at fd 4, of its
 * channel to init at fd 5, the open= files from fd 6; all stay the caller's. */
static int svc_spawn(struct svc *s, int chan, int ready, int link, struct nx_spawned *ret)
{
	int opened[NX_INIT_OPEN_MAX], r;
	struct nx_sandbox profile;
	/* A session of its own: Ctrl-C on init's terminal reaches init alone, which then stops
	 * the services in reverse order instead of all of them at once. */
	struct nx_spawn spec = {
	        .binary = s->e.binary,
	        .fds = {{3, chan}, {4, ready}, {5, link}},
	        .nfds = 3,
	        .new_session = true,
	        .sandbox = &profile,
	};

	_Static_assert(INIT_OPEN_FD_FIRST + NX_INIT_OPEN_MAX <= NX_SPAWN_MAX_FDS + 3,
	        "open= files must fit the spawn's fd map");
	for (unsigned i = 0; i < NX_INIT_OPEN_MAX; i++)
		opened[i] = -1;
	sandbox_profile(s, &profile);
	r = svc_open_files(s, opened);
	for (unsigned i = 0; r >= 0 && i < s->e.nopen; i++)
		if (opened[i] >= 0)
			spec.fds[spec.nfds++] =
			        (struct nx_spawn_fd){INIT_OPEN_FD_FIRST + (int)i, opened[i]};
	if (r >= 0)
		r = nx_spawn(&spec, ret);
	for (unsigned i = 0; i < s->e.nopen; i++)
		if (opened[i] >= 0)
			nx_fd_close(opened[i]);
	return r;
}

static int svc_start(struct svc *s)
{
	struct init *in = s->init;
	int chan[2] = {-1, -1}, pipefd[2] = {-1, -1}, link[2] = {-1, -1}, status, r;
	bool is_samgrd = s == &in->svcs[0], signaled;
	struct nx_spawned child;

	if (!is_samgrd && !samgrd_serves(in)) {
		s->awaits_samgrd = true; /* nobody to adopt its channel: samgrd_up starts it */
		s->state = SVC_DOWN;
		return 0;
	}
	say(in, LOG_LEVEL_INFO, s, "%s %s", s->starts++ ? "restart" : "start", s->e.name);
	r = nx_chan_pair(chan);
	if (r < 0)
		return r;
	r = nx_chan_pair_blocking(link); /* the child's end blocks; ours is the loop's */
	if (r >= 0)
		r = nx_fd_set_nonblock(link[0], 1);
	if (r >= 0)
		r = init_link_new(in->loop, link[0], &s->store, &link_ops, s, &s->link); /* takes */
	link[0] = -1;
	if (r < 0)
		goto fail;
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	/* The child's end of the readiness pipe must block: it writes one line and closes. */
	nx_fd_set_nonblock(pipefd[1], 0);
	nx_fd_set_nonblock(chan[1], 0);
	if (is_samgrd) {
		nx_rpc_cap *admin;

		r = nx_rpc_conn_new(in->loop, chan[0], NULL, &in->admin_conn); /* takes chan[0] */
		chan[0] = -1;
		if (r >= 0)
			r = nx_rpc_conn_bootstrap(in->admin_conn, &admin);
		if (r < 0)
			goto fail;
		in->admin = samgr_admin_from_cap(admin);
		nx_rpc_conn_set_disconnect_cb(in->admin_conn, on_admin_gone, in);
	} else {
		/* Sent before the child runs: samgrd serves the channel by the time it asks. */
		r = adopt(s, chan[0]); /* takes chan[0] */
		chan[0] = -1;
		if (r < 0)
			goto fail;
	}
	r = svc_spawn(s, chan[1], pipefd[1], link[1], &child); /* blocks until it execs */
	chan[1] = nx_fd_close(chan[1]);
	pipefd[1] = nx_fd_close(pipefd[1]);
	link[1] = nx_fd_close(link[1]);
	if (r < 0)
		goto fail;
	sandbox_note(s, &child.sandbox);
	s->started_ns = nx_clock_realtime_ns();
	s->pid = child.pid;
	s->pidfd = child.pidfd;
	s->ready_fd = pipefd[0];
	s->state = SVC_STARTING;
	r = nx_loop_add_process(in->loop, &child, on_child, s, &s->child_src);
	if (r < 0) {
		/* Cannot supervise it: do not leave it running unsupervised. */
		nx_process_signal(s->pidfd, SIGKILL);
		(void)nx_process_wait(s->pidfd, true, &status, &signaled);
		s->pidfd = nx_fd_close(s->pidfd);
		s->pid = 0;
		svc_sources_free(s);
		svc_link_free(s);
		return r;
	}
	r = nx_loop_add_fd(in->loop, s->ready_fd, NX_EV_IN, on_ready, s, &s->ready_src);
	if (r >= 0)
		r = nx_source_set_deadline(s->timer, nx_clock_monotonic_ns() + READY_TIMEOUT_NS);
	if (r < 0)
		nx_process_signal(s->pidfd, SIGKILL); /* reaped through on_child */
	return 0;
fail:
	nx_fd_close(chan[0]);
	nx_fd_close(chan[1]);
	nx_fd_close(pipefd[0]);
	nx_fd_close(pipefd[1]);
	nx_fd_close(link[0]);
	nx_fd_close(link[1]);
	svc_link_free(s);
	return r;
}

/* ---- Readiness ---- */

static void on_ready_event(nx_source *src, int fd, uint32_t events, void *userdata)
{
	struct svc *s = userdata;
	struct init *in = s->init;
	char line[64];
	ssize_t n;

	n = read(fd, line, sizeof(line));
	if (n < 0 && errno == EAGAIN)
		return;
	svc_sources_free(s);
	if (n <= 0 || s->state != SVC_STARTING)
		return; /* closed without a line: not ready; the deadline or its exit decides */
	s->state = SVC_UP;
	sup_child_up(&s->sup, nx_clock_monotonic_ns());
	nx_source_set_deadline(s->timer, UINT64_MAX);
	say(in, LOG_LEVEL_INFO, s, "up %s", s->e.name);
	if (s == &in->svcs[0]) {
		samgrd_up(in);
		init_ctl_attach(in->control, in->admin);
	}
	if (!in->stopping && in->booting < in->n && &in->svcs[in->booting] == s) {
		in->booting++;
		boot_next(in);
	}
}

/* Every event may change a state: the status file follows. */
static void on_ready(nx_source *src, int fd, uint32_t events, void *userdata)
{
	struct svc *s = userdata;
	struct init *in = s->init;

	on_ready_event(src, fd, events, userdata);
	status_write(in);
}

/* ---- Supervision ---- */

/* The service stopped for good: nothing to hand its fds back to. */
static void svc_store_drop(struct svc *s)
{
	if (s->store.n > 0)
		say(s->init, LOG_LEVEL_INFO, s, "dropped %u held fds of %s", s->store.n, s->e.name);
	init_fdstore_drop(&s->store);
}

static void svc_fail(struct svc *s)
{
	svc_store_drop(s);
	s->state = SVC_FAILED;
	say(s->init, LOG_LEVEL_ERROR, s, "failed %s", s->e.name);
}

static void svc_start_failed(struct svc *s, int error)
{
	say(s->init, LOG_LEVEL_ERROR, s, "cannot start %s: %s", s->e.name, strerror(-error));
	svc_fail(s);
}

/* Without samgrd nothing is reachable: stop the rest and exit 1. */
static void init_give_up(struct init *in)
{
	in->exit_code = 1;
	in->stopping = true;
	stop_next(in);
}

static void svc_settled(struct svc *s)
{
	struct init *in = s->init;

	/* Boot does not wait on a service that will not come up. */
	if (!in->stopping && in->booting < in->n && &in->svcs[in->booting] == s) {
		in->booting++;
		boot_next(in);
	}
}

static void on_child_event(nx_source *src, int pid, int status, bool signaled, void *userdata)
{
	struct svc *s = userdata;
	struct init *in = s->init;
	enum sup_verdict verdict;

	s->child_src = nx_source_free(s->child_src); /* before the pidfd it watches */
	s->pidfd = nx_fd_close(s->pidfd);
	svc_link_free(s);
	s->pid = 0;
	svc_sources_free(s);
	nx_source_set_deadline(s->timer, UINT64_MAX);
	say(in, signaled || status != 0 ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, s, "exit %s (%s %d)",
	        s->e.name, signaled ? "signal" : "code", status);
	snprintf(s->last_exit, sizeof(s->last_exit), "%s:%d", signaled ? "signal" : "code", status);
	if (s == &in->svcs[0])
		init_ctl_detach(in->control); /* its channel went with samgrd */
	if (in->stopping) {
		s->state = SVC_DOWN;
		stop_next(in);
		return;
	}
	if (control_exited(s))
		return;
	verdict = sup_child_exited(
	        &s->sup, signaled || status != 0, nx_clock_monotonic_ns(), &s->restart_delay_ns);
	if (s == &in->svcs[0]) {
		/* Every channel was adopted there: its admin connection goes with it. */
		nx_rpc_cap_unref(samgr_admin_cap(in->admin));
		in->admin = NULL;
		in->admin_conn = nx_rpc_conn_free(in->admin_conn);
		if (verdict != SUP_RESTART) {
			svc_fail(s);
			init_give_up(in);
			return;
		}
		/* Alone: the others ask for a new channel once it is up (samgrd_up). */
		say(in, LOG_LEVEL_WARN, s, "recover %s", s->e.name);
		s->state = SVC_BACKOFF;
		nx_source_set_deadline(s->timer, nx_clock_monotonic_ns() + s->restart_delay_ns);
		return;
	}
	switch (verdict) {
	case SUP_STAY_DOWN:
		svc_store_drop(s);
		s->state = SVC_DOWN;
		svc_settled(s);
		break;
	case SUP_FAILED:
		svc_fail(s);
		svc_settled(s);
		break;
	case SUP_RESTART:
		s->state = SVC_BACKOFF;
		nx_source_set_deadline(s->timer, nx_clock_monotonic_ns() + s->restart_delay_ns);
		break;
	}
}

/* Every event may change a state: the status file follows. */
static void on_child(nx_source *src, int pid, int status, bool signaled, void *userdata)
{
	struct svc *s = userdata;
	struct init *in = s->init;

	on_child_event(src, pid, status, signaled, userdata);
	status_write(in);
}

static void on_timer_event(nx_source *src, void *userdata)
{
	struct svc *s = userdata;
	int r;

	switch (s->state) {
	case SVC_STARTING:
		say(s->init, LOG_LEVEL_ERROR, s, "%s not ready within %llu ms, killing it",
		        s->e.name, (unsigned long long)(READY_TIMEOUT_NS / MS));
		nx_process_signal(s->pidfd, SIGKILL);
		break;
	case SVC_STOPPING:
		say(s->init, LOG_LEVEL_ERROR, s, "%s did not stop within %llu ms, killing it",
		        s->e.name, (unsigned long long)(STOP_TIMEOUT_NS / MS));
		nx_process_signal(s->pidfd, SIGKILL);
		break;
	case SVC_BACKOFF:
		r = svc_start(s);
		if (r < 0) {
			svc_start_failed(s, r);
			if (s == &s->init->svcs[0])
				init_give_up(s->init);
			else
				svc_settled(s);
		}
		break;
	default:
		break;
	}
}

/* Every event may change a state: the status file follows. */
static void on_timer(nx_source *src, void *userdata)
{
	struct svc *s = userdata;
	struct init *in = s->init;

	on_timer_event(src, userdata);
	status_write(in);
}

/* ---- Control (control.c asks; svc.control was checked there) ---- */

static void svc_terminate(struct svc *s)
{
	s->state = SVC_STOPPING;
	nx_process_signal(s->pidfd, SIGTERM);
	nx_source_set_deadline(s->timer, nx_clock_monotonic_ns() + STOP_TIMEOUT_NS);
}

/* An exit control asked for: true when handled (stays down, or starts again now). */
static bool control_exited(struct svc *s)
{
	int r;

	if (s->held) {
		s->state = SVC_DOWN;
		return true;
	}
	if (!s->restart_pending)
		return false;
	s->restart_pending = false;
	sup_child_init(&s->sup, s->e.restart); /* an asked-for restart is not a crash */
	r = svc_start(s);
	if (r < 0)
		svc_start_failed(s, r);
	return true;
}

/* The service `name` if control may act on it now: 0 with *ret, else why not. */
static int control_target(struct init *in, const char *name, struct svc **ret, char *why, size_t n)
{
	for (unsigned i = 0; i < in->n; i++) {
		if (strcmp(in->svcs[i].e.name, name) != 0)
			continue;
		if (i == 0) {
			snprintf(why, n,
			        "name: samgrd cannot be controlled: every channel lives there");
			return -EINVAL;
		}
		if (in->stopping || !in->admin || in->booting < in->n) {
			snprintf(why, n,
			        "nexus-init is booting, stopping or recovering samgrd: try again");
			return -EAGAIN;
		}
		*ret = &in->svcs[i];
		return 0;
	}
	return -ENOENT;
}

static int control_start(void *init, const char *name, char *why, size_t n)
{
	struct init *in = init;
	struct svc *s;
	int r = control_target(in, name, &s, why, n);

	if (r < 0)
		return r;
	s->held = false;
	if (s->state == SVC_STOPPING)
		s->restart_pending = true; /* started again once it exited */
	if (s->pid > 0)
		return 0;
	sup_child_init(&s->sup, s->e.restart); /* a failed service gets a fresh storm count */
	nx_source_set_deadline(s->timer, UINT64_MAX);
	r = svc_start(s);
	if (r < 0) {
		svc_start_failed(s, r);
		snprintf(why, n, "cannot start %s: %s", name, strerror(-r));
	}
	status_write(in);
	return r < 0 ? -EIO : 0;
}

static int control_stop(void *init, const char *name, char *why, size_t n)
{
	struct init *in = init;
	struct svc *s;
	int r = control_target(in, name, &s, why, n);

	if (r < 0)
		return r;
	printf("init: stop %s\n", s->e.name);
	s->held = true;
	s->restart_pending = false;
	if (s->pid > 0 && s->state != SVC_STOPPING) {
		svc_terminate(s);
	} else if (s->pid <= 0) {
		s->state = SVC_DOWN;
		nx_source_set_deadline(s->timer, UINT64_MAX);
	}
	status_write(in);
	return 0;
}

static int control_restart(void *init, const char *name, char *why, size_t n)
{
	struct init *in = init;
	struct svc *s;
	int r = control_target(in, name, &s, why, n);

	if (r < 0)
		return r;
	if (s->pid <= 0)
		return control_start(init, name, why, n);
	s->held = false;
	s->restart_pending = true;
	if (s->state != SVC_STOPPING)
		svc_terminate(s);
	status_write(in);
	return 0;
}

static const struct init_ctl_ops control_ops = {
        .restart = control_restart,
        .stop = control_stop,
        .start = control_start,
};

/* ---- Boot and stop ---- */

static void boot_next(struct init *in)
{
	int r;

	while (in->booting < in->n) {
		struct svc *s = &in->svcs[in->booting];

		if (s->state == SVC_FAILED) {
			in->booting++; /* given up before samgrd restarted: stays down */
			continue;
		}
		r = svc_start(s);
		if (r >= 0)
			return; /* on_ready or on_child moves on */
		svc_start_failed(s, r);
		if (in->booting == 0) {
			init_give_up(in);
			return;
		}
		in->booting++;
	}
	say(in, LOG_LEVEL_NOTICE, NULL, "ready");
}

/* Stops the last service still running from index `first` up, one at a time. true while one
 * is stopping (its exit calls back), false once none is left running. */
static bool stop_one(struct init *in, unsigned first)
{
	for (unsigned i = in->n; i-- > first;) {
		struct svc *s = &in->svcs[i];

		if (s->state == SVC_STOPPING)
			return true; /* waiting for it */
		if (s->pid > 0) {
			svc_terminate(s);
			return true;
		}
		if (s->state == SVC_BACKOFF)
			s->state = SVC_DOWN;
		nx_source_set_deadline(s->timer, UINT64_MAX);
	}
	return false;
}

/* Stops every service, last first; once none is left, quits. */
static void stop_next(struct init *in)
{
	if (!stop_one(in, 0))
		nx_loop_quit(in->loop, 0);
}

static void on_signal(nx_source *src, int signo, void *userdata)
{
	struct init *in = userdata;

	if (in->stopping)
		return;
	say(in, LOG_LEVEL_NOTICE, NULL, "%s, stopping", strsignal(signo));
	in->stopping = true;
	stop_next(in);
	status_write(in);
}

/* ---- Setup ---- */

/* Parents it creates are 0711: services under their own uids must pass through them. */
static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0711) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* One nexus-init per runtime dir: takes `dir`/lock, or says who holds it. */
static int init_lock(const char *dir, int *ret_fd)
{
	char path[PATH_MAX];
	int r, holder;

	if ((size_t)snprintf(path, sizeof(path), "%s/lock", dir) >= sizeof(path)) {
		fprintf(stderr, "init: %s: path too long\n", dir);
		return -ENAMETOOLONG;
	}
	r = nx_lock_take(path, ret_fd);
	if (r == -EAGAIN) {
		if (nx_lock_holder(path, &holder) == 0)
			fprintf(stderr, "init: %s is in use by nexus-init pid %d; not starting\n",
			        dir, holder);
		else
			fprintf(stderr, "init: %s is in use by another nexus-init; not starting\n",
			        dir);
	} else if (r < 0) {
		fprintf(stderr, "init: cannot lock %s: %s\n", path, strerror(-r));
	}
	return r;
}

/* Owner and mode of a directory init made; ownership only when init may give it away (as
 * root): otherwise every service runs as init's own user anyway. */
static int dir_grant(const char *path, uint32_t uid, uint32_t gid, unsigned mode)
{
	if (geteuid() == 0 && chown(path, uid, gid) < 0)
		return -errno;
	if (chmod(path, mode) < 0)
		return -errno;
	return 0;
}

/* Each service's uid (and gid): its uid= or $NEXUS_UID_BASE + its index. Two services on one
 * uid could signal and trace each other: refused. */
static int uids_allocate(struct init *in, const struct init_entry *entries)
{
	const char *env = getenv("NEXUS_UID_BASE");
	unsigned long base = INIT_UID_BASE_DEFAULT;
	char *end;

	if (env && *env) {
		errno = 0;
		base = strtoul(env, &end, 10);
		if (errno || *end || base == 0 || base > UINT32_MAX - INIT_MAX_SERVICES) {
			fprintf(stderr, "init: NEXUS_UID_BASE: not a uid in 1..%u\n",
			        (unsigned)(UINT32_MAX - INIT_MAX_SERVICES));
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < in->n; i++) {
		in->svcs[i].uid = entries[i].uid ? entries[i].uid : (uint32_t)(base + i);
		for (unsigned j = 0; j < i; j++)
			if (in->svcs[j].uid == in->svcs[i].uid) {
				fprintf(stderr, "init: %s and %s would share uid %u\n",
				        entries[j].name, entries[i].name,
				        (unsigned)in->svcs[i].uid);
				return -EINVAL;
			}
	}
	return 0;
}

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nexus-init [--table FILE] [--bindir DIR]\n"
	        "Boots the services listed in FILE (default: services.conf beside this "
	        "binary, else\n" INIT_INSTALLED_ETC "/services.conf) in order, supervises them, "
	        "and stops them in reverse\non SIGTERM or SIGINT. Relative binaries are found "
	        "under DIR (default: the build's\nsource/ dir, else " INIT_INSTALLED_BINDIR ").\n"
	        "State: $NEXUS_RUNTIME_DIR, $NEXUS_STATE_DIR, $NEXUS_POLICY_DIR (defaults: "
	        "./.nexus/run,\n./.nexus/state and the source tree's policies/ in a build tree; "
	        "/run/nexus,\n/var/lib/nexus and " INIT_INSTALLED_ETC "/policies when "
	        "installed). Services run under uid $NEXUS_UID_BASE (default 61184) + their\n"
	        "index, unless uid= says. See nexus-init(8).\n");
	return code;
}

int main(int argc, char **argv)
{
	static struct init in = {.exit_code = 0};
	struct init_entry entries[INIT_MAX_SERVICES];
	char self[PATH_MAX], bindir[PATH_MAX], table[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
	const char *table_arg = NULL, *bindir_arg = NULL, *env;
	const struct init_defaults *def = &tree_defaults;
	nx_source *term = NULL, *intr = NULL;
	int r, lock_fd = -1;
	ssize_t n;

	/* Whatever the shell or a parent left open is not ours to hand down. */
	r = nx_fd_close_from(3);
	if (r < 0) {
		fprintf(stderr, "init: cannot close inherited fds: %s\n", strerror(-r));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	nx_log_init("init"); /* the lines of control.c's policy client (nx-svc) */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0)
			return usage(stdout, 0);
		else if (strcmp(argv[i], "--table") == 0 && i + 1 < argc)
			table_arg = argv[++i];
		else if (strcmp(argv[i], "--bindir") == 0 && i + 1 < argc)
			bindir_arg = argv[++i];
		else
			return usage(stderr, 2);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		perror("init: /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	if ((size_t)snprintf(table, sizeof(table), "%s/services.conf", dirname(self)) >=
	                sizeof(table) ||
	        (size_t)snprintf(bindir, sizeof(bindir), "%s/..", self) >= sizeof(bindir)) {
		fprintf(stderr, "init: %s: path too long\n", self); /* self: .../source/init */
		return 1;
	}
	if (access(table, F_OK) < 0) { /* not a build tree: installed */
		def = &installed_defaults;
		snprintf(table, sizeof(table), "%s/services.conf", INIT_INSTALLED_ETC);
		snprintf(bindir, sizeof(bindir), "%s", INIT_INSTALLED_BINDIR);
	}
	r = init_table_load(
	        table_arg ? table_arg : table, bindir_arg ? bindir_arg : bindir, entries);
	if (r < 0)
		return 2;
	in.n = (unsigned)r;
	r = uids_allocate(&in, entries);
	if (r < 0)
		return 2;

	env = getenv("NEXUS_RUNTIME_DIR");
	snprintf(dir, sizeof(dir), "%s", env && *env ? env : def->runtime_dir);
	r = mkdir_p(dir, 0755); /* others reach samgr.sock: policy decides, not the mode */
	if (r < 0 || !realpath(dir, real)) {
		fprintf(stderr, "init: cannot create %s: %s\n", dir, strerror(r < 0 ? -r : errno));
		return 1;
	}
	setenv("NEXUS_RUNTIME_DIR", real, 1); /* children inherit the absolute path */
	/* Services run under uids of their own: samgrd learns who the operator is here. */
	snprintf(dir, sizeof(dir), "%u", (unsigned)getuid());
	setenv("NEXUS_OPERATOR_UID", dir, 1);
	if ((size_t)snprintf(in.sock_path, sizeof(in.sock_path), "%s/samgr.sock", real) >=
	                sizeof(in.sock_path) ||
	        (size_t)snprintf(in.status_path, sizeof(in.status_path), "%s/status", real) >=
	                sizeof(in.status_path)) {
		fprintf(stderr, "init: %s: path too long\n", real);
		return 1;
	}
	memcpy(in.runtime_dir, real, sizeof(real));
	/* Before anything in the dir is touched: a second init must leave the first's socket
	 * and status file alone, also on its way out. */
	r = init_lock(real, &lock_fd);
	if (r < 0)
		return 1;
	r = dir_grant(real, 0, in.svcs[0].uid, 01771);
	if (r < 0) {
		fprintf(stderr, "init: cannot hand %s to samgrd: %s\n", real, strerror(-r));
		return 1;
	}

	/* Each service's state dir: the one place its Landlock ruleset lets it write. */
	env = getenv("NEXUS_STATE_DIR");
	snprintf(dir, sizeof(dir), "%s", env && *env ? env : def->state_dir);
	r = mkdir_p(dir, 0700);
	if (r < 0 || !realpath(dir, real)) {
		fprintf(stderr, "init: cannot create %s: %s\n", dir, strerror(r < 0 ? -r : errno));
		return 1;
	}
	setenv("NEXUS_STATE_DIR", real, 1);
	r = dir_grant(real, 0, 0, 0711);
	for (unsigned i = 0; r >= 0 && i < in.n; i++) {
		char *sd = in.svcs[i].state_dir;

		if ((size_t)snprintf(sd, PATH_MAX, "%s/%s", real, entries[i].name) >= PATH_MAX) {
			fprintf(stderr, "init: %s: path too long\n", real);
			return 1;
		}
		r = mkdir_p(sd, 0700);
		if (r >= 0)
			r = dir_grant(sd, in.svcs[i].uid, in.svcs[i].uid, 0700);
		if (r < 0) {
			fprintf(stderr, "init: cannot create %s: %s\n", sd, strerror(-r));
			return 1;
		}
	}
	/* policyd's, for its sandbox profile; policyd itself reads the same variable. */
	env = getenv("NEXUS_POLICY_DIR");
	snprintf(dir, sizeof(dir), "%s", env && *env ? env : def->policy_dir);
	if (!realpath(dir, in.policy_dir))
		snprintf(in.policy_dir, sizeof(in.policy_dir), "%s", dir); /* policyd will say */
	setenv("NEXUS_POLICY_DIR", in.policy_dir, 1); /* policyd reads the same dir */

	r = nx_loop_new(&in.loop);
	if (r >= 0)
		r = init_ctl_new(in.loop, &control_ops, &in, &in.control);
	if (r >= 0)
		r = init_events_new(&in.events);
	if (r >= 0)
		r = nx_loop_add_signal(in.loop, SIGTERM, on_signal, &in, &term);
	if (r >= 0)
		r = nx_loop_add_signal(in.loop, SIGINT, on_signal, &in, &intr);
	for (unsigned i = 0; r >= 0 && i < in.n; i++) {
		struct svc *s = &in.svcs[i];

		s->e = entries[i];
		s->init = &in; /* s->uid: set by uids_allocate */
		s->pidfd = -1;
		s->ready_fd = -1;
		sup_child_init(&s->sup, s->e.restart);
		r = nx_loop_add_timer(in.loop, UINT64_MAX, on_timer, s, &s->timer);
	}
	if (r < 0) {
		fprintf(stderr, "init: %s\n", strerror(-r));
		return 1;
	}

	boot_next(&in);
	status_write(&in);
	if (!in.stopping || in.svcs[0].pid > 0)
		(void)nx_loop_run(in.loop); /* the outcome is in.exit_code */

	for (unsigned i = 0; i < in.n; i++) {
		svc_sources_free(&in.svcs[i]);
		nx_source_free(in.svcs[i].child_src);
		nx_fd_close(in.svcs[i].pidfd);
		nx_source_free(in.svcs[i].timer);
		svc_link_free(&in.svcs[i]);
		init_fdstore_drop(&in.svcs[i].store);
	}
	init_ctl_free(in.control); /* before samgrd's admin channel it was adopted through */
	nx_rpc_cap_unref(samgr_admin_cap(in.admin));
	nx_rpc_conn_free(in.admin_conn);
	unlink(in.sock_path);   /* samgrd removes it too; a SIGKILLed one cannot */
	unlink(in.status_path); /* no file: `nx status` says init is not running */
	nx_source_free(term);
	nx_source_free(intr);
	init_events_free(in.events); /* before the loop its calls were on */
	in.events = NULL;
	nx_loop_free(in.loop);
	printf("init: stopped\n");
	nx_fd_close(lock_fd); /* last: the dir is free for the next init from here */
	return in.exit_code;
}
