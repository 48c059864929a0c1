/* SPDX-License-Identifier: MIT */
/*
 * bundle-probe: what nx never does to bundlemgrd and policyd's grants, for
 * tests/e2e/bundlemgrd.sh. Connects through samgr.sock with libnexus. Each command prints
 * "probe: ..." lines; refusals print the reason.
 *
 *   bundle-probe payload KIND FILE   install FILE's bytes as a VMO that is wrong as KIND says:
 *                                    unsealed (a memfd not sealed), notmemfd (FILE's own fd),
 *                                    oversized (a sealed memfd of BND_PAYLOAD_MAX + 1 bytes),
 *                                    wrongsize (claims one byte more), novmo (no Vmo).
 *                                    Exit 0 when refused.
 *   bundle-probe garbage             a bogus frame on a raw channel to bundlemgrd; exit 0 once
 *                                    bundlemgrd closed it
 *   bundle-probe watchers            watch() on one channel until refused, then on more
 *                                    channels until refused: "probe: per channel N",
 *                                    "probe: in all M"
 *   bundle-probe watch N             prints "probe: watching", then each event as "probe:
 *                                    <event> <id> <version>"; exits after N (or 60 s)
 *   bundle-probe grants N            policyd setGrants for app:probe.s<i>.x until refused or
 *                                    N: "probe: granted K" then the refusal; takes them back
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawchan.h"
#include "bundle.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "policy.capnp.h"
#include "samgr.capnp.h"

#define WAIT_NS (60ull * 1000 * 1000 * 1000)

static const char *reason_of(const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	return res && res->reason ? res->reason : strerror(-r);
}

/* The fd the payload of KIND travels as, and the size claimed. */
static int payload_fd(const char *kind, const char *file, int *ret_fd, uint64_t *ret_claim)
{
	FILE *f = fopen(file, "rbe");
	char buf[65536];
	size_t n, at = 0;
	int fd = -1, r = 0;

	if (!f)
		return -errno;
	if (strcmp(kind, "notmemfd") == 0) {
		fd = dup(fileno(f));
		*ret_claim = 0;
		r = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			struct stat;
			off_t end = lseek(fd, 0, SEEK_END);

			*ret_claim = (uint64_t)end;
		}
	} else if (strcmp(kind, "oversized") == 0) {
		r = nx_vmo_create("probe", (size_t)BND_PAYLOAD_MAX + 1, &fd); /* sparse */
		if (r >= 0)
			r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
		*ret_claim = (uint64_t)BND_PAYLOAD_MAX + 1;
	} else {
		fseek(f, 0, SEEK_END);
		*ret_claim = (uint64_t)ftell(f);
		rewind(f);
		r = nx_vmo_create("probe", (size_t)*ret_claim, &fd);
		while (r >= 0 && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
			r = nx_vmo_write(fd, at, buf, n);
			at += n;
		}
		if (r >= 0 && strcmp(kind, "unsealed") != 0)
			r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
		if (strcmp(kind, "wrongsize") == 0)
			(*ret_claim)++;
	}
	fclose(f);
	if (r < 0) {
		nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int payload(nexus *nx, struct bundle_bundles *b, const char *kind, const char *file)
{
	static const struct nexus_vmo_server vmo_vt = {0};
	bundle_bundles_install_params_b params;
	bundle_bundles_install_results out;
	struct nexus_vmo *vmo = NULL;
	nexus_vmo_ref_b ref;
	nx_rpc_call *call = NULL;
	uint64_t claim = 0;
	int fd = -1, r;

	r = bundle_bundles_install_start(b, &call, &params);
	if (r >= 0)
		r = bundle_bundles_install_params_init_payload(params, &ref);
	if (r >= 0 && strcmp(kind, "novmo") != 0) {
		r = payload_fd(kind, file, &fd, &claim);
		if (r >= 0)
			r = nexus_vmo_server_new_with_fd(
			        &vmo_vt, NULL, NULL, fd, &vmo); /* takes fd */
		if (r >= 0)
			r = nexus_vmo_ref_set_vmo(ref, vmo);
		nexus_vmo_ref_set_size(ref, claim);
		nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	}
	if (r < 0) {
		nx_rpc_call_free(call);
		return r;
	}
	r = bundle_bundles_install_send_wait(call, nexus_deadline(nx), &out);
	if (r >= 0)
		printf("probe: accepted\n");
	else
		printf("probe: %s\n", reason_of(call, r));
	nx_rpc_call_free(call);
	return r < 0 ? 0 : -EPROTO;
}

static int garbage(nexus *nx)
{
	int r = raw_garbage(nx, "bundlemgrd");

	if (r == 0)
		printf("probe: bundlemgrd closed the channel\n");
	return r;
}

static unsigned events_left;

static int on_changed(void *impl, nx_rpc_incoming *in, bundle_watcher_changed_params params)
{
	const char *id = "";
	size_t len = 0;

	(void)bundle_watcher_changed_params_get_id(params, &id, &len);
	printf("probe: %s %.*s %llu\n",
	        bundle_event_name(bundle_watcher_changed_params_get_event(params)) ?: "?", (int)len,
	        id, (unsigned long long)bundle_watcher_changed_params_get_version(params));
	if (events_left && --events_left == 0)
		nx_loop_quit(impl, 0);
	return bundle_watcher_changed_return(in);
}

static const struct bundle_watcher_server watcher_vt = {.changed = on_changed};

/* watch() with a new watcher on `b`: 0, or the refusal (printed). */
static int watch_once(nexus *nx, struct bundle_bundles *b, struct bundle_watcher *w)
{
	bundle_bundles_watch_results out;
	nx_rpc_call *call = NULL;
	int r = bundle_bundles_watch_wait(b, w, nexus_deadline(nx), &call, &out);

	if (r < 0)
		printf("probe: %s\n", reason_of(call, r));
	nx_rpc_call_free(call);
	return r;
}

static void on_timeout(nx_source *s, void *userdata)
{
	printf("probe: timed out\n");
	nx_loop_quit(userdata, -ETIMEDOUT);
}

static int watch(nexus *nx, struct bundle_bundles *b, unsigned n)
{
	struct bundle_watcher *w = NULL;
	nx_source *timer = NULL;
	int r = bundle_watcher_server_new(&watcher_vt, nexus_loop(nx), NULL, &w);

	if (r >= 0)
		r = watch_once(nx, b, w);
	if (r >= 0)
		r = nx_loop_add_timer(nexus_loop(nx), nx_clock_monotonic_ns() + WAIT_NS, on_timeout,
		        nexus_loop(nx), &timer);
	if (r >= 0) {
		printf("probe: watching\n");
		events_left = n;
		r = nx_loop_run(nexus_loop(nx));
	}
	nx_source_free(timer);
	nx_rpc_cap_unref(bundle_watcher_cap(w));
	return r;
}

static int watchers(nexus *nx, struct bundle_bundles *first)
{
	nx_rpc_conn *conns_[BUNDLEMGRD_WATCHERS_MAX + 1] = {NULL};
	nx_rpc_cap *more[BUNDLEMGRD_WATCHERS_MAX + 1] = {NULL};
	struct bundle_watcher *w = NULL;
	unsigned per = 0, all = 0, conns = 0;
	int r = bundle_watcher_server_new(&watcher_vt, NULL, NULL, &w);

	while (r >= 0 && watch_once(nx, first, w) >= 0)
		per++;
	printf("probe: per channel %u\n", per);
	all = per;
	/* More channels (each a fresh resolve) until bundlemgrd refuses in all. */
	for (bool refused = false; r >= 0 && !refused && conns <= BUNDLEMGRD_WATCHERS_MAX;
	        conns++) {
		int fd = raw_channel(nx, "bundlemgrd");

		r = fd < 0 ? fd : nx_rpc_conn_new(nexus_loop(nx), fd, NULL, &conns_[conns]);
		if (r >= 0)
			r = nx_rpc_conn_bootstrap(conns_[conns], &more[conns]);
		for (unsigned i = 0; r >= 0 && i < BUNDLEMGRD_WATCHERS_PER_CONN_MAX; i++) {
			if (watch_once(nx, bundle_bundles_from_cap(more[conns]), w) < 0) {
				refused = true;
				break;
			}
			all++;
		}
	}
	printf("probe: in all %u\n", all);
	for (unsigned i = 0; i < conns; i++) {
		nx_rpc_cap_unref(more[i]);
		nx_rpc_conn_free(conns_[i]);
	}
	nx_rpc_cap_unref(bundle_watcher_cap(w));
	return r;
}

static int set_grants(nexus *nx, struct policy *p, unsigned i, bool give)
{
	policy_set_grants_params_b params;
	policy_set_grants_results out;
	nx_capnp_blist caps;
	nx_rpc_call *call = NULL;
	char subject[64];
	int r;

	snprintf(subject, sizeof(subject), "app:probe.s%u.x", i);
	r = policy_set_grants_start(p, &call, &params);
	if (r >= 0)
		r = policy_set_grants_params_set_subject(params, subject, strlen(subject));
	if (r >= 0)
		r = policy_set_grants_params_init_caps(params, give ? 1 : 0, &caps);
	if (r >= 0 && give) {
		nx_capnp_bptr c = nx_capnp_blist_ptr(&caps, 0);

		r = nx_capnp_bptr_set_text(&c, "log.append", 10); /* a known capability */
	}
	if (r >= 0)
		r = policy_set_grants_send_wait(call, nexus_deadline(nx), &out);
	if (r < 0 && give)
		printf("probe: %s\n", reason_of(call, r));
	nx_rpc_call_free(call);
	return r;
}

static int grants(nexus *nx, unsigned n)
{
	nx_rpc_cap *cap = NULL;
	unsigned k = 0;
	int r = nexus_resolve(nx, "policyd", &cap);

	while (r >= 0 && k < n && set_grants(nx, policy_from_cap(cap), k, true) >= 0)
		k++;
	printf("probe: granted %u\n", k);
	for (unsigned i = 0; r >= 0 && i < k; i++)
		r = set_grants(nx, policy_from_cap(cap), i, false);
	nx_rpc_cap_unref(cap);
	return r;
}

int main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : "";
	nx_rpc_cap *cap = NULL;
	nexus *nx = NULL;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!((argc == 4 && strcmp(cmd, "payload") == 0) ||
	            (argc == 2 && (strcmp(cmd, "garbage") == 0 || strcmp(cmd, "watchers") == 0)) ||
	            (argc == 3 && (strcmp(cmd, "watch") == 0 || strcmp(cmd, "grants") == 0)))) {
		fprintf(stderr, "usage: bundle-probe payload KIND FILE | garbage | watchers | "
		                "watch N | grants N\n");
		return 2;
	}
	r = nexus_connect(&nx);
	if (r >= 0 && strcmp(cmd, "garbage") == 0)
		r = garbage(nx);
	else if (r >= 0 && strcmp(cmd, "grants") == 0)
		r = grants(nx, (unsigned)strtoul(argv[2], NULL, 10));
	else if (r >= 0) {
		r = nexus_resolve(nx, "bundlemgrd", &cap);
		if (r >= 0 && strcmp(cmd, "payload") == 0)
			r = payload(nx, bundle_bundles_from_cap(cap), argv[2], argv[3]);
		else if (r >= 0 && strcmp(cmd, "watchers") == 0)
			r = watchers(nx, bundle_bundles_from_cap(cap));
		else if (r >= 0)
			r = watch(nx, bundle_bundles_from_cap(cap),
			        (unsigned)strtoul(argv[2], NULL, 10));
	}
	if (r < 0)
		printf("probe: failed: %s\n", nx ? nexus_last_error(nx) : strerror(-r));
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r < 0 ? 1 : 0;
}
