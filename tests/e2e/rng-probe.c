/* SPDX-License-Identifier: MIT */
/*
 * rng-probe: what nx never checks or does to rngd, for tests/e2e/rngd.sh.
 *
 *   rng-probe vmo N       getEntropy(N) over libnexus: N <= rngInlineMax must come inline
 *                         with no VMO; larger must come as a VMO of exactly N bytes (fstat),
 *                         sealed FROZEN (no write, no writable map, no resize). Prints
 *                         "probe: inline N" or "probe: vmo N sealed".
 *   rng-probe garbage     resolves rngd through samgrd, writes a bogus frame (a segment table
 *                         claiming 2^27 words) on the raw channel and waits (bounded) for
 *                         rngd to close it: "probe: rngd closed the channel".
 *   rng-probe unknown     calls method 7 of Rng, which does not exist (refused "unsupported:"),
 *                         then getEntropy(16) on the same channel: "probe: unknown method
 *                         refused: <reason>; the channel still serves".
 *   rng-probe recover FILE
 *                         one libnexus handle: getEntropy(32), then waits (bounded) until FILE
 *                         exists (the script kills rngd and waits for its restart meanwhile),
 *                         then getEntropy(32) again on the same handle, resolving rngd anew
 *                         when the old channel died: "probe: recovered after K tries".
 * Exit 0 on success, 1 on failure (reason printed), 2 usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nexus/nexus.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "rawchan.h"
#include "rng.capnp.h"
#include "samgr.capnp.h"

/* One getEntropy(n) on a fresh resolve of rngd (libnexus caches the channel while it lives). */
static int get_entropy(nexus *nx, uint32_t n, nx_rpc_call **ret_call, rng_get_entropy_results *ret)
{
	nx_rpc_cap *cap = NULL;
	int r = nexus_resolve(nx, "rngd", &cap);

	*ret_call = NULL;
	if (r >= 0)
		r = rng_get_entropy_wait(rng_from_cap(cap), n, nexus_deadline(nx), ret_call, ret);
	nx_rpc_cap_unref(cap);
	return r;
}

/* Prints why and returns err. */
static int why(int err, const char *text)
{
	printf("probe: %s\n", text);
	return err;
}

/* The answer's VMO: exactly n bytes, sealed against writes, writable maps and resizes. */
static int check_sealed(int fd, uint32_t n)
{
	struct nx_vmo_map map = {0};
	unsigned seals = 0;
	size_t size = 0;
	int r;

	r = nx_vmo_size(fd, &size);
	if (r < 0 || size != n)
		return why(-EBADMSG, "vmo size is not n");
	r = nx_vmo_get_seals(fd, &seals);
	if (r < 0 || !(seals & NX_VMO_SEAL_FROZEN))
		return why(-EPERM, "vmo not sealed");
	if (nx_vmo_write(fd, 0, "x", 1) != -EPERM)
		return why(-EPERM, "vmo writable");
	r = nx_vmo_map_rw(fd, false, &map);
	nx_vmo_unmap(&map);
	return r == -EPERM ? 0 : why(-EPERM, "vmo mappable for writing");
}

static int check_vmo(rng_get_entropy_results out, uint32_t n)
{
	struct nexus_vmo *vmo = NULL;
	const uint8_t *bytes;
	size_t len = 0;
	int r;

	(void)rng_get_entropy_results_get_bytes(out, &bytes, &len);
	if (n <= RNG_INLINE_MAX) {
		if (rng_get_entropy_results_has_vmo(out) || len != n)
			return why(-EBADMSG, "inline answer not n bytes, or a vmo with it");
		printf("probe: inline %u\n", n);
		return 0;
	}
	if (len != 0 || nexus_vmo_ref_get_size(rng_get_entropy_results_get_vmo(out)) != n)
		return why(-EBADMSG, "vmo answer with inline bytes or a size not n");
	r = nexus_vmo_ref_get_vmo(rng_get_entropy_results_get_vmo(out), &vmo);
	if (r < 0)
		return why(r, "no vmo in the answer");
	r = check_sealed(nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), n);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r >= 0)
		printf("probe: vmo %u sealed\n", n);
	return r;
}

