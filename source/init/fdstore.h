/* SPDX-License-Identifier: MIT */
/*
 * nexus-init's fd store (DESIGN.md section 6, fdstore.capnp), as s6-fdholderd or systemd's
 * FileDescriptorStore: per service, up to NX_FDSTORE_MAX named fds that init keeps across the
 * service's restarts (logd's journal ring lives in one), dropped when the service stops or
 * fails for good. A service reaches its store over its own channel to init (its fd 5); nobody
 * else holds that channel, so no request names a service.
 */
#ifndef INIT_FDSTORE_H
#define INIT_FDSTORE_H

#include "nexus/limits.h" /* NX_FDSTORE_MAX, NX_FDSTORE_NAME_MAX */
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"

/* One service's held fds. Zero-initialised = empty; init_fdstore_drop closes them. */
struct init_fdstore {
	struct {
		char name[NX_FDSTORE_NAME_MAX + 1];
		int fd;
	} held[NX_FDSTORE_MAX];
	unsigned n;
};

/* Keeps fd (taken, closed on failure) under name, replacing what was held under it.
 * -EINVAL: name not 1..NX_FDSTORE_NAME_MAX bytes of [a-z0-9._-]; -EDQUOT: NX_FDSTORE_MAX
 * other names held. */
int init_fdstore_put(struct init_fdstore *st, const char *name, int fd);
/* The fd held under name (borrowed: still the store's), or -ENOENT. */
int init_fdstore_get(const struct init_fdstore *st, const char *name);
/* Closes what is held under name; -ENOENT if nothing. */
int init_fdstore_remove(struct init_fdstore *st, const char *name);
/* Closes everything held. */
void init_fdstore_drop(struct init_fdstore *st);

struct log;

/* What a link asks of init beyond the store, for the service it serves. */
struct init_link_ops {
	/* FdStore.reconnect: answer `in` with a new channel to samgrd now or later (then
	 * return NX_RPC_ASYNC), or fail it. */
	int (*reconnect)(void *userdata, nx_rpc_incoming *in);
	/* FdStore.journal: `log` (borrowed: take a reference to keep it) is where init's events
	 * go; 0, or a negative errno failing the call (-EPERM: not logd). */
	int (*journal)(void *userdata, struct log *log);
};

typedef struct init_link init_link;

/* Serves FdStore for one run of one service on fd (taken, also on failure), over `store`
 * (borrowed: it outlives the link, and the runs), with ops (borrowed, static) and userdata
 * for the methods beyond the store. -ENOMEM, or nx-rpc's errors. */
int init_link_new(nx_loop *loop, int fd, struct init_fdstore *store,
        const struct init_link_ops *ops, void *userdata, init_link **ret);
/* Closes the channel (held calls fail with it). Takes NULL, returns NULL. */
init_link *init_link_free(init_link *l);

#endif
