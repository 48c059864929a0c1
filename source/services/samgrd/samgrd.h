/* SPDX-License-Identifier: MIT */
/* samgrd's adapter state, shared by its files (main.c lists them). */
#ifndef SAMGRD_H
#define SAMGRD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "nexus-types.capnp.h"
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"
#include "policy.h"
#include "samgr.capnp.h"
#include "svc.h"

/* The registry itself (names, owners, watchers, adoption rules) is userspace/registry; the
 * adapter keeps what the registry must not hold: connections and capabilities. Owner handles
 * given to the registry are struct samgrd_client pointers, watcher handles struct
 * samgrd_watcher pointers. */

/* samgrd's own subject, on the channels it makes for itself to these two services. */
#define SAMGRD_SUBJECT "svc:samgrd"
#define POLICYD_NAME   "policyd"
#define LOGD_NAME      "logd"
/* samgr.sock's mode (external.c): everyone may connect, policy decides the rest. */
#define SAMGRD_SOCK_MODE_ENV     "NEXUS_SAMGR_SOCK_MODE"
#define SAMGRD_SOCK_MODE_DEFAULT 0666u
#define IDENTITYD_NAME           "identityd"

struct samgrd_client {
	struct samgrd_client *next;
	struct samgrd *d;
	nx_rpc_conn *conn;
	struct samgr *samgr; /* this connection's (its impl is this client) */
	char subject[NX_SVC_SUBJECT_MAX + 1];
	struct samgrd_auth *auth; /* set while subject is user:<name> (authenticate.c) */
};

struct samgrd_watcher {
	struct samgr_service_watcher *cb; /* an import on the owner's connection */
};

struct samgrd_resolve; /* a resolve waiting for the owner's accept() */

struct samgrd {
	nx_daemon *daemon;         /* log, loop, signals, readiness (nx-svc/daemon.h) */
	nx_loop *loop;             /* the daemon's */
	uint32_t uid;              /* the operator's (main.c): its users get uid:<uid> */
	nx_rpc_conn *admin_conn;   /* fd 3, from nexus-init */
	struct samgr_admin *admin; /* served on it */
	char admin_subject[NX_SVC_SUBJECT_MAX + 1];
	/* samgr.sock (external.c) */
	char sock_path[256];
	int listen_fd;
	nx_source *accept_src;
	struct samgrd_client *clients;
	struct conns *conns;      /* the clients, against both connection limits */
	struct ratelog *refusals; /* which refusals to log (refuse.c) */
	nx_source *refusal_timer; /* due: the next "suppressed N" summary */
	struct reg *reg;
	struct samgrd_resolve *resolves;
	/* Every decision (nx-svc/policy.h): the interim rule below until policyd registered, then
	 * policyd over samgrd's own channel to it (policyd.c). */
	nx_policy *policy;
	char own_uid[32]; /* "uid:<uid>": the operator's `nx` through samgr.sock */
	struct pol_grant interim[4];
	nx_rpc_conn *pol_conn;
	nx_rpc_call *pol_accept;
	/* nx-log's sink: samgrd's own channel to logd once it registered (logsink.c). */
	struct nx_logsink *log_sink;
	nx_rpc_call *log_accept;
	/* Samgr.authenticate: samgrd's own channel to identityd once it registered. */
	struct samgrd_ident *ident;
};

/* samgr.c. registry_new makes the registry and the connection account. client_add serves
 * Samgr on fd (taken) under subject; -EDQUOT past a connection limit. */
int samgrd_registry_new(struct samgrd *d);
int samgrd_admin_serve(struct samgrd *d, int fd);
int samgrd_client_add(struct samgrd *d, int fd, const char *subject, size_t subject_len);
void samgrd_free_all(struct samgrd *d);

/* refuse.c. refuse: fd (taken) is over a connection limit: an Abort with `limit_exceeded:`
 * and the numbers, closed, logged. refusal_log: logs a refusal of subject's (reason: a §9 code
 * and a sentence) unless it repeats one within NX_RATELOG_WINDOW_NS, summarised later. */
int samgrd_refusals_new(struct samgrd *d);
void samgrd_refusals_free(struct samgrd *d);
void samgrd_refuse(struct samgrd *d, int fd, const char *subject);
void samgrd_refusal_log(struct samgrd *d, const char *subject, const char *reason);

/* The policy client's rerun hook (nx-svc/policy.h): runs a held Samgr call again on the
 * client it came from; -ECONNRESET if that client is gone. */
int samgrd_rerun(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);

/* external.c: samgr.sock under $NEXUS_RUNTIME_DIR, serving local users as uid:<n>. stop
 * closes it and removes the socket file (takes a half-started or never-started one). */
int samgrd_external_serve(struct samgrd *d);
void samgrd_external_stop(struct samgrd *d);

/* broker.c: a channel to the service behind `host` (borrowed): a socketpair, one end handed
 * to the service by ServiceHost.accept(conn, subject), the other end in *ret_fd (the caller
 * owns it). `done` gets accept's answer and frees the call; *ret_accept is the call in flight
 * (freeing it cancels it, and the service's end closes with it: which is why it is not a
 * typed one-call, whose call cannot be canceled). On failure nothing is sent and both ends
 * are closed. */
int samgrd_broker(struct nexus_service_host *host, const char *subject, nx_rpc_return_cb done,
        void *userdata, nx_rpc_call **ret_accept, int *ret_fd);
/* An Endpoint capability carrying fd (taken, also on failure). */
int samgrd_endpoint_new(int fd, struct nexus_endpoint **ret);

/* proxy.c: the Endpoint resolve returns, carrying fd (taken, also on failure) and forwarding
 * calls made on it to the service behind `host` (referenced) over a channel brokered on the
 * first call for `subject` (copied); `name` (copied) names the service in reasons. */
int samgrd_proxy_endpoint_new(struct samgrd *d, struct nexus_service_host *host,
        const char *subject, const char *name, int fd, struct nexus_endpoint **ret);

/* policyd.c: the policy client with samgrd's interim rule (new; free at exit). policyd
 * registered `host` (borrowed): samgrd's own channel to it becomes the client's Policy. down:
 * policyd went away (or samgrd stops): the interim rule decides again. */
int samgrd_policy_new(struct samgrd *d);
int samgrd_policyd_up(struct samgrd *d, struct nexus_service_host *host);
void samgrd_policyd_down(struct samgrd *d);

/* logsink.c: logd registered `host` (borrowed): open samgrd's own channel to it (subject
 * svc:samgrd) and make it nx-log's sink; until then, and after logd went away, the facade
 * buffers. down drops it (at exit). */
int samgrd_logd_up(struct samgrd *d, struct nexus_service_host *host);
void samgrd_logd_down(struct samgrd *d);

/* authenticate.c: Samgr.authenticate. refresh: called first by every Samgr handler, makes
 * an expired session's connection its own subject again; drop: the same when the connection
 * closes (before its subject is released). identityd registered `host` (borrowed): open
 * samgrd's own channel to it and give it the watcher that hears revocations; down drops it
 * (every connection loses user:) at exit or when identityd goes. */
int samgrd_serve_authenticate(void *impl, nx_rpc_incoming *in, samgr_authenticate_params params);
void samgrd_auth_refresh(struct samgrd_client *c);
void samgrd_auth_drop(struct samgrd_client *c);
int samgrd_identityd_up(struct samgrd *d, struct nexus_service_host *host);
void samgrd_identityd_down(struct samgrd *d);

#endif
