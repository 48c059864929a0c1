/* SPDX-License-Identifier: MIT */
/* userspace/busdisc: announcements to mDNS packets and back, hostile packets refused, and the
 * peer table's acceptance rules, each rejection counted under its cause. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "busdisc/dns.h"
#include "busdisc/peers.h"
#include "fdcheck.h"
#include "keystore/sign.h"

FDCHECK_GROUP("busdisc tests")

#define NOW_REAL 1800000000000ull /* 2027, ms */
#define ADDR_A   0x0a00000au      /* any two addresses, as stored */
#define ADDR_B   0x0b00000bu

/* A device: its key pair and a signed announcement at ts. */
struct device {
	uint8_t pub[KS_PUBLIC_LEN], secret[KS_SECRET_LEN];
	struct busdisc_announce a;
};

static void sign_announce(const struct device *d, struct busdisc_announce *a)
{
	uint8_t data[BUSDISC_SIGNED_MAX], sig[BUSDISC_SIG_LEN];
	size_t len;

	assert_int_equal(busdisc_signed_data(a, data, sizeof(data), &len), 0);
	assert_int_equal(ks_sign(d->secret, BUSDISC_SIGN_DOMAIN, data, len, sig), 0);
	busdisc_announce_set_sig(a, sig);
}

static void make_device(struct device *d, uint8_t seed_byte, const char *services, uint64_t ts)
{
	uint8_t seed[KS_SEED_LEN], noise[BUSDISC_KEY_LEN];

	memset(seed, seed_byte, sizeof(seed));
	memset(noise, seed_byte ^ 0x5a, sizeof(noise));
	assert_int_equal(crypto_sign_seed_keypair(d->pub, d->secret, seed), 0);
	assert_int_equal(busdisc_announce_init(&d->a, d->pub, noise, 4711, services, ts), 0);
	sign_announce(d, &d->a);
}

static size_t encode(const struct busdisc_announce *a, uint32_t ttl, uint8_t *buf)
{
	uint32_t addrs[2] = {ADDR_A, ADDR_B};
	size_t len;

	assert_int_equal(
	        busdisc_encode_response(a, ttl, addrs, 2, buf, BUSDISC_PACKET_MAX, &len), 0);
	return len;
}

/* ---- identity, services, signed bytes ---- */

static void device_id_is_sha256_prefix(void **state)
{
	uint8_t zero[BUSDISC_KEY_LEN] = {0};
	char id[BUSDISC_ID_LEN + 1];

	(void)state;
	/* SHA-256 of 32 zero bytes is 66687aad...0d5f2925 (Python's hashlib). */
	assert_int_equal(busdisc_device_id(zero, id), 0);
	assert_string_equal(id, "66687aadf862bd776c8fc18b8e9f8e20");
	assert_int_equal(busdisc_device_id(NULL, id), -EINVAL);
}

static void service_lists_are_checked(void **state)
{
	char list[BUSDISC_SERVICES_TEXT_MAX + 16], name[70];

	(void)state;
	assert_true(busdisc_services_valid(""));
	assert_true(busdisc_services_valid("echod"));
	assert_true(busdisc_services_valid("echod,vfsd,my_svc-2.x"));
	assert_false(busdisc_services_valid("echod,"));
	assert_false(busdisc_services_valid(",echod"));
	assert_false(busdisc_services_valid("echod,,vfsd"));
	assert_false(busdisc_services_valid("Echod"));
	assert_false(busdisc_services_valid("echo d"));
	assert_false(busdisc_services_valid("echod,vfsd,echod"));
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_true(busdisc_services_valid(name));
	name[64] = 'a';
	name[65] = '\0';
	assert_false(busdisc_services_valid(name));
	/* BUSDISC_SERVICES_MAX names fit, one more does not. */
	list[0] = '\0';
	for (unsigned i = 0; i < BUSDISC_SERVICES_MAX; i++)
		(void)snprintf(
		        list + strlen(list), sizeof(list) - strlen(list), "%ss%u", i ? "," : "", i);
	assert_true(busdisc_services_valid(list));
	(void)snprintf(list + strlen(list), sizeof(list) - strlen(list), ",extra");
	assert_false(busdisc_services_valid(list));
	/* BUSDISC_SERVICES_TEXT_MAX bytes fit, one more does not. */
	memset(list, 'b', BUSDISC_SERVICES_TEXT_MAX);
	for (size_t i = 60; i < BUSDISC_SERVICES_TEXT_MAX; i += 61)
		list[i] = ','; /* names of 60 bytes */
	list[BUSDISC_SERVICES_TEXT_MAX] = '\0';
	for (size_t i = 0, k = 0; i < BUSDISC_SERVICES_TEXT_MAX; i++)
		if (list[i] != ',')
			list[i] = (char)('a' + (k++ / 60) % 26); /* distinct names */
	assert_true(busdisc_services_valid(list));
	list[BUSDISC_SERVICES_TEXT_MAX] = 'z';
	list[BUSDISC_SERVICES_TEXT_MAX + 1] = '\0';
	assert_false(busdisc_services_valid(list));
}

