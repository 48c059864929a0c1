/* SPDX-License-Identifier: MIT */
/*
 * libnexus: one samgrd connection and a cache of resolved services (include/nexus/nexus.h).
 *
 * A resolved service is a channel of its own (samgrd hands out a socketpair end and never
 * proxies), so a service restart shows as that channel's death: the cache entry is then
 * dropped at the next resolve and samgrd is asked again. Before looking at the cache the loop
 * is polled once, so a hangup that arrived while the caller was not waiting is noticed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus-types.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "bus.capnp.h"
#include "samgr.capnp.h"

#define ERR_MAX 512

struct svc {
	struct svc *next;
	nexus *nx;
	nx_rpc_conn *conn;
	nx_rpc_cap *cap;
	int dead; /* 0, or the error the channel died with */
	char name[];
};

struct nexus {
	nx_loop *loop;
	nx_rpc_conn *samgr_conn;
	struct samgr *samgr;
	char *path; /* samgr.sock when connected by path: reconnect there */
	struct svc *svcs;
	uint64_t timeout_ns;
	nexus_gone_cb gone_cb;
	void *gone_userdata;
	char err[ERR_MAX];
};

static _Thread_local char connect_err[ERR_MAX];

static int fail(char *buf, int err, const char *what)
{
	snprintf(buf, ERR_MAX, "%s: %s: %s", nx_rpc_reason_code(err), what, strerror(-err));
	return err;
}

NEXUS_EXPORT int nexus_set_error(nexus *nx, int err, const char *what)
{
	if (!nx)
		return err;
	return fail(nx->err, err, what ? what : "nexus");
}

NEXUS_EXPORT const char *nexus_last_error(const nexus *nx)
{
	return nx ? nx->err : connect_err;
}

NEXUS_EXPORT uint64_t nexus_deadline(const nexus *nx)
{
	uint64_t now = nx_clock_monotonic_ns();
	uint64_t timeout = nx ? nx->timeout_ns : NEXUS_DEFAULT_TIMEOUT_NS;

	return timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout; /* UINT64_MAX: none */
}

static struct svc *svc_free(struct svc *s)
{
	if (!s)
		return NULL;
	nx_rpc_cap_unref(s->cap);
	if (s->conn) {
		nx_rpc_conn_set_disconnect_cb(s->conn, NULL, NULL);
		nx_rpc_conn_free(s->conn);
	}
	free(s);
	return NULL;
}

static void samgr_close(nexus *nx)
{
	nx_rpc_cap_unref(samgr_cap(nx->samgr));
	nx->samgr = NULL;
	nx->samgr_conn = nx_rpc_conn_free(nx->samgr_conn);
}

/* Takes fd. */
static int samgr_open(nexus *nx, int fd)
{
	nx_rpc_cap *cap;
	int r = nx_rpc_conn_new(nx->loop, fd, NULL, &nx->samgr_conn);

	if (r >= 0)
		r = nx_rpc_conn_bootstrap(nx->samgr_conn, &cap);
	if (r < 0) {
		samgr_close(nx);
		return r;
	}
	nx->samgr = samgr_from_cap(cap);
	return 0;
}

static int handle_new(int fd, const char *path, nexus **ret)
{
	nexus *nx = calloc(1, sizeof(*nx));
	int r;

	if (!nx) {
		nx_fd_close(fd);
		return fail(connect_err, -ENOMEM, "connect");
	}
	nx->timeout_ns = NEXUS_DEFAULT_TIMEOUT_NS;
	if (path && !(nx->path = strdup(path))) {
		nx_fd_close(fd);
		r = fail(connect_err, -ENOMEM, "connect");
		goto fail;
	}
	r = nx_loop_new(&nx->loop);
	if (r < 0) {
		nx_fd_close(fd);
		fail(connect_err, r, "loop");
		goto fail;
	}
	r = samgr_open(nx, fd);
	if (r < 0) {
		fail(connect_err, r, "connect");
		goto fail;
	}
	*ret = nx;
	return 0;
fail:
	nexus_free(nx);
	return r;
}

static int runtime_path(char *buf, size_t size)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");

	if (!dir || !*dir)
		dir = "./.nexus/run";
	if ((size_t)snprintf(buf, size, "%s/samgr.sock", dir) >= size)
		return fail(connect_err, -ENAMETOOLONG, "NEXUS_RUNTIME_DIR");
	return 0;
}

NEXUS_EXPORT int nexus_connect_fd(int fd, nexus **ret_nx)
{
	if (fd < 0)
		return fail(connect_err, -EBADF, "connect");
	if (!ret_nx) {
		nx_fd_close(fd);
		return fail(connect_err, -EINVAL, "connect");
	}
	return handle_new(fd, NULL, ret_nx);
}

