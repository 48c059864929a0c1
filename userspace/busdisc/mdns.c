/* SPDX-License-Identifier: MIT */
/* busdisc mdns (mdns.h): announcements as mDNS packets, both ways. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "mdns.h"

#define HOST_SUFFIX  "local"
#define INSTANCE_MAX (BUSDISC_ID_LEN + sizeof("." BUSDISC_SERVICE))
#define HOST_MAX     (BUSDISC_ID_LEN + sizeof("." HOST_SUFFIX))
#define CACHE_FLUSH  0x8000u /* class bit: these records are ours alone (RFC 6762 10.2) */

static void put_records(struct dns_writer *w, const struct busdisc_announce *a, uint32_t ttl,
        const uint32_t *addrs, size_t n_addrs)
{
	char instance[INSTANCE_MAX], host[HOST_MAX];
	struct busdisc_txt txt = {0};
	size_t mark;

	(void)snprintf(instance, sizeof(instance), "%s." BUSDISC_SERVICE, a->id);
	(void)snprintf(host, sizeof(host), "%s." HOST_SUFFIX, a->id);
	busdisc_txt_of(a, &txt);

	mark = dns_begin_record(w, BUSDISC_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN, ttl);
	dns_put_name(w, instance);
	dns_end_rdata(w, mark);

	mark = dns_begin_record(w, instance, DNS_TYPE_SRV, DNS_CLASS_IN | CACHE_FLUSH, ttl);
	dns_put_u16(w, 0); /* priority */
	dns_put_u16(w, 0); /* weight */
	dns_put_u16(w, a->port);
	dns_put_name(w, host);
	dns_end_rdata(w, mark);

	mark = dns_begin_record(w, instance, DNS_TYPE_TXT, DNS_CLASS_IN | CACHE_FLUSH, ttl);
	for (size_t i = 0; i < txt.n; i++) {
		uint8_t n = (uint8_t)strlen(txt.s[i]); /* <= BUSDISC_TXT_STRING_MAX by the type */

		dns_put_bytes(w, &n, 1);
		dns_put_bytes(w, txt.s[i], n);
	}
	dns_end_rdata(w, mark);

	for (size_t i = 0; i < n_addrs; i++) {
		mark = dns_begin_record(w, host, DNS_TYPE_A, DNS_CLASS_IN | CACHE_FLUSH, ttl);
		dns_put_bytes(w, &addrs[i], 4); /* already in network byte order */
		dns_end_rdata(w, mark);
	}
}

static void put_header(struct dns_writer *w, uint16_t flags, uint16_t questions, uint16_t answers)
{
	dns_put_u16(w, 0); /* id: 0 in multicast messages (RFC 6762 section 18.1) */
	dns_put_u16(w, flags);
	dns_put_u16(w, questions);
	dns_put_u16(w, answers);
	dns_put_u16(w, 0); /* authority */
	dns_put_u16(w, 0); /* additional */
}

int busdisc_encode_response(const struct busdisc_announce *a, uint32_t ttl_s, const uint32_t *addrs,
        size_t n_addrs, uint8_t *buf, size_t cap, size_t *ret_len)
{
	struct dns_writer w = {.buf = buf, .cap = cap};

	if (!a || !a->has_sig || n_addrs > BUSDISC_ADDRS_MAX || (n_addrs && !addrs) || !buf ||
	        !ret_len)
		return -EINVAL;
	put_header(
	        &w, DNS_FLAG_QR | DNS_FLAG_AA, 0, (uint16_t)(3u + n_addrs)); /* PTR SRV TXT A.. */
	put_records(&w, a, ttl_s, addrs, n_addrs);
	if (w.overflow)
		return -ENOBUFS;
	*ret_len = w.len;
	return 0;
}

int busdisc_encode_query(uint8_t *buf, size_t cap, size_t *ret_len)
{
	struct dns_writer w = {.buf = buf, .cap = cap};

	if (!buf || !ret_len)
		return -EINVAL;
	put_header(&w, 0, 1, 0);
	dns_put_name(&w, BUSDISC_SERVICE);
	dns_put_u16(&w, DNS_TYPE_PTR);
	dns_put_u16(&w, DNS_CLASS_IN);
	if (w.overflow)
		return -ENOBUFS;
	*ret_len = w.len;
	return 0;
}