static void signed_bytes_are_the_documented_text(void **state)
{
	uint8_t pub[BUSDISC_KEY_LEN] = {0}, noise[BUSDISC_KEY_LEN], data[BUSDISC_SIGNED_MAX];
	struct busdisc_announce a;
	char expect[BUSDISC_SIGNED_MAX];
	size_t len;

	(void)state;
	memset(noise, 0xab, sizeof(noise));
	assert_int_equal(busdisc_announce_init(&a, pub, noise, 7000, "echod,vfsd", 12345), 0);
	assert_int_equal(busdisc_signed_data(&a, data, sizeof(data), &len), 0);
	(void)snprintf(expect, sizeof(expect),
	        "v=1\nid=66687aadf862bd776c8fc18b8e9f8e20\ndk=%064d\nnk=%s\nport=7000\n"
	        "svc=echod,vfsd\nts=12345",
	        0, "abababababababababababababababababababababababababababababababab");
	assert_int_equal(len, strlen(expect));
	assert_memory_equal(data, expect, len);
	assert_int_equal(busdisc_signed_data(&a, data, 10, &len), -ENOBUFS);
	assert_int_equal(busdisc_announce_init(&a, pub, noise, 0, "", 1), -EINVAL);
	assert_int_equal(busdisc_announce_init(&a, pub, noise, 1, "Bad", 1), -EINVAL);
}

static void signatures_verify_in_their_domain_only(void **state)
{
	struct device d;
	struct busdisc_announce a;
	uint8_t data[BUSDISC_SIGNED_MAX], sig[BUSDISC_SIG_LEN];
	size_t len;

	(void)state;
	make_device(&d, 1, "echod", NOW_REAL);
	assert_int_equal(busdisc_announce_verify(&d.a), 0);
	a = d.a;
	a.port++;
	assert_int_equal(busdisc_announce_verify(&a), -EBADMSG);
	a = d.a;
	a.has_sig = false;
	assert_int_equal(busdisc_announce_verify(&a), -ENOKEY);
	a = d.a;
	a.id[0] = a.id[0] == '0' ? '1' : '0';
	assert_int_equal(busdisc_announce_verify(&a), -EPERM);
	/* The same bytes signed in another domain do not verify. */
	a = d.a;
	assert_int_equal(busdisc_signed_data(&a, data, sizeof(data), &len), 0);
	assert_int_equal(ks_sign(d.secret, "bus.static", data, len, sig), 0);
	busdisc_announce_set_sig(&a, sig);
	assert_int_equal(busdisc_announce_verify(&a), -EBADMSG);
}

/* ---- encode and decode ---- */

static void response_round_trips(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct busdisc_packet p;
	struct device d;
	size_t len;

	(void)state;
	make_device(&d, 2, "echod,vfsd", NOW_REAL);
	len = encode(&d.a, BUSDISC_TTL_S, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_false(p.asks_for_us);
	assert_int_equal(p.n_announces, 1);
	assert_int_equal(p.ttl_s[0], BUSDISC_TTL_S);
	assert_string_equal(p.announces[0].id, d.a.id);
	assert_memory_equal(p.announces[0].device_pub, d.a.device_pub, BUSDISC_KEY_LEN);
	assert_memory_equal(p.announces[0].noise_pub, d.a.noise_pub, BUSDISC_KEY_LEN);
	assert_int_equal(p.announces[0].port, 4711);
	assert_string_equal(p.announces[0].services, "echod,vfsd");
	assert_int_equal(p.announces[0].ts_ms, NOW_REAL);
	assert_true(p.announces[0].has_sig);
	assert_int_equal(busdisc_announce_verify(&p.announces[0]), 0);
	/* A goodbye carries TTL 0; an unsigned announcement is not encoded. */
	len = encode(&d.a, 0, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_int_equal(p.ttl_s[0], 0);
	d.a.has_sig = false;
	assert_int_equal(
	        busdisc_encode_response(&d.a, 1, NULL, 0, buf, sizeof(buf), &len), -EINVAL);
	d.a.has_sig = true;
	assert_int_equal(busdisc_encode_response(
	                         &d.a, 1, NULL, BUSDISC_ADDRS_MAX + 1, buf, sizeof(buf), &len),
	        -EINVAL);
	assert_int_equal(busdisc_encode_response(&d.a, 1, NULL, 0, buf, 100, &len), -ENOBUFS);
}

/* The largest announcement (every field at its maximum) fits one packet. */
static void largest_announcement_fits(void **state)
{
	uint32_t addrs[BUSDISC_ADDRS_MAX] = {1, 2, 3, 4};
	char list[BUSDISC_SERVICES_TEXT_MAX + 1];
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct busdisc_packet p;
	struct device d;
	size_t len;

	(void)state;
	for (size_t i = 0; i < BUSDISC_SERVICES_TEXT_MAX; i++)
		list[i] = i % 16 == 15 ? ',' : (char)('a' + i / 16);
	list[BUSDISC_SERVICES_TEXT_MAX] = '\0';
	assert_true(busdisc_services_valid(list));
	make_device(&d, 3, list, UINT64_MAX);
	assert_int_equal(busdisc_encode_response(&d.a, BUSDISC_TTL_S, addrs, BUSDISC_ADDRS_MAX, buf,
	                         sizeof(buf), &len),
	        0);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_int_equal(p.n_announces, 1);
	assert_string_equal(p.announces[0].services, list);
	assert_true(p.announces[0].ts_ms == UINT64_MAX);
}

static void queries_for_us_are_recognised(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct dns_writer w = {.buf = buf, .cap = sizeof(buf)};
	struct busdisc_packet p;
	char name[128];
	struct device d;
	size_t len;

	(void)state;
	make_device(&d, 4, "", NOW_REAL);
	assert_int_equal(busdisc_encode_query(buf, sizeof(buf), &len), 0);
	assert_int_equal(busdisc_decode(buf, len, d.a.id, &p), 0);
	assert_true(p.asks_for_us);
	assert_int_equal(p.n_announces, 0);

	/* SRV of our instance (QU bit set, upper case), A of our host: ours; another's: not. */
	dns_put_u16(&w, 0);
	dns_put_u16(&w, 0);
	dns_put_u16(&w, 2);
	for (int i = 0; i < 3; i++)
		dns_put_u16(&w, 0);
	(void)snprintf(name, sizeof(name), "%s._NEXUS._tcp.local", d.a.id);
	dns_put_name(&w, name);
	dns_put_u16(&w, DNS_TYPE_SRV);
	dns_put_u16(&w, 0x8001);
	(void)snprintf(name, sizeof(name), "%s.local", d.a.id);
	dns_put_name(&w, name);
	dns_put_u16(&w, DNS_TYPE_A);
	dns_put_u16(&w, DNS_CLASS_IN);
	assert_false(w.overflow);
	assert_int_equal(busdisc_decode(buf, w.len, d.a.id, &p), 0);
	assert_true(p.asks_for_us);
	assert_int_equal(busdisc_decode(buf, w.len, "00000000000000000000000000000000", &p), 0);
	assert_false(p.asks_for_us);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), 0);
	assert_false(p.asks_for_us);
}

