/* SPDX-License-Identifier: MIT */
/* userspace/keystore: names and ownership, domain-separated signatures, sealed records, the KEK
 * file and the crash steps, on their own (no daemon, no files). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fdcheck.h"
#include "keystore/crash.h"
#include "keystore/record.h"
#include "keystore/ref.h"
#include "keystore/sign.h"

FDCHECK_GROUP("keystore tests")

static const uint8_t kek[KS_KEK_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

/* ---- Names, domains, references ---- */

static void names_follow_the_rules(void **state)
{
	char longest[KS_NAME_MAX + 2];

	(void)state;
	assert_true(ks_name_valid("a", 1));
	assert_true(ks_name_valid("Bus_key-2.old", 13));
	assert_false(ks_name_valid("", 0));
	assert_false(ks_name_valid(".hidden", 7));
	assert_false(ks_name_valid("-rf", 3));
	assert_false(ks_name_valid("a b", 3));
	assert_false(ks_name_valid("a/b", 3));
	assert_false(ks_name_valid("a'; DROP TABLE keys;--", 22));
	assert_false(ks_name_valid("a\0b", 3));
	assert_false(ks_name_valid("@device", 7));
	memset(longest, 'k', sizeof(longest));
	assert_true(ks_name_valid(longest, KS_NAME_MAX));
	assert_false(ks_name_valid(longest, KS_NAME_MAX + 1));
}

static void domains_are_policy_segments(void **state)
{
	char longest[KS_DOMAIN_MAX + 2];

	(void)state;
	assert_true(ks_domain_valid("dsoftbus", 8));
	assert_true(ks_domain_valid("bundle.v1_x-y", 13));
	assert_false(ks_domain_valid("", 0));
	assert_false(ks_domain_valid("Upper", 5));
	assert_false(ks_domain_valid(".lead", 5));
	assert_false(ks_domain_valid("trail.", 6));
	assert_false(ks_domain_valid("a..b", 4));
	assert_false(ks_domain_valid("a*", 2));
	assert_false(ks_domain_valid("a b", 3));
	memset(longest, 'd', sizeof(longest));
	assert_true(ks_domain_valid(longest, KS_DOMAIN_MAX));
	assert_false(ks_domain_valid(longest, KS_DOMAIN_MAX + 1));
}

static void a_subject_reaches_only_its_own_keys(void **state)
{
	struct ks_ref ref;

	(void)state;
	assert_int_equal(ks_ref_resolve("uid:1000", "mine", 4, &ref), 0);
	assert_string_equal(ref.owner, "uid:1000");
	assert_string_equal(ref.name, "mine");
	assert_false(ref.device);
	/* The same name from another subject is another key. */
	assert_int_equal(ks_ref_resolve("app:x", "mine", 4, &ref), 0);
	assert_string_equal(ref.owner, "app:x");
	/* No spelling of another owner gets through a name. */
	assert_int_equal(ks_ref_resolve("app:x", "uid:1000/mine", 13, &ref), -EINVAL);
	assert_int_equal(ks_ref_resolve("app:x", "device", 6, &ref), 0);
	assert_string_equal(ref.owner, "app:x");
	assert_false(ref.device);
	/* The device key is the one shared reference. */
	assert_int_equal(ks_ref_resolve("app:x", KS_DEVICE_REF, strlen(KS_DEVICE_REF), &ref), 0);
	assert_true(ref.device);
	assert_string_equal(ref.owner, KS_DEVICE_OWNER);
	assert_string_equal(ref.name, KS_DEVICE_NAME);
	/* keystored's own subject has no named keys: its "device" is the device key. */
	assert_int_equal(ks_ref_resolve(KS_DEVICE_OWNER, "device", 6, &ref), -EPERM);
	assert_int_equal(ks_ref_resolve("", "mine", 4, &ref), -EINVAL);
	assert_int_equal(ks_ref_resolve("uid:0", "mi", 4, &ref), -EINVAL); /* "mi\0" inside */
}

/* ---- Signatures ---- */

