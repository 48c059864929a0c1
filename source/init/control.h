/* SPDX-License-Identifier: MIT */
/*
 * nexus-init's control interface (tools/nexus-idl/schemas/init.capnp), reachable through
 * samgrd like any service: once samgrd is up, init adopts one more channel there for itself,
 * as `svc:initctl`, registers `initctl` on it, and serves InitControl on every connection
 * samgrd brokers (ServiceHost.accept), knowing each caller's subject. Every method needs
 * `svc.control`, asked of policyd (nx-svc's policy client, following policyd through that
 * channel; while policyd cannot be asked, everything is denied). What a method does to a
 * service is main.c's (supervision), through the ops.
 */
#ifndef INIT_CONTROL_H
#define INIT_CONTROL_H

#include <stddef.h>

#include "nx-abi/loop.h"

struct samgr_admin;
struct init_ctl;

/* What init does for a method: 0, or -ENOENT (no such service), -EINVAL (not this one, with
 * why), -EAGAIN (not now: stopping, samgrd recovering). `why` (why_size bytes) says the
 * sentence after the section 9 code. */
struct init_ctl_ops {
	int (*restart)(void *init, const char *name, char *why, size_t why_size);
	int (*stop)(void *init, const char *name, char *why, size_t why_size);
	int (*start)(void *init, const char *name, char *why, size_t why_size);
};

/* A control interface on `loop` (borrowed) calling `ops` (borrowed) with `init`. Serves
 * nothing until attached. 0, -ENOMEM. */
int init_ctl_new(nx_loop *loop, const struct init_ctl_ops *ops, void *init, struct init_ctl **ret);

/* samgrd is up and `admin` is its SamgrAdmin (borrowed): adopt our channel there and register
 * `initctl`. A failure is printed; supervision goes on without control. */
void init_ctl_attach(struct init_ctl *c, struct samgr_admin *admin);

/* samgrd went away: every channel through it is gone; serve nothing until attached again. */
void init_ctl_detach(struct init_ctl *c);

/* Takes NULL, returns NULL. */
struct init_ctl *init_ctl_free(struct init_ctl *c);

#endif
