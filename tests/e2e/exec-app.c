/* SPDX-License-Identifier: MIT */
/*
 * exec-app: the program tests/e2e/execd-core.sh packs into bundles and runs through execd.
 * Does each of its arguments in order, writing on stdout (the journal, through execd):
 *   say TEXT   prints TEXT
 *   fds        "fds 0 1 2 3": the fds it holds (execd grants stdio and fd 3 only)
 *   ids        "ids uid=U gid=G": the uid execd gave it
 *   boot       "boot unix stream" when fd 3 is a connected AF_UNIX stream socket (samgrd's)
 *   stdin      "stdin eof" once stdin reads end of file
 *   inet       "inet allowed" or "inet denied": whether an AF_INET socket can be made
 *   exit N     exits with N
 *   signal N   raises signal N (SIGABRT: the sanitizers leave it alone)
 *   sleep      waits for a signal
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Probes each number: /proc may not be there for an app in its own pid namespace. */
static void fds(void)
{
	printf("fds");
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			printf(" %d", fd);
	printf("\n");
}

static void boot(void)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
	        getpeername(3, (struct sockaddr *)&peer, &len) == 0 && peer.sun_family == AF_UNIX)
		printf("boot unix %s\n", type == SOCK_STREAM ? "stream" : "other");
	else
		printf("boot none\n");
}

static void inet(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	printf("inet %s\n", fd >= 0 ? "allowed" : "denied");
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : "0";

		if (strcmp(argv[i], "say") == 0 && i + 1 < argc)
			printf("%s\n", argv[++i]);
		else if (strcmp(argv[i], "fds") == 0)
			fds();
		else if (strcmp(argv[i], "ids") == 0)
			printf("ids uid=%u gid=%u\n", (unsigned)getuid(), (unsigned)getgid());
		else if (strcmp(argv[i], "boot") == 0)
			boot();
		else if (strcmp(argv[i], "inet") == 0)
			inet();
		else if (strcmp(argv[i], "stdin") == 0)
			printf("stdin %s\n", read(0, &c, 1) == 0 ? "eof" : "data");
		else if (strcmp(argv[i], "exit") == 0)
			return atoi(next);
		else if (strcmp(argv[i], "signal") == 0)
			raise(atoi(next));
		else if (strcmp(argv[i], "sleep") == 0)
			pause();
	}
	return 0;
}
