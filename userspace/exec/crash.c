/* SPDX-License-Identifier: MIT */
/* exec crash (crash.h): report forms and report file names. */
#include "crash.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A bounded writer: once something did not fit, later writes are dropped and
 * `over` stays. */
struct out {
	char *buf;
	size_t size, len;
	bool over;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	if (!o->over)
		/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
		n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (o->over)
		return;
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->over = true;
		o->buf[o->size - 1] = '\0';
		return;
	}
	o->len += (size_t)n;
}

/* A JSON string (quotes included): control bytes and quotes escaped, at most
 * `max` bytes of `s` (bytes >= 0x80 pass through: messages are UTF-8 as logd
 * stored them). */
static void put_json(struct out *o, const char *s, size_t max)
{
	put(o, "\"");
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c < 0x20 || c == 0x7f)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

/* Realtime ns as 2026-12-03T14:40:01.123Z (UTC). */
static void put_time(struct out *o, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;
	char when[32];

	if (!gmtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm)) {
		put(o, "%" PRIu64 "ns", ns);
		return;
	}
	put(o, "%s.%03uZ", when, (unsigned)(ns / 1000000u % 1000u));
}

const char *app_signal_name(uint32_t signal, char buf[12])
{
	const char *name = signal < 128 ? sigabbrev_np((int)signal) : NULL;

	if (name)
		return name;
	(void)snprintf(buf, 12, "%" PRIu32, signal);
	return buf;
}

static void format_text(const struct app_crash *c, struct out *o)
{
	const struct app_crash_summary *s = &c->summary;
	char sig[12];

	put(o, "crash report %" PRIu64 "\n", s->id);
	put(o, "bundle:    %s version %" PRIu64 "\n", s->bundle, s->version);
	put(o, "process:   %" PRIu64 " (pid %" PRIu32 "), %u restarts before\n", c->process, s->pid,
	        c->restarts);
	if (s->signal)
		put(o, "ended:     signal %" PRIu32 " (SIG%s)\n", s->signal,
		        app_signal_name(s->signal, sig));
	else
		put(o, "ended:     exit code %" PRId32 "\n", s->code);
	put(o, "time:      ");
	put_time(o, s->time_ns);
	put(o, "\nnext:      %s\nsandbox:  ", c->next);
	for (size_t i = 0; i < c->nsandbox; i++)
		put(o, " %s=%s", c->sandbox[i].name, c->sandbox[i].status);
	put(o, "\nstack:     %s\n", APP_CRASH_STACK_NOTE);
	put(o, "journal:   the last %zu records of app:%s\n", c->nrecords, s->bundle);
	for (size_t i = 0; i < c->nrecords; i++) {
		put(o, "  ");
		put_time(o, c->records[i].realtime_ns);
		put(o, " %-7s %.*s\n", c->records[i].level, (int)APP_LINE_MAX,
		        c->records[i].message);
	}
}

static void format_json(const struct app_crash *c, struct out *o)
{
	const struct app_crash_summary *s = &c->summary;
	char sig[12];

	put(o, "{\"id\":%" PRIu64 ",\"process\":%" PRIu64 ",\"bundle\":", s->id, c->process);
	put_json(o, s->bundle, BND_ID_MAX);
	put(o,
	        ",\"version\":%" PRIu64 ",\"pid\":%" PRIu32 ",\"code\":%" PRId32
	        ",\"signal\":%" PRIu32 ",\"signal_name\":",
	        s->version, s->pid, s->code, s->signal);
	if (s->signal)
		put(o, "\"SIG%s\"", app_signal_name(s->signal, sig));
	else
		put(o, "null");
	put(o, ",\"time_ns\":%" PRIu64 ",\"restarts\":%u,\"next\":", s->time_ns, c->restarts);
	put_json(o, c->next, APP_LINE_MAX);
	put(o, ",\"sandbox\":{");
	for (size_t i = 0; i < c->nsandbox; i++) {
		put(o, i ? "," : "");
		put_json(o, c->sandbox[i].name, 64);
		put(o, ":");
		put_json(o, c->sandbox[i].status, 64);
	}
	put(o, "},\"stack\":null,\"stack_note\":");
	put_json(o, APP_CRASH_STACK_NOTE, sizeof(APP_CRASH_STACK_NOTE));
	put(o, ",\"records\":[");
	for (size_t i = 0; i < c->nrecords; i++) {
		put(o, "%s{\"realtime_ns\":%" PRIu64 ",\"level\":", i ? "," : "",
		        c->records[i].realtime_ns);
		put_json(o, c->records[i].level, 16);
		put(o, ",\"message\":");
		put_json(o, c->records[i].message, APP_LINE_MAX);
		put(o, "}");
	}
	put(o, "]}\n");
}

