/* SPDX-License-Identifier: MIT */
/*
 * The data plane (DESIGN.md section 5): SIZE bytes from a producer process to a consumer
 * process that reads every byte (sums it as 64-bit words and sends the sum back, which the
 * producer checks). One transfer = produce, hand over, consume, acknowledge.
 *
 *   local       baseline: one process writes the bytes into a buffer it keeps and reads
 *               them back; no second process, no copy
 *   socket      through the socketpair in CHUNK-sized writes and reads
 *   vmo-fresh   a new VMO per transfer: create, map, fill, unmap, seal, send the fd; the
 *               consumer maps it read-only, sums, unmaps, closes
 *   vmo-pool    one VMO of SLOTS slots mapped by both sides for the whole run: the producer
 *               writes a slot in place and sends a one-byte "ready", the consumer sums it and
 *               answers a one-byte "free"; the producer waits only when every slot is in
 *               flight. --slots 1 --slot-kib SIZE is the plain pool (one buffer, no overlap);
 *               several smaller slots are a ring, where both sides work at once and a slot
 *               can still be in cache when the consumer reads it.
 *
 *   bench-dataplane --mode MODE [--populate none|producer|consumer|both]
 *                   [--cpus same|split] [--mib N] [--reps N] [--slots K --slot-kib S]
 *
 * --populate adds MAP_POPULATE to the producer's and/or consumer's map (vmo-fresh only; the
 * pool is populated by its first transfer and is measured after a warm-up).
 * --produce write / --consume read (vmo-fresh only) replace that side's map with
 * nx_vmo_write / nx_vmo_read through a small buffer: a copy, but no page fault per page.
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

#define DP_CHUNK        (256u << 10)
#define DP_MAX_REPS     64u
#define DP_POP_PRODUCER (1u << 0)
#define DP_POP_CONSUMER (1u << 1)

enum dp_mode { DP_LOCAL, DP_SOCKET, DP_VMO_FRESH, DP_VMO_POOL };

struct dp {
	enum dp_mode mode;
	unsigned populate;
	bool produce_write; /* vmo-fresh: fill with nx_vmo_write instead of a map */
	bool consume_read;  /* vmo-fresh: read with nx_vmo_read instead of a map */
	size_t size;
	size_t slot;     /* vmo-pool: bytes per slot (0: the whole transfer) */
	unsigned nslots; /* vmo-pool: slots in the pool */
	int fd;          /* our end of the channel */
};

/* Keeps the compiler from reasoning across the fill and the sum in the local baseline. */
static inline void dp_clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint64_t dp_sum(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		s += w[i];
	return s;
}

static uint64_t dp_expected(size_t size, uint8_t v)
{
	return (uint64_t)(size / 8) * (v * 0x0101010101010101ull);
}

static int full_io(int fd, void *buf, size_t len, bool wr)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- consumer (child process) ---- */

static int consume_socket(struct dp *d, uint8_t *chunk, uint64_t *ret_sum)
{
	uint64_t s = 0;
	size_t off;
	int r;

	for (off = 0; off < d->size; off += DP_CHUNK) {
		r = full_io(d->fd, chunk, DP_CHUNK, false);
		if (r < 0)
			return r;
		s += dp_sum(chunk, DP_CHUNK);
	}
	*ret_sum = s;
	return 0;
}

static int consume_fresh(struct dp *d, uint8_t *chunk, uint64_t *ret_sum)
{
	struct nx_vmo_map m;
	uint8_t b;
	int fd = -1, r = 0;
	unsigned nfds = 0;
	ssize_t n;

	n = nx_chan_recv(d->fd, &b, 1, &fd, 1, &nfds);
	if (n <= 0 || nfds != 1)
		return n < 0 ? (int)n : -EPROTO;
	if (d->consume_read) {
		uint64_t s = 0;
		size_t off;

		for (off = 0; off < d->size; off += DP_CHUNK) {
			r = nx_vmo_read(fd, off, chunk, DP_CHUNK);
			if (r < 0)
				break;
			s += dp_sum(chunk, DP_CHUNK);
		}
		close(fd);
		*ret_sum = s;
		return r < 0 ? r : 0;
	}
	r = nx_vmo_map_ro(fd, d->size, d->populate & DP_POP_CONSUMER, &m);
	close(fd);
	if (r < 0)
		return r;
	*ret_sum = dp_sum(m.addr, m.size);
	nx_vmo_unmap(&m);
	return 0;
}

