/* SPDX-License-Identifier: MIT */
/* userspace/identity: name and password rules (SQL-hostile names, the length caps), argon2id
 * hashes (right, wrong, over-long), token hashes, session states at the edges of expiry and
 * after revocation, with an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "fdcheck.h"
#include "identity/identity.h"

#define S 1000000000ull

static void user_names(void **state)
{
	static const char *good[] = {"alice", "_svc", "a", "bob-2", "x_y-z09"};
	/* Each would need quoting in SQL or a shell, or is not a name at all. */
	static const char *bad[] = {"", "Alice", "9lives", "-dash", "al'ice", "al\"ice",
	        "a;DROP TABLE users", "a b", "a/b", "a.b", "é", "a\\b", "a%", "a*"};
	char longest[IDN_USER_MAX + 2];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(idn_user_check(good[i], strlen(good[i])), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(idn_user_check(bad[i], strlen(bad[i])), -EINVAL);
	/* A NUL inside the given length. */
	assert_int_equal(idn_user_check("al\0ce", 5), -EINVAL);
	memset(longest, 'a', sizeof(longest));
	assert_int_equal(idn_user_check(longest, IDN_USER_MAX), 0);
	assert_int_equal(idn_user_check(longest, IDN_USER_MAX + 1), -EMSGSIZE);
}

static void password_rules(void **state)
{
	char pw[IDN_PASSWORD_MAX + 1];

	memset(pw, 'p', sizeof(pw));
	assert_int_equal(idn_password_check(pw, IDN_PASSWORD_MAX), 0);
	assert_int_equal(idn_password_check(pw, IDN_PASSWORD_MAX + 1), -EMSGSIZE);
	assert_int_equal(idn_password_check(pw, 0), -EINVAL);
	assert_int_equal(idn_password_check("a\0b", 3), -EINVAL);
	/* Quotes and semicolons are fine in a password: it is hashed, never parsed. */
	assert_int_equal(idn_password_check("'; DROP TABLE users; --", 23), 0);
}

static void hash_and_verify(void **state)
{
	char hash[IDN_HASH_STR_SIZE], other[IDN_HASH_STR_SIZE], pw[IDN_PASSWORD_MAX + 1];

	assert_int_equal(idn_password_hash("correct horse", 13, hash), 0);
	assert_non_null(strstr(hash, "$argon2id$"));
	/* The stated cost is what the string records: m in KiB, t passes. */
	(void)snprintf(other, sizeof(other), "m=%u,t=%u,", IDN_PWHASH_MEMLIMIT / 1024u,
	        IDN_PWHASH_OPSLIMIT);
	assert_string_equal(other, "m=65536,t=2,");
	assert_non_null(strstr(hash, other));
	assert_int_equal(idn_password_verify(hash, "correct horse", 13), 0);
	assert_int_equal(idn_password_verify(hash, "correct horsf", 13), -EPERM);
	assert_int_equal(idn_password_verify(hash, "correct hors", 12), -EPERM);
	assert_int_equal(idn_password_verify("not a hash", "correct horse", 13), -EPERM);
	/* Salted: the same password hashes differently. */
	assert_int_equal(idn_password_hash("correct horse", 13, other), 0);
	assert_string_not_equal(hash, other);
	/* Over-long: refused before any hashing, also at verify (no prefix of it matches). */
	memset(pw, 'p', sizeof(pw));
	assert_int_equal(idn_password_hash(pw, IDN_PASSWORD_MAX + 1, other), -EMSGSIZE);
	assert_int_equal(idn_password_hash(pw, IDN_PASSWORD_MAX, other), 0);
	assert_int_equal(idn_password_verify(other, pw, IDN_PASSWORD_MAX), 0);
	assert_int_equal(idn_password_verify(other, pw, IDN_PASSWORD_MAX + 1), -EMSGSIZE);
}

