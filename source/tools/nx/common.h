/* SPDX-License-Identifier: MIT */
/*
 * What every `nx` command shares: the session (samgrd, then one resolved service, through
 * libnexus), reporting a failure the way scripts grep it ("nx: <section 9 code>: <sentence>"
 * on stderr, exit status 1), usage errors that name the culprit in one line plus a hint
 * (exit 2), help on --help (exit 0), sub-command tables, and JSON string escaping.
 *
 * Exit codes of every command: 0 success, 1 the system refused or failed, 2 usage.
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

/* Exit codes besides 1, which the reporting functions below return. */
#define NXT_EXIT_OK    0
#define NXT_EXIT_USAGE 2
/* Where a system's runtime dir is looked for when $NEXUS_RUNTIME_DIR is unset, after
 * ./.nexus/run in the current directory and its parents (`make run` from a checkout). */
#define NXT_SYSTEM_RUNTIME_DIR "/run/nexus"

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

/* `nx --peer DEVICE`: from now on nxt_resolve() reaches the services of DEVICE, a paired
 * device, through the local dsoftbusd (Bus.open) instead of samgrd. 0, or -EINVAL when device
 * is not a device id. */
int nxt_set_peer(const char *device);

/* Resolves `service` through the session into *ret (on the --peer device if one was set). 0, or the failure reported and 1; a
 * refusal by policy is followed by the rule that decided it (asked of policyd). */
int nxt_resolve(struct nxt_session *s, const char *service, nx_rpc_cap **ret);

/* Finds the runtime dir when $NEXUS_RUNTIME_DIR is unset and there is one obvious choice
 * (a samgr.sock or status file in ./.nexus/run of this directory or a parent, else in
 * NXT_SYSTEM_RUNTIME_DIR) and exports it. 0 when the variable is set afterwards; -ENOENT when
 * nothing was found (then *ret_looked, if not NULL, says where it looked: static storage). */
int nxt_runtime_dir_find(const char **ret_looked);

/* Says where it looked for a running system and how to point nx at one; returns 1. */
int nxt_report_no_system(void);

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

/* ---- Usage and help ---- */

/* True for "--help" and "-h". */
bool nxt_is_help(const char *arg);

/* True when an argument before a "--" asks for help: the command prints its help instead. */
bool nxt_wants_help(int argc, char **argv);

/* Prints "nx <cmd>: <message>" and "Try 'nx <cmd> --help'." on stderr; returns 2, the usage
 * exit status. `cmd` is the command path ("log query"). */
int nxt_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A number option: 0 with *ret, or the usage error naming `opt` and `text` (returns 2).
 * Decimal, at least `min`, at most `max`. */
int nxt_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t min, uint64_t max,
        uint64_t *ret);

/* The usage error for what getopt_long() refused at argv[optind - 1] (an unknown option or a
 * missing value); returns 2. Call with getopt's return value `c` ('?' or ':'). */
int nxt_getopt_error(const char *cmd, char **argv, int c);

/* One sub-command of a command ("log query"): its argument synopsis, one-line summary, the
 * rest of its help (options; may be ""), its options for completion ("-n --since ..."), and
 * what runs it (argv[0] is the sub-command's name; --help never reaches it). */
struct nxt_sub {
	const char *name;
	const char *synopsis;
	const char *summary;
	const char *help;
	const char *options;
	int (*run)(int argc, char **argv);
};

/* A command made of sub-commands ("nx log"): its name, one-line description, text after the
 * list (may be ""), and the table. */
struct nxt_group {
	const char *name;
	const char *about;
	const char *footer;
	const struct nxt_sub *subs;
	size_t n_subs;
};

/* Runs argv[1] of `g` (argv[0] is the command's name): its help on --help anywhere before
 * "--" (exit 0), the group's help on `nx CMD --help`, a usage error naming an unknown or
 * missing sub-command (exit 2). Returns the exit status. */
int nxt_group_run(const struct nxt_group *g, int argc, char **argv);

/* Prints the words bash may complete after "nx <g->name>" followed by `argv` (argc 0: the
 * sub-commands; else the options of sub-command argv[0]). */
void nxt_group_complete(const struct nxt_group *g, int argc, char **argv);

/* Prints `s` (len bytes) as a JSON string on stdout: quotes, backslashes and control
 * characters escaped; other bytes as they are. */
void nxt_json_string(const char *s, size_t len);

/* "1h02m", "3m07s", "12s": an uptime of `ns` at a glance. */
void nxt_format_uptime(uint64_t ns, char *buf, size_t size);

/* A realtime `ns` as local "2026-12-03T14:30:00"; "-" for 0 (never started). */
void nxt_format_started(uint64_t ns, char *buf, size_t size);

#endif
