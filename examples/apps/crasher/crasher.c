/* SPDX-License-Identifier: MIT */
/*
 * crasher: the sample app that dies. It logs a few lines (journal records of its subject once
 * execd carries its stdout there), then dereferences a bad pointer and is killed by SIGSEGV:
 * execd writes a crash report and applies the manifest's restart policy.
 *
 *   crasher [--exit CODE]     with --exit, exits with CODE (1..255) instead of crashing: the
 *                             other kind of abnormal end a crash report covers
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-log/log.h"

/* An address no process maps: the first page is never mapped on Linux (vm.mmap_min_addr). */
#define BAD_ADDRESS ((uintptr_t)16)

static int parse_code(int argc, char **argv, int *ret_code)
{
	long v;
	char *end;

	*ret_code = 0;
	if (argc == 1)
		return 0;
	if (argc != 3 || strcmp(argv[1], "--exit") != 0)
		return -EINVAL;
	errno = 0;
	v = strtol(argv[2], &end, 10);
	if (errno || *end || end == argv[2] || v < 1 || v > 255)
		return -EINVAL;
	*ret_code = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	/* Volatile: the compiler cannot know the address, so it emits the store as written. */
	volatile uintptr_t bad = BAD_ADDRESS;
	int code;

	nx_log_init("crasher");
	if (parse_code(argc, argv, &code) < 0) {
		nx_log(NX_LOG_ERROR, "args", "usage: crasher [--exit CODE (1..255)]");
		return 2;
	}
	nx_log(NX_LOG_INFO, NULL, "starting, pid %d", (int)getpid());
	nx_log(NX_LOG_INFO, NULL, "doing some work");
	if (code) {
		nx_log(NX_LOG_WARN, NULL, "giving up with exit status %d", code);
		return code;
	}
	nx_log(NX_LOG_WARN, NULL, "about to dereference address %#lx", (unsigned long)BAD_ADDRESS);
	/* A sanitizer build turns SIGSEGV into a report and exit status 1: the default action
	 * makes this die by the signal in every build, as a real crash does. */
	signal(SIGSEGV, SIG_DFL);
	*(volatile int *)bad = 1;
	return 0; /* not reached */
}
