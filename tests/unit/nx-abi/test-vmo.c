/* SPDX-License-Identifier: MIT */
/* nx-abi VMOs: create, write, seal, the consumer's checked read-only map, the producer pool. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

/* Passes `fd` over a real channel, as a peer would receive it. Consumes `fd`. */
static int through_channel(int fd)
{
	int ch[2], got[NX_MSG_MAX_FDS];
	unsigned ngot = 0;
	char b;

	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(nx_chan_send(ch[0], "v", 1, &fd, 1), 1);
	assert_int_equal(nx_chan_recv(ch[1], &b, 1, got, NX_MSG_MAX_FDS, &ngot), 1);
	assert_int_equal(ngot, 1);
	close(ch[0]);
	close(ch[1]);
	return got[0];
}

static void test_frozen_round_trip(void **state)
{
	int before = fdcheck_count();
	const char text[] = "frozen bytes";
	struct nx_vmo_map m;
	unsigned seals = 99;
	size_t size = 0;
	int fd, peer;
	char buf[sizeof(text)] = {0};

	assert_int_equal(nx_vmo_create("frozen", 8192, &fd), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(nx_vmo_size(fd, &size), 0);
	assert_int_equal(size, 8192);
	assert_int_equal(nx_vmo_get_seals(fd, &seals), 0);
	assert_int_equal(seals, 0);
	assert_int_equal(nx_vmo_write(fd, 4096, text, sizeof(text)), 0);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_vmo_get_seals(fd, &seals), 0);
	assert_int_equal(seals, NX_VMO_SEAL_FROZEN);

	peer = through_channel(fd);
	assert_int_equal(nx_vmo_map_ro(peer, 8192, true, &m), 0);
	assert_int_equal(m.size, 8192);
	assert_memory_equal((char *)m.addr + 4096, text, sizeof(text));
	assert_int_equal(((char *)m.addr)[0], 0); /* created zeroed */
	/* Read-only for good: cannot be upgraded to writable. */
	assert_int_equal(mprotect(m.addr, m.size, PROT_READ | PROT_WRITE), -1);
	nx_vmo_unmap(&m);
	assert_null(m.addr);
	nx_vmo_unmap(&m); /* twice is harmless */

	/* Frozen: no write by any path, no new writable map, no unsealing. */
	assert_int_equal(nx_vmo_write(peer, 0, "x", 1), -EPERM);
	assert_int_equal(nx_vmo_map_rw(peer, false, &m), -EPERM);
	assert_int_equal(pwrite(peer, "x", 1, 0), -1);
	assert_int_equal(ftruncate(peer, 0), -1);
	assert_int_equal(fcntl(peer, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1); /* F_SEAL_SEAL */
	assert_int_equal(errno, EPERM);
	assert_int_equal(nx_vmo_read(peer, 4096, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, text, sizeof(text));

	close(peer);
	fdcheck_assert(before);
}

static void test_map_ro_refuses_unsealed(void **state)
{
	int before = fdcheck_count();
	struct nx_vmo_map m = {0};
	char buf[4] = {0};
	int fd;

	assert_int_equal(nx_vmo_create("unsealed", 4096, &fd), 0);
	assert_int_equal(nx_vmo_write(fd, 0, "abc", 3), 0);
	assert_int_equal(nx_vmo_map_ro(fd, 4096, false, &m), -EPERM);
	assert_null(m.addr);
	/* Copying out is the way for an unsealed VMO. */
	assert_int_equal(nx_vmo_read(fd, 0, buf, 3), 0);
	assert_string_equal(buf, "abc");

	/* Size sealed but still writable: a peer could change the bytes under us. */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(nx_vmo_map_ro(fd, 4096, false, &m), -EPERM);
	close(fd);

	/* Write sealed but shrinkable: a mapping could SIGBUS. */
	assert_int_equal(nx_vmo_create("shrinkable", 4096, &fd), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW), 0);
	assert_int_equal(nx_vmo_map_ro(fd, 4096, false, &m), -EPERM);
	{
		unsigned seals = 99;

		/* Reported only as whole sets. */
		assert_int_equal(nx_vmo_get_seals(fd, &seals), 0);
		assert_int_equal(seals, 0);
	}
	close(fd);
	fdcheck_assert(before);
}

static void test_map_ro_refuses_too_large(void **state)
{
	int before = fdcheck_count();
	struct nx_vmo_map m = {0};
	int fd;

	assert_int_equal(nx_vmo_create("big", 8192, &fd), 0);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_vmo_map_ro(fd, 8191, false, &m), -EMSGSIZE);
	assert_int_equal(nx_vmo_map_ro(fd, 8192, false, &m), 0);
	nx_vmo_unmap(&m);
	close(fd);

	/* NX_VMO_MAX_BYTES caps every interface, whatever it asks for. Sparse: costs no memory. */
	assert_int_equal(nx_vmo_create("huge", (size_t)NX_VMO_MAX_BYTES + 4096, &fd), 0);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_vmo_map_ro(fd, SIZE_MAX, false, &m), -EMSGSIZE);
	assert_null(m.addr);
	close(fd);
	fdcheck_assert(before);
}

