/* SPDX-License-Identifier: MIT */
/* buspair store on a temp dir: pin, lookup, check, list, unpin; a key change for a pinned id
 * is -EKEYREJECTED (both keys), pins survive reopening, BUSPAIR_PINS_MAX is enforced; a
 * process dying inside a write transaction leaves the old pins; a file that is not a
 * database, a damaged page and a row we could not have written are -EBADMSG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buspair/store.h"
#include "fdcheck.h"

struct fixture {
	char dir[64];
	char path[96];
	buspair_store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/buspair-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	(void)snprintf(f->path, sizeof(f->path), "%s/pins.db", f->dir);
	if (buspair_store_open(f->path, &f->s) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	buspair_store_close(f->s);
	unlink(f->path);
	(void)snprintf(p, sizeof(p), "%s-journal", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct buspair_peer peer(unsigned n)
{
	struct buspair_peer p = {.paired_ns = 1000 + n};

	(void)snprintf(p.device, sizeof(p.device), "%032x", n);
	memset(p.device_pub, (int)n, sizeof(p.device_pub));
	memset(p.static_pub, (int)(n + 100), sizeof(p.static_pub));
	return p;
}

static void pin_lookup_check_unpin(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer a = peer(1), b = peer(2), got, list[4];
	size_t n = 9;

	assert_int_equal(buspair_lookup(f->s, a.device, &got), -ENOENT);
	assert_int_equal(buspair_check(f->s, a.device, a.device_pub, a.static_pub), -ENOENT);
	assert_int_equal(buspair_pin(f->s, &a), 0);
	assert_int_equal(buspair_pin(f->s, &a), 0); /* again, same keys */
	assert_int_equal(buspair_pin(f->s, &b), 0);
	assert_int_equal(buspair_lookup(f->s, a.device, &got), 0);
	assert_memory_equal(&got, &a, sizeof(a));
	assert_int_equal(buspair_check(f->s, a.device, a.device_pub, a.static_pub), 0);
	assert_int_equal(buspair_list(f->s, list, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].device, a.device);
	assert_string_equal(list[1].device, b.device);
	assert_int_equal(buspair_unpin(f->s, a.device), 0);
	assert_int_equal(buspair_unpin(f->s, a.device), -ENOENT);
	assert_int_equal(buspair_check(f->s, a.device, a.device_pub, a.static_pub), -ENOENT);
	/* Survives a reopen. */
	buspair_store_close(f->s);
	assert_int_equal(buspair_store_open(f->path, &f->s), 0);
	assert_int_equal(buspair_lookup(f->s, b.device, &got), 0);
	assert_memory_equal(&got, &b, sizeof(b));
}

/* A different key for a pinned id is its own error, for the device key and the static key. */
static void key_change_refused(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer a = peer(1), evil = peer(1);

	assert_int_equal(buspair_pin(f->s, &a), 0);
	evil.static_pub[0] ^= 1;
	assert_int_equal(
	        buspair_check(f->s, a.device, evil.device_pub, evil.static_pub), -EKEYREJECTED);
	assert_int_equal(buspair_pin(f->s, &evil), -EKEYREJECTED);
	evil = peer(1);
	evil.device_pub[31] ^= 0x80;
	assert_int_equal(
	        buspair_check(f->s, a.device, evil.device_pub, evil.static_pub), -EKEYREJECTED);
	assert_int_equal(buspair_pin(f->s, &evil), -EKEYREJECTED);
	/* Unpinning is how an operator accepts the change. */
	assert_int_equal(buspair_unpin(f->s, a.device), 0);
	assert_int_equal(buspair_pin(f->s, &evil), 0);
}

static void pins_bounded(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer p;

	for (unsigned i = 0; i < BUSPAIR_PINS_MAX; i++) {
		p = peer(i);
		assert_int_equal(buspair_pin(f->s, &p), 0);
	}
	p = peer(BUSPAIR_PINS_MAX);
	assert_int_equal(buspair_pin(f->s, &p), -EDQUOT);
	p = peer(3);
	assert_int_equal(buspair_pin(f->s, &p), 0); /* already pinned: no new row */
}

