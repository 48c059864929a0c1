/* SPDX-License-Identifier: MIT */
/*
 * nx-daemon: the process skeleton every Nexus daemon runs on, samgrd included (DESIGN.md
 * section 6): nx-log under the daemon's name, one nx_loop, SIGTERM/SIGINT as loop sources
 * (stop, exit 0), the fds nexus-init grants (fd 3, a channel whose meaning is the daemon's:
 * samgrd's admin channel, every other service's channel to samgrd; fd 4, the readiness pipe;
 * fd 5, the channel to nexus-init serving fdstore.capnp's FdStore),
 * the readiness line and "<name>: ready", and the exit code.
 *
 * nx-svc (svc.h) builds the Samgr client on it; samgrd uses it directly.
 */
#ifndef NX_SVC_DAEMON_H
#define NX_SVC_DAEMON_H

#include <stdbool.h>

#include "nx-abi/loop.h"

typedef struct nx_daemon nx_daemon;

/* The fds nexus-init grants: the bootstrap channel and the readiness pipe. */
#define NX_DAEMON_BOOTSTRAP_FD 3
#define NX_DAEMON_READY_FD     4
#define NX_DAEMON_INIT_FD      5

/* Starts nx-log as `name` (copied by nx-log), takes fd 3 (-EBADF if it is not
 * open), fd 4 and fd 5 (optional: absent when run by hand), makes the loop and the signal sources.
 * On failure fds 3 and 4 are closed. -ENOMEM, or the loop's errors. */
int nx_daemon_new(const char *name, nx_daemon **ret);

/* The daemon's loop (borrowed), for its own sources. */
nx_loop *nx_daemon_loop(nx_daemon *d);

/* Hands fd 5 (the channel to nexus-init) over to the caller, once: -EBADF after, or when
 * init did not grant it. */
int nx_daemon_take_init(nx_daemon *d);

/* Hands fd 3 over to the caller (close-on-exec; the caller owns it), once: -EBADF after. */
int nx_daemon_take_bootstrap(nx_daemon *d);

/* The daemon serves: prints "<name>: ready", writes one line to fd 4 and closes it. At most
 * once; later calls do nothing. A broken pipe is logged, not fatal: init's deadline decides. */
void nx_daemon_ready(nx_daemon *d);

/* Stops the loop: nx_daemon_run returns `code` (0 clean, 1 failure). Also what SIGTERM and
 * SIGINT do, with 0. */
void nx_daemon_exit(nx_daemon *d, int code);

/* Whether the daemon is on its way out (a signal or nx_daemon_exit): new work is refused. */
bool nx_daemon_stopping(const nx_daemon *d);

/* Runs the loop until nx_daemon_exit or a signal; returns the process exit code. */
int nx_daemon_run(nx_daemon *d);

/* Frees the signal sources and the loop (the daemon frees its own sources first), closes
 * fds 3/4/5 if still held. Takes NULL, returns NULL. */
nx_daemon *nx_daemon_free(nx_daemon *d);

#endif