/* One instance of _nexus._tcp.local met in a response, while its records are collected. */
struct instance {
	char id[BUSDISC_ID_LEN + 1];
	bool has_srv, has_txt;
	struct busdisc_announce a;
	uint32_t ttl;
};

struct decoding {
	const uint8_t *msg;
	size_t len;
	const char *self_id;
	struct instance inst[BUSDISC_PACKET_ANNOUNCES_MAX];
	size_t n_inst;
	struct busdisc_packet *out;
};

/* Whether the label is a device id: BUSDISC_ID_LEN lowercase hex characters. */
static bool label_is_id(const uint8_t *label, size_t n)
{
	if (n != BUSDISC_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((label[i] >= '0' && label[i] <= '9') || (label[i] >= 'a' && label[i] <= 'f')))
			return false;
	return true;
}

/* Whether the label is our own id (self_id may be NULL: nothing is ours). */
static bool label_is_self(const struct decoding *d, const uint8_t *label, size_t n)
{
	return d->self_id && n == strlen(d->self_id) && memcmp(label, d->self_id, n) == 0;
}

static bool question_for_us(const struct decoding *d, const struct dns_name *name, uint16_t type)
{
	const uint8_t *label;
	size_t n;

	if (dns_name_is(name, BUSDISC_SERVICE))
		return type == DNS_TYPE_PTR || type == DNS_TYPE_ANY;
	if (dns_name_child_of(name, BUSDISC_SERVICE, &label, &n) && label_is_self(d, label, n))
		return type == DNS_TYPE_SRV || type == DNS_TYPE_TXT || type == DNS_TYPE_ANY;
	if (dns_name_child_of(name, HOST_SUFFIX, &label, &n) && label_is_self(d, label, n))
		return type == DNS_TYPE_A || type == DNS_TYPE_ANY;
	return false;
}

/* The instance named by the owner (a child of _nexus._tcp.local), found or added: NULL when
 * the name is not an instance of ours; -EBADMSG when its label is not a device id or one
 * instance too many. */
static int instance_of(struct decoding *d, const struct dns_name *owner, struct instance **ret)
{
	const uint8_t *label;
	size_t n;

	*ret = NULL;
	if (!dns_name_child_of(owner, BUSDISC_SERVICE, &label, &n))
		return 0;
	if (!label_is_id(label, n))
		return -EBADMSG;
	for (size_t i = 0; i < d->n_inst; i++)
		if (memcmp(d->inst[i].id, label, n) == 0) {
			*ret = &d->inst[i];
			return 0;
		}
	if (d->n_inst == BUSDISC_PACKET_ANNOUNCES_MAX)
		return -EBADMSG;
	*ret = &d->inst[d->n_inst++];
	memset(*ret, 0, sizeof(**ret));
	memcpy((*ret)->id, label, n);
	return 0;
}

static int take_srv(struct decoding *d, struct instance *in, const struct dns_rr *rr)
{
	struct dns_reader r = {.msg = d->msg, .len = rr->rdata + rr->rdlen, .pos = rr->rdata};
	uint16_t priority = 0, weight = 0, port = 0;
	struct dns_name target;
	int rc;

	if (in->has_srv)
		return -EBADMSG;
	rc = dns_get_u16(&r, &priority);
	if (rc == 0)
		rc = dns_get_u16(&r, &weight);
	if (rc == 0)
		rc = dns_get_u16(&r, &port);
	if (rc == 0)
		rc = dns_get_name(&r, &target);
	if (rc < 0 || r.pos != r.len || port == 0)
		return -EBADMSG;
	in->a.port = port;
	in->has_srv = true;
	return 0;
}

static int take_txt(struct instance *in, const uint8_t *msg, const struct dns_rr *rr)
{
	const uint8_t *p = msg + rr->rdata;
	size_t left = rr->rdlen;
	unsigned seen = 0;

	if (in->has_txt)
		return -EBADMSG;
	while (left) {
		size_t n = p[0];

		if (n == 0 || n > left - 1 || busdisc_txt_parse(&in->a, &seen, p + 1, n) < 0)
			return -EBADMSG;
		p += n + 1;
		left -= n + 1;
	}
	if (busdisc_txt_done(seen) < 0 || strcmp(in->a.id, in->id) != 0)
		return -EBADMSG;
	in->ttl = rr->ttl;
	in->has_txt = true;
	return 0;
}