/* Packets about other services are not ours, and are not malformed. */
static void other_services_are_ignored(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct dns_writer w = {.buf = buf, .cap = sizeof(buf)};
	static const uint8_t txt[] = {5, 'a', '=', 'b', '.', ' '};
	struct busdisc_packet p;
	size_t mark;

	(void)state;
	dns_put_u16(&w, 0);
	dns_put_u16(&w, DNS_FLAG_QR | DNS_FLAG_AA);
	dns_put_u16(&w, 0);
	dns_put_u16(&w, 2);
	dns_put_u16(&w, 0);
	dns_put_u16(&w, 0);
	mark = dns_begin_record(&w, "_ipp._tcp.local", DNS_TYPE_PTR, DNS_CLASS_IN, 120);
	dns_put_bytes(&w, "\x0aMy Printer\xc0\x0c", 13); /* compressed: -> _ipp._tcp.local */
	dns_end_rdata(&w, mark);
	mark = dns_begin_record(&w, "x._ipp._tcp.local", DNS_TYPE_TXT, DNS_CLASS_IN, 120);
	dns_put_bytes(&w, txt, sizeof(txt));
	dns_end_rdata(&w, mark);
	assert_false(w.overflow);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), 0);
	assert_int_equal(p.n_announces, 0);
	assert_false(p.asks_for_us);
}

/* ---- hostile packets ---- */

/* Writes a response header with `answers` records. */
static void put_response_header(struct dns_writer *w, uint16_t answers)
{
	dns_put_u16(w, 0);
	dns_put_u16(w, DNS_FLAG_QR | DNS_FLAG_AA);
	dns_put_u16(w, 0);
	dns_put_u16(w, answers);
	dns_put_u16(w, 0);
	dns_put_u16(w, 0);
}

static void put_srv(struct dns_writer *w, const char *id, uint16_t port)
{
	char name[128], host[64];
	size_t mark;

	(void)snprintf(name, sizeof(name), "%s._nexus._tcp.local", id);
	(void)snprintf(host, sizeof(host), "%s.local", id);
	mark = dns_begin_record(w, name, DNS_TYPE_SRV, 0x8001, 120);
	dns_put_u16(w, 0);
	dns_put_u16(w, 0);
	dns_put_u16(w, port);
	dns_put_name(w, host);
	dns_end_rdata(w, mark);
}

static void put_txt_strings(struct dns_writer *w, const char *const *strings, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t len = (uint8_t)strlen(strings[i]);

		dns_put_bytes(w, &len, 1);
		dns_put_bytes(w, strings[i], len);
	}
}

/* A TXT record of instance `id` holding the given strings (each with its length byte). */
static void put_txt(struct dns_writer *w, const char *id, const char *const *strings, size_t n)
{
	char name[128];
	size_t mark;

	(void)snprintf(name, sizeof(name), "%s._nexus._tcp.local", id);
	mark = dns_begin_record(w, name, DNS_TYPE_TXT, 0x8001, 120);
	put_txt_strings(w, strings, n);
	dns_end_rdata(w, mark);
}

/* The same, its owner a compression pointer to the name at `owner` (an SRV's). */
static void put_txt_compressed(
        struct dns_writer *w, size_t owner, const char *const *strings, size_t n)
{
	size_t mark;

	dns_put_u16(w, (uint16_t)(0xc000u | owner));
	dns_put_u16(w, DNS_TYPE_TXT);
	dns_put_u16(w, DNS_CLASS_IN);
	dns_put_u32(w, 120);
	mark = w->len;
	dns_put_u16(w, 0);
	put_txt_strings(w, strings, n);
	dns_end_rdata(w, mark);
}

/* A response with SRV and a TXT of the device's strings, string `replace` swapped for
 * `with` (NULL: dropped); `replace` >= the count changes nothing. */
static size_t txt_variant(const struct device *d, size_t replace, const char *with, uint8_t *buf)
{
	struct dns_writer w = {.buf = buf, .cap = BUSDISC_PACKET_MAX};
	const char *strings[BUSDISC_TXT_STRINGS];
	struct busdisc_txt txt;
	size_t n = 0;

	busdisc_txt_of(&d->a, &txt);
	for (size_t i = 0; i < txt.n; i++) {
		if (i != replace)
			strings[n++] = txt.s[i];
		else if (with)
			strings[n++] = with;
	}
	put_response_header(&w, 2);
	put_srv(&w, d->a.id, 4711);
	put_txt(&w, d->a.id, strings, n);
	assert_false(w.overflow);
	return w.len;
}

