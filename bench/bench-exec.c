/* SPDX-License-Identifier: MIT */
/*
 * Running an app through execd (issue 9) against running the same binary with posix_spawn,
 * no sandbox and no supervisor, in one run:
 *
 *   bench-exec --hello PATH --execd-pid PID [--bundle ID] [--reps N] [--seconds S]
 *
 * On a running system ($NEXUS_RUNTIME_DIR; scripts/bench.sh boots it and installs the sample
 * app hello as org.example.hello, restart never) whose execd is PID, with PATH the hello
 * binary that bundle holds, each of N reps runs `hello --no-services` (it logs one line and
 * exits 0):
 *   first record   Exec.spawn called until the journal holds the app's first record (logd's
 *                  receipt time of that record, found afterwards with Log.query) vs
 *                  posix_spawn called until its first line is read from its stdout pipe; a
 *                  run whose line never reaches the journal is counted and said, not timed
 *   exit           Exec.spawn called until Process.wait answers vs posix_spawn until waitpid
 * then spawn + wait back to back for S seconds: processes per second through execd vs
 * posix_spawn + waitpid, with execd's open fds and resident memory before and after (flat
 * when execd forgets what it should). Every figure is printed beside its baseline as a ratio.
 * RESULT lines (bench-util.h): bench=exec mode=first-record|exit|rate.
 */
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "bench-util.h"
#include "exec.capnp.h"
#include "log.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/proc.h"

#define REPS_DEFAULT    50u
#define SECONDS_DEFAULT 10u
/* How long a run's first record may take to show in the journal after it exited. */
#define RECORD_WAIT_NS (5ull * 1000 * 1000 * 1000)

extern char **environ;

struct bench {
	nexus *nx;
	struct exec *exec;
	struct log *log;
	const char *hello, *bundle;
	int execd_pid;
};

struct execd_use {
	unsigned fds;
	uint64_t rss_bytes;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int execd_use(int pid, struct execd_use *ret)
{
	struct nx_proc_usage use;
	char path[64];
	struct dirent *e;
	DIR *d;
	int r = nx_proc_usage(pid, &use);

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	ret->fds = 0;
	while ((e = readdir(d)))
		ret->fds += e->d_name[0] != '.';
	closedir(d);
	ret->rss_bytes = use.rss_bytes;
	return 0;
}

/* ---- Through execd ---- */

/* The id the journal gives its next record: records of the next run have ids from here. */
static int next_record_id(struct bench *b, uint64_t *ret)
{
	log_stats_results out;
	nx_rpc_call *call = NULL;
	int r = log_stats_wait(b->log, nexus_deadline(b->nx), &call, &out);

	if (r >= 0)
		*ret = log_counters_get_next_id(log_stats_results_get_stats(out));
	else
		fprintf(stderr, "bench-exec: stats: %s\n", nexus_last_error(b->nx));
	nx_rpc_call_free(call);
	return r;
}

/* logd's receipt time of the first record of the app from record id `since` on; -EAGAIN
 * while there is none. */
static int first_record_ns(struct bench *b, uint64_t since, uint64_t *ret)
{
	char subject[160];
	log_query_params_b params;
	log_query_results out;
	nx_capnp_list list = {0};
	nx_rpc_call *call = NULL;
	log_filter_b f;
	int r = log_query_start(b->log, &call, &params);

	snprintf(subject, sizeof(subject), "app:%s", b->bundle);
	if (r >= 0)
		r = log_query_params_init_filter(params, &f);
	if (r >= 0) {
		log_filter_set_since_id(f, since);
		r = log_filter_set_subject(f, subject, strlen(subject));
	}
	if (r >= 0) {
		log_query_params_set_max(params, 1);
		log_query_params_set_inline_only(params, true);
		r = log_query_send_wait(call, nexus_deadline(b->nx), &out);
	}
	if (r >= 0)
		r = log_query_results_get_records(out, &list);
	if (r >= 0 && list.count == 0)
		r = -EAGAIN;
	else if (r >= 0)
		*ret = log_record_get_realtime_ns(log_record_at(&list, 0));
	nx_rpc_call_free(call);
	return r;
}

/* Exec.spawn of `hello --no-services` (journal stdio), then Process.wait. */
static int spawn_wait(struct bench *b)
{
	static const char *const args[] = {"--no-services"};
	struct exec_process *process = NULL;
	exec_process_wait_results wout;
	exec_spawn_params_b params;
	exec_spawn_results out;
	nx_rpc_call *call = NULL, *wcall = NULL;
	nx_capnp_blist list;
	int r = exec_spawn_start(b->exec, &call, &params);

	if (r >= 0)
		r = exec_spawn_params_set_bundle(params, b->bundle, strlen(b->bundle));
	if (r >= 0)
		r = exec_spawn_params_init_args(params, 1, &list);
	if (r >= 0) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&list, 0);

