/* SPDX-License-Identifier: MIT */
/* Limits of userspace/exec and of execd, the app supervisor, included by limits.h. The schema
 * (exec.capnp) states the same numbers. Freestanding. */
#ifndef NEXUS_LIMITS_EXEC_H
#define NEXUS_LIMITS_EXEC_H

/* spawn(): arguments after argv[0] and "NAME=value" environment entries: how many, each one's
 * bytes, and all of them together (NUL terminators not counted). Together they fit one control
 * message. */
#define APP_ARGS_MAX       32u
#define APP_ARG_MAX        512u
#define APP_ARGS_BYTES_MAX 2048u
#define APP_ENV_MAX        16u
#define APP_ENV_ENTRY_MAX  512u
#define APP_ENV_BYTES_MAX  1024u

/* Processes execd supervises at once (running or waiting to restart); one uid each. */
#define APP_PROCESSES_MAX 64u

/* Crash reports kept in execd's state dir; a new one removes the oldest. */
#define APP_CRASHES_KEPT 32u

/* Journal records of the crashed app a crash report quotes (its last ones). */
#define APP_REPORT_RECORDS 50u

/* Confinement mechanisms a crash report (and ProcInfo.sandbox) lists. */
#define APP_REPORT_MECHS 16u

/* Largest crash report, text or JSON (bytes). */
#define APP_REPORT_MAX (512u * 1024u)

/* Longest crash report file name, NUL included. */
#define APP_CRASH_NAME_MAX 256u

/* Longest line of an app's stdout or stderr that becomes one journal record; a longer one is
 * cut into records of this size. */
#define APP_LINE_MAX 1024u

/* Output of one process (bytes of its lines) execd holds when the process ended before its
 * journal channel was up (an app that writes and exits at once): a pipe's default capacity,
 * all it can have written. Past it, lines are counted as lost. */
#define APP_HELD_BYTES_MAX 65536u

#endif