static void txt_strings_are_strict(void **state)
{
	static const struct {
		size_t index;
		const char *with;
	} bad[] = {
	        {0, "v=2"}, {0, NULL},                                    /* v missing */
	        {1, "id=66687AADF862BD776C8FC18B8E9F8E20"},               /* upper case */
	        {1, "id=66687aadf862bd776c8fc18b8e9f8e2"},                /* short */
	        {2, "dk=00"}, {3, NULL},                                  /* nk missing */
	        {4, "svc=echod,,vfsd"}, {4, "svc=Echod"}, {5, "ts=0123"}, /* leading zero */
	        {5, "ts=18446744073709551616"},                           /* UINT64_MAX + 1 */
	        {5, "ts=-1"}, {5, "ts="}, {5, NULL},                      /* ts missing */
	        {6, "sig=00"}, {6, "v=1"},                                /* repeated key */
	        {6, "color=blue"},                                        /* unknown key */
	        {6, "novalue"}, {6, ""},                                  /* empty string */
	};
	uint8_t buf[BUSDISC_PACKET_MAX];
	char svc[BUSDISC_TXT_STRING_MAX + 1];
	struct busdisc_packet p;
	struct device d;
	size_t len;

	(void)state;
	make_device(&d, 5, "echod", NOW_REAL);
	len = txt_variant(&d, SIZE_MAX, NULL, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_int_equal(p.n_announces, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = txt_variant(&d, bad[i].index, bad[i].with, buf);
		if (busdisc_decode(buf, len, NULL, &p) != -EBADMSG)
			fail_msg("TXT variant %zu (%s) was not refused", i,
			        bad[i].with ? bad[i].with : "-");
	}
	/* No sig= is not malformed: the peer table counts it as a bad signature. */
	len = txt_variant(&d, 6, NULL, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_false(p.announces[0].has_sig);
	/* A TXT string of BUSDISC_TXT_STRING_MAX bytes: svc= past its own cap is refused. */
	memcpy(svc, "svc=", 4);
	memset(svc + 4, 'a', BUSDISC_TXT_STRING_MAX - 4);
	svc[BUSDISC_TXT_STRING_MAX] = '\0';
	len = txt_variant(&d, 4, svc, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
}

/* Offsets of the TXT record's rdlength in a packet built by txt_variant: found by decoding
 * the records one by one. */
static size_t txt_rdata(const uint8_t *buf, size_t len, size_t *ret_rdlen)
{
	struct dns_reader r = {.msg = buf, .len = len, .pos = DNS_HEADER_LEN};
	struct dns_rr rr;

	assert_int_equal(dns_get_rr(&r, &rr), 0);
	assert_int_equal(dns_get_rr(&r, &rr), 0);
	assert_int_equal(rr.type, DNS_TYPE_TXT);
	*ret_rdlen = rr.rdlen;
	return rr.rdata;
}

static void oversized_and_truncated_are_refused(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX + 1], copy[BUSDISC_PACKET_MAX];
	struct busdisc_packet p;
	struct device d;
	size_t len, rdata, rdlen;

	(void)state;
	make_device(&d, 6, "echod", NOW_REAL);
	len = encode(&d.a, BUSDISC_TTL_S, buf);
	/* Every truncation of a valid packet is refused. */
	for (size_t cut = 0; cut < len; cut++)
		if (busdisc_decode(buf, cut, NULL, &p) != -EBADMSG)
			fail_msg("packet cut at %zu of %zu was not refused", cut, len);
	/* So are trailing bytes, and a datagram over BUSDISC_PACKET_MAX. */
	buf[len] = 0;
	assert_int_equal(busdisc_decode(buf, len + 1, NULL, &p), -EBADMSG);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(busdisc_decode(buf, BUSDISC_PACKET_MAX + 1, NULL, &p), -EMSGSIZE);

	/* A TXT string whose length byte claims more than its rdata holds. */
	len = txt_variant(&d, SIZE_MAX, NULL, copy);
	rdata = txt_rdata(copy, len, &rdlen);
	copy[rdata] = (uint8_t)(rdlen); /* first string: one byte past the end */
	assert_int_equal(busdisc_decode(copy, len, NULL, &p), -EBADMSG);
	/* An rdlength past the end of the packet. */
	len = txt_variant(&d, SIZE_MAX, NULL, copy);
	copy[rdata - 1] = (uint8_t)(rdlen + 1);
	assert_int_equal(busdisc_decode(copy, len, NULL, &p), -EBADMSG);
}

/* A response whose first answer's owner is the raw name bytes given, then a valid PTR. */
static size_t with_raw_name(const uint8_t *name, size_t n, uint8_t *buf)
{
	struct dns_writer w = {.buf = buf, .cap = BUSDISC_PACKET_MAX};

	put_response_header(&w, 1);
	dns_put_bytes(&w, name, n);
	dns_put_u16(&w, DNS_TYPE_A);
	dns_put_u16(&w, DNS_CLASS_IN);
	dns_put_u32(&w, 120);
	dns_put_u16(&w, 4);
	dns_put_u32(&w, 0x01020304);
	assert_false(w.overflow);
	return w.len;
}

static void names_are_bounded(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX], name[600];
	struct busdisc_packet p;
	size_t len, n;

	(void)state;
	/* A plain name: fine. */
	len = with_raw_name((const uint8_t *)"\x01x\x05local\x00", 9, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	/* A pointer to itself (a loop), forward, out of bounds. */
	len = with_raw_name((const uint8_t *)"\xc0\x0c", 2, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
	len = with_raw_name((const uint8_t *)"\xc0\x0e", 2, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
	len = with_raw_name((const uint8_t *)"\xff\xff", 2, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
	/* Pointers into the header (earlier, so allowed): its zero bytes read as a root name. */
	len = with_raw_name((const uint8_t *)"\xc0\x00", 2, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	/* Extended (0x40) and reserved (0x80) label types. */
	len = with_raw_name((const uint8_t *)"\x41x\x00", 3, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
	len = with_raw_name((const uint8_t *)"\x81x\x00", 3, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
	/* A name of 255 bytes is the most: 4 labels of 63 + root = 257 is refused. */
	n = 0;
	for (int i = 0; i < 4; i++) {
		name[n++] = 63;
		memset(name + n, 'a', 63);
		n += 63;
	}
	name[n++] = 0;
	len = with_raw_name(name, n, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
	name[3 * 64] = 61; /* 3 * 64 + 62 + 1 = 255 */
	name[3 * 64 + 62] = 0;
	len = with_raw_name(name, 3 * 64 + 63, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
}

/* A chain of pointers, each to the one before: BUSDISC_NAME_POINTERS_MAX are followed, one
 * more is refused. The chain lives in the rdata of a first record. */
static size_t pointer_chain(unsigned pointers, uint8_t *buf)
{
	struct dns_writer w = {.buf = buf, .cap = BUSDISC_PACKET_MAX};
	size_t mark, first;

	put_response_header(&w, 2);
	mark = dns_begin_record(&w, "a.local", DNS_TYPE_TXT, DNS_CLASS_IN, 1);
	first = w.len;
	dns_put_bytes(&w, "\x01z\x00", 3); /* the name every chain ends at */
	for (unsigned i = 1; i < pointers; i++) {
		size_t target = first + (i == 1 ? 0 : 3 + 2 * (i - 2));

		dns_put_u16(&w, (uint16_t)(0xc000u | target));
	}
	dns_end_rdata(&w, mark);
	/* The owner of the second record points at the last pointer of the chain. */
	dns_put_u16(
	        &w, (uint16_t)(0xc000u | (pointers == 1 ? first : first + 3 + 2 * (pointers - 2))));
	dns_put_u16(&w, DNS_TYPE_A);
	dns_put_u16(&w, DNS_CLASS_IN);
	dns_put_u32(&w, 1);
	dns_put_u16(&w, 4);
	dns_put_u32(&w, 0);
	assert_false(w.overflow);
	return w.len;
}

static void pointer_chains_are_bounded(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct busdisc_packet p;
	size_t len;

	(void)state;
	len = pointer_chain(BUSDISC_NAME_POINTERS_MAX, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	len = pointer_chain(BUSDISC_NAME_POINTERS_MAX + 1, buf);
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), -EBADMSG);
}

static void record_structure_is_strict(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	const char *strings[BUSDISC_TXT_STRINGS];
	struct busdisc_txt txt;
	struct busdisc_packet p;
	struct device d[BUSDISC_PACKET_ANNOUNCES_MAX + 1];
	struct dns_writer w;

	(void)state;
	for (size_t i = 0; i <= BUSDISC_PACKET_ANNOUNCES_MAX; i++)
		make_device(&d[i], (uint8_t)(10 + i), "", NOW_REAL);
	busdisc_txt_of(&d[0].a, &txt);
	for (size_t i = 0; i < txt.n; i++)
		strings[i] = txt.s[i];

	/* SRV without TXT, TXT without SRV, two TXT for one instance. */
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 1);
	put_srv(&w, d[0].a.id, 1);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 1);
	put_txt(&w, d[0].a.id, strings, txt.n);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 3);
	put_srv(&w, d[0].a.id, 1);
	put_txt(&w, d[0].a.id, strings, txt.n);
	put_txt(&w, d[0].a.id, strings, txt.n);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);
	/* SRV with port 0; TXT of another instance than its id=; an instance label not an id. */
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 2);
	put_srv(&w, d[0].a.id, 0);
	put_txt(&w, d[0].a.id, strings, txt.n);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 2);
	put_srv(&w, d[1].a.id, 1);
	put_txt(&w, d[1].a.id, strings, txt.n);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 2);
	put_srv(&w, "printer", 1);
	put_txt(&w, "printer", strings, txt.n);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);

	/* BUSDISC_PACKET_ANNOUNCES_MAX instances in one packet, and one more. */
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 2 * BUSDISC_PACKET_ANNOUNCES_MAX);
	for (size_t i = 0; i < BUSDISC_PACKET_ANNOUNCES_MAX; i++) {
		size_t owner = w.len;

		/* Without sig= and with the TXT's owner compressed: room for one more instance. */
		busdisc_txt_of(&d[i].a, &txt);
		for (size_t k = 0; k < 6; k++)
			strings[k] = txt.s[k];
		put_srv(&w, d[i].a.id, 1);
		put_txt_compressed(&w, owner, strings, 6);
	}
	assert_false(w.overflow);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), 0);
	assert_int_equal(p.n_announces, BUSDISC_PACKET_ANNOUNCES_MAX);
	buf[7] = 2 * BUSDISC_PACKET_ANNOUNCES_MAX + 1;
	put_srv(&w, d[BUSDISC_PACKET_ANNOUNCES_MAX].a.id, 1);
	assert_false(w.overflow);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);

	/* More than BUSDISC_RECORDS_MAX records claimed: refused before any is read. */
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, BUSDISC_RECORDS_MAX);
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG); /* truncated */
	buf[7] = BUSDISC_RECORDS_MAX + 1;
	buf[5] = 0;
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);

	/* A PTR of our service to something that is not an instance. */
	w = (struct dns_writer){.buf = buf, .cap = sizeof(buf)};
	put_response_header(&w, 1);
	{
		size_t mark = dns_begin_record(&w, BUSDISC_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN, 1);

		dns_put_name(&w, "elsewhere.local");
		dns_end_rdata(&w, mark);
	}
	assert_int_equal(busdisc_decode(buf, w.len, NULL, &p), -EBADMSG);
}

