/* SPDX-License-Identifier: MIT */
/*
 * busdisc dns: the DNS message format (RFC 1035 section 4) as mDNS uses it, nothing more:
 * a writer for the records we send (names uncompressed) and a reader that follows
 * compression pointers only backwards, at most BUSDISC_NAME_POINTERS_MAX of them, and checks
 * every length against what remains. Names are kept in wire form (length-prefixed labels,
 * root included), so labels with dots or any byte compare exactly.
 */
#ifndef BUSDISC_DNS_H
#define BUSDISC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12u
#define DNS_NAME_MAX   255u /* wire form, root label included */
#define DNS_LABEL_MAX  63u

#define DNS_TYPE_A      1u
#define DNS_TYPE_PTR    12u
#define DNS_TYPE_TXT    16u
#define DNS_TYPE_SRV    33u
#define DNS_TYPE_ANY    255u
#define DNS_CLASS_IN    1u
#define DNS_CLASS_MASK  0x7fffu /* mDNS: the top bit is cache-flush (answers) or QU (questions) */
#define DNS_FLAG_QR     0x8000u
#define DNS_FLAG_AA     0x0400u
#define DNS_OPCODE_MASK 0x7800u
#define DNS_RCODE_MASK  0x000fu

struct dns_writer {
	uint8_t *buf;
	size_t cap, len;
	bool overflow; /* something did not fit: the message is unusable */
};

void dns_put_u16(struct dns_writer *w, uint16_t v);
void dns_put_u32(struct dns_writer *w, uint32_t v);
void dns_put_bytes(struct dns_writer *w, const void *p, size_t n);
/* A name given dotted ("a.b.local"), each label 1..DNS_LABEL_MAX bytes without dots. */
void dns_put_name(struct dns_writer *w, const char *dotted);
/* A record's owner, type, class and TTL, and a placeholder rdlength, whose offset it returns
 * for dns_end_rdata once the rdata is written. */
size_t dns_begin_record(
        struct dns_writer *w, const char *owner, uint16_t type, uint16_t class_, uint32_t ttl);
void dns_end_rdata(struct dns_writer *w, size_t mark);

struct dns_name {
	uint8_t wire[DNS_NAME_MAX];
	size_t len;
};

/* A decoded record: owner, type, class (cache-flush bit removed), TTL, and where its rdata
 * lies in the message. */
struct dns_rr {
	struct dns_name owner;
	uint16_t type, class_;
	uint32_t ttl;
	size_t rdata, rdlen;
};

struct dns_reader {
	const uint8_t *msg;
	size_t len, pos;
};

/* Each returns 0 and advances, or -EBADMSG (truncated, or a name that is malformed: a label
 * type other than plain, a name over DNS_NAME_MAX, a pointer not strictly backwards, out of
 * bounds or past BUSDISC_NAME_POINTERS_MAX). dns_get_name reads at r->pos; dns_name_at reads
 * a name lying in [off, end) (an rdata) and sets *ret_end past its in-place bytes. */
int dns_get_u16(struct dns_reader *r, uint16_t *ret);
int dns_get_u32(struct dns_reader *r, uint32_t *ret);
int dns_get_name(struct dns_reader *r, struct dns_name *ret);
int dns_name_at(const uint8_t *msg, size_t end, size_t off, struct dns_name *ret, size_t *ret_end);
int dns_get_question(
        struct dns_reader *r, struct dns_name *ret_name, uint16_t *ret_type, uint16_t *ret_class);
int dns_get_rr(struct dns_reader *r, struct dns_rr *ret);

/* Whether n is the dotted name (ASCII case-insensitive). */
bool dns_name_is(const struct dns_name *n, const char *dotted);
/* Whether n is one label followed by the dotted name `parent`: the label (a view into n,
 * not NUL-terminated) into ret_label / ret_label_len. */
bool dns_name_child_of(const struct dns_name *n, const char *parent, const uint8_t **ret_label,
        size_t *ret_label_len);

#endif
