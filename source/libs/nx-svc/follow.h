/* SPDX-License-Identifier: MIT */
/*
 * nx-svc follow: keep a channel to a named service as it comes and goes (DESIGN.md section 6).
 *
 * Given the process's Samgr, nx_follow watches `name` (Samgr.watch) and, whenever samgrd says
 * it is up, resolves it, serves nothing on the Endpoint it gets and hands the caller that
 * channel's bootstrap capability (`up`). When the channel breaks, or a resolve fails, it says
 * so (`down`) and tries again: at once on the next "up" from samgrd, else on a timer backing
 * off as nexus-init does before a restart (userspace/supervise's sup_backoff: from
 * SUP_BACKOFF_FIRST_NS, doubling to SUP_BACKOFF_MAX_NS, back to the first once up).
 *
 * Callbacks run from the loop, never from inside an nx_follow_* call.
 */
#ifndef NX_SVC_FOLLOW_H
#define NX_SVC_FOLLOW_H

#include <stdbool.h>

#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"

typedef struct nx_follow nx_follow;
struct samgr;

struct nx_follow_ops {
	/* A new channel to the service: `bootstrap` is borrowed (take a reference to keep it).
	 * May come again without a `down` between (the service re-registered): the new channel
	 * replaces the old, whose capabilities break. */
	void (*up)(void *userdata, nx_rpc_cap *bootstrap);
	/* The service is not reachable now: the channel handed by `up` broke, or a resolve
	 * failed. May come more than once in a row. */
	void (*down)(void *userdata);
};

/* Follows `name` (copied; 1..NX_SVC_NAME_MAX bytes) through `samgr` (referenced) on `loop`
 * (borrowed, must outlive it). `ops` must outlive the follower. Returns 0, -EINVAL, -ENOMEM or
 * the loop's error. A failing Samgr.watch is not an error: the timer resolves instead. */
int nx_follow_new(nx_loop *loop, struct samgr *samgr, const char *name,
        const struct nx_follow_ops *ops, void *userdata, nx_follow **ret);

/* Follows through `samgr` (referenced) from now on, the old one being gone (samgrd
 * restarted): watches anew; the channel handed by `up` stays until the service's new
 * registration brings a fresh one (`up` again). 0, -EINVAL, -ENOMEM. */
int nx_follow_set_samgr(nx_follow *f, struct samgr *samgr);

/* True while a resolve is in flight (an `up` or a `down` is coming). */
bool nx_follow_resolving(const nx_follow *f);

/* The channel handed by `up` is of no use to the caller (its calls fail): it is dropped (no
 * `down`: the caller knows) and the service resolved again after the backoff. */
void nx_follow_reconnect(nx_follow *f);

/* Drops the channel and the watch; no callback runs after. Takes NULL, returns NULL. */
nx_follow *nx_follow_free(nx_follow *f);

#endif