/* Records inside a query (known answers) and responses with an error code teach nothing. */
static void queries_and_errors_carry_no_announcement(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct busdisc_packet p;
	struct device d;
	size_t len;

	(void)state;
	make_device(&d, 7, "", NOW_REAL);
	len = encode(&d.a, 120, buf);
	buf[2] = 0; /* QR off */
	buf[3] = 0;
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_int_equal(p.n_announces, 0);
	len = encode(&d.a, 120, buf);
	buf[3] |= 3; /* rcode NXDOMAIN */
	assert_int_equal(busdisc_decode(buf, len, NULL, &p), 0);
	assert_int_equal(p.n_announces, 0);
}

/* ---- the peer table ---- */

static struct busdisc_clock at(uint64_t real_ms, uint64_t mono_ms)
{
	return (struct busdisc_clock){.real_ms = real_ms, .mono_ms = mono_ms};
}

static void peers_accept_refresh_and_change(void **state)
{
	busdisc_peers *t = NULL;
	struct device d;
	const struct busdisc_peer *peer;

	(void)state;
	make_device(&d, 20, "echod", NOW_REAL);
	assert_int_equal(busdisc_peers_new("ffffffffffffffffffffffffffffffff", &t), 0);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL, 1000)), BUSDISC_NEW);
	peer = busdisc_peers_find(t, d.a.id);
	assert_non_null(peer);
	assert_int_equal(peer->addr, ADDR_A);
	assert_int_equal(peer->expires_ms, 1000 + 120 * 1000);
	/* A repeat refreshes; from another address it does not move the peer. */
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_B, 120, at(NOW_REAL, 2000)), BUSDISC_REFRESHED);
	peer = busdisc_peers_find(t, d.a.id);
	assert_int_equal(peer->addr, ADDR_A);
	assert_int_equal(peer->last_seen_ms, 2000);
	assert_int_equal(peer->first_seen_ms, 1000);
	/* A newer one with other services changes it. */
	assert_int_equal(busdisc_announce_init(
	                         &d.a, d.pub, d.a.noise_pub, 4711, "echod,vfsd", NOW_REAL + 10),
	        0);
	sign_announce(&d, &d.a);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_B, 120, at(NOW_REAL, 3000)), BUSDISC_CHANGED);
	peer = busdisc_peers_find(t, d.a.id);
	assert_string_equal(peer->announce.services, "echod,vfsd");
	assert_int_equal(peer->addr, ADDR_B);
	/* A newer one saying the same: refreshed. */
	d.a.ts_ms += 10;
	sign_announce(&d, &d.a);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_B, 120, at(NOW_REAL, 4000)), BUSDISC_REFRESHED);
	assert_int_equal(busdisc_peers_count(t), 1);
	assert_ptr_equal(busdisc_peers_at(t, 0), busdisc_peers_find(t, d.a.id));
	assert_null(busdisc_peers_at(t, 1));
	assert_null(busdisc_peers_find(t, "0123"));
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_NEW), 1);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REFRESHED), 2);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_CHANGED), 1);
	busdisc_peers_free(t);
}

