/* SPDX-License-Identifier: MIT */
/*
 * nx status [--json]: what nexus-init says about each service, from the file it rewrites
 * on every change ($NEXUS_RUNTIME_DIR/status, format in source/init/main.c): pid, state,
 * restarts and the sandbox mechanisms active in it. Needs no service to be up.
 *
 * Exit codes: 0 all well, 1 a service failed or nexus-init is not running, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX_SERVICES 64

int nx_cmd_status(int argc, char **argv);

struct status_line {
	char name[65], state[16], mechs[128];
	int pid;
	unsigned restarts;
};

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: nx status [--json]\n"
	           "Services as nexus-init sees them: pid, state, restarts, active sandbox "
	           "mechanisms.\nExit codes: 0 all up or stopped on purpose, 1 a service failed "
	           "or nexus-init is not running, 2 usage.\n");
	return code;
}

static void print_json(int init_pid, const struct status_line *l, unsigned n)
{
	printf("{\"init\":{\"pid\":%d},\"services\":[", init_pid);
	for (unsigned i = 0; i < n; i++) {
		char mechs[sizeof(l[i].mechs)];
		bool first = true;

		/* Names and states are [a-z0-9._-] (init checks names): no escaping needed. */
		printf("%s{\"name\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"restarts\":%u,"
		       "\"sandbox\":[",
		        i ? "," : "", l[i].name, l[i].pid, l[i].state, l[i].restarts);
		memcpy(mechs, l[i].mechs, sizeof(mechs));
		if (strcmp(mechs, "-") != 0)
			for (char *save, *m = strtok_r(mechs, ",", &save); m;
			        m = strtok_r(NULL, ",", &save)) {
				printf("%s\"%s\"", first ? "" : ",", m);
				first = false;
			}
		printf("]}");
	}
	printf("]}\n");
}

int nx_cmd_status(int argc, char **argv)
{
	static struct status_line lines[STATUS_MAX_SERVICES];
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	char path[4096], buf[512];
	unsigned n = 0, version = 0;
	bool json = false, failed = false;
	int init_pid = 0;
	FILE *f;

	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		json = true;
	else if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return usage(stdout, 0);
	else if (argc != 1)
		return usage(stderr, 2);
	if (!dir || !*dir)
		dir = "./.nexus/run";
	if ((size_t)snprintf(path, sizeof(path), "%s/status", dir) >= sizeof(path)) {
		fprintf(stderr, "nx: invalid_argument: NEXUS_RUNTIME_DIR is too long\n");
		return 2;
	}
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "nx: unavailable: nexus-init is not running (%s: %s)\n", path,
		        strerror(errno));
		return 1;
	}
	if (!fgets(buf, sizeof(buf), f) ||
	        sscanf(buf, "nexus-init %u %d", &version, &init_pid) != 2 || version != 1 ||
	        init_pid <= 0) {
		fclose(f);
		fprintf(stderr, "nx: internal: %s: not a nexus-init status file\n", path);
		return 1;
	}
	while (n < STATUS_MAX_SERVICES && fgets(buf, sizeof(buf), f)) {
		struct status_line *l = &lines[n];

		if (sscanf(buf, "%64s %d %15s %u %127s", l->name, &l->pid, l->state, &l->restarts,
		            l->mechs) != 5) {
			fclose(f);
			fprintf(stderr, "nx: internal: %s: bad line %u\n", path, n + 2);
			return 1;
		}
		failed |= strcmp(l->state, "failed") == 0;
		n++;
	}
	fclose(f);
	/* A SIGKILLed init leaves its file behind: believe it only while its pid lives. */
	if (kill(init_pid, 0) < 0 && errno == ESRCH) {
		fprintf(stderr, "nx: unavailable: nexus-init is not running (pid %d is gone)\n",
		        init_pid);
		return 1;
	}
	if (json) {
		print_json(init_pid, lines, n);
	} else {
		printf("%-16s %8s %-9s %8s %s\n", "NAME", "PID", "STATE", "RESTARTS", "SANDBOX");
		for (unsigned i = 0; i < n; i++)
			printf("%-16s %8d %-9s %8u %s\n", lines[i].name, lines[i].pid,
			        lines[i].state, lines[i].restarts, lines[i].mechs);
	}
	return failed ? 1 : 0;
}
