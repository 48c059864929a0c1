/* SPDX-License-Identifier: MIT */
/* Limits of dsoftbusd's discovery (userspace/busdisc: signed DNS-SD announcements over mDNS,
 * the peer table), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_BUSDISC_H
#define NEXUS_LIMITS_BUSDISC_H

/* Peers the table holds at once; an announcement from a new device past it is refused and
 * counted (BUSDISC_REJECT_FULL) until an entry expires. */
#define BUSDISC_PEERS_MAX 64u
/* Bytes of one mDNS packet we send or accept (RFC 6762 section 17: 9000 at most; we stay
 * within one Ethernet frame's IPv4 UDP payload). Larger datagrams are refused. */
#define BUSDISC_PACKET_MAX 1472u
/* One TXT string (RFC 6763 section 6.1: a length byte). */
#define BUSDISC_TXT_STRING_MAX 255u
/* Exported service names in one announcement's svc= list, and the list's bytes. */
#define BUSDISC_SERVICES_MAX      16u
#define BUSDISC_SERVICES_TEXT_MAX 250u /* "svc=" + this fits one TXT string */
/* Resource records in one packet we look at (questions + answers + authority + additional);
 * more is refused as malformed, before anything is parsed. */
#define BUSDISC_RECORDS_MAX 32u
/* Compression pointers followed while reading one name; more is a loop or an attack. */
#define BUSDISC_NAME_POINTERS_MAX 16u
/* Announcements (instances of _nexus._tcp.local) in one packet; more is malformed. */
#define BUSDISC_PACKET_ANNOUNCES_MAX 4u
/* An announcement whose timestamp is older than this (realtime) is stale; one ahead of the
 * receiver's clock by more than the skew is from the future. Both refused and counted. */
#define BUSDISC_TS_WINDOW_MS (15ull * 60u * 1000u)
#define BUSDISC_TS_SKEW_MS   (2ull * 60u * 1000u)
/* The record TTL we announce (seconds; RFC 6762 section 10 suggests 120 for records naming
 * a host) and the longest we believe from a peer; expiry follows the TTL. */
#define BUSDISC_TTL_S     120u
#define BUSDISC_TTL_MAX_S 4500u

#endif
