/* SPDX-License-Identifier: MIT */
/* busdisc announcements (announce.h): the signed record and its DNS-SD form. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "announce.h"
#include "keystore/sign.h"

_Static_assert(BUSDISC_KEY_LEN == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key");
_Static_assert(BUSDISC_SIG_LEN == KS_SIGNATURE_LEN, "Ed25519 signature");
_Static_assert(BUSDISC_ID_LEN / 2 <= crypto_hash_sha256_BYTES, "id from SHA-256");

#define TS_DIGITS_MAX    20u /* UINT64_MAX */
#define SERVICE_NAME_MAX 64u /* NX_SVC_NAME_MAX */

int busdisc_device_id(const uint8_t pub[BUSDISC_KEY_LEN], char out[BUSDISC_ID_LEN + 1])
{
	uint8_t hash[crypto_hash_sha256_BYTES];

	if (!pub || !out)
		return -EINVAL;
	crypto_hash_sha256(hash, pub, BUSDISC_KEY_LEN);
	sodium_bin2hex(out, BUSDISC_ID_LEN + 1, hash, BUSDISC_ID_LEN / 2);
	return 0;
}

static bool service_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* One name of the list in [p, p + n): 1..SERVICE_NAME_MAX service characters. */
static bool service_name_valid(const char *p, size_t n)
{
	if (n == 0 || n > SERVICE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!service_char(p[i]))
			return false;
	return true;
}

/* Whether the name [p, p + n) occurs among the names of list before `p`. */
static bool service_seen(const char *list, const char *p, size_t n)
{
	const char *q = list;

	while (q < p) {
		size_t m = strcspn(q, ",");

		if (m == n && memcmp(q, p, n) == 0)
			return true;
		q += m + 1;
	}
	return false;
}

