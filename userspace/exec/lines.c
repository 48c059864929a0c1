/* SPDX-License-Identifier: MIT */
/* exec lines (lines.h): pipe bytes to journal records. */
#include "lines.h"

#include <assert.h>
#include <string.h>

static void emit_buffered(struct app_lines *l, app_line_fn *emit, void *userdata)
{
	size_t len = l->len;

	if (len && l->buf[len - 1] == '\r')
		len--;
	if (len)
		emit(l->buf, len, userdata);
	l->len = 0;
}

void app_lines_feed(
        struct app_lines *l, const char *data, size_t len, app_line_fn *emit, void *userdata)
{
	assert(l && emit && (data || !len));
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		size_t room = sizeof(l->buf) - l->len;

		if (take > room)
			take = room;
		memcpy(l->buf + l->len, data, take);
		l->len += take;
		data += take;
		len -= take;
		if (len && *data == '\n') {
			data++;
			len--;
			emit_buffered(l, emit, userdata);
		} else if (l->len == sizeof(l->buf)) {
			emit_buffered(l, emit, userdata);
		}
	}
}

void app_lines_flush(struct app_lines *l, app_line_fn *emit, void *userdata)
{
	assert(l && emit);
	emit_buffered(l, emit, userdata);
}
