/* SPDX-License-Identifier: MIT */
/*
 * nx status [--json]: what nexus-init says about each service, from the file it rewrites on
 * every change ($NEXUS_RUNTIME_DIR/status, format in source/init/main.c): pid, state, restarts,
 * start time (hence uptime), last exit cause, the uid it runs under, the capabilities it kept,
 * the namespaces of its own and the sandbox mechanisms active in it, with
 * the memory and CPU time each running service uses now (nx-abi proc.h). Needs no service to
 * be up.
 *
 * Exit codes: 0 all well, 1 a service failed or nexus-init is not running, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "nx-abi/clock.h"
#include "nx-abi/proc.h"

/* nexus-init's table holds at most 16 (INIT_MAX_SERVICES); a longer file is not init's. */
#define STATUS_MAX_SERVICES 64
/* The status file format this nx reads (source/init/main.c). */
#define STATUS_VERSION 3

int nx_cmd_status(int argc, char **argv);

struct status_line {
	unsigned long long started_ns;
	struct nx_proc_usage use; /* when running and readable */
	int pid;
	unsigned restarts;
	bool use_known;
	char state[16], last_exit[24], name[65], mechs[128], uid[16], caps[256], ns[32];
};

static int help(void)
{
	printf("usage: nx status [--json]\n\n"
	       "Each service as nexus-init sees it: pid, state, restarts, when it started and its\n"
	       "uptime, the cause of its last exit, resident memory and CPU time, the uid it runs\n"
	       "under, the capabilities it kept, its namespaces and the sandbox mechanisms active\n"
	       "in it. Reads $NEXUS_RUNTIME_DIR/status: works while samgrd is "
	       "down.\n"
	       "Exit codes: 0 all up or stopped on purpose, 1 a service failed or nexus-init is "
	       "not running, 2 usage.\n");
	return NXT_EXIT_OK;
}

/* A comma-separated field ("-": none) as a JSON array of strings ([A-Za-z0-9_], no
 * escaping needed), then a comma unless it is the last. */
static void print_json_list(const char *key, const char *field, bool last)
{
	char copy[256];
	bool first = true;

	printf("\"%s\":[", key);
	snprintf(copy, sizeof(copy), "%s", field);
	if (strcmp(copy, "-") != 0)
		for (char *save, *m = strtok_r(copy, ",", &save); m;
		        m = strtok_r(NULL, ",", &save)) {
			printf("%s\"%s\"", first ? "" : ",", m);
			first = false;
		}
	printf("]%s", last ? "" : ",");
}

static void print_json(int init_pid, const struct status_line *l, unsigned n, uint64_t now)
{
	printf("{\"init\":{\"pid\":%d},\"services\":[", init_pid);
	for (unsigned i = 0; i < n; i++) {
		/* Names, states and exits are [a-z0-9._:-] (init writes them): no escaping. */
		printf("%s{\"name\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"restarts\":%u,",
		        i ? "," : "", l[i].name, l[i].pid, l[i].state, l[i].restarts);
		if (l[i].started_ns)
			printf("\"started_ns\":%llu,\"uptime_ns\":%llu,", l[i].started_ns,
			        now > l[i].started_ns ? (unsigned long long)(now - l[i].started_ns)
			                              : 0ull);
		else
			printf("\"started_ns\":null,\"uptime_ns\":null,");
		if (strcmp(l[i].last_exit, "-") != 0)
			printf("\"last_exit\":\"%s\",", l[i].last_exit);
		else
			printf("\"last_exit\":null,");
		if (l[i].use_known)
			printf("\"rss_bytes\":%" PRIu64 ",\"cpu_ns\":%" PRIu64 ",",
			        l[i].use.rss_bytes, l[i].use.cpu_ns);
		else
			printf("\"rss_bytes\":null,\"cpu_ns\":null,");
		printf("\"uid\":%s,", strcmp(l[i].uid, "-") == 0 ? "null" : l[i].uid);
		print_json_list("caps", l[i].caps, false);
		print_json_list("namespaces", l[i].ns, false);
		print_json_list("sandbox", l[i].mechs, true);
		printf("}");
	}
	printf("]}\n");
}