static int cmd_vmo(nexus *nx, uint32_t n)
{
	rng_get_entropy_results out;
	nx_rpc_call *call;
	int r = get_entropy(nx, n, &call, &out);

	if (r < 0)
		printf("probe: %s\n", nexus_last_error(nx));
	else
		r = check_vmo(out, n);
	nx_rpc_call_free(call);
	return r;
}

static int cmd_garbage(nexus *nx)
{
	/* Segment count 1, segment 0 of 2^27 words, then noise: a frame rngd must refuse. */
	unsigned char msg[64] = {0, 0, 0, 0, 0, 0, 0, 8};
	struct pollfd pfd = {.events = POLLIN};
	int fd = raw_channel(nx, "rngd"), r = -ETIMEDOUT;
	char buf[4096];

	if (fd < 0)
		return why(fd, "resolve failed");
	for (size_t i = 8; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	pfd.fd = fd;
	if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		r = -errno;
	while (r == -ETIMEDOUT && poll(&pfd, 1, 10000) > 0) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k == 0 || (k < 0 && errno == ECONNRESET))
			r = 0;
		else if (k < 0 && errno != EAGAIN && errno != EINTR)
			r = -errno;
	}
	nx_fd_close(fd);
	printf("probe: %s\n", r == 0 ? "rngd closed the channel" : strerror(-r));
	return r;
}

static int cmd_unknown(nexus *nx)
{
	rng_get_entropy_results out;
	const nx_rpc_result *res = NULL;
	nx_capnp_bstruct params;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *cap = NULL;
	char reason[256] = "";
	int r = nexus_resolve(nx, "rngd", &cap);

	if (r >= 0)
		r = nx_rpc_call_new(cap, RNG_INTERFACE_ID, 7, 0, 0, &call, &params);
	if (r >= 0)
		r = nx_rpc_call_wait(call, nexus_deadline(nx), &res);
	if (r >= 0 &&
	        (res->error != -EOPNOTSUPP || strncmp(res->reason, "unsupported:", 12) != 0)) {
		printf("probe: method 7: error %d, %s\n", res->error, res->reason);
		r = -EPROTO;
	}
	if (r >= 0)
		snprintf(reason, sizeof(reason), "%s", res->reason);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(cap);
	if (r < 0)
		return r;
	r = get_entropy(nx, 16, &call, &out);
	nx_rpc_call_free(call);
	if (r < 0)
		return why(r, nexus_last_error(nx));
	printf("probe: unknown method refused: %s; the channel still serves\n", reason);
	return 0;
}

static int cmd_recover(nexus *nx, const char *file)
{
	rng_get_entropy_results out;
	nx_rpc_call *call;
	int r = get_entropy(nx, 32, &call, &out), tries = 0;

	nx_rpc_call_free(call);
	if (r < 0)
		return why(r, nexus_last_error(nx));
	printf("probe: before ok\n");
	for (int i = 0; i < 600 && access(file, F_OK) != 0; i++)
		usleep(50 * 1000);
	/* The first call may find the old channel dead; the next resolve asks samgrd anew. */
	do {
		tries++;
		r = get_entropy(nx, 32, &call, &out);
		nx_rpc_call_free(call);
		if (r < 0)
			usleep(100 * 1000);
	} while (r < 0 && tries < 50);
	if (r < 0)
		return why(r, nexus_last_error(nx));
	printf("probe: recovered after %d tries\n", tries);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : "";
	nexus *nx = NULL;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!((argc == 3 && strcmp(cmd, "vmo") == 0) ||
	            (argc == 2 && strcmp(cmd, "garbage") == 0) ||
	            (argc == 2 && strcmp(cmd, "unknown") == 0) ||
	            (argc == 3 && strcmp(cmd, "recover") == 0))) {
		fprintf(stderr, "usage: rng-probe vmo N | garbage | unknown | recover FILE\n");
		return 2;
	}
	r = nexus_connect(&nx);
	if (r < 0) {
		printf("probe: %s\n", nexus_last_error(NULL));
		return 1;
	}
	if (strcmp(cmd, "vmo") == 0)
		r = cmd_vmo(nx, (uint32_t)strtoul(argv[2], NULL, 10));
	else if (strcmp(cmd, "garbage") == 0)
		r = cmd_garbage(nx);
	else if (strcmp(cmd, "unknown") == 0)
		r = cmd_unknown(nx);
	else
		r = cmd_recover(nx, argv[2]);
	nexus_free(nx);
	return r < 0 ? 1 : 0;
}