		r = nx_capnp_bptr_set_text(&p, args[0], strlen(args[0]));
	}
	if (r >= 0)
		r = exec_spawn_send_wait(call, nexus_deadline(b->nx), &out);
	if (r >= 0)
		r = exec_spawn_results_get_process(out, &process);
	if (r >= 0)
		r = exec_process_wait_wait(process, nexus_deadline(b->nx), &wcall, &wout);
	if (r >= 0 && exec_proc_info_get_exit_code(exec_process_wait_results_get_info(wout)) != 0)
		r = -EPROTO;
	if (r < 0)
		fprintf(stderr, "bench-exec: spawn/wait: %s (%d)\n", nexus_last_error(b->nx), r);
	nx_rpc_call_free(wcall);
	nx_rpc_cap_unref(exec_process_cap(process));
	nx_rpc_call_free(call);
	return r;
}

/* One run through execd: spawn to exit, and spawn to the first record (realtime). 0, 1 when
 * the run's line never reached the journal (*ret_first_ns untouched), or a failure. */
static int execd_once(struct bench *b, uint64_t *ret_exit_ns, uint64_t *ret_first_ns)
{
	uint64_t since, t0_real, t0, t1, first = 0;
	int r = next_record_id(b, &since);

	if (r < 0)
		return r;
	t0_real = realtime_ns();
	t0 = bench_now_ns();
	r = spawn_wait(b);
	t1 = bench_now_ns();
	if (r < 0)
		return r;
	while ((r = first_record_ns(b, since, &first)) == -EAGAIN &&
	        bench_now_ns() - t1 < RECORD_WAIT_NS)
		usleep(1000);
	*ret_exit_ns = t1 - t0;
	if (r == -EAGAIN)
		return 1; /* its line never reached the journal: counted, not timed */
	if (r < 0)
		return r;
	*ret_first_ns = first > t0_real ? first - t0_real : 0;
	return 0;
}

/* ---- The baseline: posix_spawn, no sandbox ---- */