static void print_table(const struct status_line *l, unsigned n, uint64_t now)
{
	printf("%-12s %7s %-8s %4s %-19s %7s %-10s %8s %8s %10s %-6s %-4s %s\n", "NAME", "PID",
	        "STATE", "RST", "STARTED", "UPTIME", "LAST-EXIT", "RSS-KIB", "CPU-MS", "UID",
	        "CAPS", "NS", "SANDBOX");
	for (unsigned i = 0; i < n; i++) {
		char started[32], up[16] = "-", rss[24] = "-", cpu[24] = "-";

		nxt_format_started(l[i].started_ns, started, sizeof(started));
		if (l[i].started_ns && now > l[i].started_ns)
			nxt_format_uptime(now - l[i].started_ns, up, sizeof(up));
		if (l[i].use_known) {
			snprintf(rss, sizeof(rss), "%" PRIu64, l[i].use.rss_bytes / 1024);
			snprintf(cpu, sizeof(cpu), "%" PRIu64, l[i].use.cpu_ns / 1000000u);
		}
		printf("%-12s %7d %-8s %4u %-19s %7s %-10s %8s %8s %10s %-6s %-4s %s\n", l[i].name,
		        l[i].pid, l[i].state, l[i].restarts, started, up, l[i].last_exit, rss, cpu,
		        l[i].uid, l[i].caps, l[i].ns, l[i].mechs);
	}
}

/* Reads the status file: 0 with the lines, or reported and 1. */
static int read_status(const char *path, struct status_line *lines, unsigned *ret_n, int *ret_init)
{
	unsigned n = 0, version = 0;
	char buf[1024];
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return nxt_report_no_system();
		fprintf(stderr, "nx: unavailable: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!fgets(buf, sizeof(buf), f) ||
	        sscanf(buf, "nexus-init %u %d", &version, ret_init) != 2 ||
	        version != STATUS_VERSION || *ret_init <= 0) {
		fclose(f);
		fprintf(stderr, "nx: internal: %s: not a nexus-init status file of version %d\n",
		        path, STATUS_VERSION);
		return 1;
	}
	while (n < STATUS_MAX_SERVICES && fgets(buf, sizeof(buf), f)) {
		struct status_line *l = &lines[n];

		if (sscanf(buf, "%64s %d %15s %u %127s %llu %23s %15s %255s %31s", l->name, &l->pid,
		            l->state, &l->restarts, l->mechs, &l->started_ns, l->last_exit, l->uid,
		            l->caps, l->ns) != 10) {
			fclose(f);
			fprintf(stderr, "nx: internal: %s: bad line %u\n", path, n + 2);
			return 1;
		}
		l->use_known = l->pid > 0 && nx_proc_usage(l->pid, &l->use) == 0;
		n++;
	}
	fclose(f);
	*ret_n = n;
	return 0;
}

int nx_cmd_status(int argc, char **argv)
{
	static struct status_line lines[STATUS_MAX_SERVICES];
	char path[4096];
	unsigned n = 0;
	bool json = false, failed = false;
	int init_pid = 0, r;

	if (nxt_wants_help(argc - 1, argv + 1))
		return help();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") != 0)
			return nxt_usage_error("status", "unknown argument '%s'", argv[i]);
		json = true;
	}
	if (nxt_runtime_dir_find(NULL) < 0)
		return nxt_report_no_system();
	if ((size_t)snprintf(path, sizeof(path), "%s/status", getenv("NEXUS_RUNTIME_DIR")) >=
	        sizeof(path))
		return nxt_usage_error("status", "NEXUS_RUNTIME_DIR is too long");
	r = read_status(path, lines, &n, &init_pid);
	if (r)
		return r;
	/* A SIGKILLed init leaves its file behind: believe it only while its pid lives. */
	if (kill(init_pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr,
		        "nx: unavailable: nexus-init is not running (%s names pid %d, which "
		        "is gone)\n",
		        path, init_pid);
		return 1;
	}
	for (unsigned i = 0; i < n; i++)
		failed |= strcmp(lines[i].state, "failed") == 0;
	if (json)
		print_json(init_pid, lines, n, nx_clock_realtime_ns());
	else
		print_table(lines, n, nx_clock_realtime_ns());
	return failed ? 1 : 0;
}
