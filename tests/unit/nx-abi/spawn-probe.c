/* SPDX-License-Identifier: MIT */
/*
 * The program test-spawn starts: reports what it was given on fd 1.
 *   fds          the open fds from 3 up, one line "fds 3 7"; and writes "<n>" into each
 *   env NAME     the variable's value (or "(unset)")
 *   args A B...  its arguments, one line
 *   session      "leader" if it leads its own session, else "member"
 *   nnp          "nnp 1" if no_new_privs is set, else "nnp 0"
 *   exit CODE    exits with CODE
 *   sleep        waits for a signal
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int report_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int fds[64], n = 0;
	struct dirent *e;
	char num[16];

	if (!d)
		return 1;
	while ((e = readdir(d)) && n < 64) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 3 && fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	printf("fds");
	for (int i = 0; i < n; i++) {
		int len = snprintf(num, sizeof(num), "%d", fds[i]);

		printf(" %d", fds[i]);
		(void)!write(fds[i], num, (size_t)len);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *v;

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "fds") == 0)
		return report_fds();
	if (strcmp(argv[1], "env") == 0 && argc == 3) {
		v = getenv(argv[2]);
		printf("%s\n", v ? v : "(unset)");
		return 0;
	}
	if (strcmp(argv[1], "args") == 0) {
		for (int i = 2; i < argc; i++)
			printf("%s%s", i > 2 ? " " : "", argv[i]);
		printf("\n");
		return 0;
	}
	if (strcmp(argv[1], "session") == 0) {
		printf("%s\n", getsid(0) == getpid() ? "leader" : "member");
		return 0;
	}
	if (strcmp(argv[1], "nnp") == 0) {
		printf("nnp %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		return 0;
	}
	if (strcmp(argv[1], "exit") == 0 && argc == 3)
		return atoi(argv[2]);
	if (strcmp(argv[1], "sleep") == 0) {
		for (;;)
			pause();
	}
	return 2;
}
