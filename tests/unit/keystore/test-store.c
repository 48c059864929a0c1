/* SPDX-License-Identifier: MIT */
/*
 * keystored's store on its own, in a temp dir: first boot and reopen (the same device key),
 * per-owner keys, no private key byte in any file, damage found and named (integrity), and a
 * crash at every step of every write (a forked child aborting there) leaving the old or the
 * new state.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "fdcheck.h"
#include "store.h"

FDCHECK_GROUP("keystored store tests")

struct fixture {
	char dir[64];
	char why[KSS_WHY_MAX + 1];
	uint8_t provision[KS_PROVISION_ENTROPY];
	uint8_t create[KS_CREATE_ENTROPY];
};

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/nx-keystore-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fill(f->provision, sizeof(f->provision), 1);
	fill(f->create, sizeof(f->create), 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static kss *open_ok(struct fixture *f)
{
	kss *s = NULL;

	assert_int_equal(kss_open(f->dir, KS_STEP_NONE, &s, f->why), 0);
	return s;
}

static kss *provisioned(struct fixture *f)
{
	kss *s = open_ok(f);

	assert_int_equal(kss_provision(s, f->provision, 1), 0);
	return s;
}

static const struct ks_ref device = {KS_DEVICE_OWNER, KS_DEVICE_NAME, true};

static struct ks_ref own(const char *owner, const char *name)
{
	return (struct ks_ref){owner, name, false};
}

/* A file of the store dir, whole. */
static uint8_t *slurp(struct fixture *f, const char *name, size_t *ret_len)
{
	char path[128];
	struct stat st;
	uint8_t *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

static void run_sql(struct fixture *f, const char *sql)
{
	char path[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", f->dir, KSS_DB_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Flips one bit of the sealed record of (owner, name), as a disk or an attacker might. */
static void flip_sealed(struct fixture *f, const char *owner, const char *name, int at)
{
	uint8_t rec[KS_RECORD_LEN];
	sqlite3_stmt *st = NULL;
	char path[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", f->dir, KSS_DB_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	        sqlite3_prepare_v2(db, "SELECT sealed FROM keys WHERE owner = ?1 AND name = ?2", -1,
	                &st, NULL),
	        SQLITE_OK);
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), sizeof(rec));
	memcpy(rec, sqlite3_column_blob(st, 0), sizeof(rec));
	sqlite3_finalize(st);
	rec[at] ^= 1;
	assert_int_equal(
	        sqlite3_prepare_v2(db, "UPDATE keys SET sealed = ?3 WHERE owner = ?1 AND name = ?2",
	                -1, &st, NULL),
	        SQLITE_OK);
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, rec, sizeof(rec), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- First boot, reopen ---- */

static void first_boot_makes_one_device_key(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[KS_PUBLIC_LEN], again[KS_PUBLIC_LEN], sig[KS_SIGNATURE_LEN];
	uint8_t want_pk[KS_PUBLIC_LEN], want_sk[KS_SECRET_LEN];
	struct stat st;
	char path[128];
	kss *s = open_ok(f);

	assert_true(kss_needs_provision(s));
	assert_int_equal(kss_public(s, &device, pub), -EAGAIN);
	assert_int_equal(kss_create(s, "uid:0", "k", f->create, 1, pub), -EAGAIN);
	assert_int_equal(kss_provision(s, f->provision, 1), 0);
	assert_false(kss_needs_provision(s));
	assert_int_equal(kss_public(s, &device, pub), 0);
	crypto_sign_seed_keypair(want_pk, want_sk, f->provision + KS_KEK_LEN);
	assert_memory_equal(pub, want_pk, sizeof(pub));
	assert_int_equal(kss_sign(s, &device, "boot", "hi", 2, sig), 0);
	assert_int_equal(ks_verify(pub, "boot", "hi", 2, sig), 0);
	/* Provisioning again changes nothing, even with other bytes. */
	fill(f->provision, sizeof(f->provision), 99);
	assert_int_equal(kss_provision(s, f->provision, 2), 0);
	kss_free(s);
	snprintf(path, sizeof(path), "%s/%s", f->dir, KSS_KEK_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, KS_KEK_FILE_LEN);
	s = open_ok(f);
	assert_false(kss_needs_provision(s));
	assert_int_equal(kss_public(s, &device, again), 0);
	assert_memory_equal(again, want_pk, sizeof(again));
	kss_free(s);
}

/* ---- Keys per owner ---- */

static void owners_see_only_their_keys(void **state)
{
	struct fixture *f = *state;
	uint8_t a[KS_PUBLIC_LEN], b[KS_PUBLIC_LEN], got[KS_PUBLIC_LEN], sig[KS_SIGNATURE_LEN];
	struct kss_key keys[KS_KEYS_PER_SUBJECT + 1];
	struct ks_ref r0 = own("uid:0", "k"), r1 = own("uid:1", "k");
	size_t n = 0;
	kss *s = provisioned(f);

	assert_int_equal(kss_create(s, "uid:0", "k", f->create, 10, a), 0);
	fill(f->create, sizeof(f->create), 3);
	assert_int_equal(kss_create(s, "uid:1", "k", f->create, 11, b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(kss_create(s, "uid:0", "k", f->create, 12, got), -EEXIST);
	assert_int_equal(kss_public(s, &r0, got), 0);
	assert_memory_equal(got, a, sizeof(a));
	assert_int_equal(kss_sign(s, &r1, "d", "x", 1, sig), 0);
	assert_int_equal(ks_verify(b, "d", "x", 1, sig), 0);
	assert_int_equal(ks_verify(a, "d", "x", 1, sig), -EBADMSG);
	assert_int_equal(kss_list(s, "uid:0", keys, KS_KEYS_PER_SUBJECT, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].name, "k");
	assert_memory_equal(keys[0].public, a, sizeof(a));
	assert_int_equal(keys[0].created_ns, 10);
	/* The device key is nobody's to list, create or delete. */
	assert_int_equal(kss_list(s, "app:none", keys, KS_KEYS_PER_SUBJECT, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kss_create(s, KS_DEVICE_OWNER, "x", f->create, 1, got), -EPERM);
	assert_int_equal(kss_delete(s, KS_DEVICE_OWNER, KS_DEVICE_NAME), -EPERM);
	assert_int_equal(kss_delete(s, "uid:0", "k"), 0);
	assert_int_equal(kss_delete(s, "uid:0", "k"), -ENOENT);
	assert_int_equal(kss_public(s, &r0, got), -ENOENT);
	assert_int_equal(kss_public(s, &r1, got), 0);
	assert_int_equal(kss_sign(s, &r1, "Bad domain", "x", 1, sig), -EINVAL);
	kss_free(s);
}

/* KS_KEYS_PER_SUBJECT keys per owner, then -EDQUOT; another owner is not affected. */
static void keys_per_owner_are_bounded(void **state)
{
	struct fixture *f = *state;
	struct kss_key keys[KS_KEYS_PER_SUBJECT + 1];
	uint8_t pub[KS_PUBLIC_LEN];
	char name[16];
	size_t n = 0;
	kss *s = provisioned(f);

	for (unsigned i = 0; i < KS_KEYS_PER_SUBJECT; i++) {
		snprintf(name, sizeof(name), "k%02u", i);
		f->create[0] = (uint8_t)i;
		assert_int_equal(kss_create(s, "app:x", name, f->create, i, pub), 0);
	}
	assert_int_equal(kss_create(s, "app:x", "one-more", f->create, 0, pub), -EDQUOT);
	assert_int_equal(kss_create(s, "app:y", "one-more", f->create, 0, pub), 0);
	assert_int_equal(kss_list(s, "app:x", keys, KS_KEYS_PER_SUBJECT + 1, &n), 0);
	assert_int_equal(n, KS_KEYS_PER_SUBJECT);
	assert_string_equal(keys[0].name, "k00");
	assert_int_equal(kss_list(s, "app:x", keys, 3, &n), 0);
	assert_int_equal(n, 3);
	kss_free(s);
}

/* ---- No private key material at rest ---- */

static void assert_absent(const uint8_t *hay, size_t len, const uint8_t *needle, size_t nlen)
{
	assert_null(memmem(hay, len, needle, nlen));
}

static void no_private_key_byte_in_the_files(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[KS_PUBLIC_LEN], pk[KS_PUBLIC_LEN], sk[KS_SECRET_LEN], rec[KS_RECORD_LEN];
	uint8_t *db, *kekf;
	size_t dblen, keklen;
	kss *s = provisioned(f);

	assert_int_equal(kss_create(s, "uid:0", "secret", f->create, 1, pub), 0);
	kss_free(s);
	db = slurp(f, KSS_DB_FILE, &dblen);
	kekf = slurp(f, KSS_KEK_FILE, &keklen);
	/* Seeds and whole secret keys (seed || public), in any 16-byte window of the seed. */
	for (size_t off = 0; off + 16 <= KS_SEED_LEN; off += 8) {
		assert_absent(db, dblen, f->create + off, 16);
		assert_absent(db, dblen, f->provision + KS_KEK_LEN + off, 16);
		assert_absent(kekf, keklen, f->create + off, 16);
		assert_absent(kekf, keklen, f->provision + KS_KEK_LEN + off, 16);
		/* The KEK is in its own file only. */
		assert_absent(db, dblen, f->provision + off, 16);
	}
	crypto_sign_seed_keypair(pk, sk, f->create);
	assert_absent(db, dblen, sk, sizeof(sk));
	/* What is there: the public key and the sealed record. */
	assert_non_null(memmem(db, dblen, pk, sizeof(pk)));
	assert_int_equal(ks_record_make(f->provision, "uid:0", "secret", f->create, pk, rec), 0);
	assert_non_null(memmem(db, dblen, rec, sizeof(rec)));
	free(db);
	/* Deleted: the sealed record is overwritten, not just unlinked (secure_delete). */
	s = open_ok(f);
	assert_int_equal(kss_delete(s, "uid:0", "secret"), 0);
	kss_free(s);
	db = slurp(f, KSS_DB_FILE, &dblen);
	assert_absent(db, dblen, rec, sizeof(rec));
	free(db);
	free(kekf);
}

/* ---- Damage: integrity, never a crash ---- */

static void expect_damage(struct fixture *f, const char *why_part)
{
	kss *s = NULL;

	assert_int_equal(kss_open(f->dir, KS_STEP_NONE, &s, f->why), -EBADMSG);
	assert_null(s);
	if (!strstr(f->why, why_part))
		fail_msg("why \"%s\" does not say \"%s\"", f->why, why_part);
}

static void set_size(struct fixture *f, const char *name, off_t size)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(truncate(path, size), 0);
}

static void flip_byte(struct fixture *f, const char *name, off_t at)
{
	char path[128];
	uint8_t b;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

static void damaged_kek_is_integrity(void **state)
{
	struct fixture *f = *state;

	kss_free(provisioned(f));
	flip_byte(f, KSS_KEK_FILE, 20);
	expect_damage(f, "kek: damaged");
	flip_byte(f, KSS_KEK_FILE, 20);
	kss_free(open_ok(f));
	set_size(f, KSS_KEK_FILE, KS_KEK_FILE_LEN - 1);
	expect_damage(f, "kek: damaged");
	set_size(f, KSS_KEK_FILE, KS_KEK_FILE_LEN + 100);
	expect_damage(f, "kek: longer than");
}

static void missing_kek_with_keys_is_integrity(void **state)
{
	struct fixture *f = *state;
	char path[128];

	kss_free(provisioned(f));
	snprintf(path, sizeof(path), "%s/%s", f->dir, KSS_KEK_FILE);
	assert_int_equal(unlink(path), 0);
	expect_damage(f, "kek: missing while keys.db holds 1 keys");
}

static void damaged_database_is_integrity(void **state)
{
	struct fixture *f = *state;
	size_t len;
	uint8_t *db;

	kss_free(provisioned(f));
	db = slurp(f, KSS_DB_FILE, &len);
	free(db);
	/* Emptied: as if the keys were lost, while the KEK says there were some. */
	set_size(f, KSS_DB_FILE, 0);
	expect_damage(f, "keys.db: empty or missing while kek exists");
	/* Half a database, then garbage over its header. */
	set_size(f, KSS_DB_FILE, (off_t)len / 2);
	expect_damage(f, "keys.db");
	flip_byte(f, KSS_DB_FILE, 0);
	expect_damage(f, "keys.db");
}

static void tampered_record_is_integrity(void **state)
{
	struct fixture *f = *state;
	uint8_t pub[KS_PUBLIC_LEN], sig[KS_SIGNATURE_LEN];
	struct ks_ref mine = own("uid:0", "k"), theirs = own("uid:1", "k");
	kss *s = provisioned(f);

	assert_int_equal(kss_create(s, "uid:0", "k", f->create, 1, pub), 0);
	kss_free(s);
	/* Flip one bit of the sealed seed; move another record to a new owner. */
	flip_sealed(f, "uid:0", "k", 40);
	s = open_ok(f);
	assert_int_equal(kss_sign(s, &mine, "d", "x", 1, sig), -EBADMSG);
	assert_string_equal(kss_why(s), "key k of uid:0: sealed record fails authentication");
	assert_int_equal(kss_public(s, &mine, pub), -EBADMSG);
	assert_int_equal(kss_create(s, "uid:0", "k2", f->create, 1, pub), 0);
	kss_free(s);
	run_sql(f, "UPDATE keys SET owner = 'uid:1' WHERE name = 'k2'");
	s = open_ok(f);
	theirs.name = "k2";
	assert_int_equal(kss_sign(s, &theirs, "d", "x", 1, sig), -EBADMSG);
	kss_free(s);
	/* The device key's record damaged: found at open. */
	run_sql(f, "UPDATE keys SET public = zeroblob(32) WHERE owner = 'svc:keystored'");
	expect_damage(f, "key device of svc:keystored: sealed record fails authentication");
}

/* ---- Crashes ---- */

/* Runs `op` in a child that aborts at `step`; the child must die of SIGABRT. */
static void crash_child(struct fixture *f, enum ks_step step, void (*op)(kss *, struct fixture *))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		kss *s = NULL;

		if (kss_open(f->dir, step, &s, f->why) < 0)
			_exit(3);
		op(s, f);
		_exit(4); /* the step was never reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("child for step %s: status %#x, not SIGABRT", ks_step_name(step), status);
}

static void op_provision(kss *s, struct fixture *f)
{
	(void)kss_provision(s, f->provision, 1);
}

static void op_create(kss *s, struct fixture *f)
{
	uint8_t pub[KS_PUBLIC_LEN];

	(void)kss_create(s, "uid:0", "new", f->create, 1, pub);
}

static void op_delete(kss *s, struct fixture *f)
{
	(void)kss_delete(s, "uid:0", "old");
}

/* 1 if owner uid:0 has a usable key `name`, 0 if none; the store must open cleanly. */
static int has_key(struct fixture *f, const char *name)
{
	uint8_t pub[KS_PUBLIC_LEN], sig[KS_SIGNATURE_LEN];
	struct ks_ref ref = own("uid:0", name);
	kss *s = open_ok(f);
	int r = kss_sign(s, &ref, "d", "x", 1, sig);

	kss_free(s);
	assert_true(r == 0 || r == -ENOENT);
	(void)pub;
	return r == 0;
}

static void crash_at_every_step_leaves_old_or_new(void **state)
{
	static const struct {
		enum ks_step step;
		void (*op)(kss *, struct fixture *);
		const char *name;
		int want; /* the key `name` after the crash */
	} cases[] = {
	        {KS_STEP_CREATE_BEGUN, op_create, "new", 0},
	        {KS_STEP_CREATE_INSERTED, op_create, "new", 0},
	        {KS_STEP_CREATE_COMMITTED, op_create, "new", 1},
	        {KS_STEP_DELETE_BEGUN, op_delete, "old", 1},
	        {KS_STEP_DELETE_REMOVED, op_delete, "old", 1},
	        {KS_STEP_DELETE_COMMITTED, op_delete, "old", 0},
	};
	struct fixture *f = *state;
	uint8_t pub[KS_PUBLIC_LEN], first[KS_PUBLIC_LEN];
	kss *s;

	/* First boot interrupted twice: the KEK kept, the device key made on the third try. */
	crash_child(f, KS_STEP_PROVISION_KEK, op_provision);
	s = open_ok(f);
	assert_true(kss_needs_provision(s));
	kss_free(s);
	crash_child(f, KS_STEP_PROVISION_INSERTED, op_provision);
	s = open_ok(f);
	assert_true(kss_needs_provision(s));
	fill(f->provision, KS_KEK_LEN, 77); /* a KEK part that must not replace the first */
	assert_int_equal(kss_provision(s, f->provision, 1), 0);
	assert_int_equal(kss_public(s, &device, first), 0);
	kss_free(s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = open_ok(f);
		(void)kss_delete(s, "uid:0", "new");
		f->create[0] = (uint8_t)i;
		if (kss_public(s, &(struct ks_ref){"uid:0", "old", false}, pub) == -ENOENT)
			assert_int_equal(kss_create(s, "uid:0", "old", f->create, 1, pub), 0);
		kss_free(s);
		crash_child(f, cases[i].step, cases[i].op);
		if (has_key(f, cases[i].name) != cases[i].want)
			fail_msg("after a crash at %s, key %s %s", ks_step_name(cases[i].step),
			        cases[i].name, cases[i].want ? "is gone" : "exists");
	}
	s = open_ok(f);
	assert_int_equal(kss_public(s, &device, pub), 0);
	assert_memory_equal(pub, first, sizeof(pub));
	kss_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(first_boot_makes_one_device_key, setup, teardown),
	        cmocka_unit_test_setup_teardown(owners_see_only_their_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(keys_per_owner_are_bounded, setup, teardown),
	        cmocka_unit_test_setup_teardown(no_private_key_byte_in_the_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(damaged_kek_is_integrity, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                missing_kek_with_keys_is_integrity, setup, teardown),
	        cmocka_unit_test_setup_teardown(damaged_database_is_integrity, setup, teardown),
	        cmocka_unit_test_setup_teardown(tampered_record_is_integrity, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                crash_at_every_step_leaves_old_or_new, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
