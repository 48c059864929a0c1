/* SPDX-License-Identifier: MIT */
/*
 * How `nx log` prints a record, in journalctl's output formats (-o). Texts are escaped as the
 * daemons' console escapes them (nx-log's nx_log_escape_text/_value: control bytes as \xNN,
 * values quoted when they hold a space, quote, backslash, '=' or control byte), so no raw
 * control byte from a record ever reaches the terminal; json formats escape as JSON.
 */
#ifndef NX_TOOL_LOG_PRINT_H
#define NX_TOOL_LOG_PRINT_H

#include <stdbool.h>

#include "log.capnp.h"

enum nxt_log_format {
	NXT_LOG_SHORT,       /* "Dec 03 11:49:44 svc:logd info scope: message key=value" */
	NXT_LOG_SHORT_ISO,   /* the same with "2026-12-03T11:49:44.123+00:00" */
	NXT_LOG_VERBOSE,     /* a header line, then every field of the record on its own line */
	NXT_LOG_CAT,         /* the message alone */
	NXT_LOG_JSON,        /* one JSON object per line */
	NXT_LOG_JSON_PRETTY, /* the same object, indented */
	NXT_LOG_FORMAT_COUNT
};

/* "short" ... "json-pretty" into *ret: 0, or -EINVAL for an unknown name. */
int nxt_log_format_parse(const char *name, enum nxt_log_format *ret);

/* The names, space-separated (help and errors). */
extern const char nxt_log_format_names[];

/* Prints one record on stdout in `format`; `colour`: ANSI colours by level (terminals). */
void nxt_log_print(log_record rec, enum nxt_log_format format, bool colour);

#endif