int app_crash_format(const struct app_crash *c, bool json, char *buf, size_t size, size_t *ret_len)
{
	struct out o = {buf, size, 0, false};

	if (!c || !buf || !size || !ret_len || !c->next || c->nrecords > APP_REPORT_RECORDS ||
	        c->nsandbox > APP_REPORT_MECHS || (c->nrecords && !c->records) ||
	        (c->nsandbox && !c->sandbox))
		return -EINVAL;
	for (size_t i = 0; i < c->nrecords; i++)
		if (!c->records[i].level || !c->records[i].message)
			return -EINVAL;
	for (size_t i = 0; i < c->nsandbox; i++)
		if (!c->sandbox[i].name || !c->sandbox[i].status)
			return -EINVAL;
	buf[0] = '\0';
	if (json)
		format_json(c, &o);
	else
		format_text(c, &o);
	if (o.over)
		return -ENOBUFS;
	*ret_len = o.len;
	return 0;
}

static bool bundle_nameable(const char *b)
{
	size_t n = strnlen(b, BND_ID_MAX + 1);

	if (n == 0 || n > BND_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '_' ||
		            b[i] == '.'))
			return false;
	return true;
}

#define NAME_FMT "%" PRIu64 "-%" PRIu32 "-%" PRId32 "-%" PRIu32 "-%" PRIu64 "-%" PRIu64 "-"

int app_crash_name(const struct app_crash_summary *s, bool json, char name[APP_CRASH_NAME_MAX])
{
	int n;

	if (!s || !name || !bundle_nameable(s->bundle))
		return -EINVAL;
	n = snprintf(name, APP_CRASH_NAME_MAX, NAME_FMT "%s.%s", s->id, s->pid, s->code, s->signal,
	        s->time_ns, s->version, s->bundle, json ? "json" : "txt");
	return n > 0 && n < (int)APP_CRASH_NAME_MAX ? 0 : -EINVAL;
}

/* One decimal field of a name followed by '-': its value in *ret, *p moved past
 * the '-'. */
static bool name_field(const char **p, bool is_signed, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	char *end;
	unsigned long long v;

	if (is_signed && *s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '-' || v > max)
		return false;
	*ret = is_signed && **p == '-' ? (uint64_t) - (int64_t)v : (uint64_t)v;
	*p = end + 1;
	return true;
}

int app_crash_parse_name(const char *name, struct app_crash_summary *ret, bool *ret_json)
{
	struct app_crash_summary s = {0};
	char check[APP_CRASH_NAME_MAX];
	uint64_t v[6];
	const char *p = name, *dot;
	size_t blen;
	bool json;

	if (!name || !ret || !ret_json)
		return -EINVAL;
	if (!name_field(&p, false, UINT64_MAX, &v[0]) ||
	        !name_field(&p, false, UINT32_MAX, &v[1]) ||
	        !name_field(&p, true, (uint64_t)INT32_MAX + 1, &v[2]) ||
	        !name_field(&p, false, UINT32_MAX, &v[3]) ||
	        !name_field(&p, false, UINT64_MAX, &v[4]) ||
	        !name_field(&p, false, UINT64_MAX, &v[5]))
		return -EINVAL;
	s.id = v[0];
	s.pid = (uint32_t)v[1];
	s.code = (int32_t)(uint32_t)v[2];
	s.signal = (uint32_t)v[3];
	s.time_ns = v[4];
	s.version = v[5];
	dot = strrchr(p, '.');
	if (!dot || (strcmp(dot, ".json") != 0 && strcmp(dot, ".txt") != 0))
		return -EINVAL;
	json = strcmp(dot, ".json") == 0;
	blen = (size_t)(dot - p);
	if (blen == 0 || blen > BND_ID_MAX)
		return -EINVAL;
	memcpy(s.bundle, p, blen);
	s.bundle[blen] = '\0';
	/* Only the exact name app_crash_name would make (no signs, leading zeros,
   * spaces). */
	if (app_crash_name(&s, json, check) < 0 || strcmp(check, name) != 0)
		return -EINVAL;
	*ret = s;
	*ret_json = json;
	return 0;
}

size_t app_crash_evict(size_t kept)
{
	return kept >= APP_CRASHES_KEPT ? kept - APP_CRASHES_KEPT + 1 : 0;
}
