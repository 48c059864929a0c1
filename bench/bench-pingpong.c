/* SPDX-License-Identifier: MIT */
/*
 * The raw floor for a call: a fixed-size message bounced between two processes over a
 * blocking AF_UNIX socketpair (write, then read the same size back). Every RPC figure is
 * printed as a ratio to this one, measured with the same CPU placement.
 *
 *   bench-pingpong [--cpus same|split] [--size BYTES] [--iters N] [--rounds R]
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bench-util.h"

#define PINGPONG_MAX_SIZE 4096u
#define PINGPONG_WARMUP   2000u

static int full_write(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int full_read(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The peer: echo every message until the socket closes. */
static void echo_loop(int fd, size_t size)
{
	uint8_t buf[PINGPONG_MAX_SIZE];

	while (full_read(fd, buf, size) == 0)
		if (full_write(fd, buf, size) < 0)
			break;
	_exit(0);
}

int main(int argc, char **argv)
{
	enum bench_cpus cpus = BENCH_CPUS_SPLIT;
	size_t size = 64, iters = 20000, rounds = 5, i, r, n = 0;
	uint8_t buf[PINGPONG_MAX_SIZE];
	uint64_t *samples, round_ops[64];
	int sv[2], ac;
	pid_t pid;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--cpus") && ac + 1 < argc) {
			if (bench_parse_cpus(argv[++ac], &cpus) < 0)
				goto usage;
		} else if (!strcmp(argv[ac], "--size") && ac + 1 < argc) {
			size = strtoul(argv[++ac], NULL, 10);
		} else if (!strcmp(argv[ac], "--iters") && ac + 1 < argc) {
			iters = strtoul(argv[++ac], NULL, 10);
		} else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc) {
			rounds = strtoul(argv[++ac], NULL, 10);
		} else {
			goto usage;
		}
	}
	if (size == 0 || size > PINGPONG_MAX_SIZE || iters == 0 || rounds == 0 || rounds > 64)
		goto usage;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (bench_pin(bench_cpu_for(cpus, 1)) < 0)
			_exit(1);
		echo_loop(sv[1], size);
	}
	close(sv[1]);
	if (bench_pin(bench_cpu_for(cpus, 0)) < 0) {
		(void)fprintf(
		        stderr, "bench-pingpong: cannot pin to CPU %d\n", bench_cpu_for(cpus, 0));
		return 1;
	}

	samples = calloc(iters * rounds, sizeof(*samples));
	if (!samples)
		return 1;
	memset(buf, 0x5a, size);
	for (i = 0; i < PINGPONG_WARMUP; i++)
		if (full_write(sv[0], buf, size) < 0 || full_read(sv[0], buf, size) < 0)
			goto broken;
	for (r = 0; r < rounds; r++) {
		uint64_t start = bench_now_ns(), t0 = start, t1;

		for (i = 0; i < iters; i++) {
			if (full_write(sv[0], buf, size) < 0 || full_read(sv[0], buf, size) < 0)
				goto broken;
			t1 = bench_now_ns();
			samples[n++] = t1 - t0;
			t0 = t1;
		}
		round_ops[r] = (uint64_t)((double)iters * 1e9 / (double)(t0 - start));
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);

	{
		char name[32];

		(void)snprintf(name, sizeof(name), "raw-pingpong-%zu", size);
		bench_report_latency(name, bench_cpus_name(cpus), samples, n, round_ops, rounds);
	}
	free(samples);
	return 0;

broken:
	(void)fprintf(stderr, "bench-pingpong: peer went away\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(samples);
	return 1;

usage:
	(void)fprintf(stderr,
	        "usage: bench-pingpong [--cpus same|split] [--size 1..%u] [--iters N] "
	        "[--rounds 1..64]\n",
	        PINGPONG_MAX_SIZE);
	return 2;
}