NEXUS_EXPORT int nexus_connect(nexus **ret_nx)
{
	const char *env = getenv("NEXUS_BOOTSTRAP_FD");
	char path[256], *end;
	long n;
	int fd, r;

	if (!ret_nx)
		return fail(connect_err, -EINVAL, "connect");
	if (env && *env) {
		errno = 0;
		n = strtol(env, &end, 10);
		if (errno || *end || n < 0 || n > 65535)
			return fail(connect_err, -EBADF, "NEXUS_BOOTSTRAP_FD");
		/* Taken: a second nexus_connect() must not reuse it (nor a child inherit it). */
		unsetenv("NEXUS_BOOTSTRAP_FD");
		return handle_new((int)n, NULL, ret_nx);
	}
	r = runtime_path(path, sizeof(path));
	if (r < 0)
		return r;
	r = nx_connect_unix(path, &fd);
	if (r < 0)
		return fail(connect_err, r, path);
	return handle_new(fd, path, ret_nx);
}

NEXUS_EXPORT nexus *nexus_free(nexus *nx)
{
	struct svc *s;

	if (!nx)
		return NULL;
	while ((s = nx->svcs)) {
		nx->svcs = s->next;
		svc_free(s);
	}
	samgr_close(nx);
	nx_loop_free(nx->loop);
	free(nx->path);
	free(nx);
	return NULL;
}

NEXUS_EXPORT void nexus_set_timeout(nexus *nx, uint64_t timeout_ns)
{
	if (nx)
		nx->timeout_ns = timeout_ns;
}

NEXUS_EXPORT struct nx_loop *nexus_loop(nexus *nx)
{
	return nx ? nx->loop : NULL;
}

NEXUS_EXPORT void nexus_set_gone_cb(nexus *nx, nexus_gone_cb cb, void *userdata)
{
	if (!nx)
		return;
	nx->gone_cb = cb;
	nx->gone_userdata = userdata;
}

NEXUS_EXPORT int nexus_call_failed(
        nexus *nx, const struct nx_rpc_call *call, int err, const char *what)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	if (!nx)
		return err;
	/* A timeout is ours, not the peer's: say what timed out. */
	if (err != -ETIMEDOUT && res && res->error < 0 && res->reason && *res->reason) {
		snprintf(nx->err, sizeof(nx->err), "%s", res->reason);
		return err;
	}
	return fail(nx->err, err, what ? what : "call");
}

NEXUS_EXPORT int nexus_call_wait(nexus *nx, struct nx_rpc_call *call, const char *what,
        const struct nx_rpc_result **ret_result)
{
	const nx_rpc_result *res;
	int r;

	if (!nx)
		return -EINVAL;
	if (!call || !ret_result)
		return nexus_call_failed(nx, NULL, -EINVAL, what);
	r = nx_rpc_call_wait(call, nexus_deadline(nx), &res);
	if (r == 0 && res->error < 0)
		r = res->error;
	if (r < 0)
		return nexus_call_failed(nx, call, r, what);
	nx->err[0] = '\0';
	*ret_result = res;
	return 0;
}

static void on_svc_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	struct svc *s = userdata;

	s->dead = error < 0 ? error : -ECONNRESET;
	if (s->nx->gone_cb)
		s->nx->gone_cb(s->nx, s->name, s->dead, s->nx->gone_userdata);
}

/* samgrd again if it went away and we know where it listens. */
static int samgr_ensure(nexus *nx)
{
	int fd, r;

	if (nx->samgr_conn && nx_rpc_conn_error(nx->samgr_conn) == 0)
		return 0;
	if (!nx->path)
		return fail(nx->err, -ENOTCONN, "samgrd");
	samgr_close(nx);
	r = nx_connect_unix(nx->path, &fd);
	if (r < 0)
		return fail(nx->err, r, nx->path);
	r = samgr_open(nx, fd);
	return r < 0 ? fail(nx->err, r, "connect") : 0;
}

NEXUS_EXPORT int nexus_samgr(nexus *nx, struct nx_rpc_cap **ret_cap)
{
	int r;

	if (!nx)
		return -EINVAL;
	if (!ret_cap)
		return fail(nx->err, -EINVAL, "samgrd");
	r = samgr_ensure(nx);
	if (r < 0)
		return r;
	*ret_cap = nx_rpc_cap_ref(samgr_cap(nx->samgr));
	nx->err[0] = '\0';
	return 0;
}

/* Asks samgrd for a channel to `name`; 0 with the fd of our end in *ret_fd. */
static int ask_samgr(nexus *nx, const char *name, const char *what, int *ret_fd)
{
	struct nexus_endpoint *ep = NULL;
	samgr_resolve_results out;
	nx_rpc_call *call;
	int fd, r;

	r = samgr_ensure(nx);
	if (r < 0)
		return r;
	r = samgr_resolve_wait(nx->samgr, name, nexus_deadline(nx), &call, &out);
	if (r < 0)
		r = nexus_call_failed(nx, call, r, what);
	else if (samgr_resolve_results_get_endpoint(out, &ep) < 0 ||
	         (fd = nx_rpc_cap_take_fd(nexus_endpoint_cap(ep))) < 0)
		r = fail(nx->err, -EBADMSG, what); /* no endpoint, or one without its channel */
	else
		*ret_fd = fd;
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_call_free(call);
	return r;
}

