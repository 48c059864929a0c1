/* SPDX-License-Identifier: MIT */
/*
 * hello: the well-behaved sample app. Each step is one journal record (nx-log's console is
 * stdout, which execd turns into records of app:<bundle id>); the first failing step ends it
 * with exit status 1, else it exits 0.
 *
 *   hello [--linger SECONDS] [WORD...]
 *   hello --no-services [WORD...]
 *
 *   1. logs its words and $HELLO_NAME (what `nx run ... --env` passed)
 *   2. resolves echod and calls it: the subject echod answers is the app's, app:<bundle id>
 *   3. reads /pkg/<bundle id>/share/greeting.txt through vfsd (its own package, read-only)
 *   4. writes /data/hello.txt and /tmp/hello.txt through vfsd and reads each back
 *   5. asks rngd for 32 bytes of entropy if rngd is there ("not_found" is no failure)
 *   6. with --linger, stays up SECONDS more (for tests that watch or kill a running app)
 *
 * With --no-services it stops after step 1 and exits 0: what starting the app costs, without
 * the calls (bench/bench-exec.c times it through execd and with a plain posix_spawn).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "echo.capnp.h"
#include "fs.capnp.h"
#include "nx-log/log.h"
#include "rng.capnp.h"

/* The subject execd's adoption gives an app: "app:" and its bundle id. */
#define APP_SUBJECT_PREFIX "app:"
#define GREETING_PATH      "share/greeting.txt"
#define ENTROPY_BYTES      32u
#define LINGER_MAX_SECONDS 3600u

struct hello {
	nexus *nx;
	struct fs *fs;
	char subject[NEXUS_SUBJECT_MAX_LEN + 1]; /* as echod saw it */
};

static int failed(const char *step, const char *why)
{
	nx_log(NX_LOG_ERROR, step, "failed: %s", why);
	return -1;
}

static void log_arguments(int argc, char **argv)
{
	const char *name = getenv("HELLO_NAME");
	char words[NX_LOG_MESSAGE_MAX] = "";
	size_t used = 0;

	for (int i = 0; i < argc && used < sizeof(words); i++)
		used += (size_t)snprintf(
		        words + used, sizeof(words) - used, "%s%s", i ? " " : "", argv[i]);
	nx_log(NX_LOG_INFO, "args", "%d words: %s", argc, words);
	if (name)
		nx_log(NX_LOG_INFO, "env", "HELLO_NAME=%s", name);
}

