/* SPDX-License-Identifier: MIT */
/*
 * key-probe: what nx never does to keystored, for tests/e2e/keystored.sh.
 *
 *   key-probe dump KEY...      for each KEY: publicKey(KEY) and sign(KEY, "e2e", "probe"),
 *                              then list(); prints every answer whole, as it came off the
 *                              wire ("answer <method> <hex of all its segments>"), for the
 *                              test to grep for private key bytes
 *   key-probe secrets DIR      the seeds of every key stored in keystored's state dir DIR,
 *                              decrypted with its KEK ("seed <owner> <name> <hex>"): what the
 *                              test must find nowhere else (root reads the dir; keystored's
 *                              Landlock keeps every service out)
 *   key-probe garbage          a bogus frame on a raw channel to keystored; exit 0 once
 *                              keystored closed it
 *   key-probe unknown-method   Keystore method 42; prints the refusal
 *   key-probe pending N PREFIX N create("<PREFIX><i>") calls at once on one channel, answered as they
 *                              come: each refusal is printed as it arrives ("probe: refused
 *                              <reason>"), then "probe: created C refused R" once all are in
 *                              (with rngd stopped, KS_CREATES_PENDING_MAX are held and the
 *                              rest refused at once; they are created once rngd runs again)
 *   key-probe vmo unsealed|size|both|large KEY
 *                              sign(KEY, "e2e") with a VMO keystored must refuse (unsealed;
 *                              size field not the VMO's; data and vmo both; over
 *                              KS_VMO_DATA_MAX); prints the refusal
 */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawchan.h"
#include "keystore.capnp.h"
#include "keystore/record.h"
#include "nx-abi/clock.h"
#include "nx-abi/loop.h"
#include "nexus/nexus.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "samgr.capnp.h"

/* Prints the failure of `call` (freed) and returns the exit status 1. */
static int fail_with(nexus *nx, nx_rpc_call *call, int r, const char *what)
{
	(void)nexus_call_failed(nx, call, r, what);
	printf("probe: %s\n", nexus_last_error(nx));
	nx_rpc_call_free(call);
	return 1;
}

/* Every segment of the answer `call` holds, as hex. */
static void dump_answer(const char *method, nx_rpc_call *call)
{
	const nx_rpc_result *res = nx_rpc_call_result(call);
	const nx_capnp_reader *m = res ? res->results.msg : NULL;

	printf("answer %s ", method);
	for (uint32_t i = 0; m && i < m->nsegs; i++)
		for (size_t j = 0; j < m->segs[i].nwords * 8; j++)
			printf("%02x", ((const uint8_t *)m->segs[i].words)[j]);
	printf("\n");
}

static int dump(nexus *nx, struct keystore *ks, int nkeys, char **keys)
{
	keystore_public_key_results pk;
	keystore_sign_results sig;
	keystore_list_results list;
	keystore_sign_params_b p;
	nx_rpc_call *call = NULL;
	int r;

	for (int i = 0; i < nkeys; i++) {
		r = keystore_public_key_wait(ks, keys[i], nexus_deadline(nx), &call, &pk);
		if (r < 0)
			return fail_with(nx, call, r, "publicKey");
		dump_answer("publicKey", call);
		call = nx_rpc_call_free(call);
		r = keystore_sign_start(ks, &call, &p);
		if (r >= 0)
			r = keystore_sign_params_set_key(p, keys[i], strlen(keys[i]));
		if (r >= 0)
			r = keystore_sign_params_set_domain(p, "e2e", 3);
		if (r >= 0)
			r = keystore_sign_params_set_data(p, "probe", 5);
		if (r >= 0)
			r = keystore_sign_send_wait(call, nexus_deadline(nx), &sig);
		if (r < 0)
			return fail_with(nx, call, r, "sign");
		dump_answer("sign", call);
		call = nx_rpc_call_free(call);
	}
	r = keystore_list_wait(ks, nexus_deadline(nx), &call, &list);
	if (r < 0)
		return fail_with(nx, call, r, "list");
	dump_answer("list", call);
	nx_rpc_call_free(call);
	return 0;
}

