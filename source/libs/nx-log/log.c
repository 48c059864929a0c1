/* SPDX-License-Identifier: MIT */
/* nx-log: the process-wide logging facade. See log.h and README.md. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/clock.h"
#include "nx-log/log.h"

_Static_assert(NX_LOG_FIELDS_MAX >= 1, "the dropped-fields field needs a slot");
_Static_assert(sizeof(NX_LOG_TRUNC_MARKER) - 1 < NX_LOG_SCOPE_MAX, "marker fits every text");
_Static_assert(sizeof(NX_LOG_DROPPED_FIELDS_KEY) - 1 <= NX_LOG_KEY_MAX, "key within limit");

/* Worst console line: every text at its limit and every byte escaped as \xNN (4 bytes),
 * values quoted. Derived from the limits so a line is never cut. */
#define ESC(n) (4u * (n))
#define LINE_MAX_BYTES                                                                       \
	(NX_LOG_NAME_MAX + 2 + 6 + 1 + ESC(NX_LOG_SCOPE_MAX) + 2 + ESC(NX_LOG_MESSAGE_MAX) + \
	        NX_LOG_FIELDS_MAX * (1 + NX_LOG_KEY_MAX + 1 + 2 + ESC(NX_LOG_VALUE_MAX)) + 1)

/* A queued record: its texts follow the header, NUL-terminated, in the order scope, message,
 * then key, value per field. Kept in a singly linked FIFO. */
struct qrec {
	struct qrec *next;
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	enum nx_log_level level;
	size_t n_fields;
	size_t size; /* what it counts against NX_LOG_QUEUE_BYTES */
	char data[];
};

/* One record after normalisation to the journal's limits, before it is printed and queued. */
struct clean {
	enum nx_log_level level;
	uint64_t realtime_ns;
	uint64_t monotonic_ns;
	char scope[NX_LOG_SCOPE_MAX + 1];
	char message[NX_LOG_MESSAGE_MAX + 1];
	size_t n_fields;
	char keys[NX_LOG_FIELDS_MAX][NX_LOG_KEY_MAX + 1];
	char values[NX_LOG_FIELDS_MAX][NX_LOG_VALUE_MAX + 1];
};

struct logger {
	char name[NX_LOG_NAME_MAX + 1];
	int console_fd;
	enum nx_log_level min_level;
	const struct nx_log_sink *sink;
	void *sink_ctx;
	/* Set while the sink's send runs: the batch points into the queue, so nothing may be
	 * evicted or flushed until it returns. */
	bool in_sink;
	struct qrec *head;
	struct qrec *tail;
	struct nx_log_stats st;
	/* Scratch space, static because the logger is single-threaded and these are large. */
	struct clean rec;
	char fmt[NX_LOG_MESSAGE_MAX + 2]; /* one byte over the limit tells truncation apart */
	char line[LINE_MAX_BYTES];
	struct nx_log_record batch[NX_LOG_SINK_BATCH + 1];
	char drop_msg[80];
	char drop_num[24];
	char lost_num[24];
};

static struct logger L = {
        .name = "?",
        .console_fd = STDOUT_FILENO,
        .min_level = NX_LOG_LEVEL_DEFAULT,
};

static const char *const level_names[NX_LOG_LEVEL_COUNT] = {
        "debug",
        "info",
        "notice",
        "warn",
        "error",
        "crit",
        "alert",
        "emerg",
};

NX_LOG_EXPORT const char *nx_log_level_name(enum nx_log_level level)
{
	if ((unsigned)level >= NX_LOG_LEVEL_COUNT)
		return NULL;
	return level_names[level];
}