static int consume_pool(struct dp *d, const struct nx_vmo_map *pool, uint64_t *ret_sum)
{
	const uint8_t *base = pool->addr;
	size_t c, chunks;
	uint64_t s = 0;
	uint8_t b = 0;
	int r;

	if (!base || d->nslots == 0 || d->slot == 0)
		return -EINVAL;
	chunks = d->size / d->slot;

	for (c = 0; c < chunks; c++) {
		r = full_io(d->fd, &b, 1, false);
		if (r < 0)
			return r;
		s += dp_sum(base + (c % d->nslots) * d->slot, d->slot);
		r = full_io(d->fd, &b, 1, true);
		if (r < 0)
			return r;
	}
	*ret_sum = s;
	return 0;
}

__attribute__((noreturn)) static void consumer(struct dp *d, int cpu)
{
	struct nx_vmo_map pool = {NULL, 0};
	uint8_t *chunk = NULL;
	uint64_t sum;
	int r = 0;

	if (bench_pin(cpu) < 0)
		_exit(1);
	if (d->mode == DP_SOCKET || d->mode == DP_VMO_FRESH) {
		chunk = aligned_alloc(64, DP_CHUNK);
		if (!chunk)
			_exit(1);
	} else if (d->mode == DP_VMO_POOL) {
		int fd = -1;
		unsigned nfds = 0;
		uint8_t b;
		ssize_t n = nx_chan_recv(d->fd, &b, 1, &fd, 1, &nfds);

		if (n <= 0 || nfds != 1)
			_exit(1);
		/* Read-only, checked map of the producer's pool: it kept its writable map and
		 * sealed future writes, so nobody else can write or resize it. */
		r = nx_vmo_map_ro(fd, d->slot * d->nslots, false, &pool);
		close(fd);
		if (r < 0)
			_exit(1);
	}

	for (;;) {
		/* Every transfer starts with one byte from the producer (or, for the socket,
		 * the data itself). */
		if (d->mode == DP_SOCKET)
			r = consume_socket(d, chunk, &sum);
		else if (d->mode == DP_VMO_FRESH)
			r = consume_fresh(d, chunk, &sum);
		else
			r = consume_pool(d, &pool, &sum);
		if (r < 0)
			break;
		if (full_io(d->fd, &sum, sizeof(sum), true) < 0)
			break;
	}
	nx_vmo_unmap(&pool);
	free(chunk);
	_exit(r == -EPIPE ? 0 : 1);
}

/* ---- producer (measuring process) ---- */

static int produce_socket(struct dp *d, uint8_t *chunk, uint8_t v)
{
	size_t off;
	int r;

	for (off = 0; off < d->size; off += DP_CHUNK) {
		memset(chunk, v, DP_CHUNK);
		r = full_io(d->fd, chunk, DP_CHUNK, true);
		if (r < 0)
			return r;
	}
	return 0;
}

static int produce_fresh(struct dp *d, uint8_t *chunk, uint8_t v)
{
	struct nx_vmo_map m;
	int fd, r;
	uint8_t b = 1;
	ssize_t n;

	r = nx_vmo_create("bench-fresh", d->size, &fd);
	if (r < 0)
		return r;
	if (d->produce_write) {
		size_t off;

		for (off = 0; off < d->size; off += DP_CHUNK) {
			memset(chunk, v, DP_CHUNK);
			r = nx_vmo_write(fd, off, chunk, DP_CHUNK);
			if (r < 0)
				goto fail;
		}
	} else {
		r = nx_vmo_map_rw(fd, d->populate & DP_POP_PRODUCER, &m);
		if (r < 0)
			goto fail;
		memset(m.addr, v, m.size);
		/* A frozen seal needs the writable map gone first (EBUSY otherwise). */
		nx_vmo_unmap(&m);
	}
	r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r < 0)
		goto fail;
	/* Sending consumes the fd, success or failure. */
	n = nx_chan_send(d->fd, &b, 1, &fd, 1);
	return n == 1 ? 0 : (n < 0 ? (int)n : -EIO);
fail:
	close(fd);
	return r;
}

