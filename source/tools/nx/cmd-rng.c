/* SPDX-License-Identifier: MIT */
/*
 * nx rng: ask rngd (rng.capnp) through samgrd, as uid:<your uid>.
 *
 *   nx rng bytes N [--hex]     N bytes of entropy to stdout: raw (never to a terminal) or as
 *                              one line of lowercase hex. Over rngInlineMax they arrive as a
 *                              sealed VMO, checked (seals, size exactly N) before it is read.
 *   nx rng status [--json]     the sources (in use, healthy, samples, health test failures,
 *                              claimed min-entropy), reseeds, bytes and requests served,
 *                              requests refused
 *
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "nx-abi/vmo.h"
#include "rng.capnp.h"

int nx_cmd_rng(int argc, char **argv);

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx rng bytes N [--hex]\n"
	        "       nx rng status [--json]\n"
	        "       nx rng --help\n"
	        "bytes: N bytes (1..%u) from rngd's DRBG, raw to stdout (not a terminal) or as "
	        "hex.\n"
	        "status: sources, health tests, reseeds, bytes and requests served.\n"
	        "Needs rng.entropy. Asks rngd, resolved through samgrd at "
	        "$NEXUS_RUNTIME_DIR/samgr.sock.\n"
	        "Exit codes: 0 success, 1 refused or unreachable, 2 usage.\n",
	        RNG_REQUEST_MAX);
	return code;
}

static int bad_usage(const char *what)
{
	fprintf(stderr, "nx rng: %s (nx rng --help)\n", what);
	return 2;
}

/* Writes the bytes raw or as one hex line. 0, or reported and 1. */
static int emit(const uint8_t *p, size_t n, bool hex)
{
	size_t done = 0;

	if (hex) {
		for (size_t i = 0; i < n; i++)
			printf("%02x", p[i]);
		putchar('\n');
	} else {
		while (done < n) {
			size_t k = fwrite(p + done, 1, n - done, stdout);

			if (k == 0)
				return nxt_report("writing stdout", -EIO);
			done += k;
		}
	}
	return fflush(stdout) == 0 ? 0 : nxt_report("writing stdout", -errno);
}

/* The answer's VMO: sealed, exactly n bytes, mapped read-only. */
static int emit_vmo(nexus_vmo_ref ref, uint32_t n, bool hex)
{
	struct nx_vmo_map map = {0};
	struct nexus_vmo *vmo = NULL;
	int r;

	r = nexus_vmo_ref_get_vmo(ref, &vmo);
	if (r >= 0)
		r = nx_vmo_map_ro(
		        nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), RNG_REQUEST_MAX, false, &map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo)); /* the map stays valid without the fd */
	if (r >= 0 && (map.size != n || nexus_vmo_ref_get_size(ref) != n))
		r = -EBADMSG;
	if (r < 0)
		r = nxt_report("bytes: vmo", r);
	else
		r = emit(map.addr, n, hex);
	nx_vmo_unmap(&map);
	return r;
}

static int cmd_bytes(struct nxt_session *s, uint32_t n, bool hex)
{
	rng_get_entropy_results out;
	nx_rpc_call *call = NULL;
	const uint8_t *bytes;
	size_t len = 0;
	int r;

	r = rng_get_entropy_wait(rng_from_cap(s->svc), n, nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "bytes");
	else if (rng_get_entropy_results_has_vmo(out))
		r = emit_vmo(rng_get_entropy_results_get_vmo(out), n, hex);
	else if (rng_get_entropy_results_get_bytes(out, &bytes, &len) < 0 || len != n)
		r = nxt_report("bytes: answer", -EBADMSG);
	else
		r = emit(bytes, len, hex);
	nx_rpc_call_free(call);
	return r;
}