/* A PTR _nexus._tcp.local must name an instance whose label is a device id. */
static int check_ptr(struct decoding *d, const struct dns_rr *rr)
{
	struct dns_name target;
	struct instance *in;
	size_t end;
	int rc = dns_name_at(d->msg, rr->rdata + rr->rdlen, rr->rdata, &target, &end);

	if (rc < 0 || end != rr->rdata + rr->rdlen)
		return -EBADMSG;
	rc = instance_of(d, &target, &in);
	if (rc == 0 && !in)
		rc = -EBADMSG; /* a PTR of our service to something that is not an instance */
	return rc;
}

static int take_record(struct decoding *d, const struct dns_rr *rr)
{
	struct instance *in;
	int rc;

	if (rr->class_ != DNS_CLASS_IN)
		return 0;
	if (rr->type == DNS_TYPE_PTR && dns_name_is(&rr->owner, BUSDISC_SERVICE))
		return check_ptr(d, rr);
	if (rr->type != DNS_TYPE_SRV && rr->type != DNS_TYPE_TXT)
		return 0;
	rc = instance_of(d, &rr->owner, &in);
	if (rc < 0 || !in)
		return rc;
	return rr->type == DNS_TYPE_SRV ? take_srv(d, in, rr) : take_txt(in, d->msg, rr);
}

/* Every instance met needs exactly one SRV and one TXT, except one only named by a PTR (the
 * answer to a browse, whose details another packet carries). */
static int finish(struct decoding *d)
{
	struct busdisc_packet *out = d->out;

	for (size_t i = 0; i < d->n_inst; i++) {
		struct instance *in = &d->inst[i];

		if (!in->has_srv && !in->has_txt)
			continue;
		if (!in->has_srv || !in->has_txt)
			return -EBADMSG;
		out->announces[out->n_announces] = in->a;
		out->ttl_s[out->n_announces++] = in->ttl;
	}
	return 0;
}

int busdisc_decode(const uint8_t *buf, size_t len, const char *self_id, struct busdisc_packet *ret)
{
	struct dns_reader r = {.msg = buf, .len = len};
	struct decoding d = {.msg = buf, .len = len, .self_id = self_id, .out = ret};
	uint16_t hdr[6]; /* id, flags, questions, answers, authority, additional */
	uint16_t flags, *count = hdr + 2;
	int rc = 0;

	if (!buf || !ret)
		return -EINVAL;
	if (len > BUSDISC_PACKET_MAX)
		return -EMSGSIZE;
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; rc == 0 && i < 6; i++)
		rc = dns_get_u16(&r, &hdr[i]);
	if (rc < 0 || (size_t)count[0] + count[1] + count[2] + count[3] > BUSDISC_RECORDS_MAX)
		return -EBADMSG;
	flags = hdr[1];
	for (size_t i = 0; i < count[0]; i++) {
		struct dns_name name;
		uint16_t type, class_;

		rc = dns_get_question(&r, &name, &type, &class_);
		if (rc < 0)
			return rc;
		if (!(flags & DNS_FLAG_QR) && class_ == DNS_CLASS_IN &&
		        question_for_us(&d, &name, type))
			ret->asks_for_us = true;
	}
	for (size_t i = 0; i < (size_t)count[1] + count[2] + count[3]; i++) {
		struct dns_rr rr;

		rc = dns_get_rr(&r, &rr);
		if (rc < 0)
			return rc;
		/* Records of a query are known answers or probes: nothing to learn from them. */
		rc = flags & DNS_FLAG_QR ? take_record(&d, &rr) : 0;
		if (rc < 0)
			return rc;
	}
	if (r.pos != len)
		return -EBADMSG; /* trailing bytes */
	/* RFC 6762 section 18.3 and 18.11: other opcodes and rcodes are silently ignored. */
	if (flags & (DNS_OPCODE_MASK | DNS_RCODE_MASK)) {
		memset(ret, 0, sizeof(*ret));
		return 0;
	}
	return finish(&d);
}
