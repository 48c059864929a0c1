/* SPDX-License-Identifier: MIT */
/*
 * busdisc mdns: announcements as mDNS packets (RFC 6762, RFC 6763), see announce.h for the
 * records. Pure; the decoder is fed hostile packets: it takes (buf, len), derives every bound
 * from len and refuses the whole packet at the first thing out of place.
 */
#ifndef BUSDISC_MDNS_H
#define BUSDISC_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "announce.h"

/* Encodes the response announcing a (signed) with record TTL ttl_s (0: a goodbye, RFC 6762
 * section 10.1) and the A records of addrs (n_addrs <= BUSDISC_ADDRS_MAX, each an IPv4
 * address in network byte order) into buf (cap bytes; BUSDISC_PACKET_MAX is enough).
 * 0 with *ret_len, -EINVAL (unsigned announcement, too many addrs), -ENOBUFS. */
int busdisc_encode_response(const struct busdisc_announce *a, uint32_t ttl_s, const uint32_t *addrs,
        size_t n_addrs, uint8_t *buf, size_t cap, size_t *ret_len);

/* Encodes a query for PTR _nexus._tcp.local (browsing): 0 with *ret_len, -ENOBUFS. */
int busdisc_encode_query(uint8_t *buf, size_t cap, size_t *ret_len);

/* What one received mDNS packet says to us. */
struct busdisc_packet {
	/* A query (QR=0) asking for PTR or ANY of _nexus._tcp.local, SRV, TXT or ANY of
	 * <self id>._nexus._tcp.local or A or ANY of <self id>.local: answer it. */
	bool asks_for_us;
	/* Announcements found in a response (QR=1): instances of _nexus._tcp.local with their SRV
	 * and TXT (fields parsed, not verified) and the TTL of their TXT record. */
	size_t n_announces;
	struct busdisc_announce announces[BUSDISC_PACKET_ANNOUNCES_MAX];
	uint32_t ttl_s[BUSDISC_PACKET_ANNOUNCES_MAX];
};

/* Decodes one mDNS packet (buf, len: borrowed, not kept) for the device self_id (ours,
 * which its questions may name; NULL: questions for instances are not ours). 0 with *ret filled (a packet about
 * something else has asks_for_us false and no announcements), -EMSGSIZE (len >
 * BUSDISC_PACKET_MAX), -EBADMSG (malformed: truncated header or record, a name or label
 * too long, a compression pointer forward, out of bounds or past BUSDISC_NAME_POINTERS_MAX,
 * more than BUSDISC_RECORDS_MAX records or BUSDISC_PACKET_ANNOUNCES_MAX announcements, a
 * nexus instance whose SRV or TXT is missing, duplicated, or whose TXT strings are not
 * exactly the keys above with well-formed values). */
int busdisc_decode(const uint8_t *buf, size_t len, const char *self_id, struct busdisc_packet *ret);

#endif
