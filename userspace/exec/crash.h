/* SPDX-License-Identifier: MIT */
/*
 * exec crash: a crash report (as Android's tombstones, without the ptrace): what ended, how,
 * under which confinement, and what the app logged last; its text and JSON forms; and the
 * names of the files execd keeps them in (bounded: the oldest go first). Pure.
 *
 * File names carry the summary, so listing the directory is enough to answer crashes():
 *   <id>-<pid>-<code>-<signal>-<time ns>-<version>-<bundle>.<txt|json>
 * (bundle ids are [a-z0-9_.], so the name needs no escaping).
 */
#ifndef EXEC_CRASH_H
#define EXEC_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h"

/* One journal record of the app, as quoted. Borrowed. */
struct app_record {
	uint64_t realtime_ns;
	const char *level;   /* "info", ... */
	const char *message; /* at most APP_LINE_MAX bytes are quoted */
};

/* One confinement mechanism and its status ("landlock", "applied"). Borrowed. */
struct app_mech {
	const char *name;
	const char *status;
};

/* What crashes() lists. */
struct app_crash_summary {
	uint64_t id;
	uint32_t pid;
	int32_t code;    /* exit code, 0 when a signal ended it */
	uint32_t signal; /* 0 when it exited */
	uint64_t time_ns;
	uint64_t version;
	char bundle[BND_ID_MAX + 1];
};

struct app_crash {
	struct app_crash_summary summary;
	uint64_t process;  /* execd's id of the process */
	unsigned restarts; /* runs before this one */
	const char *next;  /* what execd does next: "restart in 200 ms", "stays down" */
	const struct app_mech *sandbox;
	size_t nsandbox;                  /* at most APP_REPORT_MECHS */
	const struct app_record *records; /* oldest first */
	size_t nrecords;                  /* at most APP_REPORT_RECORDS */
};

/* Why there is no stack trace in a report (said in every report). */
#define APP_CRASH_STACK_NOTE                                                                    \
	"not collected: execd does not ptrace confined apps and they dump no core; the signal " \
	"and the app's last journal records stand in for it"

/* Writes the report as text (`json` false) or one JSON object into buf[0..size) with a
 * terminating NUL; *ret_len is its length without the NUL. A report of valid bounds always
 * fits in APP_REPORT_MAX bytes. -EINVAL: bounds exceeded (records, mechanisms, a missing
 * text); -ENOBUFS: `size` too small (buf then holds a cut, NUL-terminated prefix). */
int app_crash_format(const struct app_crash *c, bool json, char *buf, size_t size, size_t *ret_len);

/* The file name of a report's text or JSON form (APP_CRASH_NAME_MAX bytes, NUL included).
 * -EINVAL: a bundle id that cannot be named. */
int app_crash_name(const struct app_crash_summary *s, bool json, char name[APP_CRASH_NAME_MAX]);

/* Parses a name app_crash_name made. 0 and *ret set (and *ret_json), or -EINVAL for anything
 * else (foreign files are not reports). */
int app_crash_parse_name(const char *name, struct app_crash_summary *ret, bool *ret_json);

/* With `kept` reports on disk, how many of the oldest to remove before writing one more, so
 * that at most APP_CRASHES_KEPT remain. */
size_t app_crash_evict(size_t kept);

/* "SEGV" for SIGSEGV ..., "<n>" for one without a name (buf of 12 bytes). */
const char *app_signal_name(uint32_t signal, char buf[12]);

#endif
