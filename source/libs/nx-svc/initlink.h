/* SPDX-License-Identifier: MIT */
/*
 * nx-svc initlink: a service's end of its channel to nexus-init (fd 5, fdstore.capnp): the fd
 * store that keeps named fds across the service's restarts, and the way back to samgrd after
 * samgrd restarted (DESIGN.md section 6).
 */
#ifndef NX_SVC_INITLINK_H
#define NX_SVC_INITLINK_H

#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"

typedef struct nx_initlink nx_initlink;

/* How long a blocking store call waits for init (a safety net: init answers at once). */
#define NX_INITLINK_TIMEOUT_NS (5000ull * 1000 * 1000)

/* Starts nx-rpc on fd (taken, also on failure) on loop (borrowed). -ENOMEM or nx-rpc's. */
int nx_initlink_new(nx_loop *loop, int fd, nx_initlink **ret);
nx_initlink *nx_initlink_free(nx_initlink *l);

/* Blocking (they run the loop until init answered: not from a callback of the same loop).
 * fetch: a copy of the fd held under name in *ret_fd (the caller's); -ENOENT nothing held.
 * deposit: init keeps a copy of fd (borrowed) under name, replacing what was held; -EDQUOT
 * past NX_FDSTORE_MAX. Both: -EINVAL a bad name, -ETIMEDOUT, -ENOTCONN init is gone. */
int nx_initlink_fetch(nx_initlink *l, const char *name, int *ret_fd);
int nx_initlink_deposit(nx_initlink *l, const char *name, int fd);

/* The channel to init (borrowed): calls arriving on it come from nexus-init, svc:init. */
nx_rpc_conn *nx_initlink_conn(const nx_initlink *l);

/* logd only: tells init to append its events to `log` (referenced, exported to init over
 * the channel). Does not wait. 0, or nx-rpc's error. */
int nx_initlink_journal(nx_initlink *l, nx_rpc_cap *log);

/* Asks init for a new channel to samgrd; done(userdata, fd) runs from the loop with the
 * channel (the callee's) or a negative errno. Asked again while a request is in flight, the
 * one answer goes to the latest done. 0, or nx-rpc's error with done never run. */
typedef void (*nx_initlink_reconnect_cb)(void *userdata, int fd);
int nx_initlink_reconnect(nx_initlink *l, nx_initlink_reconnect_cb done, void *userdata);

#endif
