/* SPDX-License-Identifier: MIT */
/* Limits of userspace/registry (samgrd's registry), included by limits.h. Text lengths are
 * bytes, NUL excluded. Freestanding. */
#ifndef NEXUS_LIMITS_REGISTRY_H
#define NEXUS_LIMITS_REGISTRY_H

/* Service name: 1..REG_NAME_MAX bytes of [a-z0-9._-], the first one of [a-z0-9]
 * (samgr.capnp samgrNameMaxLen). */
#define REG_NAME_MAX 64u
/* Subject of a connection (samgr.capnp Entry.owner, adopt.subject). */
#define REG_SUBJECT_MAX 128u
/* Registered names at once. */
#define REG_NAMES_MAX 1024u
/* Watchers one owner (connection) may hold. */
#define REG_WATCHERS_PER_OWNER_MAX 64u
/* Watchers in total. */
#define REG_WATCHERS_MAX 4096u
/* Entries one reg_list() call returns at most (samgr.capnp samgrListMaxCount). */
#define REG_LIST_MAX 32u

#endif
