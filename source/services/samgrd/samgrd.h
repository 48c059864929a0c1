/* SPDX-License-Identifier: MIT */
/* samgrd's adapter state, shared by main.c (setup), samgr.c (the interfaces) and allow.c. */
#ifndef SAMGRD_H
#define SAMGRD_H

#include <stdbool.h>
#include <stdint.h>

#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"
#include "svc.h"

/* The registry itself (names, owners, watchers, adoption rules) is userspace/registry; the
 * adapter keeps what the registry must not hold: connections and capabilities. Owner handles
 * given to the registry are struct samgrd_client pointers, watcher handles struct
 * samgrd_watcher pointers. */
struct samgrd_client {
	struct samgrd_client *next;
	struct samgrd *d;
	nx_rpc_conn *conn;
	nx_rpc_cap *samgr; /* this connection's Samgr (its impl is this client) */
	char subject[NX_SVC_SUBJECT_MAX + 1];
};

struct samgrd_watcher {
	nx_rpc_cap *cb; /* ServiceWatcher, an import on the owner's connection */
};

struct samgrd_resolve; /* a resolve waiting for the owner's accept() */

struct samgrd {
	nx_loop *loop;
	uint32_t uid;            /* the uid samgrd runs as: its users get uid:<uid> */
	nx_rpc_conn *admin_conn; /* fd 3, from nexus-init */
	nx_rpc_cap *admin;       /* SamgrAdmin served on it */
	char admin_subject[NX_SVC_SUBJECT_MAX + 1];
	int listen_fd;
	nx_source *accept_src;
	struct samgrd_client *clients;
	struct reg *reg;
	struct samgrd_resolve *resolves;
};

/* samgr.c */
int samgrd_registry_new(struct samgrd *d);
int samgrd_admin_serve(struct samgrd *d, int fd);
int samgrd_client_add(struct samgrd *d, int fd, const char *subject, size_t subject_len);
void samgrd_free_all(struct samgrd *d);

/* allow.c: the one policy seam. */
bool samgrd_allowed(const struct samgrd *d, const char *subject, const char *capability);

#endif
