/* SPDX-License-Identifier: MIT */
/*
 * What the sample apps (examples/apps/) share. An app is started by execd with fd 3 = a channel
 * to samgrd already adopted as app:<bundle id> (DESIGN.md section 3, "Bootstrap"), stdout and
 * stderr going to the journal as records of that subject, and no filesystem beyond the loader
 * and its libraries: everything else it reaches through samgrd (vfsd for /pkg, /data, /tmp).
 */
#ifndef APPS_APP_H
#define APPS_APP_H

#include <stdint.h>

#include "nexus/nexus.h"
#include "nx-rpc/rpc.h"

/* The bootstrap channel every process execd starts holds. */
#define APP_BOOTSTRAP_FD 3

/* Connects to samgrd over APP_BOOTSTRAP_FD (taken). 0 with the handle in *ret_nx, or the
 * negative errno of nexus_connect_fd() (logged). */
int app_connect(nexus **ret_nx);

/* The section 9 reason of a failed blocking call (`call` may be NULL): what the server said
 * ("denied: ..."), else "<code>: <what>: <strerror>". Valid until the next call on nx. */
const char *app_reason(nexus *nx, const nx_rpc_call *call, int err, const char *what);

/* Resolves `service` through samgrd into *ret_cap (the caller's reference). 0, or the negative
 * errno with *ret_why set as app_reason() does. */
int app_resolve(nexus *nx, const char *service, nx_rpc_cap **ret_cap, const char **ret_why);

#endif