NX_LOG_EXPORT int nx_log_level_parse(const char *name, enum nx_log_level *ret_level)
{
	unsigned i;

	if (!name || !ret_level)
		return -EINVAL;
	for (i = 0; i < NX_LOG_LEVEL_COUNT; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*ret_level = (enum nx_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* ---- Normalisation to the journal's limits. */

/* Copies src into dst (max + 1 bytes). Over max: cut so that the cut text plus the marker
 * fit max, backing off to a UTF-8 character boundary so the cut never splits a character. */
static void copy_text(char *dst, const char *src, size_t max)
{
	size_t len, cut, mlen = sizeof(NX_LOG_TRUNC_MARKER) - 1;

	if (!src)
		src = "";
	len = strnlen(src, max + 1);
	if (len <= max) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	cut = max - mlen;
	while (cut > 0 && ((unsigned char)src[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(dst, src, cut);
	memcpy(dst + cut, NX_LOG_TRUNC_MARKER, mlen + 1);
	L.st.truncated++;
}

static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* The journal refuses a record whose key is empty or has a character outside
 * [A-Za-z0-9_.-]; we never refuse, so such keys are repaired ('_' for each bad byte) and cut
 * at the limit (a marker would not be a valid key). */
static void copy_key(char *dst, const char *src)
{
	size_t i;

	if (!src || !*src)
		src = "_";
	for (i = 0; i < NX_LOG_KEY_MAX && src[i]; i++)
		dst[i] = key_char((unsigned char)src[i]) ? src[i] : '_';
	dst[i] = '\0';
}

static enum nx_log_level level_fix(enum nx_log_level level)
{
	return (unsigned)level < NX_LOG_LEVEL_COUNT ? level : NX_LOG_ERROR;
}

static void clean_fill(struct clean *c, enum nx_log_level level, const char *scope,
        const char *message, const struct nx_log_field *fields, size_t n_fields)
{
	size_t i, keep = n_fields;

	c->level = level_fix(level);
	c->realtime_ns = nx_clock_realtime_ns();
	c->monotonic_ns = nx_clock_monotonic_ns();
	copy_text(c->scope, scope, NX_LOG_SCOPE_MAX);
	copy_text(c->message, message, NX_LOG_MESSAGE_MAX);
	if (!fields)
		keep = n_fields = 0;
	if (n_fields > NX_LOG_FIELDS_MAX)
		keep = NX_LOG_FIELDS_MAX - 1;
	for (i = 0; fields && i < keep; i++) {
		copy_key(c->keys[i], fields[i].key);
		copy_text(c->values[i], fields[i].value, NX_LOG_VALUE_MAX);
	}
	if (keep < n_fields) {
		L.st.fields_dropped += n_fields - keep;
		copy_key(c->keys[keep], NX_LOG_DROPPED_FIELDS_KEY);
		snprintf(c->values[keep], sizeof(c->values[keep]), "%zu", n_fields - keep);
		keep++;
	}
	c->n_fields = keep;
}

/* ---- Console. */

struct out {
	char *p;
	size_t len;
	size_t cap;
	size_t need; /* what the whole text takes, written or not */
};

static void out_byte(struct out *o, char ch)
{
	/* The console's buffer is sized for the worst case; this only guards the invariant. */
	o->need++;
	if (o->len + 1 < o->cap)
		o->p[o->len++] = ch;
}

static void out_str(struct out *o, const char *s)
{
	while (*s)
		out_byte(o, *s++);
}

static void out_hex(struct out *o, unsigned char ch)
{
	static const char hex[] = "0123456789abcdef";

	out_byte(o, '\\');
	out_byte(o, 'x');
	out_byte(o, hex[ch >> 4]);
	out_byte(o, hex[ch & 15]);
}

/* Messages and scopes: control characters become \xNN so a record is always one line. */
static void out_text_n(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (is_ctl((unsigned char)s[i]))
			out_hex(o, (unsigned char)s[i]);
		else
			out_byte(o, s[i]);
	}
}

static void out_text(struct out *o, const char *s)
{
	out_text_n(o, s, strlen(s));
}

/* Values: bare when that is unambiguous, else in double quotes with \" \\ and \xNN. */
static void out_value_n(struct out *o, const char *s, size_t len)
{
	bool quote = len == 0;

	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ' ' || s[i] == '"' || s[i] == '\\' || s[i] == '=' ||
		        is_ctl((unsigned char)s[i]);
	if (!quote) {
		out_text_n(o, s, len); /* no control byte in it: as it is */
		return;
	}
	out_byte(o, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out_byte(o, '\\');
			out_byte(o, s[i]);
		} else if (is_ctl((unsigned char)s[i])) {
			out_hex(o, (unsigned char)s[i]);
		} else {
			out_byte(o, s[i]);
		}
	}
	out_byte(o, '"');
}

static void out_value(struct out *o, const char *s)
{
	out_value_n(o, s, strlen(s));
}

/* The console's escaping for other programs (nx log): NUL-terminated into dst, as snprintf. */
static size_t escape_into(char *dst, size_t cap, const char *s, size_t len,
        void (*out)(struct out *o, const char *s, size_t len))
{
	struct out o = {dst, 0, cap, 0};

	out(&o, s, len);
	if (cap > 0)
		dst[o.len] = '\0';
	return o.need;
}

NX_LOG_EXPORT size_t nx_log_escape_text(char *dst, size_t cap, const char *s, size_t len)
{
	return escape_into(dst, cap, s, len, out_text_n);
}

NX_LOG_EXPORT size_t nx_log_escape_value(char *dst, size_t cap, const char *s, size_t len)
{
	return escape_into(dst, cap, s, len, out_value_n);
}

/* One write(2) per line, so lines from several processes sharing the console do not mix
 * (atomic on a pipe up to PIPE_BUF bytes). A short write is finished rather than lost. */
static void console_write(const char *buf, size_t len)
{
	size_t done = 0;

	if (L.console_fd < 0)
		return;
	while (done < len) {
		ssize_t n = write(L.console_fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			L.st.console_errors++;
			return;
		}
		done += (size_t)n;
	}
}

static void console_record(const struct clean *c)
{
	struct out o = {L.line, 0, sizeof(L.line), 0};
	size_t i;

	out_str(&o, L.name);
	out_str(&o, ": ");
	out_str(&o, level_names[c->level]);
	out_byte(&o, ' ');
	if (c->scope[0]) {
		out_text(&o, c->scope);
		out_str(&o, ": ");
	}
	out_text(&o, c->message);
	for (i = 0; i < c->n_fields; i++) {
		out_byte(&o, ' ');
		out_str(&o, c->keys[i]);
		out_byte(&o, '=');
		out_value(&o, c->values[i]);
	}
	out_byte(&o, '\n');
	console_write(o.p, o.len);
}

static void console_marker(const char *text)
{
	struct out o = {L.line, 0, sizeof(L.line), 0};

	out_str(&o, L.name);
	out_str(&o, ": ");
	out_text(&o, text);
	out_byte(&o, '\n');
	console_write(o.p, o.len);
}

/* ---- Queue. */

static void queue_pop(void)
{
	struct qrec *q = L.head;

	L.head = q->next;
	if (!L.head)
		L.tail = NULL;
	L.st.queued--;
	L.st.queued_bytes -= q->size;
	free(q);
}

static void queue_drop_new(void)
{
	L.st.dropped++;
	L.st.dropped_unreported++;
}

static void queue_push(const struct clean *c)
{
	size_t len[2 + 2 * NX_LOG_FIELDS_MAX];
	const char *txt[2 + 2 * NX_LOG_FIELDS_MAX];
	size_t i, n = 0, data = 0, size;
	struct qrec *q;
	char *p;

	txt[n++] = c->scope;
	txt[n++] = c->message;
	for (i = 0; i < c->n_fields; i++) {
		txt[n++] = c->keys[i];
		txt[n++] = c->values[i];
	}
	for (i = 0; i < n; i++) {
		len[i] = strlen(txt[i]) + 1;
		data += len[i];
	}
	size = sizeof(*q) + data;
	while (L.st.queued >= NX_LOG_QUEUE_RECORDS ||
	        L.st.queued_bytes + size > NX_LOG_QUEUE_BYTES) {
		if (L.in_sink || !L.head) {
			queue_drop_new();
			return;
		}
		queue_pop();
		L.st.dropped++;
		L.st.dropped_unreported++;
	}
	q = malloc(size);
	if (!q) {
		queue_drop_new();
		return;
	}
	q->next = NULL;
	q->realtime_ns = c->realtime_ns;
	q->monotonic_ns = c->monotonic_ns;
	q->level = c->level;
	q->n_fields = c->n_fields;
	q->size = size;
	for (i = 0, p = q->data; i < n; i++) {
		memcpy(p, txt[i], len[i]);
		p += len[i];
	}
	if (L.tail)
		L.tail->next = q;
	else
		L.head = q;
	L.tail = q;
	L.st.queued++;
	L.st.queued_bytes += size;
}

static void queue_view(const struct qrec *q, struct nx_log_record *r)
{
	const char *p = q->data;
	size_t i;

	r->realtime_ns = q->realtime_ns;
	r->monotonic_ns = q->monotonic_ns;
	r->level = q->level;
	r->scope = p;
	p += strlen(p) + 1;
	r->message = p;
	p += strlen(p) + 1;
	r->n_fields = q->n_fields;
	for (i = 0; i < q->n_fields; i++) {
		r->fields[i].key = p;
		p += strlen(p) + 1;
		r->fields[i].value = p;
		p += strlen(p) + 1;
	}
}

/* ---- Sink. */

/* The report of dropped and lost records goes first in a batch. It carries the oldest queued
 * record's times: the records it counts were logged before that one, so the record order stays
 * the time order. */
static void drop_report(struct nx_log_record *r, uint64_t dropped, uint64_t lost)
{
	memset(r, 0, sizeof(*r));
	if (L.head) {
		r->realtime_ns = L.head->realtime_ns;
		r->monotonic_ns = L.head->monotonic_ns;
	} else {
		r->realtime_ns = nx_clock_realtime_ns();
		r->monotonic_ns = nx_clock_monotonic_ns();
	}
	r->level = NX_LOG_WARN;
	r->scope = NX_LOG_SELF_SCOPE;
	if (dropped > 0 && lost > 0)
		snprintf(L.drop_msg, sizeof(L.drop_msg), "dropped %llu records, lost %llu",
		        (unsigned long long)dropped, (unsigned long long)lost);
	else if (dropped > 0)
		snprintf(L.drop_msg, sizeof(L.drop_msg), "dropped %llu records",
		        (unsigned long long)dropped);
	else
		snprintf(L.drop_msg, sizeof(L.drop_msg), "lost %llu records",
		        (unsigned long long)lost);
	r->message = L.drop_msg;
	if (dropped > 0) {
		snprintf(L.drop_num, sizeof(L.drop_num), "%llu", (unsigned long long)dropped);
		r->fields[r->n_fields++] = (struct nx_log_field){"dropped", L.drop_num};
	}
	if (lost > 0) {
		snprintf(L.lost_num, sizeof(L.lost_num), "%llu", (unsigned long long)lost);
		r->fields[r->n_fields++] = (struct nx_log_field){"lost", L.lost_num};
	}
}

NX_LOG_EXPORT size_t nx_log_flush(void)
{
	size_t total = 0;

	if (!L.sink || L.in_sink)
		return 0;
	for (;;) {
		uint64_t dropped = L.st.dropped_unreported, lost = L.st.lost_unreported;
		bool reported = dropped > 0 || lost > 0;
		size_t n = 0, k;
		const struct qrec *q;
		int r;

		if (reported)
			drop_report(&L.batch[n++], dropped, lost);
		for (q = L.head; q && n < NX_LOG_SINK_BATCH + reported; q = q->next)
			queue_view(q, &L.batch[n++]);
		if (n == 0)
			break;
		L.in_sink = true;
		r = L.sink->send(L.sink_ctx, L.batch, n);
		L.in_sink = false;
		if (r < 0) {
			/* The channel to logd is gone: keep everything and buffer until a new sink. */
			L.sink = NULL;
			L.sink_ctx = NULL;
			break;
		}
		k = (size_t)r < n ? (size_t)r : n;
		L.st.sent += k;
		total += k;
		if (reported && k > 0) {
			/* Drops during the call (from records logged inside it) stay unreported. */
			L.st.dropped_unreported -= dropped;
			L.st.lost_unreported -= lost;
			k--;
		}
		while (k-- > 0)
			queue_pop();
		if ((size_t)r < n)
			break;
	}
	return total;
}

NX_LOG_EXPORT void nx_log_sink_settled(size_t n, bool stored)
{
	if (stored) {
		L.st.confirmed += n;
	} else {
		L.st.lost += n;
		L.st.lost_unreported += n;
	}
}

NX_LOG_EXPORT int nx_log_set_sink(const struct nx_log_sink *ops, void *ctx)
{
	if (ops && !ops->send)
		return -EINVAL;
	if (L.in_sink)
		return -EBUSY;
	L.sink = ops;
	L.sink_ctx = ops ? ctx : NULL;
	nx_log_flush();
	return 0;
}

/* ---- Logging. */

static void emit(bool marker)
{
	if (marker)
		console_marker(L.rec.message);
	else
		console_record(&L.rec);
	L.st.logged++;
	queue_push(&L.rec);
	nx_log_flush();
}

NX_LOG_EXPORT void nx_log_fields(enum nx_log_level level, const char *scope, const char *message,
        const struct nx_log_field *fields, size_t n_fields)
{
	if (level_fix(level) < L.min_level)
		return;
	clean_fill(&L.rec, level, scope, message, fields, n_fields);
	emit(false);
}

NX_LOG_EXPORT void nx_logv(enum nx_log_level level, const char *scope, const char *fmt, va_list ap)
{
	if (level_fix(level) < L.min_level)
		return;
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): ap comes from the caller's va_start */
	if (!fmt || vsnprintf(L.fmt, sizeof(L.fmt), fmt, ap) < 0)
		L.fmt[0] = '\0';
	clean_fill(&L.rec, level, scope, L.fmt, NULL, 0);
	emit(false);
}

NX_LOG_EXPORT void nx_log(enum nx_log_level level, const char *scope, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nx_logv(level, scope, fmt, ap);
	va_end(ap);
}

NX_LOG_EXPORT void nx_log_marker(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
	r = fmt ? vsnprintf(L.fmt, sizeof(L.fmt), fmt, ap) : -1;
	va_end(ap);
	if (r < 0)
		L.fmt[0] = '\0';
	clean_fill(&L.rec, NX_LOG_NOTICE, NX_LOG_MARKER_SCOPE, L.fmt, NULL, 0);
	emit(true);
}

NX_LOG_EXPORT void nx_log_ready(void)
{
	nx_log_marker("ready");
}

/* ---- Setup. */

NX_LOG_EXPORT void nx_log_done(void)
{
	/* The batch being offered points into the queue. */
	assert(!L.in_sink);
	while (L.head)
		queue_pop();
	L.sink = NULL;
	L.sink_ctx = NULL;
	L.in_sink = false;
	memset(&L.st, 0, sizeof(L.st));
	snprintf(L.name, sizeof(L.name), "?");
	L.console_fd = STDOUT_FILENO;
	L.min_level = NX_LOG_LEVEL_DEFAULT;
}

NX_LOG_EXPORT void nx_log_init_fd(const char *name, int console_fd, enum nx_log_level min_level)
{
	size_t i;

	nx_log_done();
	if (!name || !*name)
		name = "?";
	/* Every console line starts with the name: a control character would break the line. */
	for (i = 0; i < NX_LOG_NAME_MAX && name[i]; i++)
		L.name[i] = is_ctl((unsigned char)name[i]) ? '_' : name[i];
	L.name[i] = '\0';
	L.console_fd = console_fd;
	if ((unsigned)min_level < NX_LOG_LEVEL_COUNT)
		L.min_level = min_level;
}

NX_LOG_EXPORT void nx_log_init(const char *name)
{
	const char *env = getenv(NX_LOG_LEVEL_ENV);
	enum nx_log_level level = NX_LOG_LEVEL_DEFAULT;
	bool bad = env && *env && nx_log_level_parse(env, &level) < 0;

	nx_log_init_fd(name, STDOUT_FILENO, level);
	if (bad) {
		struct nx_log_field f[] = {{NX_LOG_LEVEL_ENV, env}};

		nx_log_fields(NX_LOG_WARN, NX_LOG_SELF_SCOPE, "unknown level, using default", f, 1);
	}
}

NX_LOG_EXPORT int nx_log_set_level(enum nx_log_level min_level)
{
	if ((unsigned)min_level >= NX_LOG_LEVEL_COUNT)
		return -EINVAL;
	L.min_level = min_level;
	return 0;
}

NX_LOG_EXPORT enum nx_log_level nx_log_get_level(void)
{
	return L.min_level;
}

NX_LOG_EXPORT void nx_log_stats(struct nx_log_stats *ret_stats)
{
	if (ret_stats)
		*ret_stats = L.st;
}
