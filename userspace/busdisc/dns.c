/* SPDX-License-Identifier: MIT */
/* busdisc dns (dns.h): DNS messages, strictly. */
#include <errno.h>
#include <string.h>

#include "dns.h"
#include "nexus/limits.h"

static bool room(struct dns_writer *w, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return false;
	}
	return true;
}

void dns_put_bytes(struct dns_writer *w, const void *p, size_t n)
{
	if (!room(w, n))
		return;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void dns_put_u16(struct dns_writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	dns_put_bytes(w, b, sizeof(b));
}

void dns_put_u32(struct dns_writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	dns_put_bytes(w, b, sizeof(b));
}

void dns_put_name(struct dns_writer *w, const char *dotted)
{
	const char *p = dotted;

	while (*p) {
		size_t n = strcspn(p, ".");
		uint8_t len = (uint8_t)n;

		/* Our names are built from fixed labels and a hex id: never empty or long. */
		if (n == 0 || n > DNS_LABEL_MAX) {
			w->overflow = true;
			return;
		}
		dns_put_bytes(w, &len, 1);
		dns_put_bytes(w, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	dns_put_bytes(w, "", 1);
}

size_t dns_begin_record(
        struct dns_writer *w, const char *owner, uint16_t type, uint16_t class_, uint32_t ttl)
{
	size_t mark;

	dns_put_name(w, owner);
	dns_put_u16(w, type);
	dns_put_u16(w, class_);
	dns_put_u32(w, ttl);
	mark = w->len;
	dns_put_u16(w, 0);
	return mark;
}

void dns_end_rdata(struct dns_writer *w, size_t mark)
{
	size_t rdlen;

	if (w->overflow)
		return;
	rdlen = w->len - mark - 2;
	w->buf[mark] = (uint8_t)(rdlen >> 8);
	w->buf[mark + 1] = (uint8_t)rdlen;
}

int dns_get_u16(struct dns_reader *r, uint16_t *ret)
{
	if (r->len - r->pos < 2)
		return -EBADMSG;
	*ret = (uint16_t)(r->msg[r->pos] << 8 | r->msg[r->pos + 1]);
	r->pos += 2;
	return 0;
}

int dns_get_u32(struct dns_reader *r, uint32_t *ret)
{
	if (r->len - r->pos < 4)
		return -EBADMSG;
	*ret = (uint32_t)r->msg[r->pos] << 24 | (uint32_t)r->msg[r->pos + 1] << 16 |
	       (uint32_t)r->msg[r->pos + 2] << 8 | r->msg[r->pos + 3];
	r->pos += 4;
	return 0;
}

/*
 * Reads the name at `off`, whose in-place bytes must end before `end`. A pointer may only
 * go strictly backwards from the label that holds it, so every jump lands earlier and the
 * walk ends; BUSDISC_NAME_POINTERS_MAX bounds the work besides. A pointer's target must lie
 * before the pointer itself, so it is always within the message read so far.
 */
int dns_name_at(const uint8_t *msg, size_t end, size_t off, struct dns_name *ret, size_t *ret_end)
{
	size_t pos = off, limit = end, in_place_end = 0, out = 0;
	unsigned pointers = 0;

	for (;;) {
		uint8_t b;

		if (pos >= limit)
			return -EBADMSG;
		b = msg[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t target;

			if (limit - pos < 2 || ++pointers > BUSDISC_NAME_POINTERS_MAX)
				return -EBADMSG;
			target = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
			if (target >= pos)
				return -EBADMSG;
			if (!in_place_end)
				in_place_end = pos + 2;
			limit = pos; /* everything after a jump lies before this pointer */
			pos = target;
			continue;
		}
		if (b & 0xc0) /* 0x40 and 0x80: extended and reserved label types */
			return -EBADMSG;
		if (b > limit - pos - 1 || (size_t)b + 1 > DNS_NAME_MAX - out)
			return -EBADMSG;
		memcpy(ret->wire + out, msg + pos, (size_t)b + 1);
		out += (size_t)b + 1;
		pos += (size_t)b + 1;
		if (b == 0)
			break;
	}
	ret->len = out;
	*ret_end = in_place_end ? in_place_end : pos;
	return 0;
}

int dns_get_name(struct dns_reader *r, struct dns_name *ret)
{
	size_t end;
	int rc = dns_name_at(r->msg, r->len, r->pos, ret, &end);

	if (rc == 0)
		r->pos = end;
	return rc;
}

int dns_get_question(
        struct dns_reader *r, struct dns_name *ret_name, uint16_t *ret_type, uint16_t *ret_class)
{
	int rc = dns_get_name(r, ret_name);

	if (rc == 0)
		rc = dns_get_u16(r, ret_type);
	if (rc == 0)
		rc = dns_get_u16(r, ret_class);
	if (rc == 0)
		*ret_class &= DNS_CLASS_MASK;
	return rc;
}

int dns_get_rr(struct dns_reader *r, struct dns_rr *ret)
{
	uint16_t rdlen = 0;
	int rc = dns_get_question(r, &ret->owner, &ret->type, &ret->class_);

	if (rc == 0)
		rc = dns_get_u32(r, &ret->ttl);
	if (rc == 0)
		rc = dns_get_u16(r, &rdlen);
	if (rc == 0 && rdlen > r->len - r->pos)
		rc = -EBADMSG;
	if (rc < 0)
		return rc;
	ret->rdata = r->pos;
	ret->rdlen = rdlen;
	r->pos += rdlen;
	return 0;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Whether wire[0..len) is the dotted name, labels compared case-insensitively. */
static bool wire_is(const uint8_t *wire, size_t len, const char *dotted)
{
	size_t i = 0;
	const char *p = dotted;

	while (*p) {
		size_t n = strcspn(p, ".");

		if (i >= len || wire[i] != n || n > len - i - 1)
			return false;
		for (size_t k = 0; k < n; k++)
			if (lower(wire[i + 1 + k]) != lower((uint8_t)p[k]))
				return false;
		i += n + 1;
		p += n;
		if (*p == '.')
			p++;
	}
	return i + 1 == len && wire[i] == 0;
}

bool dns_name_is(const struct dns_name *n, const char *dotted)
{
	return wire_is(n->wire, n->len, dotted);
}

bool dns_name_child_of(const struct dns_name *n, const char *parent, const uint8_t **ret_label,
        size_t *ret_label_len)
{
	size_t first = n->len ? n->wire[0] : 0;

	if (first == 0 || first + 1 >= n->len)
		return false;
	if (!wire_is(n->wire + first + 1, n->len - first - 1, parent))
		return false;
	*ret_label = n->wire + 1;
	*ret_label_len = first;
	return true;
}
