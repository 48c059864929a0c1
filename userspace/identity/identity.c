/* SPDX-License-Identifier: MIT */
#include "identity.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* limits-identity.h states the cost without libsodium's header; it must be libsodium's
 * INTERACTIVE level, which its documentation sizes for interactive logins. */
static_assert(IDN_PWHASH_OPSLIMIT == crypto_pwhash_OPSLIMIT_INTERACTIVE, "argon2id passes");
static_assert(IDN_PWHASH_MEMLIMIT == crypto_pwhash_MEMLIMIT_INTERACTIVE, "argon2id memory");
static_assert(IDN_HASH_STR_SIZE == crypto_pwhash_STRBYTES, "hash string size");
static_assert(IDN_TOKEN_HASH_BYTES == crypto_generichash_BYTES, "token hash size");

static bool name_first(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_rest(char c)
{
	return name_first(c) || (c >= '0' && c <= '9') || c == '-';
}

int idn_user_check(const char *name, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > IDN_USER_MAX)
		return -EMSGSIZE;
	if (!name_first(name[0]))
		return -EINVAL;
	for (size_t i = 1; i < len; i++)
		if (!name_rest(name[i]))
			return -EINVAL;
	return 0;
}

int idn_password_check(const char *password, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > IDN_PASSWORD_MAX)
		return -EMSGSIZE;
	if (memchr(password, '\0', len))
		return -EINVAL;
	return 0;
}

int idn_password_hash(const char *password, size_t len, char ret_hash[IDN_HASH_STR_SIZE])
{
	char hash[IDN_HASH_STR_SIZE];
	int r = idn_password_check(password, len);

	if (r < 0)
		return r;
	if (crypto_pwhash_str(hash, password, len, IDN_PWHASH_OPSLIMIT, IDN_PWHASH_MEMLIMIT) != 0)
		return -ENOMEM;
	memcpy(ret_hash, hash, sizeof(hash));
	return 0;
}

int idn_password_verify(const char *hash, const char *password, size_t len)
{
	int r = idn_password_check(password, len);

	if (r < 0)
		return r;
	return crypto_pwhash_str_verify(hash, password, len) == 0 ? 0 : -EPERM;
}

void idn_token_hash(const uint8_t token[IDN_TOKEN_BYTES], uint8_t ret_hash[IDN_TOKEN_HASH_BYTES])
{
	(void)crypto_generichash(ret_hash, IDN_TOKEN_HASH_BYTES, token, IDN_TOKEN_BYTES, NULL, 0);
}

void idn_session_init(
        struct idn_session *s, uint64_t id, const char *user, uint64_t now_ns, uint64_t ttl_ns)
{
	size_t len = strlen(user);

	assert(idn_user_check(user, len) == 0);
	memset(s, 0, sizeof(*s));
	s->id = id;
	memcpy(s->user, user, len);
	s->created_ns = now_ns;
	s->expires_ns = now_ns + ttl_ns;
}

int idn_session_ttl_parse(const char *text, uint64_t *ret_ns)
{
	unsigned long long v;
	char *end;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < IDN_SESSION_TTL_MIN_NS / 1000000000u ||
	        v > IDN_SESSION_TTL_MAX_NS / 1000000000u)
		return -ERANGE;
	*ret_ns = (uint64_t)v * 1000000000u;
	return 0;
}

enum idn_session_state idn_session_state(
        const struct idn_session *s, uint64_t now_ns, uint64_t *ret_valid_for_ns)
{
	if (s->revoked)
		return IDN_SESSION_REVOKED;
	if (now_ns >= s->expires_ns)
		return IDN_SESSION_EXPIRED;
	if (ret_valid_for_ns)
		*ret_valid_for_ns = s->expires_ns - now_ns;
	return IDN_SESSION_LIVE;
}
