/* SPDX-License-Identifier: MIT */
#include "log-print.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "nx-log/log.h"

/* The longest escaped text: every byte of the longest message as \xNN, quotes, NUL. */
#define ESCAPED_MAX (4u * LOG_MESSAGE_MAX_LEN + 3u)

static const char *const format_names[NXT_LOG_FORMAT_COUNT] = {
        [NXT_LOG_SHORT] = "short",
        [NXT_LOG_SHORT_ISO] = "short-iso",
        [NXT_LOG_VERBOSE] = "verbose",
        [NXT_LOG_CAT] = "cat",
        [NXT_LOG_JSON] = "json",
        [NXT_LOG_JSON_PRETTY] = "json-pretty",
};

const char nxt_log_format_names[] = "short short-iso verbose cat json json-pretty";

int nxt_log_format_parse(const char *name, enum nxt_log_format *ret)
{
	for (int f = 0; f < NXT_LOG_FORMAT_COUNT; f++)
		if (strcmp(name, format_names[f]) == 0) {
			*ret = (enum nxt_log_format)f;
			return 0;
		}
	return -EINVAL;
}

/* A record as plain C views (texts are len-counted: they may hold any byte). */
struct rec {
	uint64_t id, realtime_ns, monotonic_ns, call_realtime_ns;
	const char *level;
	log_level level_value;
	const char *subject, *scope, *message;
	size_t subject_len, scope_len, message_len;
	nx_capnp_list fields;
};

static void rec_read(log_record r, struct rec *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->id = log_record_get_id(r);
	ret->realtime_ns = log_record_get_realtime_ns(r);
	ret->monotonic_ns = log_record_get_monotonic_ns(r);
	ret->call_realtime_ns = log_record_get_call_realtime_ns(r);
	ret->level_value = log_record_get_level(r);
	ret->level = log_level_name(ret->level_value);
	if (!ret->level)
		ret->level = "?";
	/* Answers are validated: these read. */
	(void)log_record_get_subject(r, &ret->subject, &ret->subject_len);
	(void)log_record_get_scope(r, &ret->scope, &ret->scope_len);
	(void)log_record_get_message(r, &ret->message, &ret->message_len);
	if (log_record_get_fields(r, &ret->fields) < 0)
		ret->fields.count = 0;
}

/* When it happened: the time of the log call when the client said, else logd's receipt. */
static uint64_t rec_time(const struct rec *r)
{
	return r->call_realtime_ns ? r->call_realtime_ns : r->realtime_ns;
}

static void put_text(const char *s, size_t len)
{
	static char buf[ESCAPED_MAX];

	(void)nx_log_escape_text(buf, sizeof(buf), s, len);
	fputs(buf, stdout);
}

static void put_value(const char *s, size_t len)
{
	static char buf[ESCAPED_MAX];

	(void)nx_log_escape_value(buf, sizeof(buf), s, len);
	fputs(buf, stdout);
}

static void field_at(
        const struct rec *r, uint32_t i, const char **k, size_t *klen, const char **v, size_t *vlen)
{
	log_field f = log_field_at(&r->fields, i);

	*k = *v = "";
	*klen = *vlen = 0;
	(void)log_field_get_key(f, k, klen);
	(void)log_field_get_value(f, v, vlen);
}

/* "2026-12-03T11:49:44.123456+00:00" (iso) or "Dec 03 11:49:44" in local time. */
static void put_time(uint64_t ns, bool iso)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	char buf[48] = "?", zone[8] = "";

	if (!localtime_r(&sec, &tm)) {
		fputs("?", stdout);
		return;
	}
	if (!iso) {
		strftime(buf, sizeof(buf), "%b %d %H:%M:%S", &tm);
		fputs(buf, stdout);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +0000 -> +00:00 (ISO 8601) */
	printf("%s.%06u%.3s:%.2s", buf, (unsigned)(ns / 1000u % 1000000u), zone, zone + 3);
}

static const char *colour_of(log_level level)
{
	if (level >= LOG_LEVEL_ERROR)
		return "\033[1;31m"; /* bold red: error and worse */
	if (level == LOG_LEVEL_WARN)
		return "\033[1;33m";
	if (level == LOG_LEVEL_NOTICE)
		return "\033[1m";
	if (level == LOG_LEVEL_DEBUG)
		return "\033[2m";
	return NULL;
}

