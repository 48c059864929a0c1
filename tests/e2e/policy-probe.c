/* SPDX-License-Identifier: MIT */
/*
 * policy-probe: what `nx policy` never does, to test policyd end to end. Resolves policyd
 * through $NEXUS_RUNTIME_DIR/samgr.sock (subject uid:<uid>), then:
 *   policy-probe check-many SUBJECT CAP [SUBJECT CAP]...
 *                         Policy.checkMany; prints "probe: allowed 1 0 ..." (one per query)
 *   policy-probe check-many-n N SUBJECT CAP [ROUNDS]
 *                         Policy.checkMany with N copies of one query, ROUNDS times (default
 *                         1) back to back on one channel
 *   policy-probe resolve-twice NAME
 *                         resolves NAME through samgrd, reads a line from stdin, resolves it
 *                         again on the same samgrd connection (its decisions cached there)
 *   policy-probe resolve-burst N PREFIX
 *                         N resolves of PREFIX1..PREFIXN sent at once on one samgrd
 *                         connection (distinct names: samgrd asks policyd about each);
 *                         prints "probe: refused <k> denied <d>" once all are answered
 *                         (d: refused `denied:`, i.e. policyd decided; the others were
 *                         refused before asking it)
 *   policy-probe watch-many N [PER]
 *                         Policy.watch N times with one PolicyWatcher, PER per channel
 *                         (default: all on one); prints
 *                         "probe: watching <k>" (k accepted) and the refusal, if any
 *   policy-probe garbage  writes a frame that is not Cap'n Proto on the channel and waits
 *                         (up to 10 s) for policyd to close it; prints "probe: dropped"
 * Prints "probe: <exception reason>" on a refusal; exit 0 success, 1 refusal/failure, 2 usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "policy.capnp.h"
#include "samgr.capnp.h"

#define TIMEOUT_NS (5ull * 1000 * 1000 * 1000)

static nx_loop *loop;
static nx_rpc_conn *samgr_conn;
static struct samgr *samgr;

/* Prints why the blocking call `call` (may be NULL) failed with `r`. */
static int fail_call(const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	if (res && res->reason && *res->reason)
		printf("probe: %s\n", res->reason);
	else
		printf("probe: error %s\n", strerror(-r));
	return 1;
}

static int samgr_connect(void)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	char path[256];
	nx_rpc_cap *cap;
	int fd = -1, r;

	snprintf(path, sizeof(path), "%s/samgr.sock", dir ? dir : ".");
	r = nx_connect_unix(path, &fd);
	if (r >= 0)
		r = nx_loop_new(&loop);
	if (r >= 0)
		r = nx_rpc_conn_new(loop, fd, NULL, &samgr_conn);
	else
		nx_fd_close(fd);
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(samgr_conn, &cap);
	if (r >= 0)
		samgr = samgr_from_cap(cap);
	return r;
}

/* The fd of a fresh channel to `name`, or -1 after printing why. */
static int resolve(const char *name)
{
	struct nexus_endpoint *ep = NULL;
	samgr_resolve_results out;
	nx_rpc_call *call = NULL;
	int fd = -1, r = 0;

	if (!samgr)
		r = samgr_connect();
	if (r >= 0)
		r = samgr_resolve_wait(
		        samgr, name, nx_clock_monotonic_ns() + TIMEOUT_NS, &call, &out);
	if (r >= 0 && samgr_resolve_results_get_endpoint(out, &ep) >= 0)
		fd = nx_rpc_cap_take_fd(nexus_endpoint_cap(ep));
	if (r >= 0 && fd < 0)
		r = -EBADMSG; /* no endpoint, or one without its channel */
	if (r < 0)
		fail_call(call, r);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_call_free(call);
	return fd;
}

static int garbage(int fd)
{
	/* Segment count 1, a first segment of 2^27 words: far past every limit. */
	static const unsigned char frame[64] = {
	        0, 0, 0, 0, 0, 0, 0, 8, 'n', 'o', 't', ' ', 'r', 'p', 'c'};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[256];
	ssize_t n;

	if (write(fd, frame, sizeof(frame)) != (ssize_t)sizeof(frame)) {
		printf("probe: write failed\n");
		return 1;
	}
	for (;;) {
		if (poll(&pfd, 1, 10000) <= 0) {
			printf("probe: still connected\n");
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			printf("probe: dropped\n");
			return 0;
		}
		if (n < 0 && errno != EINTR) {
			printf("probe: read failed: %s\n", strerror(errno));
			return 1;
		}
		/* An Abort message may come first: keep reading until EOF. */
	}
}

