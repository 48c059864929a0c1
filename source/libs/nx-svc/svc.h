/* SPDX-License-Identifier: MIT */
/*
 * nx-svc: the skeleton every thin Nexus daemon runs on (DESIGN.md sections 3 and 6).
 *
 * A service started by nexus-init finds fd 3 = its channel to samgrd (already adopted as
 * `svc:<name>`) and fd 4 = a readiness pipe. nx-svc runs on the process skeleton of daemon.h
 * (log, loop, signals, readiness, exit code), takes both fds from it, registers a ServiceHost under
 * the service's name, and from then on every ServiceHost.accept(conn, subject) samgrd sends
 * becomes one nx_rpc_conn serving the service's bootstrap object, with `subject` remembered
 * for handlers (nx_svc_subject). Once registered it writes one line to fd 4, closes it and
 * prints "<name>: ready". SIGTERM/SIGINT: stop accepting, drop every client, exit 0.
 *
 * Everything runs on one nx_loop thread. Handlers answer synchronously in this slice (a
 * handler that returns NX_RPC_ASYNC must answer before the loop stops: it is canceled then).
 */
#ifndef NX_SVC_SVC_H
#define NX_SVC_SVC_H

#include "nexus/limits.h" /* NX_SVC_NAME_MAX, NX_SVC_SUBJECT_MAX */
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"
#include "policy.h"

typedef struct nx_svc nx_svc;

/* Takes fd 3 (the samgrd channel: -EBADF if it is not open) and fd 4 (readiness: optional,
 * for running by hand), makes the loop and starts nx-rpc on fd 3. `name` is copied;
 * -EINVAL if empty or longer than NX_SVC_NAME_MAX. On failure fds 3 and 4 are closed. */
int nx_svc_new(const char *name, nx_svc **ret);

/* The service's loop (borrowed), for its own sources. */
nx_loop *nx_svc_loop(nx_svc *svc);

/* Registers `bootstrap` (referenced, not taken) as what every accepted connection serves,
 * then runs until SIGTERM/SIGINT. When the channel to samgrd breaks (samgrd restarted) it asks
 * nexus-init for a new one (fd 5) and registers again, its clients served meanwhile. Returns
 * the process exit code: 0 after a signal, 1 when registration failed or samgrd cannot be
 * reached again (no init to ask: run by hand). */
int nx_svc_run(nx_svc *svc, nx_rpc_cap *bootstrap);

/* The subject samgrd fixed for the connection `in` arrived on (borrowed, valid while that
 * connection lives), NX_SVC_INIT_SUBJECT for a call nexus-init made on the service's fd 5,
 * or NULL if it came neither way. */
#define NX_SVC_INIT_SUBJECT "svc:init"
const char *nx_svc_subject(nx_svc *svc, const nx_rpc_incoming *in);

/* The service's Samgr (its channel to samgrd; borrowed, valid until samgrd restarts, when
 * another takes its place), for calls of its own: resolving or watching another service. */
struct samgr;
struct samgr *nx_svc_samgr(nx_svc *svc);

/* Connections currently served (for tests and stats). */
unsigned nx_svc_clients(const nx_svc *svc);

/* Drops every connection, closes fds 3/4 if still held, frees the loop. Takes NULL, returns
 * NULL. */
nx_svc *nx_svc_free(nx_svc *svc);

/* Asks policyd from now on (policy.h): follows "policyd" through samgrd, with `interim`
 * (borrowed, n_interim grants) deciding while policyd cannot be asked, and runs calls held for
 * a decision again through rerun(impl, ...) (the service's dispatch). Before nx_svc_run, so
 * that the first calls are asked. Returns 0, -EINVAL (called twice), -ENOMEM. */
int nx_svc_policy_start(nx_svc *svc, const struct pol_grant *interim, size_t n_interim,
        nx_policy_rerun_fn rerun, void *impl);

/* Whether the subject of the connection `in` came through holds `cap`, in one call from a
 * handler: 0 with *ret_allowed, NX_RPC_ASYNC (return it: the handler runs again once policyd
 * answered), -EPERM (no subject: not an accepted connection), or nx_policy_allowed's errors.
 * -EINVAL before nx_svc_policy_start. */
int nx_svc_allowed(nx_svc *svc, nx_rpc_incoming *in, const char *cap, bool *ret_allowed);

/* As nx_svc_allowed, for a subject the service vouches for itself rather than the caller's:
 * execd asks whether the app:<id> it is about to start holds a capability its manifest
 * requests, while handling the spawn call `in` (held and run again like any check). */
int nx_svc_allowed_as(
        nx_svc *svc, nx_rpc_incoming *in, const char *subject, const char *cap, bool *ret_allowed);

/* nexus-init's fd store (fdstore.capnp over fd 5; initlink.h): fds kept across the service's
 * restarts, by name. Blocking, for startup, before nx_svc_run. fetch: a copy of what is held
 * under name in *ret_fd (the caller's), -ENOENT if nothing. deposit: init keeps a copy of fd
 * (borrowed) under name. Both: -ENOTCONN without init (run by hand), -EINVAL a bad name,
 * -EDQUOT past NX_FDSTORE_MAX names, -ETIMEDOUT. */
int nx_svc_fd_fetch(nx_svc *svc, const char *name, int *ret_fd);
int nx_svc_fd_deposit(nx_svc *svc, const char *name, int fd);

/* logd only: nexus-init's own events go to `log` (logd's Log, referenced) from now on, as
 * calls on fd 5 (subject NX_SVC_INIT_SUBJECT). Does not wait. -ENOTCONN without init. */
int nx_svc_init_journal(nx_svc *svc, nx_rpc_cap *log);

#endif
