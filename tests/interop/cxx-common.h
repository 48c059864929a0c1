/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the C++ reference peers (server, client, benchmark): sealed memfds
 * filled with the interop pattern, and reading one back through its fd.
 */
#ifndef TESTS_INTEROP_CXX_COMMON_H
#define TESTS_INTEROP_CXX_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <kj/debug.h>
#include <kj/io.h>

#include "interop-util.h"

namespace interop
{

constexpr unsigned SEALS_FROZEN = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

/* A DESIGN.md section 9 error: the reason is exactly "<code>: <sentence>", which is what a
 * peer sees after "remote exception: " (KJ_REQUIRE would prefix the failed condition). */
[[noreturn]] inline void fail(const char *reason)
{
	kj::throwFatalException(kj::Exception(
	        kj::Exception::Type::FAILED, __FILE__, __LINE__, kj::heapString(reason)));
}

/* A sealed memfd of `size` bytes holding interop_pattern(seed). */
inline kj::AutoCloseFd make_pattern_memfd(uint64_t size, uint32_t seed)
{
	if (size > INTEROP_BLOB_MAX_BYTES)
		fail("too_large: blob size over the test cap");
	int raw = memfd_create("interop-blob", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	KJ_SYSCALL(raw);
	kj::AutoCloseFd fd(raw);
	KJ_SYSCALL(ftruncate(fd, (off_t)size));

	uint8_t buf[65536];
	uint64_t off = 0;
	while (off < size) {
		size_t n = (size_t)kj::min((uint64_t)sizeof(buf), size - off);
		interop_pattern_fill(seed, off, buf, n);
		ssize_t w;
		KJ_SYSCALL(w = pwrite(fd, buf, n, (off_t)off));
		KJ_ASSERT(w > 0);
		off += (uint64_t)w;
	}
	KJ_SYSCALL(fcntl(fd, F_ADD_SEALS, SEALS_FROZEN | F_SEAL_SEAL));
	return fd;
}

inline uint64_t pattern_hash(uint64_t size, uint32_t seed)
{
	uint8_t buf[65536];
	uint64_t h = INTEROP_FNV_INIT;
	for (uint64_t off = 0; off < size;) {
		size_t n = (size_t)kj::min((uint64_t)sizeof(buf), size - off);
		interop_pattern_fill(seed, off, buf, n);
		h = interop_fnv1a64(h, buf, n);
		off += n;
	}
	return h;
}

inline bool fd_is_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && ((unsigned)seals & SEALS_FROZEN) == SEALS_FROZEN;
}

struct FdContents {
	uint64_t size = 0;
	uint64_t hash = INTEROP_FNV_INIT;
	kj::Array<uint8_t> head;
	bool sealed = false;
};

/*
 * Reads a peer's memfd the way DESIGN.md section 5 says: regular file, size within the cap;
 * mapped read-only only when sealed (a peer could shrink an unsealed one under the map),
 * otherwise copied out with pread.
 */
inline FdContents read_fd(int fd)
{
	struct stat st;
	KJ_SYSCALL(fstat(fd, &st));
	if (!S_ISREG(st.st_mode))
		fail("invalid_argument: blob fd is not a regular file");
	if ((uint64_t)st.st_size > INTEROP_BLOB_MAX_BYTES)
		fail("too_large: blob over the cap");

	FdContents c;
	c.size = (uint64_t)st.st_size;
	c.sealed = fd_is_sealed(fd);
	size_t head = (size_t)kj::min(c.size, (uint64_t)INTEROP_BLOB_HEAD_BYTES);
	c.head = kj::heapArray<uint8_t>(head);

	if (c.sealed && c.size > 0) {
		void *p = mmap(nullptr, (size_t)c.size, PROT_READ, MAP_SHARED, fd, 0);
		KJ_REQUIRE(p != MAP_FAILED, "mmap blob", errno);
		KJ_DEFER(munmap(p, (size_t)c.size));
		c.hash = interop_fnv1a64(c.hash, p, (size_t)c.size);
		memcpy(c.head.begin(), p, head);
		return c;
	}

	uint8_t buf[65536];
	for (uint64_t off = 0; off < c.size;) {
		ssize_t n;
		KJ_SYSCALL(n = pread(fd, buf, sizeof(buf), (off_t)off));
		if (n == 0)
			fail("integrity: blob shrank while being read");
		size_t got = (size_t)kj::min((uint64_t)n, c.size - off);
		if (off < head)
			memcpy(c.head.begin() + off, buf,
			        (size_t)kj::min((uint64_t)got, head - off));
		c.hash = interop_fnv1a64(c.hash, buf, got);
		off += got;
	}
	return c;
}

/* A connected AF_UNIX stream socket to `path`, close-on-exec. */
inline kj::AutoCloseFd connect_unix(kj::StringPtr path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	KJ_REQUIRE(path.size() < sizeof(sa.sun_path), "socket path too long", path);
	memcpy(sa.sun_path, path.cStr(), path.size() + 1);
	int raw;
	KJ_SYSCALL(raw = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	kj::AutoCloseFd fd(raw);
	KJ_SYSCALL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), path);
	return fd;
}

} /* namespace interop */

#endif
