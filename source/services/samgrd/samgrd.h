/* SPDX-License-Identifier: MIT */
/* samgrd's adapter state, shared by its files (main.c lists them). */
#ifndef SAMGRD_H
#define SAMGRD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"
#include "svc.h"

/* The registry itself (names, owners, watchers, adoption rules) is userspace/registry; the
 * adapter keeps what the registry must not hold: connections and capabilities. Owner handles
 * given to the registry are struct samgrd_client pointers, watcher handles struct
 * samgrd_watcher pointers. */
/* The longest capability samgrd asks about ("ipc.register.<name>"), and how many decisions
 * each connection keeps (ask.c). */
#define SAMGRD_CAP_MAX   (NX_SVC_NAME_MAX + 16u)
#define SAMGRD_CACHE_MAX 16u

/* samgrd's own subject, on the channels it makes for itself to policyd and logd. */
#define SAMGRD_SUBJECT "svc:samgrd"

struct samgrd_decision {
	char cap[SAMGRD_CAP_MAX + 1];
	bool allowed;
};

struct samgrd_check; /* a decision asked of policyd, the call it is for held meanwhile */

struct samgrd_client {
	struct samgrd_client *next;
	struct samgrd *d;
	nx_rpc_conn *conn;
	nx_rpc_cap *samgr; /* this connection's Samgr (its impl is this client) */
	char subject[NX_SVC_SUBJECT_MAX + 1];
	/* policyd's decisions for this subject, valid while cache_gen == d->pol_gen (ask.c) */
	struct samgrd_check *checks;
	uint64_t cache_gen;
	unsigned ncache, cache_next;
	struct samgrd_decision cache[SAMGRD_CACHE_MAX];
};

struct samgrd_watcher {
	nx_rpc_cap *cb; /* ServiceWatcher, an import on the owner's connection */
};

struct samgrd_resolve; /* a resolve waiting for the owner's accept() */

struct samgrd {
	nx_daemon *daemon;       /* log, loop, signals, readiness (nx-svc/daemon.h) */
	nx_loop *loop;           /* the daemon's */
	uint32_t uid;            /* the uid samgrd runs as: its users get uid:<uid> */
	nx_rpc_conn *admin_conn; /* fd 3, from nexus-init */
	nx_rpc_cap *admin;       /* SamgrAdmin served on it */
	char admin_subject[NX_SVC_SUBJECT_MAX + 1];
	/* samgr.sock (external.c) */
	char sock_path[256];
	int listen_fd;
	nx_source *accept_src;
	struct samgrd_client *clients;
	struct conns *conns; /* the clients, against both connection limits */
	struct reg *reg;
	struct samgrd_resolve *resolves;
	/* The channel to policyd once it registered (ask.c); NULL before: interim rule. */
	nx_rpc_conn *pol_conn;
	nx_rpc_cap *pol;         /* Policy, policyd's bootstrap */
	nx_rpc_cap *pol_watcher; /* our PolicyWatcher */
	nx_rpc_call *pol_accept, *pol_watch;
	uint64_t pol_gen; /* bumped on every version change, policyd coming or going */
	char pol_version[65];
	/* nx-log's sink: samgrd's own channel to logd once it registered (logsink.c). */
	struct nx_logsink *log_sink;
	nx_rpc_call *log_accept;
};

/* samgr.c. registry_new makes the registry and the connection account. client_add serves
 * Samgr on fd (taken) under subject; -EDQUOT past a connection limit. */
int samgrd_registry_new(struct samgrd *d);
int samgrd_admin_serve(struct samgrd *d, int fd);
int samgrd_client_add(struct samgrd *d, int fd, const char *subject, size_t subject_len);
void samgrd_free_all(struct samgrd *d);

/* Runs Samgr method `method` again on `in` (ask.c, once a decision is cached); fails `in`
 * if the handler fails. */
void samgrd_redispatch(struct samgrd_client *c, nx_rpc_incoming *in, uint16_t method);

/* external.c: samgr.sock under $NEXUS_RUNTIME_DIR, serving local users as uid:<n>. stop
 * closes it and removes the socket file (takes a half-started or never-started one). */
int samgrd_external_serve(struct samgrd *d);
void samgrd_external_stop(struct samgrd *d);

/* broker.c: a channel to the service behind `host` (a ServiceHost, borrowed): a socketpair,
 * one end handed to the service by ServiceHost.accept(conn, subject), the other end in
 * *ret_fd (the caller owns it). `done` gets accept's answer and frees the call; *ret_accept
 * is the call in flight (freeing it cancels it, and the service's end closes with it).
 * On failure nothing is sent and both ends are closed. */
int samgrd_broker(nx_rpc_cap *host, const char *subject, nx_rpc_return_cb done, void *userdata,
        nx_rpc_call **ret_accept, int *ret_fd);
/* An Endpoint capability carrying fd (taken, also on failure). */
int samgrd_endpoint_new(int fd, nx_rpc_cap **ret);

/* allow.c: the interim rule, deciding until policyd registered. */
bool samgrd_allowed(const struct samgrd *d, const char *subject, const char *capability);

/* ask.c: the one policy seam. Whether c's subject holds `cap`: 0 with *ret_allowed set, or
 * NX_RPC_ASYNC (policyd was asked; the handler returns NX_RPC_ASYNC, keeps nothing, and runs
 * again through samgrd_redispatch once the answer is in), or a negative errno. */
int samgrd_decide(struct samgrd_client *c, nx_rpc_incoming *in, uint16_t method, const char *cap,
        bool *ret_allowed);
/* Fails the calls of c held for a decision (c is going). */
void samgrd_client_checks_drop(struct samgrd_client *c);
/* policyd registered `host` (borrowed): open samgrd's own channel to it and watch versions. */
int samgrd_policyd_up(struct samgrd *d, nx_rpc_cap *host);
/* policyd went away (or samgrd stops): back to the interim rule. */
void samgrd_policyd_down(struct samgrd *d);

/* logsink.c: logd registered `host` (borrowed): open samgrd's own channel to it (subject
 * svc:samgrd) and make it nx-log's sink; until then, and after logd went away, the facade
 * buffers. down drops it (at exit). */
int samgrd_logd_up(struct samgrd *d, nx_rpc_cap *host);
void samgrd_logd_down(struct samgrd *d);

#endif