static void print_short(const struct rec *r, bool iso, bool colour)
{
	const char *on = colour ? colour_of(r->level_value) : NULL;

	put_time(rec_time(r), iso);
	putchar(' ');
	put_text(r->subject, r->subject_len);
	printf(" %s%s ", on ? on : "", r->level);
	if (r->scope_len) {
		put_text(r->scope, r->scope_len);
		fputs(": ", stdout);
	}
	put_text(r->message, r->message_len);
	if (on)
		fputs("\033[0m", stdout);
	for (uint32_t i = 0; i < r->fields.count; i++) {
		const char *k, *v;
		size_t klen, vlen;

		field_at(r, i, &k, &klen, &v, &vlen);
		putchar(' ');
		put_text(k, klen);
		putchar('=');
		put_value(v, vlen);
	}
	putchar('\n');
}

static void print_verbose(const struct rec *r)
{
	put_time(rec_time(r), true);
	printf(" [id=%" PRIu64 "]\n", r->id);
	printf("    ID=%" PRIu64 "\n    REALTIME_NS=%" PRIu64 "\n    CALL_REALTIME_NS=%" PRIu64
	       "\n    MONOTONIC_NS=%" PRIu64 "\n    LEVEL=%s\n    SUBJECT=",
	        r->id, r->realtime_ns, r->call_realtime_ns, r->monotonic_ns, r->level);
	put_value(r->subject, r->subject_len);
	fputs("\n    SCOPE=", stdout);
	put_value(r->scope, r->scope_len);
	fputs("\n    MESSAGE=", stdout);
	put_value(r->message, r->message_len);
	putchar('\n');
	for (uint32_t i = 0; i < r->fields.count; i++) {
		const char *k, *v;
		size_t klen, vlen;

		field_at(r, i, &k, &klen, &v, &vlen);
		fputs("    ", stdout);
		put_text(k, klen);
		putchar('=');
		put_value(v, vlen);
		putchar('\n');
	}
}

/* One object; `nl` and `ind` make json-pretty's lines and indentation. */
static void print_json(const struct rec *r, bool pretty)
{
	const char *nl = pretty ? "\n" : "", *ind = pretty ? "  " : "", *sp = pretty ? " " : "";

	printf("{%s%s\"id\":%s%" PRIu64 ",%s%s\"time\":%s\"", nl, ind, sp, r->id, nl, ind, sp);
	put_time(rec_time(r), true);
	printf("\",%s%s\"realtime_ns\":%s%" PRIu64 ",%s%s\"call_realtime_ns\":%s%" PRIu64
	       ",%s%s\"monotonic_ns\":%s%" PRIu64 ",%s%s\"level\":%s\"%s\",%s%s\"subject\":%s",
	        nl, ind, sp, r->realtime_ns, nl, ind, sp, r->call_realtime_ns, nl, ind, sp,
	        r->monotonic_ns, nl, ind, sp, r->level, nl, ind, sp);
	nxt_json_string(r->subject, r->subject_len);
	printf(",%s%s\"scope\":%s", nl, ind, sp);
	nxt_json_string(r->scope, r->scope_len);
	printf(",%s%s\"message\":%s", nl, ind, sp);
	nxt_json_string(r->message, r->message_len);
	printf(",%s%s\"fields\":%s{", nl, ind, sp);
	for (uint32_t i = 0; i < r->fields.count; i++) {
		const char *k, *v;
		size_t klen, vlen;

		field_at(r, i, &k, &klen, &v, &vlen);
		printf("%s%s%s%s", i ? "," : "", nl, ind, ind);
		nxt_json_string(k, klen);
		printf(":%s", sp);
		nxt_json_string(v, vlen);
	}
	printf("%s%s}%s}\n", r->fields.count ? nl : "", r->fields.count ? ind : "", nl);
}

void nxt_log_print(log_record rec, enum nxt_log_format format, bool colour)
{
	struct rec r;

	rec_read(rec, &r);
	switch (format) {
	case NXT_LOG_SHORT:
	case NXT_LOG_SHORT_ISO:
		print_short(&r, format == NXT_LOG_SHORT_ISO, colour);
		break;
	case NXT_LOG_VERBOSE:
		print_verbose(&r);
		break;
	case NXT_LOG_CAT:
		put_text(r.message, r.message_len);
		putchar('\n');
		break;
	case NXT_LOG_JSON:
	case NXT_LOG_JSON_PRETTY:
	default:
		print_json(&r, format == NXT_LOG_JSON_PRETTY);
		break;
	}
}
