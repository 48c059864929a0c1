/* SPDX-License-Identifier: MIT */
/*
 * A client that uses only the public API (<nexus/nexus.h>) and the generated echo code:
 * resolves echod and calls it, once per line read from stdin, all through one nexus handle.
 * libnexus.sh kills echod between two lines; the second call must work (automatic re-resolve).
 *
 *   libnexus-client TEXT     prints "client: <n> <text back> (<subject>)" per line of stdin,
 *                            or "client: <n> error <errno>: <section 9 message>"
 *   libnexus-client resolve NAME   one resolve; prints the error like the above
 * Exit: 0 when every call worked, 1 otherwise, 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "echo.capnp.h"
#include <nexus/nexus.h>

static int echo_once(nexus *nx, const char *text, unsigned n)
{
	echo_echo_results out;
	nx_rpc_cap *echod = NULL;
	nx_rpc_call *call = NULL;
	const char *back, *subject;
	size_t len;
	int r;

	r = nexus_resolve(nx, "echod", &echod);
	if (r >= 0) {
		r = echo_echo_wait(echo_from_cap(echod), text, nexus_deadline(nx), &call, &out);
		if (r < 0)
			nexus_call_failed(nx, call, r, "echo");
	}
	if (r >= 0) {
		/* Validated against the schema before the wait returned. */
		(void)echo_echo_results_get_text(out, &back, &len);
		(void)echo_echo_results_get_subject(out, &subject, &len);
		printf("client: %u %s (%s)\n", n, back, subject);
	} else {
		printf("client: %u error %d: %s\n", n, r, nexus_last_error(nx));
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(echod);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	nx_rpc_cap *cap = NULL;
	char line[64];
	unsigned n = 0;
	nexus *nx;
	int status = 0, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 && !(argc == 3 && strcmp(argv[1], "resolve") == 0))
		return 2;
	if (nexus_connect(&nx) < 0) {
		printf("client: connect error: %s\n", nexus_last_error(NULL));
		return 1;
	}
	if (argc == 3) {
		r = nexus_resolve(nx, argv[2], &cap);
		if (r < 0)
			printf("client: resolve error %d: %s\n", r, nexus_last_error(nx));
		else
			printf("client: resolved %s\n", argv[2]);
		nx_rpc_cap_unref(cap);
		nexus_free(nx);
		return r < 0 ? 1 : 0;
	}
	while (fgets(line, sizeof(line), stdin))
		status |= echo_once(nx, argv[1], ++n);
	nexus_free(nx);
	return status;
}
