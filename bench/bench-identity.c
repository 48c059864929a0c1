/* SPDX-License-Identifier: MIT */
/*
 * identityd (docs/PERFORMANCE.md "identityd"), on a system it boots itself: nexus-init in a
 * temp dir, as root (uid:0 holds identity.admin in policies/default.policy), with rngd.
 *
 *   login    Identity.login through samgrd-brokered channel, p50/p99, against
 *            crypto_pwhash_str_verify of the same password in this process: argon2id at
 *            IDN_PWHASH_OPSLIMIT passes over IDN_PWHASH_MEMLIMIT bytes dominates both, so the
 *            ratio is what the service adds (rngd's token, SQLite, two hops)
 *   whoami   Identity.whoami(token) (a token lookup in SQLite) against Echo.echo("") on echod,
 *            the null call of the same system, rounds interleaved
 *
 *   bench-identity --init PATH [--logins N] [--iters N] [--rounds R]
 *
 * Prints RESULT lines (bench-util.h) and one summary line per figure with its ratio.
 */
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "echo.capnp.h"
#include "identity.capnp.h"
#include "nexus/limits.h"
#include "nexus/nexus.h"

#define BI_USER     "bench"
#define BI_PASSWORD "bench-password-0123"
#define BI_MAX      100000u

static char dir[] = "/tmp/bench-identity-XXXXXX";
static pid_t init_pid = -1;

static int boot(const char *init)
{
	char path[256], run[128], state[128];

	if (!mkdtemp(dir))
		return -errno;
	(void)snprintf(run, sizeof(run), "%s/run", dir);
	(void)snprintf(state, sizeof(state), "%s/state", dir);
	(void)snprintf(path, sizeof(path), "%s/samgr.sock", run);
	setenv("NEXUS_RUNTIME_DIR", run, 1);
	setenv("NEXUS_STATE_DIR", state, 1);
	setenv("NEXUS_SESSION_FILE", "/nonexistent", 1);
	init_pid = fork();
	if (init_pid < 0)
		return -errno;
	if (init_pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execl(init, init, (char *)NULL);
		_exit(127);
	}
	/* Up once the socket answers and identityd is reachable: polled, bounded (30 s). */
	for (int i = 0; i < 600; i++) {
		nexus *nx = NULL;
		nx_rpc_cap *cap = NULL;
		struct stat st;

		if (stat(path, &st) == 0 && nexus_connect(&nx) == 0) {
			int r = nexus_resolve(nx, "identityd", &cap);

			nx_rpc_cap_unref(cap);
			nexus_free(nx);
			if (r == 0)
				return 0;
		}
		usleep(50000);
	}
	return -ETIMEDOUT;
}

static void stop(void)
{
	char cmd[300];

	if (init_pid > 0) {
		kill(init_pid, SIGTERM);
		waitpid(init_pid, NULL, 0);
	}
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		(void)fprintf(stderr, "bench-identity: could not remove %s\n", dir);
}

/* A login; its token into token (32 bytes). rngd may still be starting: retried, bounded. */
static int login(nexus *nx, struct identity *id, uint8_t *token)
{
	identity_login_results out;
	nx_rpc_call *call = NULL;
	const uint8_t *t;
	size_t len;
	int r = identity_login_wait(id, BI_USER, BI_PASSWORD, nexus_deadline(nx), &call, &out);

	if (r >= 0 && token) {
		(void)identity_login_results_get_token(out, &t, &len);
		memcpy(token, t, len < 32 ? len : 32);
	}
	if (r < 0)
		(void)nexus_call_failed(nx, call, r, "login");
	nx_rpc_call_free(call);
	return r;
}

static int whoami(nexus *nx, struct identity *id, const uint8_t *token)
{
	identity_whoami_results out;
	nx_rpc_call *call = NULL;
	int r = identity_whoami_wait(id, token, 32, nexus_deadline(nx), &call, &out);

	nx_rpc_call_free(call);
	return r;
}

static int echo_null(nexus *nx, struct echo *e)
{
	echo_echo_results out;
	nx_rpc_call *call = NULL;
	int r = echo_echo_wait(e, "", nexus_deadline(nx), &call, &out);

	nx_rpc_call_free(call);
	return r;
}

static uint64_t median(uint64_t *v, size_t n)
{
	return bench_quantile(v, n, 0.5);
}