static void print_hex(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

static int secrets(const char *dir)
{
	uint8_t kek[KS_KEK_LEN], sk[KS_SECRET_LEN];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	char path[4096];
	void *buf = NULL;
	size_t len = 0;
	int dirfd = -1, r;

	r = nx_dir_open(dir, &dirfd);
	if (r >= 0)
		r = nx_file_read_beneath(dirfd, "kek", KS_KEK_FILE_LEN, &buf, &len);
	nx_fd_close(dirfd);
	if (r >= 0)
		r = ks_kek_file_decode(buf, len, kek);
	free(buf);
	snprintf(path, sizeof(path), "file:%s/keys.db?mode=ro", dir);
	if (r >= 0 && (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) !=
	                              SQLITE_OK ||
	                      sqlite3_prepare_v2(db, "SELECT owner, name, public, sealed FROM keys",
	                              -1, &st, NULL) != SQLITE_OK))
		r = -EIO;
	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);

		r = ks_record_open(kek, owner, name, sqlite3_column_blob(st, 2),
		        (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_blob(st, 3),
		        (size_t)sqlite3_column_bytes(st, 3), sk);
		if (r >= 0) {
			printf("seed %s %s ", owner, name);
			print_hex(sk, KS_SEED_LEN);
			printf("\n");
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	sodium_memzero(kek, sizeof(kek));
	sodium_memzero(sk, sizeof(sk));
	if (r < 0)
		printf("probe: secrets: %s\n", strerror(-r));
	return r < 0;
}

static int garbage(nexus *nx)
{
	/* Segment count 1, segment 0 of 2^27 words, then noise: a frame to refuse. */
	unsigned char msg[64] = {0, 0, 0, 0, 0, 0, 0, 8};
	struct pollfd pfd = {.fd = raw_channel(nx, "keystored"), .events = POLLIN};
	char buf[4096];
	int r = pfd.fd < 0 ? pfd.fd : 0;

	for (size_t i = 8; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	if (r >= 0 && write(pfd.fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		r = -errno;
	while (r >= 0) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		n = read(pfd.fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break; /* keystored closed the channel */
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			r = -errno;
	}
	nx_fd_close(pfd.fd);
	printf("probe: %s\n", r < 0 ? strerror(-r) : "keystored closed the channel");
	return r < 0;
}

static int unknown_method(nexus *nx, struct keystore *ks)
{
	const nx_rpc_result *res = NULL;
	nx_capnp_bstruct params;
	nx_rpc_call *call = NULL;
	int r = nx_rpc_call_new(keystore_cap(ks), KEYSTORE_INTERFACE_ID, 42, 0, 0, &call, &params);

	if (r >= 0)
		r = nexus_call_wait(nx, call, "method 42", &res);
	printf("probe: %s\n", r < 0 ? nexus_last_error(nx) : "method 42 answered");
	nx_rpc_call_free(call);
	return r >= 0;
}

struct tally {
	unsigned created, refused;
};

static void answered(void *userdata, int error, const char *reason, keystore_create_results res)
{
	struct tally *t = userdata;

	(void)res;
	if (error < 0) {
		t->refused++;
		printf("probe: refused %s\n", reason);
	} else {
		t->created++;
	}
}

static int pending(nexus *nx, struct keystore *ks, unsigned n, const char *prefix)
{
	uint64_t deadline = nx_clock_monotonic_ns() + 30ull * 1000 * 1000 * 1000;
	struct tally t = {0};
	char name[32];
	unsigned sent = 0;

	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.16s%u", prefix, i);
		sent += keystore_create(ks, name, answered, &t) >= 0;
	}
	while (t.created + t.refused < sent && nx_clock_monotonic_ns() < deadline)
		(void)nx_loop_run_once(nexus_loop(nx), 100ull * 1000 * 1000);
	printf("probe: created %u refused %u\n", t.created, t.refused);
	return t.created + t.refused == n ? 0 : 1;
}

/* sign(key, "e2e") with a VMO of the kind `how` names. */
static int bad_vmo(nexus *nx, struct keystore *ks, const char *how, const char *key)
{
	static const struct nexus_vmo_server vt = {0};
	size_t size = strcmp(how, "large") == 0 ? KS_VMO_DATA_MAX + 1 : 4096;
	struct nexus_vmo *vmo = NULL;
	keystore_sign_results out;
	keystore_sign_params_b p;
	nexus_vmo_ref_b ref;
	nx_rpc_call *call = NULL;
	int fd = -1, r = nx_vmo_create("probe", size, &fd);

	if (r >= 0 && strcmp(how, "unsealed") != 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r >= 0)
		r = nexus_vmo_server_new_with_fd(&vt, NULL, NULL, fd, &vmo); /* takes fd */
	else
		nx_fd_close(fd);
	if (r >= 0)
		r = keystore_sign_start(ks, &call, &p);
	if (r >= 0)
		r = keystore_sign_params_set_key(p, key, strlen(key));
	if (r >= 0)
		r = keystore_sign_params_set_domain(p, "e2e", 3);
	if (r >= 0 && strcmp(how, "both") == 0)
		r = keystore_sign_params_set_data(p, "x", 1);
	if (r >= 0)
		r = keystore_sign_params_init_vmo(p, &ref);
	if (r >= 0) {
		r = nexus_vmo_ref_set_vmo(ref, vmo);
		nexus_vmo_ref_set_size(ref, strcmp(how, "size") == 0 ? size - 1 : size);
	}
	if (r >= 0)
		r = keystore_sign_send_wait(call, nexus_deadline(nx), &out);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r < 0)
		return fail_with(nx, call, r, "sign") - 1; /* refused, as wanted: exit 0 */
	printf("probe: signed with a %s VMO\n", how);
	nx_rpc_call_free(call);
	return 1;
}

int main(int argc, char **argv)
{
	const char *cmd = argc >= 2 ? argv[1] : "";
	nx_rpc_cap *cap = NULL;
	nexus *nx = NULL;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0)
		return 1;
	if (strcmp(cmd, "secrets") == 0 && argc == 3)
		return secrets(argv[2]);
	if (!(strcmp(cmd, "dump") == 0 || (argc == 2 && strcmp(cmd, "garbage") == 0) ||
	            (argc == 2 && strcmp(cmd, "unknown-method") == 0) ||
	            (argc == 4 && strcmp(cmd, "pending") == 0) ||
	            (argc == 4 && strcmp(cmd, "vmo") == 0))) {
		fprintf(stderr,
		        "usage: key-probe dump KEY... | secrets DIR | garbage | "
		        "unknown-method | pending N PREFIX | vmo unsealed|size|both|large KEY\n");
		return 2;
	}
	if (nexus_connect(&nx) < 0) {
		printf("probe: %s\n", nexus_last_error(NULL));
		return 1;
	}
	if (strcmp(cmd, "garbage") == 0) {
		r = garbage(nx);
	} else if (nexus_resolve(nx, "keystored", &cap) < 0) {
		printf("probe: %s\n", nexus_last_error(nx));
		r = 1;
	} else if (strcmp(cmd, "dump") == 0) {
		r = dump(nx, keystore_from_cap(cap), argc - 2, argv + 2);
	} else if (strcmp(cmd, "pending") == 0) {
		r = pending(
		        nx, keystore_from_cap(cap), (unsigned)strtoul(argv[2], NULL, 10), argv[3]);
	} else if (strcmp(cmd, "unknown-method") == 0) {
		r = unknown_method(nx, keystore_from_cap(cap));
	} else {
		r = bad_vmo(nx, keystore_from_cap(cap), argv[2], argv[3]);
	}
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r;
}