static void token_hashes(void **state)
{
	uint8_t a[IDN_TOKEN_BYTES] = {1}, b[IDN_TOKEN_BYTES] = {2};
	uint8_t ha[IDN_TOKEN_HASH_BYTES], ha2[IDN_TOKEN_HASH_BYTES], hb[IDN_TOKEN_HASH_BYTES];

	idn_token_hash(a, ha);
	idn_token_hash(a, ha2);
	idn_token_hash(b, hb);
	assert_memory_equal(ha, ha2, sizeof(ha));
	assert_memory_not_equal(ha, hb, sizeof(ha));
	/* The hash is not the token. */
	assert_memory_not_equal(ha, a, sizeof(ha));
}

static void session_expiry_and_revocation(void **state)
{
	struct idn_session s;
	uint64_t now = 1000 * S, left = 0;

	idn_session_init(&s, 7, "alice", now, IDN_SESSION_TTL_NS);
	assert_int_equal(s.expires_ns, now + IDN_SESSION_TTL_NS);
	assert_int_equal(idn_session_state(&s, now, &left), IDN_SESSION_LIVE);
	assert_int_equal(left, IDN_SESSION_TTL_NS);
	assert_int_equal(idn_session_state(&s, s.expires_ns - 1, &left), IDN_SESSION_LIVE);
	assert_int_equal(left, 1);
	assert_int_equal(idn_session_state(&s, s.expires_ns, NULL), IDN_SESSION_EXPIRED);
	assert_int_equal(idn_session_state(&s, s.expires_ns + S, NULL), IDN_SESSION_EXPIRED);
	s.revoked = true;
	assert_int_equal(idn_session_state(&s, now, NULL), IDN_SESSION_REVOKED);
	assert_int_equal(idn_session_state(&s, s.expires_ns, NULL), IDN_SESSION_REVOKED);
}

static void session_ttl_knob(void **state)
{
	uint64_t ttl = 0;
	char text[32];

	assert_int_equal(idn_session_ttl_parse("2", &ttl), 0);
	assert_int_equal(ttl, 2 * S);
	(void)snprintf(text, sizeof(text), "%llu", IDN_SESSION_TTL_MIN_NS / S);
	assert_int_equal(idn_session_ttl_parse(text, &ttl), 0);
	assert_int_equal(ttl, IDN_SESSION_TTL_MIN_NS);
	(void)snprintf(text, sizeof(text), "%llu", IDN_SESSION_TTL_MAX_NS / S);
	assert_int_equal(idn_session_ttl_parse(text, &ttl), 0);
	assert_int_equal(ttl, IDN_SESSION_TTL_MAX_NS);
	(void)snprintf(text, sizeof(text), "%llu", IDN_SESSION_TTL_MAX_NS / S + 1);
	assert_int_equal(idn_session_ttl_parse(text, &ttl), -ERANGE);
	assert_int_equal(idn_session_ttl_parse("0", &ttl), -ERANGE);
	assert_int_equal(idn_session_ttl_parse("99999999999999999999999", &ttl), -ERANGE);
	assert_int_equal(idn_session_ttl_parse("", &ttl), -EINVAL);
	assert_int_equal(idn_session_ttl_parse("-1", &ttl), -EINVAL);
	assert_int_equal(idn_session_ttl_parse("2s", &ttl), -EINVAL);
	assert_int_equal(ttl, IDN_SESSION_TTL_MAX_NS); /* untouched by the failures */
	/* A session made with it expires then. */
	{
		struct idn_session s;

		idn_session_init(&s, 1, "bob", 10 * S, 2 * S);
		assert_int_equal(idn_session_state(&s, 12 * S - 1, NULL), IDN_SESSION_LIVE);
		assert_int_equal(idn_session_state(&s, 12 * S, NULL), IDN_SESSION_EXPIRED);
	}
}

FDCHECK_GROUP("identity tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(user_names),
	        cmocka_unit_test(password_rules),
	        cmocka_unit_test(hash_and_verify),
	        cmocka_unit_test(token_hashes),
	        cmocka_unit_test(session_expiry_and_revocation),
	        cmocka_unit_test(session_ttl_knob),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
