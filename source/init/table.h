/* SPDX-License-Identifier: MIT */
/* nexus-init's service table file (services.conf): parsing only, no process work. */
#ifndef INIT_TABLE_H
#define INIT_TABLE_H

#include <limits.h>
#include <stdint.h>

#include "nexus/limits.h"

#include "supervise/supervise.h"

#define INIT_MAX_SERVICES 16u
#define INIT_NAME_MAX     64u

/* What nexus-init confines a service with (services.conf documents each profile). */
enum init_sandbox {
	INIT_SANDBOX_DEFAULT, /* no_new_privs, Landlock (own state dir), seccomp, close_range */
	INIT_SANDBOX_POLICY,  /* default + the policy directory read-only (policyd) */
	INIT_SANDBOX_NONE,    /* close_range only */
	INIT_SANDBOX_NET,     /* default + IP and netlink sockets (dsoftbusd) */
};

struct init_entry {
	char name[INIT_NAME_MAX + 1];
	char binary[PATH_MAX];
	enum sup_restart restart; /* always, on-failure, never */
	enum init_sandbox sandbox;
	uint32_t uid; /* uid=N; 0: allocated by init (its uid base + table index) */
	uint64_t
	        keep_caps; /* caps=CAP_X,...: 1ull << CAP_X each (the line says why in a comment) */
	uint64_t nofile, nproc;
	char open[NX_INIT_OPEN_MAX][NX_INIT_OPEN_PATH_MAX + 1]; /* open=PATH, fd 6 up */
	unsigned nopen;
};

/* Reads `path` (name binary restart [options]); relative binaries are joined to `bindir`.
 * Options: sandbox=PROFILE uid=N caps=CAP_X,... nofile=N nproc=N open=PATH (repeatable).
 * On error prints
 * "file:line: error: ..." to stderr and returns -EINVAL (or -errno if unreadable); on success
 * the number of entries written to ret_entries (at most INIT_MAX_SERVICES). */
int init_table_load(
        const char *path, const char *bindir, struct init_entry ret_entries[INIT_MAX_SERVICES]);

#endif
