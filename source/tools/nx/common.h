/* SPDX-License-Identifier: MIT */
/*
 * What every `nx` command shares: the session (samgrd, then one resolved service, through
 * libnexus), reporting a failure the way scripts grep it
 * ("nx: <section 9 code>: <sentence>" on stderr, exit status 1), and JSON string escaping.
 */
#ifndef NX_TOOL_COMMON_H
#define NX_TOOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nexus/limits.h" /* IDN_TOKEN_BYTES */
#include "nexus/nexus.h"
#include "nx-abi/loop.h"
#include "nx-rpc/rpc.h"

struct nxt_session {
	bool anonymous;     /* set before opening: do not present the saved session token */
	bool authenticated; /* the saved token was accepted: samgrd sees user:<name> */
	nexus *nx;
	nx_loop *loop;   /* nexus_loop(nx) */
	nx_rpc_cap *svc; /* the resolved service, or samgrd's own capability: view it as its
	                    interface (policy_from_cap(s->svc)) to call it */
};

/* Connects to samgrd and, unless `service` is NULL, resolves it into s->svc. 0, or the failure
 * reported and 1. Close with nxt_session_close() either way. */
int nxt_session_open(struct nxt_session *s, const char *service);
void nxt_session_close(struct nxt_session *s);

/* session.c: the token file of `nx login` (path: session.c). path: 0 or -ENOENT (no
 * variable to place it), -ENAMETOOLONG. load: 0, -ENOENT (not logged in), -EPERM (others may
 * read it, or not the caller's), -EBADMSG. save/forget: 0 or the file's error. authenticate:
 * presents the saved token to samgrd, if any (warns on stderr when it is refused). */
int nxt_session_path(char *buf, size_t size);
int nxt_token_load(uint8_t token[IDN_TOKEN_BYTES]);
int nxt_token_save(const uint8_t token[IDN_TOKEN_BYTES]);
int nxt_token_forget(void);
void nxt_session_authenticate(struct nxt_session *s);
/* Reads a password into buf (size >= IDN_PASSWORD_MAX + 2, so that one byte too many is seen):
 * one line of stdin with from_stdin, else from the terminal without echo after the prompt
 * "<what>: " (twice with `confirm`). 0 with *ret_len; 2 (usage, said on stderr: no terminal,
 * empty, over-long, the two differ) or 1 (reported). The caller wipes buf. */
int nxt_read_password(
        const char *what, bool from_stdin, bool confirm, char *buf, size_t size, size_t *ret_len);

/* The reporting functions are inline so callers (and the analyzer) see that they return 1. */

/* Reports a local failure: "<code>: <what>: <strerror>" for `err`. Returns 1, the exit
 * status. */
static inline int nxt_report(const char *what, int err)
{
	fprintf(stderr, "nx: %s: %s: %s\n", nx_rpc_reason_code(err), what, strerror(-err));
	return 1;
}

/* Reports libnexus's last message for `nx` (NULL: the last failed connect). Returns 1. */
static inline int nxt_report_last(const nexus *nx)
{
	fprintf(stderr, "nx: %s\n", nexus_last_error(nx));
	return 1;
}

/* Reports the failure `err` of a generated blocking call (`call` may be NULL): the reason the
 * call holds, which for invalid input is the server's naming the field ("invalid_argument:
 * subject: empty"), else "<code>: <what>: <strerror>". Returns 1. */
static inline int nxt_report_call(
        struct nxt_session *s, nx_rpc_call *call, int err, const char *what)
{
	(void)nexus_call_failed(s->nx, call, err, what);
	return nxt_report_last(s->nx);
}

/* Prints `s` (len bytes) as a JSON string on stdout: quotes, backslashes and control
 * characters escaped; other bytes as they are. */
void nxt_json_string(const char *s, size_t len);

#endif
