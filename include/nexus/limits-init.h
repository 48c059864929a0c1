/* SPDX-License-Identifier: MIT */
/* Limits of nexus-init's service table (services.conf), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_INIT_H
#define NEXUS_LIMITS_INIT_H

/* Files one service may have opened for it by init (open=PATH), handed over from fd 5 up. */
#define NX_INIT_OPEN_MAX 4u
/* Longest open=PATH, in bytes. */
#define NX_INIT_OPEN_PATH_MAX 255u
/* RLIMIT_NOFILE and RLIMIT_NPROC of a service that names none (nofile=, nproc=), and the
 * highest either may be set to. */
#define NX_INIT_NOFILE_DEFAULT 1024u
#define NX_INIT_NPROC_DEFAULT  4096u
#define NX_INIT_RLIMIT_MAX     1048576u

#endif