int main(int argc, char **argv)
{
	static uint64_t login_ns[BI_MAX], verify_ns[BI_MAX], who_ns[BI_MAX], echo_ns[BI_MAX];
	static uint64_t who_ops[64], echo_ops[64], login_ops[BI_MAX], verify_ops[BI_MAX];
	unsigned logins = 20, iters = 2000, rounds = 5;
	const char *init = NULL;
	char hash[crypto_pwhash_STRBYTES];
	nx_rpc_cap *idcap = NULL, *echocap = NULL;
	uint8_t token[32];
	nexus *nx = NULL;
	size_t nw = 0, ne = 0;
	int r;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--init"))
			init = argv[i + 1];
		else if (!strcmp(argv[i], "--logins"))
			logins = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--iters"))
			iters = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	if (!init || logins == 0 || logins > BI_MAX || iters == 0 || rounds == 0 || rounds > 64 ||
	        (uint64_t)iters * rounds > BI_MAX || sodium_init() < 0) {
		(void)fprintf(stderr,
		        "usage: bench-identity --init PATH [--logins N<=%u] "
		        "[--iters N] [--rounds R<=64] (iters*rounds <= %u)\n",
		        BI_MAX, BI_MAX);
		return 2;
	}
	r = boot(init);
	if (r >= 0)
		r = nexus_connect(&nx);
	if (r >= 0)
		r = nexus_resolve(nx, "identityd", &idcap);
	if (r >= 0)
		r = nexus_resolve(nx, "echod", &echocap);
	if (r >= 0) {
		identity_add_user_results out;
		nx_rpc_call *call = NULL;

		r = identity_add_user_wait(identity_from_cap(idcap), BI_USER, BI_PASSWORD,
		        nexus_deadline(nx), &call, &out);
		nx_rpc_call_free(call);
	}
	/* rngd may come up after identityd: the first login is retried until it has a token. */
	for (int i = 0; r >= 0 && i < 200 && (r = login(nx, identity_from_cap(idcap), token)) < 0;
	        i++)
		usleep(50000);
	if (r < 0) {
		(void)fprintf(stderr, "bench-identity: setup: %s\n",
		        nx ? nexus_last_error(nx) : strerror(-r));
		goto out;
	}
	if (crypto_pwhash_str(hash, BI_PASSWORD, strlen(BI_PASSWORD), IDN_PWHASH_OPSLIMIT,
	            IDN_PWHASH_MEMLIMIT) != 0) {
		r = -ENOMEM;
		goto out;
	}
	/* Login, interleaved with its in-process floor. Each login is a new session: the
	 * per-user cap ends the oldest, as a device would. */
	for (unsigned i = 0; i < logins && r >= 0; i++) {
		uint64_t t0 = bench_now_ns();

		r = crypto_pwhash_str_verify(hash, BI_PASSWORD, strlen(BI_PASSWORD)) == 0 ? 0
		                                                                          : -EIO;
		verify_ns[i] = bench_now_ns() - t0;
		t0 = bench_now_ns();
		if (r >= 0)
			r = login(nx, identity_from_cap(idcap), i + 1 == logins ? token : NULL);
		login_ns[i] = bench_now_ns() - t0;
	}
	/* whoami against the null call, rounds interleaved. */
	for (unsigned k = 0; k < rounds && r >= 0; k++) {
		uint64_t t0 = bench_now_ns(), t;

		for (unsigned i = 0; i < iters && r >= 0; i++) {
			t = bench_now_ns();
			r = whoami(nx, identity_from_cap(idcap), token);
			who_ns[nw++] = bench_now_ns() - t;
		}
		who_ops[k] = (uint64_t)iters * 1000000000ull / (bench_now_ns() - t0);
		t0 = bench_now_ns();
		for (unsigned i = 0; i < iters && r >= 0; i++) {
			t = bench_now_ns();
			r = echo_null(nx, echo_from_cap(echocap));
			echo_ns[ne++] = bench_now_ns() - t;
		}
		echo_ops[k] = (uint64_t)iters * 1000000000ull / (bench_now_ns() - t0);
	}
	if (r < 0) {
		(void)fprintf(stderr, "bench-identity: %s\n", nexus_last_error(nx));
		goto out;
	}
	{
		uint64_t l50 = median(login_ns, logins), v50 = median(verify_ns, logins);
		uint64_t w50, e50;

		/* One login per "round": its rate is the inverse of its time. */
		for (unsigned i = 0; i < logins; i++) {
			login_ops[i] = 1000000000ull / (login_ns[i] ? login_ns[i] : 1);
			verify_ops[i] = 1000000000ull / (verify_ns[i] ? verify_ns[i] : 1);
		}
		bench_report_latency("identity-login", "free", login_ns, logins, login_ops, logins);
		bench_report_latency(
		        "argon2id-verify", "free", verify_ns, logins, verify_ops, logins);
		bench_report_latency("identity-whoami", "free", who_ns, nw, who_ops, rounds);
		bench_report_latency("echod-null", "free", echo_ns, ne, echo_ops, rounds);
		w50 = median(who_ns, nw);
		e50 = median(echo_ns, ne);
		printf("identity login  p50 %8.2f ms   in-process argon2id verify %8.2f ms   ratio %.2fx"
		       "   (argon2id: opslimit %u, memlimit %u MiB)\n",
		        (double)l50 / 1e6, (double)v50 / 1e6, (double)l50 / (double)v50,
		        IDN_PWHASH_OPSLIMIT, IDN_PWHASH_MEMLIMIT >> 20);
		printf("identity whoami p50 %8.1f us   echod null call            %8.1f us   ratio %.2fx\n",
		        (double)w50 / 1e3, (double)e50 / 1e3, (double)w50 / (double)e50);
	}
out:
	nx_rpc_cap_unref(idcap);
	nx_rpc_cap_unref(echocap);
	nexus_free(nx);
	stop();
	return r < 0 ? 1 : 0;
}