/* The Policy served on the channel `fd` (taken). */
static int policy_open(int fd, nx_rpc_conn **ret_conn, struct policy **ret)
{
	nx_rpc_cap *cap;
	int r;

	r = nx_rpc_conn_new(loop, fd, NULL, ret_conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(*ret_conn, &cap);
	if (r >= 0)
		*ret = policy_from_cap(cap);
	return r;
}

/* One Policy.checkMany of n queries; prints "probe: allowed ..." or the refusal. */
static int check_many_once(struct policy *policy, int n, char **pairs, bool repeat)
{
	policy_check_many_params_b params;
	policy_check_many_results out;
	nx_rpc_call *call = NULL;
	nx_capnp_blist qs;
	nx_capnp_list list;
	int r;

	r = policy_check_many_start(policy, &call, &params);
	if (r >= 0)
		r = policy_check_many_params_init_queries(params, (uint32_t)n, &qs);
	for (int i = 0; r >= 0 && i < n; i++) {
		policy_query_b q = policy_query_b_at(&qs, (uint32_t)i);
		const char *s = pairs[repeat ? 0 : 2 * i], *c = pairs[repeat ? 1 : 2 * i + 1];

		r = policy_query_set_subject(q, s, strlen(s));
		if (r >= 0)
			r = policy_query_set_cap(q, c, strlen(c));
	}
	if (r >= 0)
		r = policy_check_many_send_wait(call, nx_clock_monotonic_ns() + TIMEOUT_NS, &out);
	if (r >= 0)
		r = policy_check_many_results_get_allowed(out, &list);
	if (r >= 0) {
		printf("probe: allowed");
		for (uint32_t i = 0; i < list.count; i++)
			printf(" %d", nx_capnp_list_get_bool(&list, i) ? 1 : 0);
		printf("\n");
	} else {
		fail_call(call, r);
	}
	nx_rpc_call_free(call);
	return r;
}

/* `rounds` checkMany calls back to back on the channel `fd` (taken). */
static int check_many(int fd, int n, char **pairs, bool repeat, int rounds)
{
	nx_rpc_conn *conn = NULL;
	struct policy *policy = NULL;
	int r;

	r = policy_open(fd, &conn, &policy);
	for (int i = 0; r >= 0 && i < rounds; i++)
		r = check_many_once(policy, n, pairs, repeat);
	nx_rpc_cap_unref(policy_cap(policy));
	nx_rpc_conn_free(conn);
	return r < 0 ? 1 : 0;
}

static unsigned changed_seen;

static int watcher_changed(void *impl, nx_rpc_incoming *in, policy_watcher_changed_params params)
{
	changed_seen++;
	return nx_rpc_incoming_return(in);
}

static const struct policy_watcher_server watcher_vt = {.changed = watcher_changed};

/* Policy.watch n times with one PolicyWatcher, `per` watches per channel (a new channel to
 * policyd after each `per`; the first is `fd`); stops at the first refusal. */
static int watch_many(int fd, int n, int per)
{
	nx_rpc_conn *conns[64] = {0};
	int nconns = 0;

	struct policy_watcher *cb = NULL;
	struct policy *policy = NULL;
	policy_watch_results out;
	nx_rpc_call *call;
	int i, r;

	r = policy_watcher_server_new(&watcher_vt, NULL, NULL, &cb);
	for (i = 0; r >= 0 && i < n; i++) {
		if (i % per == 0) {
			if (i > 0 && (fd = resolve("policyd")) < 0) {
				r = -EIO;
				break;
			}
			if (nconns == 64) {
				nx_fd_close(fd);
				r = -E2BIG;
				break;
			}
			nx_rpc_cap_unref(policy_cap(policy));
			policy = NULL;
			r = policy_open(fd, &conns[nconns++], &policy); /* takes fd */
			if (r < 0)
				break;
		}
		r = policy_watch_wait(
		        policy, cb, nx_clock_monotonic_ns() + TIMEOUT_NS, &call, &out);
		if (r < 0) {
			printf("probe: watching %d\n", i);
			fail_call(call, r);
		}
		nx_rpc_call_free(call);
	}
	if (r >= 0)
		printf("probe: watching %d\n", i);
	nx_rpc_cap_unref(policy_watcher_cap(cb));
	nx_rpc_cap_unref(policy_cap(policy));
	for (int k = 0; k < nconns; k++)
		nx_rpc_conn_free(conns[k]);
	return r < 0 ? 1 : 0;
}

/* Resolves `name` twice on one samgrd connection, reading a line from stdin in between (the
 * test changes the policy meanwhile). Prints the outcome of each. */
/* A burst keeps this many resolves in flight: under the connection's question limit. */
#define BURST_IN_FLIGHT 200

static struct {
	const char *prefix;
	int n, sent, answered, refused, denied, error;
} burst;

static void on_burst_answer(
        void *userdata, int error, const char *reason, samgr_resolve_results out);

static void burst_send(void)
{
	char name[64];
	int r;

	snprintf(name, sizeof(name), "%s%d", burst.prefix, ++burst.sent);
	r = samgr_resolve(samgr, name, on_burst_answer, NULL);
	if (r < 0) {
		burst.error = r;
		nx_loop_quit(loop, 1);
	}
}

static void on_burst_answer(
        void *userdata, int error, const char *reason, samgr_resolve_results out)
{
	struct nexus_endpoint *ep = NULL;

	if (error < 0) {
		burst.refused++;
		burst.denied += reason && strncmp(reason, "denied:", 7) == 0;
	} else if (samgr_resolve_results_get_endpoint(out, &ep) >= 0)
		nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	if (++burst.answered == burst.n)
		nx_loop_quit(loop, 0);
	else if (burst.sent < burst.n)
		burst_send();
}

static int resolve_burst(int n, const char *prefix)
{
	int r = samgr_connect();

	burst.prefix = prefix;
	burst.n = n;
	for (int i = 0; r >= 0 && i < n && i < BURST_IN_FLIGHT && !burst.error; i++)
		burst_send();
	if (r >= 0 && !burst.error)
		nx_loop_run(loop);
	if (r < 0 || burst.error) {
		printf("probe: error %s\n", strerror(-(r < 0 ? r : burst.error)));
		return 1;
	}
	printf("probe: refused %d denied %d\n", burst.refused, burst.denied);
	return 0;
}

static int resolve_twice(const char *name)
{
	char line[64];
	int fd, bad = 0;

	for (int i = 0; i < 2; i++) {
		if (i == 1 && !fgets(line, sizeof(line), stdin))
			return 1;
		fd = resolve(name);
		if (fd >= 0)
			printf("probe: resolved %s\n", name);
		bad |= fd < 0;
		nx_fd_close(fd);
	}
	return bad;
}

int main(int argc, char **argv)
{
	int fd, r, n = 0, rounds = 1;
	bool repeat = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "resolve-twice") == 0) {
		r = resolve_twice(argv[2]);
		goto out;
	}
	if (argc == 4 && strcmp(argv[1], "resolve-burst") == 0) {
		n = atoi(argv[2]);
		if (n <= 0 || n > 10000 || strlen(argv[3]) > 32)
			return 2;
		r = resolve_burst(n, argv[3]);
		goto out;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "watch-many") == 0) {
		int per = argc == 4 ? atoi(argv[3]) : 1000000;

		n = atoi(argv[2]);
		if (n <= 0 || n > 10000 || per <= 0)
			return 2;
		fd = resolve("policyd");
		r = fd < 0 ? 1 : watch_many(fd, n, per); /* takes fd */
		goto out;
	}
	if (argc == 2 && strcmp(argv[1], "garbage") == 0) {
		/* fine */
	} else if (argc >= 4 && argc % 2 == 0 && strcmp(argv[1], "check-many") == 0) {
		n = (argc - 2) / 2;
	} else if ((argc == 5 || argc == 6) && strcmp(argv[1], "check-many-n") == 0) {
		n = atoi(argv[2]);
		repeat = true;
		rounds = argc == 6 ? atoi(argv[5]) : 1;
		if (n <= 0 || n > 10000 || rounds <= 0 || rounds > 1000)
			return 2;
	} else {
		fprintf(stderr,
		        "usage: policy-probe garbage | check-many S C [S C]... | "
		        "check-many-n N S C [ROUNDS] | resolve-twice NAME | resolve-burst N PREFIX | "
		        "watch-many N [PER]\n");
		return 2;
	}
	fd = resolve("policyd");
	if (fd < 0)
		r = 1;
	else if (n == 0)
		r = garbage(fd), close(fd);
	else
		r = check_many(fd, n, argv + (repeat ? 3 : 2), repeat, rounds); /* takes fd */
out:
	nx_rpc_cap_unref(samgr_cap(samgr));
	nx_rpc_conn_free(samgr_conn);
	nx_loop_free(loop);
	return r;
}