/* The address to dial: the announcement or where the device was last reached, whichever is
 * fresher; a device that restarts on another port is dialled there once it announces it. */
static void dial_address_prefers_the_fresher(void **state)
{
	busdisc_peers *t = NULL;
	struct device d;
	const struct busdisc_peer *peer;
	struct busdisc_dialled reached = {.addr = ADDR_B, .port = 5000, .reached_ms = 1500};
	uint32_t addr = 0;
	uint16_t port = 0;

	(void)state;
	assert_int_equal(busdisc_dial_address(NULL, NULL, &addr, &port), -ENOENT);
	assert_int_equal(addr, 0);
	/* No announcement: where it was reached, even after a dial there failed. */
	reached.reached_ms = 0;
	assert_int_equal(busdisc_dial_address(NULL, &reached, &addr, &port), 0);
	assert_int_equal(addr, ADDR_B);
	assert_int_equal(port, 5000);

	make_device(&d, 21, "echod", NOW_REAL);
	assert_int_equal(busdisc_peers_new("ffffffffffffffffffffffffffffffff", &t), 0);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL, 1000)), BUSDISC_NEW);
	peer = busdisc_peers_find(t, d.a.id);
	assert_int_equal(busdisc_dial_address(peer, NULL, &addr, &port), 0);
	assert_int_equal(addr, ADDR_A);
	assert_int_equal(port, d.a.port);
	/* Reached after the announcement: there. */
	reached.reached_ms = 1500;
	assert_int_equal(busdisc_dial_address(peer, &reached, &addr, &port), 0);
	assert_int_equal(port, 5000);
	/* A dial there failed: the announcement again. */
	reached.reached_ms = 0;
	assert_int_equal(busdisc_dial_address(peer, &reached, &addr, &port), 0);
	assert_int_equal(port, d.a.port);
	/* The device restarts on another port and announces it: that, not the old one. */
	reached.reached_ms = 1500;
	assert_int_equal(
	        busdisc_announce_init(&d.a, d.pub, d.a.noise_pub, 4712, "echod", NOW_REAL + 10), 0);
	sign_announce(&d, &d.a);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL, 2000)), BUSDISC_CHANGED);
	peer = busdisc_peers_find(t, d.a.id);
	assert_int_equal(busdisc_dial_address(peer, &reached, &addr, &port), 0);
	assert_int_equal(addr, ADDR_A);
	assert_int_equal(port, 4712);
	/* Equally fresh: the announcement. */
	reached.reached_ms = 2000;
	assert_int_equal(busdisc_dial_address(peer, &reached, &addr, &port), 0);
	assert_int_equal(port, 4712);
	busdisc_peers_free(t);
}