static void bad_ids(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer p = peer(1), got;

	assert_int_equal(buspair_id_check("0123456789abcdef0123456789abcdeF"), -EINVAL);
	assert_int_equal(buspair_id_check("0123456789abcdef0123456789abcde"), -EINVAL);
	assert_int_equal(buspair_id_check("0123456789abcdef0123456789abcdef0"), -EINVAL);
	assert_int_equal(buspair_id_check("0123456789abcdef0123456789abcdeg"), -EINVAL);
	assert_int_equal(buspair_id_check("0123456789abcdef0123456789abcdef"), 0);
	p.device[0] = 'X';
	assert_int_equal(buspair_pin(f->s, &p), -EINVAL);
	assert_int_equal(buspair_lookup(f->s, "x' OR 1=1 --", &got), -EINVAL);
	assert_int_equal(buspair_unpin(f->s, ""), -EINVAL);
}

/* A process that dies inside a write transaction (as a kill -9 would) leaves the old pins. */
static void crash_inside_transaction(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer a = peer(1), b = peer(2), got;
	int status;
	pid_t pid;

	assert_int_equal(buspair_pin(f->s, &a), 0);
	buspair_store_close(f->s);
	f->s = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;

		if (sqlite3_open(f->path, &db) != SQLITE_OK ||
		        sqlite3_exec(db,
		                "BEGIN IMMEDIATE; DELETE FROM pins;"
		                "INSERT INTO pins VALUES('00000000000000000000000000000002',"
		                " zeroblob(32), zeroblob(32), 5)",
		                NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		_exit(0); /* no COMMIT, no close */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(buspair_store_open(f->path, &f->s), 0);
	assert_int_equal(buspair_lookup(f->s, a.device, &got), 0);
	assert_int_equal(buspair_lookup(f->s, b.device, &got), -ENOENT);
}

static void write_file(const char *path, const void *buf, size_t len, off_t at)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, at), (ssize_t)len);
	close(fd);
}

static void not_a_database(void **state)
{
	struct fixture *f = *state;
	static const char junk[] = "this is not an SQLite database, it is a text file of 64 bytes!";
	buspair_store *s = NULL;

	buspair_store_close(f->s);
	f->s = NULL;
	unlink(f->path);
	write_file(f->path, junk, sizeof(junk), 0);
	assert_int_equal(buspair_store_open(f->path, &s), -EBADMSG);
	assert_null(s);
}

/* Garbage over the tables' pages: SQLite's check or the read finds it. */
static void damaged_page(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer p;
	uint8_t junk[512];
	size_t n;
	int r;

	for (unsigned i = 0; i < 40; i++) {
		p = peer(i);
		assert_int_equal(buspair_pin(f->s, &p), 0);
	}
	buspair_store_close(f->s);
	f->s = NULL;
	memset(junk, 0xa5, sizeof(junk));
	/* Every page but the first (the schema) gets a stripe of garbage at its start. */
	for (off_t at = 4096; at < 4096 * 8; at += 4096)
		write_file(f->path, junk, sizeof(junk), at);
	r = buspair_store_open(f->path, &f->s);
	if (r == 0)
		r = buspair_list(f->s, &p, 1, &n) < 0 ? -EBADMSG : 0;
	assert_int_equal(r, -EBADMSG);
}

/* A row with a key of the wrong length is not one we wrote. */
static void foreign_row(void **state)
{
	struct fixture *f = *state;
	struct buspair_peer got;
	size_t n;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                         "INSERT INTO pins VALUES('00000000000000000000000000000009',"
	                         " zeroblob(31), zeroblob(32), 5)",
	                         NULL, NULL, NULL),
	        SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(buspair_lookup(f->s, "00000000000000000000000000000009", &got), -EBADMSG);
	assert_int_equal(buspair_list(f->s, &got, 1, &n), -EBADMSG);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

FDCHECK_GROUP("buspair store tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(pin_lookup_check_unpin),
	        T(key_change_refused),
	        T(pins_bounded),
	        T(bad_ids),
	        T(crash_inside_transaction),
	        T(not_a_database),
	        T(damaged_page),
	        T(foreign_row),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
