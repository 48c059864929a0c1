/* SPDX-License-Identifier: MIT */
/*
 * nx: the human interface to a running Nexus (DESIGN.md section 10), on libnexus
 * (include/nexus/nexus.h): samgrd over $NEXUS_RUNTIME_DIR/samgr.sock, where its subject is
 * uid:<your uid>. Each command lives in cmd-<name>.c and is listed in commands.def.
 *
 * Exit codes: 0 success, 1 the system said no or is unreachable, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

#ifndef NX_VERSION
#define NX_VERSION "unknown"
#endif

#define NX_COMMAND(name, summary, options) int nx_cmd_##name(int argc, char **argv);
#define NX_GROUP(name, summary)                   \
	int nx_cmd_##name(int argc, char **argv); \
	extern const struct nxt_group nx_group_##name;
#include "commands.def"
#undef NX_COMMAND
#undef NX_GROUP

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *options;           /* for completion; NULL: see group */
	const struct nxt_group *group; /* NULL: a plain command */
} commands[] = {
#define NX_COMMAND(name, summary, options) {#name, nx_cmd_##name, summary, options, NULL},
#define NX_GROUP(name, summary)            {#name, nx_cmd_##name, summary, NULL, &nx_group_##name},
#include "commands.def"
#undef NX_COMMAND
#undef NX_GROUP
};

static int help(void)
{
	printf("usage: nx [--peer DEVICE] COMMAND [ARGS...]\n"
	       "       nx --help | --version\n\n"
	       "The operator's tool for a running Nexus. Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\n'nx COMMAND --help' tells more; listings take --json.\n"
	       "--peer DEVICE: the command talks to the services of DEVICE, a paired device\n"
	       "(through the local dsoftbusd: nx bus).\n"
	       "nx talks to samgrd at $NEXUS_RUNTIME_DIR/samgr.sock; without the variable it "
	       "uses\n./.nexus/run of this directory or a parent (make run), else %s.\n"
	       "Exit codes: 0 success, 1 refused or failed, 2 usage.\n",
	        NXT_SYSTEM_RUNTIME_DIR);
	return NXT_EXIT_OK;
}

/* `nx __complete [CMD [SUB]]`: the words bash completion offers after "nx CMD SUB"
 * (completion/nx.bash), one per line: commands, sub-commands, or options. */
static int complete(int argc, char **argv)
{
	size_t n = sizeof(commands) / sizeof(commands[0]);

	if (argc == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", commands[i].name);
		printf("--help\n--version\n");
		return NXT_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (commands[i].group)
			nxt_group_complete(commands[i].group, argc - 1, argv + 1);
		else
			printf("%s --help\n", commands[i].options);
	}
	return NXT_EXIT_OK;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "nx: missing command\nTry 'nx --help'.\n");
		return NXT_EXIT_USAGE;
	}
	if (nxt_is_help(argv[1]) || strcmp(argv[1], "help") == 0)
		return help();
	if (strcmp(argv[1], "--version") == 0) {
		printf("nx (Nexus) %s\n", NX_VERSION);
		return NXT_EXIT_OK;
	}
	if (strcmp(argv[1], "__complete") == 0)
		return complete(argc - 2, argv + 2);
	/* --peer DEVICE: every service the command resolves is DEVICE's (common.h). */
	if (strcmp(argv[1], "--peer") == 0) {
		if (argc < 4) {
			fprintf(stderr,
			        "nx: --peer needs a DEVICE and a command\nTry 'nx --help'.\n");
			return NXT_EXIT_USAGE;
		}
		if (nxt_set_peer(argv[2]) < 0) {
			fprintf(stderr,
			        "nx: --peer: '%s' is not a device id (32 lowercase hex "
			        "digits)\nTry 'nx --help'.\n",
			        argv[2]);
			return NXT_EXIT_USAGE;
		}
		argc -= 2;
		argv += 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "nx: unknown command '%s'\nTry 'nx --help'.\n", argv[1]);
	return NXT_EXIT_USAGE;
}
