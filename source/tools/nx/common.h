/* SPDX-License-Identifier: MIT */
/*
 * What every `nx` command shares: the session (samgrd, then one resolved service, through
 * libnexus), waiting for a call, reporting a failure the way scripts grep it
 * ("nx: <section 9 code>: <sentence>" on stderr, exit status 1), and JSON string escaping.
 */
#ifndef NX_TOOL_COMMON_H
#define NX_TOOL_COMMON_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nexus/nexus.h"
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"

struct nxt_session {
	nexus *nx;
	nx_loop *loop;   /* nexus_loop(nx) */
	nx_rpc_cap *svc; /* the resolved service, or samgrd's own capability */
};

/* Connects to samgrd and, unless `service` is NULL, resolves it into s->svc. 0, or the failure
 * reported and 1. Close with nxt_session_close() either way. */
int nxt_session_open(struct nxt_session *s, const char *service);
void nxt_session_close(struct nxt_session *s);

/* The reporting functions are inline so callers (and the analyzer) see that they return 1. */

/* Reports a failure: the peer's reason when `res` has one, else "<code>: <what>: <strerror>"
 * for `err`. Returns 1, the exit status. */
static inline int nxt_report(const char *what, int err, const nx_rpc_result *res)
{
	if (res && res->reason && *res->reason)
		fprintf(stderr, "nx: %s\n", res->reason);
	else
		fprintf(stderr, "nx: %s: %s: %s\n", nx_rpc_reason_code(err), what, strerror(-err));
	return 1;
}

/* Reports libnexus's last message for `nx` (NULL: the last failed connect). Returns 1. */
static inline int nxt_report_last(const nexus *nx)
{
	fprintf(stderr, "nx: %s\n", nexus_last_error(nx));
	return 1;
}

/* Sends `call` and waits for it with libnexus's deadline: 0 with *ret set, or reported and 1. */
static inline int nxt_call_wait(
        struct nxt_session *s, nx_rpc_call *call, const char *what, const nx_rpc_result **ret)
{
	return nexus_call_wait(s->nx, call, what, ret) < 0 ? nxt_report_last(s->nx) : 0;
}

/* Prints `s` (len bytes) as a JSON string on stdout: quotes, backslashes and control
 * characters escaped; other bytes as they are. */
void nxt_json_string(const char *s, size_t len);

#endif