static void message_layout_is_prefix_domain_data(void **state)
{
	static const uint8_t want[] = "nexus-sign-v1\0bus\0hello";
	uint8_t buf[64];
	size_t len = 0;

	(void)state;
	assert_int_equal(ks_sign_message("bus", "hello", 5, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want) - 1);
	assert_int_equal(ks_sign_message_len(3, 5), len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(ks_sign_message("bus", "hello", 5, buf, len - 1, &len), -ENOBUFS);
	assert_int_equal(ks_sign_message("Bus", "hello", 5, buf, sizeof(buf), &len), -EINVAL);
}

static void sign_verifies_in_its_domain_only(void **state)
{
	uint8_t pk[KS_PUBLIC_LEN], sk[KS_SECRET_LEN], sig[KS_SIGNATURE_LEN];
	uint8_t data[64];

	(void)state;
	crypto_sign_keypair(pk, sk);
	fill(data, sizeof(data), 3);
	assert_int_equal(ks_sign(sk, "alpha", data, sizeof(data), sig), 0);
	assert_int_equal(ks_verify(pk, "alpha", data, sizeof(data), sig), 0);
	assert_int_equal(ks_verify(pk, "beta", data, sizeof(data), sig), -EBADMSG);
	/* Moving bytes between domain and data does not help: the NUL separates them. */
	assert_int_equal(ks_verify(pk, "alph", data, sizeof(data), sig), -EBADMSG);
	data[0] ^= 1;
	assert_int_equal(ks_verify(pk, "alpha", data, sizeof(data), sig), -EBADMSG);
	data[0] ^= 1;
	/* Not plain Ed25519 over the data either. */
	assert_int_not_equal(crypto_sign_verify_detached(sig, data, sizeof(data), pk), 0);
	assert_int_equal(ks_sign(sk, "NoGood", data, sizeof(data), sig), -EINVAL);
	assert_int_equal(ks_verify(pk, NULL, data, sizeof(data), sig), -EINVAL);
}

/* Inline data is signed from the stack, VMO-sized data (up to KS_VMO_DATA_MAX) from the
 * heap: both give the same kind of signature. */
static void large_data_signs_too(void **state)
{
	uint8_t pk[KS_PUBLIC_LEN], sk[KS_SECRET_LEN], sig[KS_SIGNATURE_LEN];
	uint8_t *data = malloc(KS_VMO_DATA_MAX);

	(void)state;
	assert_non_null(data);
	crypto_sign_keypair(pk, sk);
	fill(data, KS_VMO_DATA_MAX, 9);
	assert_int_equal(ks_sign(sk, "bundle", data, KS_VMO_DATA_MAX, sig), 0);
	assert_int_equal(ks_verify(pk, "bundle", data, KS_VMO_DATA_MAX, sig), 0);
	assert_int_equal(ks_sign(sk, "bundle", data, KS_INLINE_DATA_MAX, sig), 0);
	assert_int_equal(ks_verify(pk, "bundle", data, KS_INLINE_DATA_MAX, sig), 0);
	assert_int_equal(ks_verify(pk, "bundle", data, KS_INLINE_DATA_MAX + 1, sig), -EBADMSG);
	assert_int_equal(ks_sign(sk, "bundle", NULL, 0, sig), 0);
	assert_int_equal(ks_verify(pk, "bundle", NULL, 0, sig), 0);
	free(data);
}

/* ---- Records ---- */

static void record_round_trip_keeps_the_key(void **state)
{
	uint8_t entropy[KS_CREATE_ENTROPY], pk[KS_PUBLIC_LEN], rec[KS_RECORD_LEN];
	uint8_t sk[KS_SECRET_LEN], want_pk[KS_PUBLIC_LEN], want_sk[KS_SECRET_LEN];
	uint8_t sig[KS_SIGNATURE_LEN];

	(void)state;
	fill(entropy, sizeof(entropy), 42);
	assert_int_equal(ks_record_make(kek, "uid:0", "k1", entropy, pk, rec), 0);
	crypto_sign_seed_keypair(want_pk, want_sk, entropy);
	assert_memory_equal(pk, want_pk, sizeof(pk));
	/* The seed is nowhere in the record in clear. */
	assert_null(memmem(rec, sizeof(rec), entropy, KS_SEED_LEN));
	assert_null(memmem(rec, sizeof(rec), entropy, 8));
	assert_int_equal(
	        ks_record_open(kek, "uid:0", "k1", pk, sizeof(pk), rec, sizeof(rec), sk), 0);
	assert_memory_equal(sk, want_sk, sizeof(sk));
	assert_int_equal(ks_sign(sk, "d", "x", 1, sig), 0);
	assert_int_equal(ks_verify(pk, "d", "x", 1, sig), 0);
}

static void record_moved_or_damaged_fails(void **state)
{
	uint8_t entropy[KS_CREATE_ENTROPY], pk[KS_PUBLIC_LEN], rec[KS_RECORD_LEN];
	uint8_t sk[KS_SECRET_LEN], other[KS_KEK_LEN] = {9}, bad_pk[KS_PUBLIC_LEN];

	(void)state;
	fill(entropy, sizeof(entropy), 1);
	assert_int_equal(ks_record_make(kek, "app:x", "k", entropy, pk, rec), 0);
	memset(sk, 0xAA, sizeof(sk));
	assert_int_equal(
	        ks_record_open(kek, "app:y", "k", pk, sizeof(pk), rec, sizeof(rec), sk), -EBADMSG);
	assert_int_equal(
	        ks_record_open(kek, "app:x", "k2", pk, sizeof(pk), rec, sizeof(rec), sk), -EBADMSG);
	assert_int_equal(ks_record_open(other, "app:x", "k", pk, sizeof(pk), rec, sizeof(rec), sk),
	        -EBADMSG);
	memcpy(bad_pk, pk, sizeof(pk));
	bad_pk[31] ^= 0x80;
	assert_int_equal(
	        ks_record_open(kek, "app:x", "k", bad_pk, sizeof(pk), rec, sizeof(rec), sk),
	        -EBADMSG);
	assert_int_equal(
	        ks_record_open(kek, "app:x", "k", pk, sizeof(pk) - 1, rec, sizeof(rec), sk),
	        -EBADMSG);
	/* Every byte matters; every shorter or longer length is refused. */
	for (size_t i = 0; i < sizeof(rec); i++) {
		rec[i] ^= 0x01;
		assert_int_equal(
		        ks_record_open(kek, "app:x", "k", pk, sizeof(pk), rec, sizeof(rec), sk),
		        -EBADMSG);
		rec[i] ^= 0x01;
	}
	for (size_t len = 0; len < sizeof(rec) + 2; len++)
		if (len != sizeof(rec))
			assert_int_equal(
			        ks_record_open(kek, "app:x", "k", pk, sizeof(pk), rec, len, sk),
			        -EBADMSG);
	/* ret_secret untouched on failure. */
	for (size_t i = 0; i < sizeof(sk); i++)
		assert_int_equal(sk[i], 0xAA);
	assert_int_equal(
	        ks_record_open(kek, "app:x", "k", pk, sizeof(pk), rec, sizeof(rec), sk), 0);
}

static void record_owner_and_name_are_bounded(void **state)
{
	char owner[KS_OWNER_MAX + 2], name[KS_NAME_MAX + 2];
	uint8_t entropy[KS_CREATE_ENTROPY] = {0}, pk[KS_PUBLIC_LEN], rec[KS_RECORD_LEN];

	(void)state;
	memset(owner, 'o', sizeof(owner) - 1);
	owner[sizeof(owner) - 1] = '\0';
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ks_record_make(kek, owner, "n", entropy, pk, rec), -EINVAL);
	assert_int_equal(ks_record_make(kek, "o", name, entropy, pk, rec), -EINVAL);
	owner[KS_OWNER_MAX] = '\0';
	name[KS_NAME_MAX] = '\0';
	assert_int_equal(ks_record_make(kek, owner, name, entropy, pk, rec), 0);
	assert_int_equal(ks_record_make(kek, "", "n", entropy, pk, rec), -EINVAL);
}

