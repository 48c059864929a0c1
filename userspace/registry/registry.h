/* SPDX-License-Identifier: MIT */
/*
 * registry: samgrd's registry of services (DESIGN.md sections 3, 4 and 7, samgrd). Pure: no
 * fds, no clock, no logging. Single-threaded: the caller serialises calls.
 *
 * A registration maps a service name to its owner (an opaque non-zero handle the daemon maps to
 * a connection), the owner's subject, a generation (registry-wide, strictly increasing from 1,
 * never reused) and an opaque host pointer (the daemon's ServiceHost capability). Watchers
 * (opaque non-zero handles, each belonging to an owner) follow one name or every name; changes
 * reach them through the event callback, synchronously, one call per (watcher, change).
 */
#ifndef USERSPACE_REGISTRY_H
#define USERSPACE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* REG_*_MAX: nexus/limits-registry.h */

#define REG_EXPORT __attribute__((visibility("default")))

/* Who may adopt connections for which subjects (reg_adopt_check). */
#define REG_INIT_SUBJECT      "svc:init"
#define REG_EXECD_SUBJECT     "svc:execd"
#define REG_DSOFTBUSD_SUBJECT "svc:dsoftbusd"
/* The device id in "peer:<device>/<subject>": 32 lowercase hex digits (bus.capnp). */
#define REG_PEER_ID_LEN 32u

/* A registration, as a view into the registry: the strings are valid until the next call that
 * modifies the registry. */
struct reg_entry {
	const char *name;
	const char *subject;
	uint64_t owner;
	uint64_t generation;
	void *host;
};

/* One change as one watcher sees it. Strings are valid for the duration of the callback. */
struct reg_event {
	uint64_t watcher;
	/* The owner of the watcher (its connection). */
	uint64_t watcher_owner;
	const char *name;
	/* The subject that registered (or had registered) name. */
	const char *subject;
	/* Of the registration that came up or went down: an up and its down carry the same one. */
	uint64_t generation;
	bool up;
};

/*
 * What the registry tells the daemon; every member may be NULL. Called synchronously from the
 * registry's functions; during a callback only the read-only functions (reg_resolve, reg_list,
 * reg_count) may be called: the others return -EBUSY.
 *   event: one call per watcher per change.
 *   host_drop: the registry no longer refers to this host (unregister, owner gone, reg_free);
 *     the daemon may release the capability.
 *   watcher_drop: the registry dropped this watcher because its owner is gone, or at reg_free
 *     (not on reg_unwatch, which the daemon called itself).
 */
struct reg_callbacks {
	void (*event)(void *userdata, const struct reg_event *ev);
	void (*host_drop)(void *userdata, void *host);
	void (*watcher_drop)(void *userdata, uint64_t watcher);
};

struct reg;

/* Creates an empty registry; cb may be NULL (no callbacks). *cb is copied; userdata is
 * borrowed and passed back to each callback. The caller owns *ret_registry (reg_free).
 * -EINVAL: ret_registry NULL. -ENOMEM. */
REG_EXPORT int reg_new(const struct reg_callbacks *cb, void *userdata, struct reg **ret_registry);
/* Frees the registry, calling host_drop for every registration and watcher_drop for every
 * watcher first (no events). Takes NULL; returns NULL. Not from inside a callback. */
REG_EXPORT struct reg *reg_free(struct reg *r);

/* Name rules alone: 0 valid. -EINVAL: NULL, empty or a character outside the charset.
 * -ENAMETOOLONG: over REG_NAME_MAX. -EPERM: reserved ("init", "samgr", "samgrd"). */
REG_EXPORT int reg_name_check(const char *name);

/*
 * Registers name for owner, whose connection has subject (from the connection, never from the
 * payload). host is stored, not owned: host_drop hands it back when the registration ends.
 * Watchers of name and wildcard watchers get an up event. On success *ret_generation (may be
 * NULL) is the new registration's generation.
 * -EEXIST: name already has an owner (the same owner included); then, and only then,
 * *ret_holder (may be NULL) is set to the current owner's subject (valid until the next
 * modifying call), for the error message. Errors of reg_name_check(). -EINVAL: owner 0, subject
 * NULL or empty. -EMSGSIZE: subject over REG_SUBJECT_MAX. -ENOSPC: REG_NAMES_MAX reached.
 * -EBUSY: inside a callback. -ENOMEM.
 */
