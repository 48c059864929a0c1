/* SPDX-License-Identifier: MIT */
/* busauth: a device key's signature over the Noise static key binds the session to the
 * device; every other key, domain, length or flipped bit is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "busauth/auth.h"
#include "keystore/sign.h"

struct device {
	uint8_t pub[KS_PUBLIC_LEN];
	uint8_t secret[KS_SECRET_LEN];
};

static void device_from_seed(uint8_t seed_byte, struct device *ret)
{
	uint8_t seed[KS_SEED_LEN];

	memset(seed, seed_byte, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(ret->pub, ret->secret, seed), 0);
}

/* A payload as dsoftbusd builds it: keystored's signature in the agreed domain. */
static void payload_for(const struct device *dev, const char *domain,
        const uint8_t static_pub[BUSAUTH_KEY_LEN], uint8_t out[BUSAUTH_PAYLOAD_LEN])
{
	uint8_t sig[BUSAUTH_SIG_LEN];

	assert_int_equal(ks_sign(dev->secret, domain, static_pub, BUSAUTH_KEY_LEN, sig), 0);
	busauth_payload(dev->pub, sig, out);
}

static void test_binds_static_key_to_device(void **state)
{
	uint8_t static_pub[BUSAUTH_KEY_LEN], payload[BUSAUTH_PAYLOAD_LEN], got[BUSAUTH_KEY_LEN];
	struct device dev;

	device_from_seed(1, &dev);
	memset(static_pub, 0x42, sizeof(static_pub));
	payload_for(&dev, BUSAUTH_SIGN_DOMAIN, static_pub, payload);
	assert_int_equal(busauth_check(payload, sizeof(payload), static_pub, got), 0);
	assert_memory_equal(got, dev.pub, sizeof(got));
}

static void test_refuses_other_key_domain_or_bits(void **state)
{
	uint8_t static_pub[BUSAUTH_KEY_LEN], other_static[BUSAUTH_KEY_LEN];
	uint8_t payload[BUSAUTH_PAYLOAD_LEN], bad[BUSAUTH_PAYLOAD_LEN], got[BUSAUTH_KEY_LEN];
	struct device dev, mallory;

	device_from_seed(1, &dev);
	device_from_seed(2, &mallory);
	memset(static_pub, 0x42, sizeof(static_pub));
	memset(other_static, 0x43, sizeof(other_static));
	memset(got, 0xee, sizeof(got));

	/* The static key the handshake showed is not the one signed. */
	payload_for(&dev, BUSAUTH_SIGN_DOMAIN, static_pub, payload);
	assert_int_equal(busauth_check(payload, sizeof(payload), other_static, got), -EKEYREJECTED);
	/* Signed in another domain (an announcement's). */
	payload_for(&dev, "bus.announce", static_pub, bad);
	assert_int_equal(busauth_check(bad, sizeof(bad), static_pub, got), -EKEYREJECTED);
	/* Another device claims the signature: its key with dev's signature. */
	memcpy(bad, payload, sizeof(bad));
	memcpy(bad, mallory.pub, KS_PUBLIC_LEN);
	assert_int_equal(busauth_check(bad, sizeof(bad), static_pub, got), -EKEYREJECTED);
	/* Every single flipped bit of the payload. */
	for (size_t bit = 0; bit < 8 * sizeof(payload); bit++) {
		memcpy(bad, payload, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(busauth_check(bad, sizeof(bad), static_pub, got), -EKEYREJECTED);
	}
	/* Nothing came out of the failures. */
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0xee);
}

static void test_refuses_wrong_lengths(void **state)
{
	uint8_t static_pub[BUSAUTH_KEY_LEN] = {0}, payload[BUSAUTH_PAYLOAD_LEN + 1];
	uint8_t got[BUSAUTH_KEY_LEN];
	struct device dev;

	device_from_seed(3, &dev);
	payload_for(&dev, BUSAUTH_SIGN_DOMAIN, static_pub, payload);
	payload[BUSAUTH_PAYLOAD_LEN] = 0;
	assert_int_equal(busauth_check(payload, 0, static_pub, got), -EBADMSG);
	assert_int_equal(busauth_check(NULL, BUSAUTH_PAYLOAD_LEN, static_pub, got), -EBADMSG);
	assert_int_equal(
	        busauth_check(payload, BUSAUTH_PAYLOAD_LEN - 1, static_pub, got), -EBADMSG);
	assert_int_equal(
	        busauth_check(payload, BUSAUTH_PAYLOAD_LEN + 1, static_pub, got), -EBADMSG);
	assert_int_equal(busauth_check(payload, SIZE_MAX, static_pub, got), -EBADMSG);
	assert_int_equal(busauth_check(payload, BUSAUTH_PAYLOAD_LEN, static_pub, got), 0);
}

static void test_crossed_sessions_keep_one(void **state)
{
	const char *a = "0123456789abcdef0123456789abcdef";
	const char *b = "f123456789abcdef0123456789abcdef";

	/* Exactly one of the two sides keeps the session it dialled. */
	assert_true(busauth_keep_initiated(a, b));
	assert_false(busauth_keep_initiated(b, a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_binds_static_key_to_device),
	        cmocka_unit_test(test_refuses_other_key_domain_or_bits),
	        cmocka_unit_test(test_refuses_wrong_lengths),
	        cmocka_unit_test(test_crossed_sessions_keep_one),
	};

	assert_int_equal(sodium_init() >= 0, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
