/* SPDX-License-Identifier: MIT */
/* Limits of nx-svc (the daemon skeleton), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_SVC_H
#define NEXUS_LIMITS_SVC_H

/* Longest service name (samgr.capnp samgrNameMaxLen) and subject (nexus-types.capnp). */
#define NX_SVC_NAME_MAX    64u
#define NX_SVC_SUBJECT_MAX 128u

#endif
