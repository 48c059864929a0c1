/* SPDX-License-Identifier: MIT */
/*
 * vfsd against the same work done in process, in one run (docs/PERFORMANCE.md):
 *
 *   bench-vfs --init PATH/nexus-init [--iters N] [--rounds R]
 *
 * Boots its own system in a temp dir (files planted in vfsd's state dir first, as uid:0's
 * /data), then, one blocking call at a time:
 *   null-call      Echo.echo("") to echod: the floor of any call through the system
 *   vfs-read-4k    File.read(0, 4096) on an open File (over fsInlineMax: a fresh sealed VMO,
 *                  mapped and read here)      vs local-read-4k: openat + pread 4096 + close
 *   vfs-stat       Fs.stat("/data/f4k")       vs local-stat: fstatat
 *   vfs-read-64m   File.read(0, 64 MiB), the VMO mapped and every byte read
 *                                             vs local-read-64m: pread 64 MiB and every byte read
 * and prints each beside its baseline as a ratio (latency: vfs / (local + null call)).
 * Nothing here is a test; figures are medians over rounds.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "echo.capnp.h"
#include "fs.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/vmo.h"

#define BIG_BYTES (64u << 20)
#define SMALL     4096u

typedef int (*op_fn)(void *ctx);

/* p50 of `iters` runs of op, over `rounds` rounds (median of the rounds' p50s). */
static uint64_t measure(op_fn op, void *ctx, size_t iters, size_t rounds, const char *name)
{
	uint64_t *samples = calloc(iters * rounds, sizeof(*samples)), ops[16], p50;
	size_t n = 0;

	for (size_t r = 0; r < rounds && r < 16; r++) {
		uint64_t t0 = bench_now_ns();

		for (size_t i = 0; i < iters; i++) {
			uint64_t s = bench_now_ns();

			if (op(ctx) < 0) {
				fprintf(stderr, "bench-vfs: %s failed\n", name);
				exit(1);
			}
			samples[n++] = bench_now_ns() - s;
		}
		ops[r] = iters * 1000000000ull / (bench_now_ns() - t0 + 1);
	}
	p50 = bench_quantile(samples, n, 0.5);
	bench_report_latency(name, "free", samples, n, ops, rounds < 16 ? rounds : 16);
	free(samples);
	return p50;
}

struct ctx {
	nexus *nx;
	struct echo *echod;
	struct fs *fs;
	struct fs_file *small, *big;
	int dirfd;
	char *buf;
	uint64_t sink;
};

static uint64_t sum(const unsigned char *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i += 64)
		s += p[i];
	return s;
}

static int null_call(void *p)
{
	struct ctx *c = p;
	echo_echo_results out;
	nx_rpc_call *call;
	int r = echo_echo_wait(c->echod, "", nexus_deadline(c->nx), &call, &out);

	nx_rpc_call_free(call);
	return r;
}

/* One File.read; the bytes read here (VMO mapped read-only after its checks, or inline). */
static int vfs_read(struct ctx *c, struct fs_file *f, uint64_t len)
{
	struct nexus_vmo *vmo = NULL;
	struct nx_vmo_map map = {0};
	fs_file_read_results out;
	nx_rpc_call *call;
	int r = fs_file_read_wait(f, 0, len, nexus_deadline(c->nx), &call, &out);

	if (r >= 0 && fs_file_read_results_has_vmo(out)) {
		r = nexus_vmo_ref_get_vmo(fs_file_read_results_get_vmo(out), &vmo);
		if (r >= 0)
			r = nx_vmo_map_ro(
			        nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), FS_IO_MAX, false, &map);
		nx_rpc_cap_unref(nexus_vmo_cap(vmo));
		if (r >= 0)
			c->sink += sum(map.addr, map.size);
		nx_vmo_unmap(&map);
	}
	nx_rpc_call_free(call);
	return r;
}

static int vfs_read_small(void *p)
{
	return vfs_read(p, ((struct ctx *)p)->small, SMALL);
}

static int vfs_read_big(void *p)
{
	return vfs_read(p, ((struct ctx *)p)->big, BIG_BYTES);
}

static int vfs_stat(void *p)
{
	struct ctx *c = p;
	fs_stat_results out;
	nx_rpc_call *call;
	int r = fs_stat_wait(c->fs, "/data/f4k", nexus_deadline(c->nx), &call, &out);

	nx_rpc_call_free(call);
	return r;
}

static int local_read(struct ctx *c, const char *name, size_t len)
{
	int fd = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, c->buf, len, 0);
	close(fd);
	if (n != (ssize_t)len)
		return -EIO;
	c->sink += sum((unsigned char *)c->buf, len);
	return 0;
}

static int local_read_small(void *p)
{
	return local_read(p, "f4k", SMALL);
}

static int local_read_big(void *p)
{
	return local_read(p, "f64m", BIG_BYTES);
}