REG_EXPORT int reg_register(struct reg *r, uint64_t owner, const char *subject, const char *name,
        void *host, uint64_t *ret_generation, const char **ret_holder);

/* Ends owner's registration of name: down events, then host_drop. -ENOENT: not registered.
 * -EPERM: registered by another owner. -EINVAL: bad pointer or owner 0. -EBUSY. */
REG_EXPORT int reg_unregister(struct reg *r, uint64_t owner, const char *name);

/* Looks name up. 0 and *ret_entry set (a view), -ENOENT, or -EINVAL (NULL pointers; an invalid
 * name is simply not found). */
REG_EXPORT int reg_resolve(const struct reg *r, const char *name, struct reg_entry *ret_entry);

/* Number of registered names. */
REG_EXPORT size_t reg_count(const struct reg *r);

/*
 * Lists registrations sorted by name (bytewise), those after the cursor `after` (exclusive;
 * NULL or "" = from the first). Fills at most min(max, REG_LIST_MAX) entries of out (views),
 * returns how many; *ret_more (may be NULL) says whether more follow: pass the last returned
 * name as the next cursor. -EINVAL: r NULL, or out NULL with max > 0.
 */
REG_EXPORT int reg_list(
        const struct reg *r, const char *after, struct reg_entry *out, size_t max, bool *ret_more);

/*
 * Owner's watcher handle `watcher` follows name (NULL = every name). It immediately gets an up
 * event for name if it is registered (wildcard: for every registered name, in name order),
 * then one event per change until reg_unwatch or reg_owner_gone.
 * -EINVAL: owner or watcher 0. Errors of reg_name_check(). -EEXIST: watcher handle in use.
 * -EDQUOT: owner already holds REG_WATCHERS_PER_OWNER_MAX. -ENOSPC: REG_WATCHERS_MAX reached.
 * -EBUSY. -ENOMEM.
 */
REG_EXPORT int reg_watch(struct reg *r, uint64_t owner, const char *name, uint64_t watcher);
/* Stops a watcher (no watcher_drop call). -ENOENT: unknown handle. -EBUSY. */
REG_EXPORT int reg_unwatch(struct reg *r, uint64_t watcher);

/*
 * owner's connection ended: drops its watchers first (watcher_drop each, so they see nothing
 * of what follows), then ends every registration it held, in name order, each with its down
 * events and host_drop. Returns the number of names freed (0 for an unknown owner).
 * -EINVAL: owner 0. -EBUSY.
 */
REG_EXPORT int reg_owner_gone(struct reg *r, uint64_t owner);

/*
 * Adoption (DESIGN.md section 3): may a connection whose subject is adopter_subject create a
 * connection with subject new_subject? A pure decision over a fixed table: REG_INIT_SUBJECT
 * adopts "svc:<name>", REG_EXECD_SUBJECT adopts "app:<bundle>", REG_DSOFTBUSD_SUBJECT adopts
 * "peer:<device>/<subject>" (a remote caller: REG_PEER_ID_LEN lowercase hex, then its
 * svc:/app:/uid:/user: subject on that device); nobody else adopts anything, and "uid:"
 * subjects are never adopted. <name> and <bundle> follow the service name rules
 * (reg_name_check), except that a reserved name is -EPERM (so "svc:init" and "svc:samgrd"
 * cannot be handed out).
 * 0 allowed. -EPERM denied. -EINVAL: NULL, or new_subject malformed (empty, no known prefix,
 * bad rest). -ENAMETOOLONG: rest over REG_NAME_MAX.
 */
REG_EXPORT int reg_adopt_check(const char *adopter_subject, const char *new_subject);

#endif
