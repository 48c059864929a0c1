/* SPDX-License-Identifier: MIT */
/*
 * conns: connection accounting (DESIGN.md section 4), the one count of live connections per
 * client subject behind both limits: NX_CONN_MAX_PER_SUBJECT connections of one subject and
 * NX_CONN_MAX_PER_SERVICE in total. A server keeps one `struct conns` for what it serves:
 * samgrd for samgr.sock and its adoptions, nx-svc for the connections samgrd hands a service.
 * Pure: no fds, no clock, no logging; single-threaded (the caller serialises calls). Built as
 * its own library beside the registry, so nx-svc links this and not the whole registry.
 */
#ifndef USERSPACE_REGISTRY_CONNS_H
#define USERSPACE_REGISTRY_CONNS_H

#include <stdint.h>

#include "registry.h"

struct conns;

/* An empty account; the caller owns *ret_conns (conns_free). -EINVAL: ret_conns NULL.
 * -ENOMEM. */
REG_EXPORT int conns_new(struct conns **ret_conns);
/* Forgets every count. Takes NULL; returns NULL. */
REG_EXPORT struct conns *conns_free(struct conns *c);

/* Counts one more connection of `subject` (copied; 1..REG_SUBJECT_MAX bytes). -EDQUOT: the
 * subject holds NX_CONN_MAX_PER_SUBJECT already, or NX_CONN_MAX_PER_SERVICE are counted.
 * -EINVAL: NULL or empty subject. -EMSGSIZE: subject too long. -ENOMEM. Nothing changes on
 * failure. */
REG_EXPORT int conns_acquire(struct conns *c, const char *subject);
/* One connection of `subject` ended. -ENOENT: the subject holds none. -EINVAL: NULL. */
REG_EXPORT int conns_release(struct conns *c, const char *subject);

/* Connections counted in total, and of `subject` (0 for one that holds none). */
REG_EXPORT uint32_t conns_total(const struct conns *c);
REG_EXPORT uint32_t conns_of(const struct conns *c, const char *subject);

#endif