static int local_stat(void *p)
{
	struct ctx *c = p;
	struct stat st;

	return fstatat(c->dirfd, "f4k", &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* Transfer times of `reps` runs of op, reported as GiB/s. */
static double transfer(op_fn op, void *ctx, size_t reps, const char *name)
{
	uint64_t t[16];

	for (size_t i = 0; i < reps; i++) {
		uint64_t s = bench_now_ns();

		if (op(ctx) < 0) {
			fprintf(stderr, "bench-vfs: %s failed\n", name);
			exit(1);
		}
		t[i] = bench_now_ns() - s;
	}
	bench_report_transfer(name, "free", t, reps, BIG_BYTES);
	return (double)BIG_BYTES / (double)bench_quantile(t, reps, 0.5);
}

static int plant(const char *dir, const char *name, size_t len)
{
	char path[512];
	char *buf = malloc(len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = buf ? fopen(path, "we") : NULL;
	if (!f) {
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 131u);
	fwrite(buf, 1, len, f);
	free(buf);
	return fclose(f);
}

/* nexus-init in `tmp`, its output in tmp/init.log; waits for "init: ready" (10 s). */
static pid_t boot(const char *init, const char *tmp)
{
	char log[512], line[256];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/init.log", tmp);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(init, init, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(log, "re");

		while (f && fgets(line, sizeof(line), f))
			if (strcmp(line, "init: ready\n") == 0) {
				fclose(f);
				return pid;
			}
		if (f)
			fclose(f);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	return -1;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/bench-vfs-XXXXXX", path[512], cmd[600];
	const char *init = NULL;
	size_t iters = 2000, rounds = 3;
	struct ctx c = {.dirfd = -1};
	nx_rpc_cap *echod = NULL, *vfsd = NULL;
	fs_open_results out;
	nx_rpc_call *call;
	uint64_t null_ns, r4k, l4k, st, lst;
	double vfs_bw, local_bw;
	pid_t pid;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--init"))
			init = argv[i + 1];
		else if (!strcmp(argv[i], "--iters"))
			iters = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = strtoul(argv[i + 1], NULL, 10);
	}
	if (!init || !iters || !rounds || !mkdtemp(tmp)) {
		fprintf(stderr, "usage: bench-vfs --init PATH [--iters N] [--rounds R]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/run", tmp);
	setenv("NEXUS_RUNTIME_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/state", tmp);
	setenv("NEXUS_STATE_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/state/vfsd/data/uid:0", tmp);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd) != 0 || plant(path, "f4k", SMALL) < 0 || plant(path, "f64m", BIG_BYTES) < 0)
		return 1;
	pid = boot(init, tmp);
	c.dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	c.buf = malloc(BIG_BYTES);
	if (pid < 0 || c.dirfd < 0 || !c.buf || nexus_connect(&c.nx) < 0 ||
	        nexus_resolve(c.nx, "echod", &echod) < 0 ||
	        nexus_resolve(c.nx, "vfsd", &vfsd) < 0) {
		fprintf(stderr, "bench-vfs: no system: %s\n", c.nx ? nexus_last_error(c.nx) : "");
		free(c.buf);
		return 1;
	}
	c.echod = echo_from_cap(echod);
	c.fs = fs_from_cap(vfsd);
	if (fs_open_wait(c.fs, "/data/f4k", FS_OPEN_READ, nexus_deadline(c.nx), &call, &out) < 0 ||
	        fs_open_results_get_file(out, &c.small) < 0)
		return 1;
	nx_rpc_call_free(call);
	if (fs_open_wait(c.fs, "/data/f64m", FS_OPEN_READ, nexus_deadline(c.nx), &call, &out) < 0 ||
	        fs_open_results_get_file(out, &c.big) < 0)
		return 1;
	nx_rpc_call_free(call);

	null_ns = measure(null_call, &c, iters, rounds, "null-call");
	r4k = measure(vfs_read_small, &c, iters, rounds, "vfs-read-4k");
	l4k = measure(local_read_small, &c, iters, rounds, "local-read-4k");
	st = measure(vfs_stat, &c, iters, rounds, "vfs-stat");
	lst = measure(local_stat, &c, iters, rounds, "local-stat");
	vfs_bw = transfer(vfs_read_big, &c, 5, "vfs-read-64m");
	local_bw = transfer(local_read_big, &c, 5, "local-read-64m");

	printf("vfsd, p50 (baseline: the same work in process + a null call to echod, %llu ns)\n",
	        (unsigned long long)null_ns);
	printf("  read 4 KiB   %8llu ns  local %6llu ns  ratio %.2f x (local + null call)\n",
	        (unsigned long long)r4k, (unsigned long long)l4k,
	        (double)r4k / (double)(l4k + null_ns));
	printf("  stat         %8llu ns  local %6llu ns  ratio %.2f x (local + null call)\n",
	        (unsigned long long)st, (unsigned long long)lst,
	        (double)st / (double)(lst + null_ns));
	printf("  read 64 MiB  %8.2f GiB/s via VMO, %.2f GiB/s read() in process: %.2f of it\n",
	        vfs_bw * 1e9 / (1u << 30), local_bw * 1e9 / (1u << 30), vfs_bw / local_bw);
	(void)c.sink;

	nx_rpc_cap_unref(fs_file_cap(c.small));
	nx_rpc_cap_unref(fs_file_cap(c.big));
	nx_rpc_cap_unref(echod);
	nx_rpc_cap_unref(vfsd);
	nexus_free(c.nx);
	free(c.buf);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : 1;
}