static int plain_once(struct bench *b, uint64_t *ret_exit_ns, uint64_t *ret_first_ns)
{
	char *argv[] = {(char *)b->hello, "--no-services", NULL};
	posix_spawn_file_actions_t fa;
	uint64_t t0, first = 0;
	int fds[2], status, r;
	char buf[512];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	t0 = bench_now_ns();
	r = posix_spawn(&pid, b->hello, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (r != 0) {
		close(fds[0]);
		return -r;
	}
	/* The first line: hello writes each record with one write(2). */
	if (read(fds[0], buf, sizeof(buf)) > 0)
		first = bench_now_ns() - t0;
	while (read(fds[0], buf, sizeof(buf)) > 0)
		;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ret_exit_ns = bench_now_ns() - t0;
	*ret_first_ns = first;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && first ? 0 : -EPROTO;
}

/* ---- Rate ---- */

static int rate(struct bench *b, bool execd, unsigned seconds, double *ret_per_s)
{
	uint64_t t0 = bench_now_ns(), end = t0 + seconds * 1000000000ull, n = 0, e, f;
	int r = 0;

	while (r >= 0 && bench_now_ns() < end) {
		r = execd ? spawn_wait(b) : plain_once(b, &e, &f);
		n += r >= 0;
	}
	*ret_per_s = (double)n * 1e9 / (double)(bench_now_ns() - t0);
	return r;
}

static int measure(struct bench *b, unsigned reps, unsigned seconds)
{
	uint64_t *ex = calloc(reps, sizeof(*ex)), *ef = calloc(reps, sizeof(*ef));
	uint64_t *px = calloc(reps, sizeof(*px)), *pf = calloc(reps, sizeof(*pf));
	struct execd_use before = {0}, after = {0};
	double execd_rate = 0, plain_rate = 0;
	unsigned recorded = 0;
	int r = ex && ef && px && pf ? 0 : -ENOMEM;

	/* Turns: drift on a shared machine spreads over both sides. */
	for (unsigned i = 0; r >= 0 && i < reps; i++) {
		r = execd_once(b, &ex[i], &ef[recorded]);
		recorded += r == 0;
		if (r >= 0)
			r = plain_once(b, &px[i], &pf[i]);
	}
	if (r >= 0 && !recorded) {
		fprintf(stderr, "bench-exec: no run's line reached the journal\n");
		r = -EPROTO;
	}
	if (r >= 0)
		r = execd_use(b->execd_pid, &before);
	if (r >= 0)
		r = rate(b, true, seconds, &execd_rate);
	if (r >= 0)
		r = execd_use(b->execd_pid, &after);
	if (r >= 0)
		r = rate(b, false, seconds, &plain_rate);
	if (r >= 0) {
		uint64_t e50 = bench_quantile(ex, reps, 0.5),
		         f50 = bench_quantile(ef, recorded, 0.5);
		uint64_t pe50 = bench_quantile(px, reps, 0.5), pf50 = bench_quantile(pf, reps, 0.5);

		printf("Apps: hello --no-services through execd (sandboxed, supervised, stdout to the "
		       "journal)\nagainst posix_spawn of the same binary (no sandbox, stdout a pipe); "
		       "p50 of %u runs\n",
		        reps);
		printf("  %-34s %9.2f ms   posix_spawn %7.2f ms   %6.1fx   (%u of %u runs' line in "
		       "the journal)\n",
		        "spawn -> first record/line", f50 / 1e6, pf50 / 1e6,
		        (double)f50 / (double)pf50, recorded, reps);
		printf("  %-34s %9.2f ms   posix_spawn %7.2f ms   %6.1fx\n", "spawn -> exit (wait)",
		        e50 / 1e6, pe50 / 1e6, (double)e50 / (double)pe50);
		printf("  %-34s %9.1f /s   posix_spawn %7.1f /s   %6.2fx\n",
		        "spawned per second (sustained)", execd_rate, plain_rate,
		        execd_rate / plain_rate);
		printf("  execd over %u s of spawning: fds %u -> %u, RSS %.1f -> %.1f MiB\n",
		        seconds, before.fds, after.fds, before.rss_bytes / 1048576.0,
		        after.rss_bytes / 1048576.0);
		printf("RESULT bench=exec mode=first-record p50_ns=%llu base_ns=%llu recorded=%u "
		       "runs=%u\n",
		        (unsigned long long)f50, (unsigned long long)pf50, recorded, reps);
		printf("RESULT bench=exec mode=exit p50_ns=%llu base_ns=%llu\n",
		        (unsigned long long)e50, (unsigned long long)pe50);
		printf("RESULT bench=exec mode=rate per_s=%.1f base_per_s=%.1f fds_before=%u "
		       "fds_after=%u rss_before=%llu rss_after=%llu\n",
		        execd_rate, plain_rate, before.fds, after.fds,
		        (unsigned long long)before.rss_bytes, (unsigned long long)after.rss_bytes);
	}
	free(ex);
	free(ef);
	free(px);
	free(pf);
	return r;
}

static int connect_all(struct bench *b)
{
	nx_rpc_cap *cap = NULL;
	int r = nexus_connect(&b->nx);

	if (r >= 0)
		r = nexus_resolve(b->nx, "execd", &cap);
	b->exec = exec_from_cap(cap);
	cap = NULL;
	if (r >= 0)
		r = nexus_resolve(b->nx, "logd", &cap);
	b->log = log_from_cap(cap);
	if (r < 0)
		fprintf(stderr, "bench-exec: %s\n", nexus_last_error(b->nx));
	return r;
}

int main(int argc, char **argv)
{
	struct bench b = {.bundle = "org.example.hello"};
	unsigned reps = REPS_DEFAULT, seconds = SECONDS_DEFAULT;
	int r;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hello"))
			b.hello = argv[i + 1];
		else if (!strcmp(argv[i], "--bundle"))
			b.bundle = argv[i + 1];
		else if (!strcmp(argv[i], "--execd-pid"))
			b.execd_pid = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reps"))
			reps = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (!b.hello || b.execd_pid <= 0 || !reps || !seconds || argc % 2 == 0) {
		fprintf(stderr, "usage: bench-exec --hello PATH --execd-pid PID [--bundle ID] "
		                "[--reps N] [--seconds S]\n");
		return 2;
	}
	r = connect_all(&b);
	if (r >= 0)
		r = measure(&b, reps, seconds);
	nx_rpc_cap_unref(exec_cap(b.exec));
	nx_rpc_cap_unref(log_cap(b.log));
	nexus_free(b.nx);
	return r < 0 ? 1 : 0;
}