/* ---- The KEK file ---- */

static void kek_file_round_trip_and_damage(void **state)
{
	uint8_t file[KS_KEK_FILE_LEN], got[KS_KEK_LEN];

	(void)state;
	ks_kek_file_encode(kek, file);
	assert_int_equal(ks_kek_file_decode(file, sizeof(file), got), 0);
	assert_memory_equal(got, kek, sizeof(got));
	for (size_t len = 0; len < sizeof(file); len++)
		assert_int_equal(ks_kek_file_decode(file, len, got), -EBADMSG);
	for (size_t i = 0; i < sizeof(file); i++) {
		file[i] ^= 0x10;
		assert_int_equal(ks_kek_file_decode(file, sizeof(file), got), -EBADMSG);
		file[i] ^= 0x10;
	}
	assert_int_equal(ks_kek_file_decode(NULL, sizeof(file), got), -EBADMSG);
}

/* ---- Crash steps ---- */

static void crash_steps_parse_by_name(void **state)
{
	enum ks_step s = KS_STEP_COUNT;

	(void)state;
	assert_int_equal(ks_step_parse(NULL, &s), 0);
	assert_int_equal(s, KS_STEP_NONE);
	assert_int_equal(ks_step_parse("", &s), 0);
	assert_int_equal(s, KS_STEP_NONE);
	for (int i = KS_STEP_NONE; i < KS_STEP_COUNT; i++) {
		assert_int_equal(ks_step_parse(ks_step_name((enum ks_step)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(ks_step_parse("create-inserted", &s), 0);
	assert_int_equal(s, KS_STEP_CREATE_INSERTED);
	assert_int_equal(ks_step_parse("create", &s), -EINVAL);
	assert_int_equal(ks_step_parse("create-inserted ", &s), -EINVAL);
	assert_null(ks_step_name(KS_STEP_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(names_follow_the_rules),
	        cmocka_unit_test(domains_are_policy_segments),
	        cmocka_unit_test(a_subject_reaches_only_its_own_keys),
	        cmocka_unit_test(message_layout_is_prefix_domain_data),
	        cmocka_unit_test(sign_verifies_in_its_domain_only),
	        cmocka_unit_test(large_data_signs_too),
	        cmocka_unit_test(record_round_trip_keeps_the_key),
	        cmocka_unit_test(record_moved_or_damaged_fails),
	        cmocka_unit_test(record_owner_and_name_are_bounded),
	        cmocka_unit_test(kek_file_round_trip_and_damage),
	        cmocka_unit_test(crash_steps_parse_by_name),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