static void print_source(rng_source src, bool json, bool first)
{
	const char *name = "";
	size_t len = 0;

	(void)rng_source_get_name(src, &name, &len); /* results are validated */
	if (json) {
		printf("%s{\"name\":", first ? "" : ",");
		nxt_json_string(name, len);
		printf(",\"inUse\":%s,\"healthy\":%s,\"samples\":%" PRIu64
		       ",\"repetitionFailures\":%" PRIu64 ",\"proportionFailures\":%" PRIu64
		       ",\"minEntropyMilliBits\":%" PRIu32 "}",
		        rng_source_get_in_use(src) ? "true" : "false",
		        rng_source_get_healthy(src) ? "true" : "false", rng_source_get_samples(src),
		        rng_source_get_repetition_failures(src),
		        rng_source_get_proportion_failures(src),
		        rng_source_get_min_entropy_milli_bits(src));
		return;
	}
	printf("source %.*s%s: %s, %" PRIu64 " samples tested, repetition failures %" PRIu64
	       ", proportion failures %" PRIu64 ", min-entropy %" PRIu32 ".%03" PRIu32
	       " bits/byte claimed\n",
	        (int)len, name, rng_source_get_in_use(src) ? " (in use)" : "",
	        rng_source_get_healthy(src) ? "healthy" : "FAILED", rng_source_get_samples(src),
	        rng_source_get_repetition_failures(src), rng_source_get_proportion_failures(src),
	        rng_source_get_min_entropy_milli_bits(src) / 1000,
	        rng_source_get_min_entropy_milli_bits(src) % 1000);
}

static int cmd_status(struct nxt_session *s, bool json)
{
	rng_status_results out;
	nx_rpc_call *call = NULL;
	nx_capnp_list list = {0};
	rng_report rep;
	int r;

	r = rng_status_wait(rng_from_cap(s->svc), nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "status");
		nx_rpc_call_free(call);
		return r;
	}
	rep = rng_status_results_get_report(out);
	(void)rng_report_get_sources(rep, &list);
	if (json)
		printf("{\"sources\":[");
	for (uint32_t i = 0; i < list.count; i++)
		print_source(rng_source_at(&list, i), json, i == 0);
	if (json)
		printf("],\"reseeds\":%" PRIu64 ",\"bytesServed\":%" PRIu64
		       ",\"requestsServed\":%" PRIu64 ",\"requestsRefused\":%" PRIu64 "}\n",
		        rng_report_get_reseeds(rep), rng_report_get_bytes_served(rep),
		        rng_report_get_requests_served(rep), rng_report_get_requests_refused(rep));
	else
		printf("reseeds %" PRIu64 ", bytes served %" PRIu64 ", requests served %" PRIu64
		       ", refused %" PRIu64 "\n",
		        rng_report_get_reseeds(rep), rng_report_get_bytes_served(rep),
		        rng_report_get_requests_served(rep), rng_report_get_requests_refused(rep));
	nx_rpc_call_free(call);
	return 0;
}

/* N as rngd sees it: any 32-bit number, so that rngd, not nx, judges 0 and too large. */
static int parse_n(const char *text, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static bool is_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

int nx_cmd_rng(int argc, char **argv)
{
	struct nxt_session s = {0};
	bool hex = false, json = false;
	uint32_t n = 0;
	int r;

	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 || is_help(argc, argv))
		return usage(stdout, 0);
	if (strcmp(argv[1], "bytes") == 0) {
		if (argc < 3 || argc > 4)
			return bad_usage("bytes: expected N [--hex]");
		if (parse_n(argv[2], &n) < 0)
			return bad_usage("bytes: N is not a number of bytes");
		if (argc == 4 && strcmp(argv[3], "--hex") != 0)
			return bad_usage("bytes: unknown option (only --hex)");
		hex = argc == 4;
		if (!hex && isatty(STDOUT_FILENO))
			return bad_usage(
			        "bytes: refusing to write raw bytes to a terminal; use --hex "
			        "or redirect stdout");
	} else if (strcmp(argv[1], "status") == 0) {
		if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json") != 0))
			return bad_usage("status: unknown argument (only --json)");
		json = argc == 3;
	} else {
		return bad_usage("unknown subcommand (bytes, status)");
	}
	r = nxt_session_open(&s, "rngd");
	if (r == 0)
		r = strcmp(argv[1], "bytes") == 0 ? cmd_bytes(&s, n, hex) : cmd_status(&s, json);
	nxt_session_close(&s);
	return r;
}