static void peers_reject_each_cause(void **state)
{
	busdisc_peers *t = NULL;
	struct busdisc_announce a;
	struct device d, other;

	(void)state;
	make_device(&d, 21, "echod", NOW_REAL);
	make_device(&other, 22, "", NOW_REAL);
	assert_int_equal(busdisc_peers_new(other.a.id, &t), 0);

	a = d.a;
	a.sig[0] ^= 1;
	assert_int_equal(
	        busdisc_peers_offer(t, &a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_REJECT_SIGNATURE);
	a = d.a;
	a.has_sig = false;
	assert_int_equal(
	        busdisc_peers_offer(t, &a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_REJECT_SIGNATURE);
	/* dk of d, but another id (and d's signature over it). */
	a = d.a;
	memcpy(a.id, "0123456789abcdef0123456789abcdef", sizeof(a.id));
	sign_announce(&d, &a);
	assert_int_equal(
	        busdisc_peers_offer(t, &a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_REJECT_ID);
	/* Stale past BUSDISC_TS_WINDOW_MS, future past BUSDISC_TS_SKEW_MS; the edges pass. */
	assert_int_equal(busdisc_peers_offer(
	                         t, &d.a, ADDR_A, 120, at(NOW_REAL + BUSDISC_TS_WINDOW_MS + 1, 0)),
	        BUSDISC_REJECT_STALE);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL - BUSDISC_TS_SKEW_MS - 1, 0)),
	        BUSDISC_REJECT_FUTURE);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL - BUSDISC_TS_SKEW_MS, 0)),
	        BUSDISC_NEW);
	/* Replays: an older ts; the same ts with other content. */
	a = d.a;
	a.ts_ms = NOW_REAL - 1;
	sign_announce(&d, &a);
	assert_int_equal(
	        busdisc_peers_offer(t, &a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_REJECT_REPLAY);
	a = d.a;
	a.port = 9;
	sign_announce(&d, &a);
	assert_int_equal(
	        busdisc_peers_offer(t, &a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_REJECT_REPLAY);
	/* Our own. */
	assert_int_equal(
	        busdisc_peers_offer(t, &other.a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_SELF);

	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_SIGNATURE), 2);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_ID), 1);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_STALE), 1);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_FUTURE), 1);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_REPLAY), 2);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_SELF), 1);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_NEW), 1);
	assert_int_equal(busdisc_peers_count(t), 1);
	assert_string_equal(busdisc_verdict_name(BUSDISC_REJECT_REPLAY), "replay");
	assert_string_equal(busdisc_verdict_name(BUSDISC_VERDICTS), "unknown");
	busdisc_peers_free(t);
}

static void peers_table_is_bounded(void **state)
{
	busdisc_peers *t = NULL;
	struct device d;

	(void)state;
	assert_int_equal(busdisc_peers_new("ffffffffffffffffffffffffffffffff", &t), 0);
	for (unsigned i = 0; i < BUSDISC_PEERS_MAX; i++) {
		make_device(&d, (uint8_t)i, "", NOW_REAL);
		assert_int_equal(
		        busdisc_peers_offer(t, &d.a, ADDR_A, 1 + i, at(NOW_REAL, 0)), BUSDISC_NEW);
	}
	make_device(&d, (uint8_t)BUSDISC_PEERS_MAX, "", NOW_REAL);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL, 0)), BUSDISC_REJECT_FULL);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_FULL), 1);
	/* The first expires after 1 s: room again. */
	assert_int_equal(busdisc_peers_next_expiry(t), 1000);
	assert_int_equal(busdisc_peers_expire(t, 999, NULL, NULL), 0);
	assert_int_equal(busdisc_peers_expire(t, 1000, NULL, NULL), 1);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 120, at(NOW_REAL, 1000)), BUSDISC_NEW);
	busdisc_peers_free(t);
}

static void count_gone(void *userdata, const struct busdisc_peer *peer)
{
	(void)peer;
	(*(int *)userdata)++;
}