/* Step 2: who echod says this app is. */
static int greet_echod(struct hello *h)
{
	echo_echo_results out;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *cap = NULL;
	const char *why, *text, *subject;
	size_t tlen, slen;
	int r = app_resolve(h->nx, "echod", &cap, &why);

	if (r < 0)
		return failed("echod", why);
	r = echo_echo_wait(
	        echo_from_cap(cap), "hello from an app", nexus_deadline(h->nx), &call, &out);
	if (r < 0)
		r = failed("echod", app_reason(h->nx, call, r, "echo"));
	else if (echo_echo_results_get_text(out, &text, &tlen) < 0 ||
	         echo_echo_results_get_subject(out, &subject, &slen) < 0 ||
	         slen >= sizeof(h->subject) ||
	         strncmp(subject, APP_SUBJECT_PREFIX, strlen(APP_SUBJECT_PREFIX)) != 0)
		r = failed("echod", "the answer is not an app's subject");
	else {
		memcpy(h->subject, subject, slen);
		h->subject[slen] = '\0';
		nx_log(NX_LOG_INFO, "echod", "echoed '%.*s' to %s", (int)tlen, text, h->subject);
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(cap);
	return r;
}

/* Opens `path` with `flags` into *ret_file. 0, or -1 logged under `step`. */
static int open_file(struct hello *h, const char *step, const char *path, uint32_t flags,
        struct fs_file **ret_file)
{
	fs_open_results out;
	nx_rpc_call *call = NULL;
	int r = fs_open_wait(h->fs, path, flags, nexus_deadline(h->nx), &call, &out);

	if (r < 0)
		r = failed(step, app_reason(h->nx, call, r, path));
	else if (fs_open_results_get_file(out, ret_file) < 0)
		r = failed(step, "open: no File in the answer");
	nx_rpc_call_free(call);
	return r < 0 ? -1 : 0;
}

/* Reads up to size - 1 bytes of `file` from its start into buf (NUL-terminated). */
static int read_text(
        struct hello *h, const char *step, struct fs_file *file, char *buf, size_t size)
{
	fs_file_read_results out;
	nx_rpc_call *call = NULL;
	const uint8_t *data;
	size_t len = 0;
	int r = fs_file_read_wait(file, 0, size - 1, nexus_deadline(h->nx), &call, &out);

	if (r < 0)
		r = failed(step, app_reason(h->nx, call, r, "read"));
	else if (fs_file_read_results_get_data(out, &data, &len) < 0 || len >= size)
		r = failed(step, "read: not an inline answer");
	else {
		memcpy(buf, data, len);
		buf[len] = '\0';
	}
	nx_rpc_call_free(call);
	return r < 0 ? -1 : 0;
}

static int write_text(struct hello *h, const char *step, struct fs_file *file, const char *text)
{
	fs_file_write_params_b params;
	fs_file_write_results out;
	nx_rpc_call *call = NULL;
	int r = fs_file_write_start(file, &call, &params);

	if (r >= 0) {
		fs_file_write_params_set_offset(params, 0);
		r = fs_file_write_params_set_data(params, (const uint8_t *)text, strlen(text));
	}
	if (r >= 0)
		r = fs_file_write_send_wait(call, nexus_deadline(h->nx), &out);
	if (r < 0)
		r = failed(step, app_reason(h->nx, call, r, "write"));
	nx_rpc_call_free(call);
	return r < 0 ? -1 : 0;
}

/* Step 3: a file of its own package. */
static int read_package(struct hello *h)
{
	char path[FS_PATH_MAX_LEN + 1], text[FS_INLINE_MAX + 1];
	struct fs_file *file = NULL;
	int r;

	(void)snprintf(path, sizeof(path), "/pkg/%s/%s", h->subject + strlen(APP_SUBJECT_PREFIX),
	        GREETING_PATH);
	r = open_file(h, "pkg", path, FS_OPEN_READ, &file);
	if (r == 0)
		r = read_text(h, "pkg", file, text, sizeof(text));
	if (r == 0) {
		text[strcspn(text, "\n")] = '\0';
		nx_log(NX_LOG_INFO, "pkg", "%s: %s", path, text);
	}
	nx_rpc_cap_unref(fs_file_cap(file));
	return r;
}

/* Step 4: a file written through vfsd and read back, in the tree `root` ("/data", "/tmp"). */
static int round_trip(struct hello *h, const char *root)
{
	char path[64], wrote[NEXUS_SUBJECT_MAX_LEN + 64], back[sizeof(wrote)];
	struct fs_file *file = NULL;
	int r;

	(void)snprintf(path, sizeof(path), "%s/hello.txt", root);
	(void)snprintf(
	        wrote, sizeof(wrote), "written by pid %d of %s\n", (int)getpid(), h->subject);
	r = open_file(h, root + 1, path,
	        FS_OPEN_READ | FS_OPEN_WRITE | FS_OPEN_CREATE | FS_OPEN_TRUNCATE, &file);
	if (r == 0)
		r = write_text(h, root + 1, file, wrote);
	if (r == 0)
		r = read_text(h, root + 1, file, back, sizeof(back));
	if (r == 0 && strcmp(back, wrote) != 0)
		r = failed(root + 1, "read back something else than was written");
	if (r == 0)
		nx_log(NX_LOG_INFO, root + 1, "%s: wrote and read back %zu bytes", path,
		        strlen(wrote));
	nx_rpc_cap_unref(fs_file_cap(file));
	return r;
}

/* Step 5: entropy, where rngd runs. */
static int ask_entropy(struct hello *h)
{
	rng_get_entropy_results out;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *cap = NULL;
	const uint8_t *bytes;
	const char *why;
	size_t len = 0;
	int r = app_resolve(h->nx, "rngd", &cap, &why);

	if (r == -ENOENT) {
		nx_log(NX_LOG_INFO, "rng", "no rngd here (%s): skipped", why);
		return 0;
	}
	if (r < 0)
		return failed("rng", why);
	r = rng_get_entropy_wait(
	        rng_from_cap(cap), ENTROPY_BYTES, nexus_deadline(h->nx), &call, &out);
	if (r < 0)
		r = failed("rng", app_reason(h->nx, call, r, "getEntropy"));
	else if (rng_get_entropy_results_get_bytes(out, &bytes, &len) < 0 || len != ENTROPY_BYTES)
		r = failed("rng", "getEntropy: not the bytes asked for");
	else
		nx_log(NX_LOG_INFO, "rng", "%zu bytes of entropy from rngd", len);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(cap);
	return r < 0 ? -1 : 0;
}

static int run(struct hello *h)
{
	nx_rpc_cap *cap = NULL;
	const char *why;
	int r = greet_echod(h);

	if (r == 0 && app_resolve(h->nx, "vfsd", &cap, &why) < 0)
		r = failed("vfsd", why);
	h->fs = fs_from_cap(cap);
	if (r == 0)
		r = read_package(h);
	if (r == 0)
		r = round_trip(h, "/data");
	if (r == 0)
		r = round_trip(h, "/tmp");
	if (r == 0)
		r = ask_entropy(h);
	nx_rpc_cap_unref(cap);
	return r;
}

/* The options in front of the words: 0 with what they ask and *ret_skip (arguments used). */
static int parse_options(
        int argc, char **argv, unsigned *ret_linger, bool *ret_no_services, int *ret_skip)
{
	unsigned long v;
	char *end;

	*ret_linger = 0;
	*ret_no_services = false;
	*ret_skip = 0;
	if (argc >= 1 && strcmp(argv[0], "--no-services") == 0) {
		*ret_no_services = true;
		*ret_skip = 1;
		return 0;
	}
	if (argc < 1 || strcmp(argv[0], "--linger") != 0)
		return 0;
	if (argc < 2)
		return -EINVAL;
	errno = 0;
	v = strtoul(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || v > LINGER_MAX_SECONDS)
		return -EINVAL;
	*ret_linger = (unsigned)v;
	*ret_skip = 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct hello h = {0};
	bool no_services;
	unsigned linger;
	int skip, r;

	nx_log_init("hello");
	if (parse_options(argc - 1, argv + 1, &linger, &no_services, &skip) < 0) {
		nx_log(NX_LOG_ERROR, "args", "--linger: expected 0..%u seconds",
		        LINGER_MAX_SECONDS);
		return 2;
	}
	log_arguments(argc - 1 - skip, argv + 1 + skip);
	if (no_services)
		return 0;
	r = app_connect(&h.nx);
	if (r == 0)
		r = run(&h);
	nexus_free(h.nx);
	if (r < 0)
		return 1;
	nx_log(NX_LOG_NOTICE, NULL, "done");
	if (linger) {
		struct timespec left = {.tv_sec = linger};

		nx_log(NX_LOG_INFO, "linger", "staying up %u s", linger);
		while (nanosleep(&left, &left) < 0 && errno == EINTR)
			; /* a signal cut it short: sleep the rest */
	}
	return 0;
}