/* The cached channel under `key` if it still lives (1 with a new reference in *ret_cap), else
 * 0 (a dead one is dropped), or a negative errno. */
static int cached(nexus *nx, const char *key, const char *what, struct nx_rpc_cap **ret_cap)
{
	struct svc **pp, *s;
	int r;

	/* Notice hangups that arrived while nobody ran the loop. */
	r = nx_loop_run_once(nx->loop, 0);
	if (r < 0)
		return fail(nx->err, r, what);
	for (pp = &nx->svcs; (s = *pp); pp = &s->next) {
		if (strcmp(s->name, key) != 0)
			continue;
		if (!s->dead && nx_rpc_conn_error(s->conn) == 0 && !nx_rpc_cap_is_broken(s->cap)) {
			*ret_cap = nx_rpc_cap_ref(s->cap);
			nx->err[0] = '\0';
			return 1;
		}
		*pp = s->next;
		svc_free(s);
		break;
	}
	return 0;
}

/* Starts a channel on fd (taken), cached under `key`; its bootstrap in *ret_cap. */
static int channel(
        nexus *nx, const char *key, const char *what, int fd, struct nx_rpc_cap **ret_cap)
{
	size_t len = strlen(key);
	struct svc *s = calloc(1, sizeof(*s) + len + 1);
	int r;

	if (!s) {
		nx_fd_close(fd);
		return fail(nx->err, -ENOMEM, what);
	}
	s->nx = nx;
	memcpy(s->name, key, len + 1);
	r = nx_rpc_conn_new(nx->loop, fd, NULL, &s->conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(s->conn, &s->cap);
	if (r < 0) {
		svc_free(s);
		return fail(nx->err, r, what);
	}
	nx_rpc_conn_set_disconnect_cb(s->conn, on_svc_gone, s);
	s->next = nx->svcs;
	nx->svcs = s;
	*ret_cap = nx_rpc_cap_ref(s->cap);
	nx->err[0] = '\0';
	return 0;
}

NEXUS_EXPORT int nexus_resolve(nexus *nx, const char *name, struct nx_rpc_cap **ret_cap)
{
	char what[96];
	int fd = -1, r;

	if (!nx)
		return -EINVAL;
	if (!name || !ret_cap)
		return fail(nx->err, -EINVAL, "resolve");
	snprintf(what, sizeof(what), "resolve %s", name);
	r = cached(nx, name, what, ret_cap);
	if (r != 0)
		return r < 0 ? r : 0;
	r = ask_samgr(nx, name, what, &fd);
	if (r < 0)
		return r;
	return channel(nx, name, what, fd, ret_cap);
}

/* Asks the local dsoftbusd for a channel to `name` on `device`; 0 with our end's fd. */
static int ask_bus(nexus *nx, const char *device, const char *name, const char *what, int *ret_fd)
{
	struct nexus_endpoint *ep = NULL;
	nx_rpc_cap *bus = NULL;
	bus_open_results out;
	nx_rpc_call *call = NULL;
	int fd, r;

	r = nexus_resolve(nx, "dsoftbusd", &bus);
	if (r < 0)
		return r;
	r = bus_open_wait(bus_from_cap(bus), device, name, nexus_deadline(nx), &call, &out);
	if (r < 0)
		r = nexus_call_failed(nx, call, r, what);
	else if (bus_open_results_get_endpoint(out, &ep) < 0 ||
	         (fd = nx_rpc_cap_take_fd(nexus_endpoint_cap(ep))) < 0)
		r = fail(nx->err, -EBADMSG, what);
	else
		*ret_fd = fd;
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(bus);
	return r;
}

NEXUS_EXPORT int nexus_resolve_peer(
        nexus *nx, const char *device, const char *name, struct nx_rpc_cap **ret_cap)
{
	char what[160], key[160];
	int fd = -1, r;

	if (!nx)
		return -EINVAL;
	if (!device || !name || !ret_cap)
		return fail(nx->err, -EINVAL, "resolve");
	snprintf(what, sizeof(what), "resolve %s on %s", name, device);
	/* Service names have no '/': the key never meets a local name. */
	snprintf(key, sizeof(key), "%s/%s", device, name);
	r = cached(nx, key, what, ret_cap);
	if (r != 0)
		return r < 0 ? r : 0;
	r = ask_bus(nx, device, name, what, &fd);
	if (r < 0)
		return r;
	return channel(nx, key, what, fd, ret_cap);
}