static void peers_expire_by_ttl_and_goodbye(void **state)
{
	busdisc_peers *t = NULL;
	struct device d, e;
	int gone = 0;

	(void)state;
	make_device(&d, 30, "", NOW_REAL);
	make_device(&e, 31, "", NOW_REAL);
	assert_int_equal(busdisc_peers_new("ffffffffffffffffffffffffffffffff", &t), 0);
	assert_int_equal(busdisc_peers_next_expiry(t), UINT64_MAX);
	/* A TTL past BUSDISC_TTL_MAX_S is believed only up to it. */
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, UINT32_MAX, at(NOW_REAL, 0)), BUSDISC_NEW);
	assert_int_equal(busdisc_peers_next_expiry(t), (uint64_t)BUSDISC_TTL_MAX_S * 1000);
	assert_int_equal(
	        busdisc_peers_offer(t, &e.a, ADDR_B, BUSDISC_TTL_S, at(NOW_REAL, 0)), BUSDISC_NEW);
	/* A goodbye from another address than the peer's is refused; from its own, it expires
	 * the peer a second later. */
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_B, 0, at(NOW_REAL, 5000)), BUSDISC_REJECT_REPLAY);
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 0, at(NOW_REAL, 5000)), BUSDISC_GOODBYE);
	assert_int_equal(busdisc_peers_expire(t, 6000, count_gone, &gone), 1);
	assert_int_equal(gone, 1);
	assert_null(busdisc_peers_find(t, d.a.id));
	/* A goodbye of a device not held changes nothing. */
	assert_int_equal(
	        busdisc_peers_offer(t, &d.a, ADDR_A, 0, at(NOW_REAL, 7000)), BUSDISC_GOODBYE);
	assert_null(busdisc_peers_find(t, d.a.id));
	assert_int_equal(busdisc_peers_expire(t, BUSDISC_TTL_S * 1000 - 1, count_gone, &gone), 0);
	assert_int_equal(busdisc_peers_expire(t, BUSDISC_TTL_S * 1000, count_gone, &gone), 1);
	assert_int_equal(busdisc_peers_count(t), 0);
	busdisc_peers_free(t);
}

struct verdicts {
	int n[BUSDISC_VERDICTS];
	const struct busdisc_peer *last;
};

static void note(void *userdata, enum busdisc_verdict v, const struct busdisc_peer *peer)
{
	struct verdicts *vs = userdata;

	vs->n[v]++;
	vs->last = peer;
}

static void feed_decodes_and_counts(void **state)
{
	uint8_t buf[BUSDISC_PACKET_MAX];
	struct verdicts vs = {0};
	busdisc_peers *t = NULL;
	struct device d, self;
	bool asks = true;
	size_t len;

	(void)state;
	make_device(&d, 40, "echod", NOW_REAL);
	make_device(&self, 41, "", NOW_REAL);
	assert_int_equal(busdisc_peers_new(self.a.id, &t), 0);
	len = encode(&d.a, 120, buf);
	assert_int_equal(
	        busdisc_peers_feed(t, buf, len, ADDR_A, at(NOW_REAL, 0), note, &vs, &asks), 0);
	assert_false(asks);
	assert_int_equal(vs.n[BUSDISC_NEW], 1);
	assert_ptr_equal(vs.last, busdisc_peers_find(t, d.a.id));
	assert_int_equal(
	        busdisc_peers_feed(t, buf, 5, ADDR_A, at(NOW_REAL, 0), note, &vs, NULL), -EBADMSG);
	assert_int_equal(vs.n[BUSDISC_REJECT_MALFORMED], 1);
	assert_null(vs.last);
	assert_int_equal(busdisc_peers_counted(t, BUSDISC_REJECT_MALFORMED), 1);
	/* A query naming our instance. */
	assert_int_equal(busdisc_encode_query(buf, sizeof(buf), &len), 0);
	assert_int_equal(
	        busdisc_peers_feed(t, buf, len, ADDR_A, at(NOW_REAL, 0), NULL, NULL, &asks), 0);
	assert_true(asks);
	/* Our own announcement looped back. */
	len = encode(&self.a, 120, buf);
	assert_int_equal(
	        busdisc_peers_feed(t, buf, len, ADDR_A, at(NOW_REAL, 0), note, &vs, NULL), 0);
	assert_int_equal(vs.n[BUSDISC_SELF], 1);
	assert_null(vs.last);
	assert_int_equal(busdisc_peers_new("short", &t), -EINVAL);
	busdisc_peers_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(device_id_is_sha256_prefix),
	        cmocka_unit_test(service_lists_are_checked),
	        cmocka_unit_test(signed_bytes_are_the_documented_text),
	        cmocka_unit_test(signatures_verify_in_their_domain_only),
	        cmocka_unit_test(response_round_trips),
	        cmocka_unit_test(largest_announcement_fits),
	        cmocka_unit_test(queries_for_us_are_recognised),
	        cmocka_unit_test(other_services_are_ignored),
	        cmocka_unit_test(txt_strings_are_strict),
	        cmocka_unit_test(oversized_and_truncated_are_refused),
	        cmocka_unit_test(names_are_bounded),
	        cmocka_unit_test(pointer_chains_are_bounded),
	        cmocka_unit_test(record_structure_is_strict),
	        cmocka_unit_test(queries_and_errors_carry_no_announcement),
	        cmocka_unit_test(peers_accept_refresh_and_change),
	        cmocka_unit_test(peers_reject_each_cause),
	        cmocka_unit_test(dial_address_prefers_the_fresher),
	        cmocka_unit_test(peers_table_is_bounded),
	        cmocka_unit_test(peers_expire_by_ttl_and_goodbye),
	        cmocka_unit_test(feed_decodes_and_counts),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