bool busdisc_services_valid(const char *list)
{
	size_t count = 0;
	const char *p = list;

	if (!list || strlen(list) > BUSDISC_SERVICES_TEXT_MAX)
		return false;
	if (!*list)
		return true;
	for (;;) {
		size_t n = strcspn(p, ",");

		if (!service_name_valid(p, n) || service_seen(list, p, n) ||
		        ++count > BUSDISC_SERVICES_MAX)
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

int busdisc_announce_init(struct busdisc_announce *a, const uint8_t device_pub[BUSDISC_KEY_LEN],
        const uint8_t noise_pub[BUSDISC_KEY_LEN], uint16_t port, const char *services,
        uint64_t ts_ms)
{
	if (!a || !device_pub || !noise_pub || port == 0 || !busdisc_services_valid(services))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	(void)busdisc_device_id(device_pub, a->id);
	memcpy(a->device_pub, device_pub, BUSDISC_KEY_LEN);
	memcpy(a->noise_pub, noise_pub, BUSDISC_KEY_LEN);
	a->port = port;
	memcpy(a->services, services, strlen(services) + 1);
	a->ts_ms = ts_ms;
	return 0;
}

/* Keys of the TXT strings, in order; bit i of `seen` is key i. */
static const char *const txt_keys[BUSDISC_TXT_STRINGS] = {
        "v", "id", "dk", "nk", "svc", "ts", "sig"};
enum { TXT_V, TXT_ID, TXT_DK, TXT_NK, TXT_SVC, TXT_TS, TXT_SIG };

void busdisc_txt_of(const struct busdisc_announce *a, struct busdisc_txt *ret)
{
	char hex[2 * BUSDISC_SIG_LEN + 1];

	(void)snprintf(ret->s[TXT_V], sizeof(ret->s[0]), "v=1");
	(void)snprintf(ret->s[TXT_ID], sizeof(ret->s[0]), "id=%s", a->id);
	sodium_bin2hex(hex, sizeof(hex), a->device_pub, BUSDISC_KEY_LEN);
	(void)snprintf(ret->s[TXT_DK], sizeof(ret->s[0]), "dk=%s", hex);
	sodium_bin2hex(hex, sizeof(hex), a->noise_pub, BUSDISC_KEY_LEN);
	(void)snprintf(ret->s[TXT_NK], sizeof(ret->s[0]), "nk=%s", hex);
	(void)snprintf(ret->s[TXT_SVC], sizeof(ret->s[0]), "svc=%s", a->services);
	(void)snprintf(ret->s[TXT_TS], sizeof(ret->s[0]), "ts=%" PRIu64, a->ts_ms);
	ret->n = TXT_SIG;
	if (a->has_sig) {
		sodium_bin2hex(hex, sizeof(hex), a->sig, BUSDISC_SIG_LEN);
		(void)snprintf(ret->s[TXT_SIG], sizeof(ret->s[0]), "sig=%s", hex);
		ret->n++;
	}
}

/* Lowercase hex of exactly 2 * n characters into out (n bytes). */
static bool unhex(const uint8_t *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i], v;

		if (c >= '0' && c <= '9')
			v = (uint8_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (uint8_t)(c - 'a' + 10);
		else
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= v;
	}
	return true;
}

/* Decimal without leading zeros (but "0"), within 64 bits. */
static bool parse_u64(const uint8_t *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > TS_DIGITS_MAX || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool parse_id(const uint8_t *s, size_t len, char out[BUSDISC_ID_LEN + 1])
{
	uint8_t bin[BUSDISC_ID_LEN / 2];

	if (!unhex(s, len, bin, sizeof(bin)))
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool parse_services(const uint8_t *s, size_t len, char out[BUSDISC_SERVICES_TEXT_MAX + 1])
{
	char list[BUSDISC_SERVICES_TEXT_MAX + 1];

	if (len > BUSDISC_SERVICES_TEXT_MAX || memchr(s, '\0', len))
		return false;
	memcpy(list, s, len);
	list[len] = '\0';
	if (!busdisc_services_valid(list))
		return false;
	memcpy(out, list, len + 1);
	return true;
}

static bool parse_value(struct busdisc_announce *a, unsigned key, const uint8_t *v, size_t len)
{
	switch (key) {
	case TXT_V:
		return len == 1 && v[0] == '1';
	case TXT_ID:
		return parse_id(v, len, a->id);
	case TXT_DK:
		return unhex(v, len, a->device_pub, BUSDISC_KEY_LEN);
	case TXT_NK:
		return unhex(v, len, a->noise_pub, BUSDISC_KEY_LEN);
	case TXT_SVC:
		return parse_services(v, len, a->services);
	case TXT_TS:
		return parse_u64(v, len, &a->ts_ms);
	default: /* TXT_SIG */
		return (a->has_sig = unhex(v, len, a->sig, BUSDISC_SIG_LEN));
	}
}

int busdisc_txt_parse(struct busdisc_announce *a, unsigned *seen, const uint8_t *s, size_t n)
{
	const uint8_t *eq = n ? memchr(s, '=', n) : NULL;
	size_t klen;

	if (!eq)
		return -EBADMSG;
	klen = (size_t)(eq - s);
	for (unsigned k = 0; k < BUSDISC_TXT_STRINGS; k++) {
		if (strlen(txt_keys[k]) != klen || memcmp(txt_keys[k], s, klen) != 0)
			continue;
		if (*seen & (1u << k) || !parse_value(a, k, eq + 1, n - klen - 1))
			return -EBADMSG;
		*seen |= 1u << k;
		return 0;
	}
	return -EBADMSG;
}

int busdisc_txt_done(unsigned seen)
{
	unsigned all_but_sig = (1u << TXT_SIG) - 1;

	return (seen & all_but_sig) == all_but_sig ? 0 : -EBADMSG;
}

int busdisc_signed_data(const struct busdisc_announce *a, uint8_t *buf, size_t cap, size_t *ret_len)
{
	struct busdisc_txt t = {0};
	int n;

	if (!a || !buf || !ret_len)
		return -EINVAL;
	busdisc_txt_of(a, &t);
	n = snprintf((char *)buf, cap, "%s\n%s\n%s\n%s\nport=%u\n%s\n%s", t.s[TXT_V], t.s[TXT_ID],
	        t.s[TXT_DK], t.s[TXT_NK], (unsigned)a->port, t.s[TXT_SVC], t.s[TXT_TS]);
	if (n < 0 || (size_t)n >= cap)
		return -ENOBUFS;
	*ret_len = (size_t)n;
	return 0;
}

void busdisc_announce_set_sig(struct busdisc_announce *a, const uint8_t sig[BUSDISC_SIG_LEN])
{
	memcpy(a->sig, sig, BUSDISC_SIG_LEN);
	a->has_sig = true;
}

int busdisc_announce_verify(const struct busdisc_announce *a)
{
	uint8_t data[BUSDISC_SIGNED_MAX];
	char id[BUSDISC_ID_LEN + 1];
	size_t len;
	int r;

	if (!a->has_sig)
		return -ENOKEY;
	(void)busdisc_device_id(a->device_pub, id);
	if (strcmp(id, a->id) != 0)
		return -EPERM;
	r = busdisc_signed_data(a, data, sizeof(data), &len);
	if (r < 0)
		return r;
	/* Any failure to verify (-ENOMEM included) means: not believed. */
	return ks_verify(a->device_pub, BUSDISC_SIGN_DOMAIN, data, len, a->sig) == 0 ? 0 : -EBADMSG;
}
