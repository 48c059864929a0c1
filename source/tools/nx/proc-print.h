/* SPDX-License-Identifier: MIT */
/*
 * What `nx run`, `nx ps`, `nx kill` and `nx crash` share about execd (exec.capnp): a process's
 * info as a table row or a JSON object, its sandbox as `nx status` shows a service's, how a run
 * ended, signal names, and finding a process by its pid.
 */
#ifndef NX_TOOL_PROC_PRINT_H
#define NX_TOOL_PROC_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "exec.capnp.h"

/* The name execd is registered under. */
#define NXT_EXECD_NAME "execd"

/* The header and one row of the process table (nx ps); `now` is the realtime in ns. */
void nxt_proc_print_header(void);
void nxt_proc_print_row(exec_proc_info info, uint64_t now);

/* One process as a JSON object (no newline). */
void nxt_proc_print_json(exec_proc_info info, uint64_t now);

/* How the latest run ended, for people: "exited 3", "killed by SIGSEGV", "running". */
void nxt_proc_format_end(exec_proc_info info, char *buf, size_t size);

/* The exit status `nx run --wait` gives for a process that ended for good: its exit code, or
 * 128 + the signal that ended it (as a shell does). */
int nxt_proc_exit_status(exec_proc_info info);

/* "SEGV" (without "SIG") for a signal number, "?" for one glibc does not name. */
const char *nxt_signal_name(unsigned sig);

/* A signal by number ("9") or name ("KILL", "SIGKILL", any case): 0 with *ret, or -EINVAL. */
int nxt_signal_parse(const char *text, unsigned *ret);

/* Walks execd's process list page by page until `pid` is found: 0 with its execd id in
 * *ret_id; else the failure reported (no process of execd's has that pid now: not_found) and
 * 1. */
int nxt_proc_find_pid(struct nxt_session *s, uint32_t pid, uint64_t *ret_id);

#endif