static void test_map_ro_refuses_non_memfd(void **state)
{
	int before = fdcheck_count();
	struct nx_vmo_map m = {0};
	char path[PATH_MAX];
	const char *base = getenv("TMPDIR");
	unsigned seals;
	int fd, p[2], ch[2];

	/* A regular file that is not a memfd: no seals to check, so never mapped. */
	assert_true(snprintf(path, sizeof(path), "%s/nx-abi-vmo-XXXXXX",
	                    base && *base ? base : "/tmp") < (int)sizeof(path));
	fd = mkostemp(path, O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(write(fd, "file", 4), 4);
	assert_int_equal(nx_vmo_map_ro(fd, 4096, false, &m), -EBADF);
	assert_int_equal(nx_vmo_get_seals(fd, &seals), -EBADF);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), -EBADF);
	close(fd);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(nx_vmo_map_ro(p[0], 4096, false, &m), -EBADF);
	assert_int_equal(nx_vmo_map_ro(p[1], 4096, false, &m), -EBADF);
	close(p[0]);
	close(p[1]);

	assert_int_equal(nx_chan_pair(ch), 0);
	assert_int_equal(nx_vmo_map_ro(ch[0], 4096, false, &m), -EBADF);
	close(ch[0]);
	close(ch[1]);
	assert_null(m.addr);
	fdcheck_assert(before);
}

static void test_producer_pool(void **state)
{
	int before = fdcheck_count();
	struct nx_vmo_map prod, cons, again;
	unsigned seals = 0;
	int fd, peer, r;

	assert_int_equal(nx_vmo_create("pool", 4096, &fd), 0);
	assert_int_equal(nx_vmo_map_rw(fd, true, &prod), 0);
	memcpy(prod.addr, "before", 7);
	r = nx_vmo_seal(fd, NX_VMO_SEAL_PRODUCER);
	if (r == -EOPNOTSUPP) {
		/* Kernel before 5.1: no F_SEAL_FUTURE_WRITE. Say so rather than pass. */
		nx_vmo_unmap(&prod);
		close(fd);
		skip();
	}
	assert_int_equal(r, 0);
	assert_int_equal(nx_vmo_get_seals(fd, &seals), 0);
	assert_int_equal(seals, NX_VMO_SEAL_PRODUCER);

	/* The fd goes to the consumer; the producer keeps its map, not an fd. */
	peer = through_channel(fd);
	assert_int_equal(nx_vmo_map_ro(peer, 4096, false, &cons), 0);
	assert_string_equal(cons.addr, "before");

	/* The producer's existing map keeps writing; the consumer sees it in place. */
	memcpy(prod.addr, "after!", 7);
	assert_string_equal(cons.addr, "after!");

	/* Nobody gets a new writable view, nor writes through the fd. */
	assert_int_equal(nx_vmo_map_rw(peer, false, &again), -EPERM);
	assert_int_equal(nx_vmo_write(peer, 0, "x", 1), -EPERM);
	assert_int_equal(mprotect(cons.addr, cons.size, PROT_READ | PROT_WRITE), -1);
	assert_int_equal(ftruncate(peer, 0), -1);

	/* FROZEN on top needs the writable map gone. */
	assert_int_equal(nx_vmo_seal(peer, NX_VMO_SEAL_FROZEN), -EBUSY);
	nx_vmo_unmap(&prod);
	assert_int_equal(nx_vmo_seal(peer, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_vmo_get_seals(peer, &seals), 0);
	assert_int_equal(seals, NX_VMO_SEAL_FROZEN | NX_VMO_SEAL_PRODUCER);

	nx_vmo_unmap(&cons);
	close(peer);
	fdcheck_assert(before);
}

static void test_ranges_and_args(void **state)
{
	int before = fdcheck_count();
	struct nx_vmo_map m = {(void *)1, 1};
	char buf[8];
	int fd;

	assert_int_equal(nx_vmo_create("r", 16, &fd), 0);
	assert_int_equal(nx_vmo_write(fd, 8, "12345678", 8), 0);
	assert_int_equal(nx_vmo_write(fd, 9, "12345678", 8), -ERANGE);
	assert_int_equal(nx_vmo_write(fd, UINT64_MAX, "1", 1), -ERANGE);
	assert_int_equal(nx_vmo_read(fd, 8, buf, 8), 0);
	assert_memory_equal(buf, "12345678", 8);
	assert_int_equal(nx_vmo_read(fd, 16, buf, 1), -ERANGE);
	assert_int_equal(nx_vmo_read(fd, 16, buf, 0), 0);
	assert_int_equal(nx_vmo_read(fd, UINT64_MAX - 2, buf, 8), -ERANGE);
	assert_int_equal(nx_vmo_seal(fd, 1u << 5), -EINVAL);
	assert_int_equal(nx_vmo_seal(fd, 0), -EINVAL);
	close(fd);

	/* An empty VMO maps to an empty view. */
	assert_int_equal(nx_vmo_create("empty", 0, &fd), 0);
	assert_int_equal(nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN), 0);
	assert_int_equal(nx_vmo_map_ro(fd, 0, true, &m), 0);
	assert_null(m.addr);
	assert_int_equal(m.size, 0);
	nx_vmo_unmap(&m);
	close(fd);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_frozen_round_trip),
	        cmocka_unit_test(test_map_ro_refuses_unsealed),
	        cmocka_unit_test(test_map_ro_refuses_too_large),
	        cmocka_unit_test(test_map_ro_refuses_non_memfd),
	        cmocka_unit_test(test_producer_pool),
	        cmocka_unit_test(test_ranges_and_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
