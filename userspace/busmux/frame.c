/* SPDX-License-Identifier: MIT */
#include "busmux/frame.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* What a type allows: the stream it names (the session's 0, or a stream's non-zero id) and
 * the shape of its payload. */
enum shape {
	SHAPE_EMPTY,
	SHAPE_OPEN,
	SHAPE_REASON,
	SHAPE_BYTES,
	SHAPE_U32,
	SHAPE_U64,
};

struct rule {
	const char *name;
	enum shape shape;
	bool session; /* stream 0 */
};

static const struct rule rules[] = {
        [BUSMUX_OPEN] = {"OPEN", SHAPE_OPEN, false},
        [BUSMUX_OPEN_OK] = {"OPEN_OK", SHAPE_EMPTY, false},
        [BUSMUX_OPEN_ERR] = {"OPEN_ERR", SHAPE_REASON, false},
        [BUSMUX_DATA] = {"DATA", SHAPE_BYTES, false},
        [BUSMUX_CREDIT] = {"CREDIT", SHAPE_U32, false},
        [BUSMUX_CLOSE] = {"CLOSE", SHAPE_EMPTY, false},
        [BUSMUX_RESET] = {"RESET", SHAPE_REASON, false},
        [BUSMUX_VMO_BEGIN] = {"VMO_BEGIN", SHAPE_U64, false},
        [BUSMUX_VMO_CHUNK] = {"VMO_CHUNK", SHAPE_BYTES, false},
        [BUSMUX_VMO_END] = {"VMO_END", SHAPE_EMPTY, false},
        [BUSMUX_PING] = {"PING", SHAPE_U64, true},
        [BUSMUX_PONG] = {"PONG", SHAPE_U64, true},
        [BUSMUX_REKEY] = {"REKEY", SHAPE_EMPTY, true},
        [BUSMUX_PAIR_REQUEST] = {"PAIR_REQUEST", SHAPE_EMPTY, true},
        [BUSMUX_PAIR_CONFIRM] = {"PAIR_CONFIRM", SHAPE_EMPTY, true},
        [BUSMUX_PAIR_REJECT] = {"PAIR_REJECT", SHAPE_REASON, true},
};

static const struct rule *rule_of(unsigned type)
{
	if (type == 0 || type >= sizeof(rules) / sizeof(rules[0]))
		return NULL;
	return &rules[type];
}

