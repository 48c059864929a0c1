/* SPDX-License-Identifier: MIT */
/*
 * busdisc announce: dsoftbusd's signed announcement and its DNS-SD form over mDNS
 * (RFC 6762, RFC 6763).
 *
 * A device announces the service instance `<device id>._nexus._tcp.local` with
 *   PTR  _nexus._tcp.local             -> <id>._nexus._tcp.local
 *   SRV  <id>._nexus._tcp.local        -> port, target <id>.local
 *   TXT  <id>._nexus._tcp.local        -> v=1 id=<id> dk=<hex> nk=<hex> svc=<a,b> ts=<ms> sig=<hex>
 *   A    <id>.local                    -> each IPv4 address given (none is fine)
 * The device id is the first 16 bytes of SHA-256(device Ed25519 public key) in lowercase hex.
 * `dk` is that public key, `nk` the Noise static public key (X25519), `ts` realtime ms, `sig`
 * the device key's Ed25519 signature in domain BUSDISC_SIGN_DOMAIN (keystore's
 * "nexus-sign-v1" NUL domain NUL data construction, userspace/keystore/sign.h) over the
 * bytes busdisc_signed_data() writes:
 *   "v=1\nid=<id>\ndk=<hex>\nnk=<hex>\nport=<port>\nsvc=<list>\nts=<ms>"
 * The address is not signed (it is the network's to give; the Noise handshake proves who
 * answers there).
 *
 * Pure: no I/O, no clock (libsodium's SHA-256 and Ed25519). Decoders take (buf, len), derive
 * every bound from len, and never allocate. Peer packets are hostile: anything that is not a
 * well-formed DNS message within the limits of nexus/limits-busdisc.h is refused whole.
 */
#ifndef BUSDISC_ANNOUNCE_H
#define BUSDISC_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h"

#define BUSDISC_ID_LEN      32u /* hex characters of the device id */
#define BUSDISC_KEY_LEN     32u /* Ed25519 and X25519 public keys */
#define BUSDISC_SIG_LEN     64u
#define BUSDISC_SIGN_DOMAIN "bus.announce"
#define BUSDISC_SERVICE     "_nexus._tcp.local"
#define BUSDISC_MDNS_PORT   5353u
#define BUSDISC_ADDRS_MAX   4u /* A records we put in one response */
/* Longest signed data: the fixed keys plus the hex keys, port, service list and ts. */
#define BUSDISC_SIGNED_MAX 512u

struct busdisc_announce {
	char id[BUSDISC_ID_LEN + 1];
	uint8_t device_pub[BUSDISC_KEY_LEN];
	uint8_t noise_pub[BUSDISC_KEY_LEN];
	uint16_t port;
	/* Exported services, comma separated, each a service name ([a-z0-9._-], 1..64 bytes);
	 * empty for none. */
	char services[BUSDISC_SERVICES_TEXT_MAX + 1];
	uint64_t ts_ms;
	bool has_sig; /* decoded: whether sig= was present */
	uint8_t sig[BUSDISC_SIG_LEN];
};

/* The device id of `pub` into out (NUL-terminated). 0, or -EINVAL for NULL arguments. */
int busdisc_device_id(const uint8_t pub[BUSDISC_KEY_LEN], char out[BUSDISC_ID_LEN + 1]);

/* Whether `list` is a valid svc= value (comma separated service names, at most
 * BUSDISC_SERVICES_MAX of them, at most BUSDISC_SERVICES_TEXT_MAX bytes, no empty item, no
 * duplicate); the empty list is valid. */
bool busdisc_services_valid(const char *list);

/* Fills a (not its signature) from the device's keys, port, services (copied) and ts; the id
 * is derived from device_pub. 0, -EINVAL (busdisc_services_valid refuses services, port 0). */
int busdisc_announce_init(struct busdisc_announce *a, const uint8_t device_pub[BUSDISC_KEY_LEN],
        const uint8_t noise_pub[BUSDISC_KEY_LEN], uint16_t port, const char *services,
        uint64_t ts_ms);

/* The bytes the device key signs (see above) into buf (cap bytes; BUSDISC_SIGNED_MAX is
 * always enough): 0 with *ret_len, -ENOBUFS. */
int busdisc_signed_data(
        const struct busdisc_announce *a, uint8_t *buf, size_t cap, size_t *ret_len);

/* Sets a's signature (has_sig too). */
void busdisc_announce_set_sig(struct busdisc_announce *a, const uint8_t sig[BUSDISC_SIG_LEN]);

/* 0 when a carries a valid signature of its dk over its fields, -ENOKEY when sig= is
 * missing, -EBADMSG when the signature does not verify, -EPERM when the id is not dk's. */
int busdisc_announce_verify(const struct busdisc_announce *a);

/* The announcement's TXT strings (RFC 6763 section 6), in order: v=1 id= dk= nk= svc= ts=
 * and, when signed, sig=. */
enum { BUSDISC_TXT_STRINGS = 7 };
struct busdisc_txt {
	char s[BUSDISC_TXT_STRINGS][BUSDISC_TXT_STRING_MAX + 1];
	size_t n;
};
void busdisc_txt_of(const struct busdisc_announce *a, struct busdisc_txt *ret);

/* Parses one TXT string (n bytes at s, borrowed) into a, `seen` keeping which keys came
 * (start it at 0). 0, or -EBADMSG: not key=value, an unknown or repeated key, v not 1, a
 * value malformed (id: BUSDISC_ID_LEN lowercase hex; dk, nk: 64 lowercase hex; svc:
 * busdisc_services_valid; ts: decimal without leading zeros within 64 bits; sig: 128
 * lowercase hex). */
int busdisc_txt_parse(struct busdisc_announce *a, unsigned *seen, const uint8_t *s, size_t n);
/* After the last string: 0 when every key but sig= came (the announcement's has_sig says
 * whether sig= did), -EBADMSG otherwise. */
int busdisc_txt_done(unsigned seen);

#endif
