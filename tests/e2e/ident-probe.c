/* SPDX-License-Identifier: MIT */
/*
 * ident-probe: what nx never does, for tests/e2e/identity.sh. Talks to samgr.sock through
 * libnexus as whoever runs it.
 *
 *   ident-probe hold      reads a session token (64 hex digits) from stdin's first line,
 *                         authenticates ONE connection with it, prints "probe: subject S" and
 *                         "probe: resolve echod: ok|<reason>", then waits for a second line
 *                         on stdin and, on the same connection, resolves echod again and
 *                         prints the result: what a revocation in between did to it
 *   ident-probe expire    as hold, but instead of a second line it resolves echod again
 *                         every 50 ms (bounded: 30 s) until refused, then prints that result:
 *                         what the session's expiry did to a connection that stays open
 *   ident-probe bad-auth  authenticate with 5 bytes, then 32 random bytes: prints each reason
 *   ident-probe too-long  login with a password one byte over identityPasswordMaxLen
 *   ident-probe unknown   method 99 of Identity
 *   ident-probe garbage   a bogus frame on a raw channel to identityd; exit 0 once identityd
 *                         closed that channel
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawchan.h"
#include "identity.capnp.h"
#include "nexus-types.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/clock.h"
#include "samgr.capnp.h"

static const char *reason(const nx_rpc_call *call)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	return res && res->reason ? res->reason : "(no reason)";
}

static int authenticate(nexus *nx, const void *token, size_t len)
{
	samgr_authenticate_params_b params;
	samgr_authenticate_results out;
	nx_rpc_cap *samgr = NULL;
	nx_rpc_call *call = NULL;
	const char *subject;
	size_t slen;
	int r = nexus_samgr(nx, &samgr);

	if (r >= 0)
		r = samgr_authenticate_start(samgr_from_cap(samgr), &call, &params);
	if (r >= 0)
		r = samgr_authenticate_params_set_token(params, token, len);
	if (r >= 0)
		r = samgr_authenticate_send_wait(call, nexus_deadline(nx), &out);
	if (r >= 0) {
		(void)samgr_authenticate_results_get_subject(out, &subject, &slen);
		printf("probe: subject %.*s\n", (int)slen, subject);
	} else {
		printf("probe: authenticate: %s\n", reason(call));
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(samgr);
	return r;
}

/* Resolves echod on the one Samgr connection, uncached (samgr_resolve, not nexus_resolve);
 * prints the outcome and returns it. */
static int resolve_echod(nexus *nx)
{
	samgr_resolve_results out;
	nx_rpc_cap *samgr = NULL;
	nx_rpc_call *call = NULL;
	int r = nexus_samgr(nx, &samgr);

	if (r >= 0)
		r = samgr_resolve_wait(
		        samgr_from_cap(samgr), "echod", nexus_deadline(nx), &call, &out);
	printf("probe: resolve echod: %s\n", r >= 0 ? "ok" : reason(call));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(samgr);
	return r;
}

static int hold(nexus *nx, bool until_refused)
{
	char line[128];
	uint8_t token[32];

	if (!fgets(line, sizeof(line), stdin) || strlen(line) < 64)
		return 2;
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(line + 2 * i, "%2x", &v) != 1)
			return 2;
		token[i] = (uint8_t)v;
	}
	if (authenticate(nx, token, sizeof(token)) < 0)
		return 1;
	if (resolve_echod(nx) < 0)
		return 1;
	fflush(stdout);
	if (until_refused) {
		for (int i = 0; i < 600; i++) {
			if (resolve_echod(nx) < 0)
				return 0;
			usleep(50000);
		}
		return 1;
	}
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	(void)resolve_echod(nx);
	return 0;
}

static int bad_auth(nexus *nx)
{
	uint8_t token[32];

	(void)authenticate(nx, "short", 5);
	for (size_t i = 0; i < sizeof(token); i++)
		token[i] = (uint8_t)(nx_clock_monotonic_ns() >> (i % 8));
	(void)authenticate(nx, token, sizeof(token));
	return 0;
}

static int too_long(nexus *nx)
{
	char pw[IDENTITY_PASSWORD_MAX_LEN + 2];
	identity_login_results out;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *id = NULL;
	int r;

	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	r = nexus_resolve(nx, "identityd", &id);
	if (r >= 0)
		r = identity_login_wait(
		        identity_from_cap(id), "alice", pw, nexus_deadline(nx), &call, &out);
	printf("probe: too-long: %s\n", r >= 0 ? "accepted" : reason(call));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(id);
	return 0;
}

static int unknown(nexus *nx)
{
	const nx_rpc_result *res = NULL;
	nx_capnp_bstruct params;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *id = NULL;
	int r = nexus_resolve(nx, "identityd", &id);

	if (r >= 0)
		r = nx_rpc_call_new(id, IDENTITY_INTERFACE_ID, 99, 0, 0, &call, &params);
	if (r >= 0)
		r = nexus_call_wait(nx, call, "method 99", &res);
	printf("probe: unknown: %s\n", r >= 0 ? "accepted" : nexus_last_error(nx));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(id);
	return 0;
}

static int garbage(nexus *nx)
{
	/* Segment count 1, segment 0 of 2^27 words, then noise: a frame to refuse. */
	unsigned char msg[64] = {0, 0, 0, 0, 0, 0, 0, 8};
	struct pollfd pfd = {.events = POLLIN};
	char buf[4096];
	int fd = raw_channel(nx, "identityd");

	if (fd < 0)
		return 1;
	pfd.fd = fd;
	for (size_t i = 8; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return 1;
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			return 1;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			printf("probe: garbage: channel closed\n");
			close(fd);
			return 0;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return 1;
	}
}

int main(int argc, char **argv)
{
	nexus *nx = NULL;
	int r = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || nexus_connect(&nx) < 0)
		return 2;
	if (strcmp(argv[1], "hold") == 0 || strcmp(argv[1], "expire") == 0)
		r = hold(nx, strcmp(argv[1], "expire") == 0);
	else if (strcmp(argv[1], "bad-auth") == 0)
		r = bad_auth(nx);
	else if (strcmp(argv[1], "too-long") == 0)
		r = too_long(nx);
	else if (strcmp(argv[1], "unknown") == 0)
		r = unknown(nx);
	else if (strcmp(argv[1], "garbage") == 0)
		r = garbage(nx);
	nexus_free(nx);
	return r;
}