const char *busmux_type_name(unsigned type)
{
	const struct rule *r = rule_of(type);

	return r ? r->name : "?";
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

/* Text: 1..max bytes, none of them NUL. -EBADMSG (empty, NUL), -EMSGSIZE (long). */
static int text_check(const struct busmux_text *t, size_t max)
{
	if (!t->ptr || t->len == 0 || memchr(t->ptr, '\0', t->len))
		return -EBADMSG;
	return t->len > max ? -EMSGSIZE : 0;
}

/* OPEN's payload: two length-prefixed texts filling it exactly. */
static int open_decode(const uint8_t *p, size_t len, struct busmux_frame *f)
{
	size_t slen, ulen;
	int r;

	if (len < 1)
		return -EBADMSG;
	slen = p[0];
	if (slen > len - 1)
		return -EBADMSG;
	f->u.open.service = (struct busmux_text){(const char *)p + 1, slen};
	if (len - 1 - slen < 1)
		return -EBADMSG;
	ulen = p[1 + slen];
	if (ulen != len - 2 - slen)
		return -EBADMSG;
	f->u.open.subject = (struct busmux_text){(const char *)p + 2 + slen, ulen};
	r = text_check(&f->u.open.service, BUSMUX_SERVICE_MAX);
	if (r >= 0)
		r = text_check(&f->u.open.subject, BUSMUX_SUBJECT_MAX);
	return r;
}

/* Checks f's fields as the decoder would have: 0 or the decoder's error. */
static int payload_check(const struct busmux_frame *f, const struct rule *rule)
{
	switch (rule->shape) {
	case SHAPE_OPEN: {
		int r = text_check(&f->u.open.service, BUSMUX_SERVICE_MAX);

		return r < 0 ? r : text_check(&f->u.open.subject, BUSMUX_SUBJECT_MAX);
	}
	case SHAPE_REASON:
		return text_check(&f->u.reason, BUSMUX_REASON_MAX);
	case SHAPE_BYTES:
		if (!f->u.data.ptr || f->u.data.len == 0)
			return -EBADMSG;
		return f->u.data.len > BUSMUX_FRAME_PAYLOAD_MAX ? -EMSGSIZE : 0;
	case SHAPE_U32:
		return f->u.credit == 0 ? -EBADMSG : 0;
	case SHAPE_U64:
		if (f->type == BUSMUX_VMO_BEGIN && f->u.vmo_size == 0)
			return -EBADMSG;
		if (f->type == BUSMUX_VMO_BEGIN && f->u.vmo_size > BUSMUX_VMO_MAX)
			return -EMSGSIZE;
		return 0;
	case SHAPE_EMPTY:
		return 0;
	}
	return -EBADMSG;
}

int busmux_frame_decode(const uint8_t *buf, size_t len, struct busmux_frame *ret, size_t *ret_used)
{
	struct busmux_frame f = {0};
	const struct rule *rule;
	const uint8_t *p;
	size_t plen;
	int r = 0;

	if (!buf || len < BUSMUX_FRAME_HEADER)
		return -EBADMSG;
	rule = rule_of(buf[0]);
	if (!rule)
		return -EBADMSG;
	f.type = (enum busmux_type)buf[0];
	f.stream = get_u32(buf + 1);
	plen = (size_t)buf[5] << 8 | buf[6];
	if (plen > len - BUSMUX_FRAME_HEADER || (f.stream == 0) != rule->session)
		return -EBADMSG;
	p = buf + BUSMUX_FRAME_HEADER;
	switch (rule->shape) {
	case SHAPE_EMPTY:
		r = plen == 0 ? 0 : -EBADMSG;
		break;
	case SHAPE_OPEN:
		r = open_decode(p, plen, &f);
		break;
	case SHAPE_REASON:
		f.u.reason = (struct busmux_text){(const char *)p, plen};
		break;
	case SHAPE_BYTES:
		f.u.data.ptr = p;
		f.u.data.len = plen;
		break;
	case SHAPE_U32:
		if (plen != 4)
			return -EBADMSG;
		f.u.credit = get_u32(p);
		break;
	case SHAPE_U64:
		if (plen != 8)
			return -EBADMSG;
		f.u.token = get_u64(p);
		break;
	}
	if (r >= 0)
		r = payload_check(&f, rule);
	if (r < 0)
		return r;
	*ret = f;
	*ret_used = BUSMUX_FRAME_HEADER + plen;
	return 0;
}

static size_t payload_size(const struct busmux_frame *f, const struct rule *rule)
{
	switch (rule->shape) {
	case SHAPE_OPEN:
		return 2 + f->u.open.service.len + f->u.open.subject.len;
	case SHAPE_REASON:
		return f->u.reason.len;
	case SHAPE_BYTES:
		return f->u.data.len;
	case SHAPE_U32:
		return 4;
	case SHAPE_U64:
		return 8;
	case SHAPE_EMPTY:
		break;
	}
	return 0;
}

size_t busmux_frame_size(const struct busmux_frame *f)
{
	const struct rule *rule = f ? rule_of(f->type) : NULL;

	if (!rule || (f->stream == 0) != rule->session || payload_check(f, rule) < 0)
		return 0;
	return BUSMUX_FRAME_HEADER + payload_size(f, rule);
}

int busmux_frame_encode(const struct busmux_frame *f, uint8_t *buf, size_t cap, size_t *ret_len)
{
	size_t size = busmux_frame_size(f), plen;
	uint8_t *p;

	if (size == 0)
		return -EINVAL;
	if (size > cap)
		return -ENOBUFS;
	plen = size - BUSMUX_FRAME_HEADER;
	buf[0] = (uint8_t)f->type;
	put_u32(buf + 1, f->stream);
	buf[5] = (uint8_t)(plen >> 8);
	buf[6] = (uint8_t)plen;
	p = buf + BUSMUX_FRAME_HEADER;
	switch (rules[f->type].shape) {
	case SHAPE_OPEN:
		p[0] = (uint8_t)f->u.open.service.len;
		memcpy(p + 1, f->u.open.service.ptr, f->u.open.service.len);
		p[1 + f->u.open.service.len] = (uint8_t)f->u.open.subject.len;
		memcpy(p + 2 + f->u.open.service.len, f->u.open.subject.ptr, f->u.open.subject.len);
		break;
	case SHAPE_REASON:
		memcpy(p, f->u.reason.ptr, f->u.reason.len);
		break;
	case SHAPE_BYTES:
		memcpy(p, f->u.data.ptr, f->u.data.len);
		break;
	case SHAPE_U32:
		put_u32(p, f->u.credit);
		break;
	case SHAPE_U64:
		put_u64(p, f->u.token);
		break;
	case SHAPE_EMPTY:
		break;
	}
	*ret_len = size;
	return 0;
}