static int produce_pool(struct dp *d, const struct nx_vmo_map *pool, uint8_t v)
{
	uint8_t *base = pool->addr, b = 1;
	size_t c, chunks;
	unsigned inflight = 0;
	int r;

	if (!base || d->nslots == 0 || d->slot == 0)
		return -EINVAL;
	chunks = d->size / d->slot;

	for (c = 0; c < chunks; c++) {
		/* Acks come in order, so one ack frees the oldest slot: the one we reuse. */
		if (inflight == d->nslots) {
			r = full_io(d->fd, &b, 1, false);
			if (r < 0)
				return r;
			inflight--;
		}
		memset(base + (c % d->nslots) * d->slot, v, d->slot);
		r = full_io(d->fd, &b, 1, true);
		if (r < 0)
			return r;
		inflight++;
	}
	for (; inflight > 0; inflight--) {
		r = full_io(d->fd, &b, 1, false);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_populate(const char *s, unsigned *ret)
{
	if (!strcmp(s, "none"))
		*ret = 0;
	else if (!strcmp(s, "producer"))
		*ret = DP_POP_PRODUCER;
	else if (!strcmp(s, "consumer"))
		*ret = DP_POP_CONSUMER;
	else if (!strcmp(s, "both"))
		*ret = DP_POP_PRODUCER | DP_POP_CONSUMER;
	else
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *mode_names[] = {"local", "socket", "vmo-fresh", "vmo-pool"};
	enum bench_cpus cpus = BENCH_CPUS_SPLIT;
	struct dp d = {DP_LOCAL, 0, false, false, 64u << 20, 0, 1, -1};
	struct nx_vmo_map pool = {NULL, 0};
	uint64_t times[DP_MAX_REPS];
	size_t reps = 5, rep, warm = 1;
	uint8_t *buf = NULL;
	char name[64], mode[64];
	int sv[2], ac, r = 0;
	pid_t pid = -1;

	for (ac = 1; ac < argc; ac++) {
		const char *a = argv[ac];

		if (!strcmp(a, "--mode") && ac + 1 < argc) {
			const char *m = argv[++ac];
			unsigned k;

			for (k = 0; k < 4 && strcmp(m, mode_names[k]) != 0; k++)
				;
			if (k == 4)
				goto usage;
			d.mode = (enum dp_mode)k;
		} else if (!strcmp(a, "--populate") && ac + 1 < argc) {
			if (parse_populate(argv[++ac], &d.populate) < 0)
				goto usage;
		} else if (!strcmp(a, "--cpus") && ac + 1 < argc) {
			if (bench_parse_cpus(argv[++ac], &cpus) < 0)
				goto usage;
		} else if (!strcmp(a, "--mib") && ac + 1 < argc) {
			d.size = (size_t)strtoul(argv[++ac], NULL, 10) << 20;
		} else if (!strcmp(a, "--produce") && ac + 1 < argc) {
			ac++;
			if (strcmp(argv[ac], "map") != 0 && strcmp(argv[ac], "write") != 0)
				goto usage;
			d.produce_write = !strcmp(argv[ac], "write");
		} else if (!strcmp(a, "--consume") && ac + 1 < argc) {
			ac++;
			if (strcmp(argv[ac], "map") != 0 && strcmp(argv[ac], "read") != 0)
				goto usage;
			d.consume_read = !strcmp(argv[ac], "read");
		} else if (!strcmp(a, "--slots") && ac + 1 < argc) {
			d.nslots = (unsigned)strtoul(argv[++ac], NULL, 10);
		} else if (!strcmp(a, "--slot-kib") && ac + 1 < argc) {
			d.slot = (size_t)strtoul(argv[++ac], NULL, 10) << 10;
		} else if (!strcmp(a, "--reps") && ac + 1 < argc) {
			reps = strtoul(argv[++ac], NULL, 10);
		} else {
			goto usage;
		}
	}
	if (d.size == 0 || d.size > (1u << 30) || reps == 0 || reps > DP_MAX_REPS)
		goto usage;
	if (d.slot == 0)
		d.slot = d.size;
	/* Whole slots of whole words, and a pool no larger than the transfer. */
	if (d.nslots == 0 || d.slot % 8 || d.size % d.slot || d.slot * d.nslots > d.size)
		goto usage;

	if (d.mode == DP_LOCAL) {
		if (bench_pin(0) < 0)
			return 1;
		buf = aligned_alloc(4096, d.size);
		if (!buf)
			return 1;
		memset(buf, 0, d.size); /* touched once: the baseline pays no page faults */
	} else {
		if (nx_chan_pair_blocking(sv) < 0) {
			(void)fprintf(stderr, "bench-dataplane: socketpair failed\n");
			return 1;
		}
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(sv[0]);
			d.fd = sv[1];
			consumer(&d, bench_cpu_for(cpus, 1));
		}
		close(sv[1]);
		d.fd = sv[0];
		if (bench_pin(bench_cpu_for(cpus, 0)) < 0)
			return 1;
		if (d.mode == DP_SOCKET || d.mode == DP_VMO_FRESH) {
			buf = aligned_alloc(64, DP_CHUNK);
			if (!buf)
				return 1;
		} else if (d.mode == DP_VMO_POOL) {
			int fd;
			uint8_t b = 1;

			/* The producer keeps its writable map; F_SEAL_FUTURE_WRITE stops anyone
			 * else (the consumer) from writing. */
			if (nx_vmo_create("bench-pool", d.slot * d.nslots, &fd) < 0 ||
			        nx_vmo_map_rw(fd, true, &pool) < 0 ||
			        nx_vmo_seal(fd, NX_VMO_SEAL_PRODUCER) < 0 ||
			        nx_chan_send(d.fd, &b, 1, &fd, 1) != 1) {
				(void)fprintf(stderr, "bench-dataplane: pool setup failed\n");
				goto out;
			}
		}
	}

	for (rep = 0; rep < reps + warm; rep++) {
		uint8_t v = (uint8_t)(rep + 1);
		uint64_t t0 = bench_now_ns(), sum = 0;

		switch (d.mode) {
		case DP_LOCAL:
			if (!buf) { /* allocated above; tells the analyzer so */
				r = -EINVAL;
				break;
			}
			memset(buf, v, d.size);
			dp_clobber(buf);
			sum = dp_sum(buf, d.size);
			break;
		case DP_SOCKET:
			r = produce_socket(&d, buf, v);
			break;
		case DP_VMO_FRESH:
			r = produce_fresh(&d, buf, v);
			break;
		case DP_VMO_POOL:
			r = produce_pool(&d, &pool, v);
			break;
		}
		if (r == 0 && d.mode != DP_LOCAL)
			r = full_io(d.fd, &sum, sizeof(sum), false);
		if (r < 0) {
			(void)fprintf(
			        stderr, "bench-dataplane: transfer failed: %s\n", strerror(-r));
			goto out;
		}
		if (sum != dp_expected(d.size, v)) {
			(void)fprintf(stderr,
			        "bench-dataplane: consumer summed %llx, expected %llx\n",
			        (unsigned long long)sum,
			        (unsigned long long)dp_expected(d.size, v));
			r = -EIO;
			goto out;
		}
		/* The first transfer faults the pool in and warms caches; not measured. */
		if (rep >= warm)
			times[rep - warm] = bench_now_ns() - t0;
	}

	(void)snprintf(name, sizeof(name), "dataplane-%s", mode_names[d.mode]);
	if (d.mode == DP_VMO_FRESH)
		(void)snprintf(mode, sizeof(mode), "%s,%s,%s", bench_cpus_name(cpus),
		        d.produce_write ? "write"
		                        : (d.populate & DP_POP_PRODUCER ? "map+pop" : "map"),
		        d.consume_read ? "read"
		                       : (d.populate & DP_POP_CONSUMER ? "map+pop" : "map"));
	else if (d.mode == DP_VMO_POOL)
		(void)snprintf(mode, sizeof(mode), "%s,slots=%ux%zuKiB", bench_cpus_name(cpus),
		        d.nslots, d.slot >> 10);
	else
		(void)snprintf(mode, sizeof(mode), "%s",
		        d.mode == DP_LOCAL ? "one-cpu" : bench_cpus_name(cpus));
	bench_report_transfer(name, mode, times, reps, d.size);

out:
	nx_vmo_unmap(&pool);
	if (pid > 0) {
		close(d.fd);
		if (r < 0)
			kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	free(buf);
	return r < 0 ? 1 : 0;

usage:
	(void)fprintf(stderr,
	        "usage: bench-dataplane --mode local|socket|vmo-fresh|vmo-pool "
	        "[--populate none|producer|consumer|both] [--produce map|write] "
	        "[--consume map|read] [--cpus same|split] "
	        "[--mib N] [--reps 1..%u] [--slots K --slot-kib S]\n",
	        DP_MAX_REPS);
	return 2;
}
