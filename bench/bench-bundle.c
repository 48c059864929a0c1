/* SPDX-License-Identifier: MIT */
/*
 * Installing a bundle through bundlemgrd (a running system: $NEXUS_RUNTIME_DIR/samgr.sock,
 * its state in $NEXUS_STATE_DIR) against the floor of the same work in process:
 *
 *   bench-bundle [--mib M] [--files N] [--reps R]
 *
 * Makes N files of M MiB in all (random bytes: no blob is shared), packs and signs them with
 * a fresh key (trusted by writing it into bundlemgrd's trust dir), then R times:
 *   floor    SHA-256 of every file and one Ed25519 verify of the signed manifest, in process
 *            (bench=bundle-floor);
 *   install  Bundles.install of a sealed payload VMO (made before: the daemon maps it), timed
 *            from the call to its answer: every check, the blobs written and made durable,
 *            the SQLite transaction, the grants (bench=bundle-install). Each rep installs
 *            another bundle (org.nexus.bench<i>, its own random bytes, packed untimed) and
 *            all are removed at the end: a removal of 1,000 files just before an install
 *            makes ext4 search longer for inodes to give the new files (recently_deleted), a
 *            cost of the removal, not of the install.
 * Prints the RESULT lines (median over reps) and the install's throughput as a share of the
 * floor's (the target: at least 80%).
 */
#include <sodium.h>
#include <sys/stat.h>

#include "bench-util.h"
#include "bundle.capnp.h"
#include "bundle/check.h"
#include "bundle/pack.h"
#include "nexus/nexus.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

#define BB_ID "org.nexus.bench%u"

struct bench {
	size_t nfiles, bytes;
	uint8_t *data; /* every file's bytes, one after the other */
	char (*names)[32];
	uint8_t pk[BND_KEY_LEN], sk[BND_SECRET_LEN];
	struct bnd_pack_file *files;
	void *payload;
	size_t payload_len;
};

static int make_files(struct bench *b)
{
	size_t each = b->bytes / b->nfiles;

	b->data = malloc(b->bytes);
	b->names = calloc(b->nfiles, sizeof(*b->names));
	b->files = calloc(b->nfiles, sizeof(*b->files));
	if (!b->data || !b->names || !b->files)
		return -ENOMEM;
	for (size_t i = 0; i < b->nfiles; i++) {
		snprintf(b->names[i], sizeof(b->names[i]), i ? "data/f%05zu" : "bin/entry", i);
		b->files[i] = (struct bnd_pack_file){b->names[i], i ? 0644 : 0755,
		        b->data + i * each, i + 1 < b->nfiles ? each : b->bytes - i * each};
	}
	return 0;
}

/* Rep i's bundle: fresh bytes (no blob shared with an earlier rep), packed and signed. */
static int pack(struct bench *b, unsigned i)
{
	struct bnd_spec spec = {.version = 1};

	free(b->payload);
	b->payload = NULL;
	randombytes_buf(b->data, b->bytes);
	snprintf(spec.id, sizeof(spec.id), BB_ID, i);
	snprintf(spec.entry, sizeof(spec.entry), "bin/entry");
	return bnd_pack(&spec, b->files, b->nfiles, b->sk, &b->payload, &b->payload_len);
}

/* The floor: what no install can skip, in process. */
static uint64_t floor_once(
        const struct bench *b, const uint8_t *msg, size_t msg_len, const uint8_t *sig)
{
	uint8_t digest[BND_HASH_LEN];
	uint64_t t0 = bench_now_ns();

	for (size_t i = 0; i < b->nfiles; i++)
		crypto_hash_sha256(digest, b->files[i].data, b->files[i].size);
	if (crypto_sign_verify_detached(sig, msg, msg_len, b->pk) != 0)
		abort();
	return bench_now_ns() - t0;
}

static int self_trust(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN])
{
	memcpy(ret_key, claimed, BND_KEY_LEN);
	return 0;
}

/* What the signature covers, and the signature (Ed25519 is deterministic: signing again
 * gives the packed one), for the floor. */
static int signed_parts(struct bench *b, uint8_t **ret_msg, size_t *ret_len, uint8_t *sig)
{
	bnd_bundle *bundle = NULL;
	const void *manifest;
	size_t mlen;
	uint8_t *msg;
	int r = bnd_check(b->payload, b->payload_len, self_trust, NULL, &bundle, NULL);

	if (r < 0)
		return r;
	manifest = bnd_bundle_manifest(bundle, &mlen);
	msg = malloc(BND_SIG_PREFIX_LEN + mlen);
	if (msg) {
		memcpy(msg, BND_SIG_PREFIX, BND_SIG_PREFIX_LEN);
		memcpy(msg + BND_SIG_PREFIX_LEN, manifest, mlen);
		crypto_sign_detached(sig, NULL, msg, BND_SIG_PREFIX_LEN + mlen, b->sk);
	}
	bnd_bundle_free(bundle);
	if (!msg)
		return -ENOMEM;
	*ret_msg = msg;
	*ret_len = BND_SIG_PREFIX_LEN + mlen;
	return 0;
}

/* bundlemgrd trusts the bench's key: <state>/bundlemgrd/trust/<key id>.pub. */
static int trust_key(const struct bench *b)
{
	const char *state = getenv("NEXUS_STATE_DIR");
	char path[4096], key_id[BND_KEY_ID_LEN + 1], hex[2 * BND_KEY_LEN + 1];
	FILE *f;

	if (!state || !*state)
		return -EINVAL;
	bnd_key_id(b->pk, key_id);
	bnd_hex(b->pk, BND_KEY_LEN, hex);
	snprintf(path, sizeof(path), "%s/bundlemgrd/trust/%s.pub", state, key_id);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", hex);
	return fclose(f) == 0 ? 0 : -EIO;
}

static int call_failed(nexus *nx, nx_rpc_call *call, int r, const char *what)
{
	(void)nexus_call_failed(nx, call, r, what);
	fprintf(stderr, "bench-bundle: %s\n", nexus_last_error(nx));
	nx_rpc_call_free(call);
	return r;
}

static int install_once(nexus *nx, struct bundle_bundles *bundles, struct nexus_vmo *vmo,
        size_t size, uint64_t *ret_ns)
{
	bundle_bundles_install_params_b params;
	bundle_bundles_install_results out;
	nexus_vmo_ref_b ref;
	nx_rpc_call *call = NULL;
	uint64_t t0;
	int r;

	t0 = bench_now_ns();
	r = bundle_bundles_install_start(bundles, &call, &params);
	if (r >= 0)
		r = bundle_bundles_install_params_init_payload(params, &ref);
	if (r >= 0)
		r = nexus_vmo_ref_set_vmo(ref, vmo);
	nexus_vmo_ref_set_size(ref, size);
	if (r >= 0)
		r = bundle_bundles_install_send_wait(call, nexus_deadline(nx), &out);
	*ret_ns = bench_now_ns() - t0;
	if (r < 0)
		return call_failed(nx, call, r, "install");
	nx_rpc_call_free(call);
	return 0;
}

static int remove_all(nexus *nx, struct bundle_bundles *bundles, unsigned n)
{
	bundle_bundles_remove_results out;
	nx_rpc_call *call = NULL;
	char id[64];
	int r = 0;

	for (unsigned i = 0; r >= 0 && i < n; i++) {
		snprintf(id, sizeof(id), BB_ID, i);
		r = bundle_bundles_remove_wait(bundles, id, nexus_deadline(nx), &call, &out);
		if (r < 0)
			return call_failed(nx, call, r, "remove");
		nx_rpc_call_free(call);
	}
	return r;
}

/* Rep i's payload as a sealed VMO capability. */
static int payload_vmo(struct bench *b, unsigned i, struct nexus_vmo **ret)
{
	static const struct nexus_vmo_server vmo_vt = {0};
	int fd = -1, r = pack(b, i);

	if (r >= 0)
		r = nx_vmo_create("bench-bundle", b->payload_len, &fd);
	if (r >= 0)
		r = nx_vmo_write(fd, 0, b->payload, b->payload_len);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r >= 0)
		return nexus_vmo_server_new_with_fd(&vmo_vt, NULL, NULL, fd, ret); /* takes fd */
	nx_fd_close(fd);
	return r;
}

static int run(struct bench *b, unsigned reps)
{
	uint64_t *floor_ns = calloc(reps, sizeof(uint64_t)),
	         *install_ns = calloc(reps, sizeof(uint64_t));
	struct nexus_vmo *vmo = NULL;
	nx_rpc_cap *cap = NULL;
	uint8_t sig[BND_SIG_LEN], *msg = NULL;
	size_t msg_len = 0;
	unsigned done = 0;
	nexus *nx = NULL;
	int r;

	crypto_sign_keypair(b->pk, b->sk);
	r = floor_ns && install_ns ? trust_key(b) : -ENOMEM;
	if (r >= 0)
		r = nexus_connect(&nx);
	if (r >= 0)
		r = nexus_resolve(nx, "bundlemgrd", &cap);
	if (r >= 0)
		nexus_set_timeout(nx, 120ull * 1000 * 1000 * 1000);
	for (unsigned i = 0; r >= 0 && i < reps; i++) {
		r = payload_vmo(b, i, &vmo);
		if (r >= 0)
			r = signed_parts(b, &msg, &msg_len, sig);
		if (r >= 0)
			floor_ns[i] = floor_once(b, msg, msg_len, sig);
		if (r >= 0)
			r = install_once(nx, bundle_bundles_from_cap(cap), vmo, b->payload_len,
			        &install_ns[i]);
		done += r >= 0;
		vmo = nexus_vmo_from_cap(nx_rpc_cap_unref(nexus_vmo_cap(vmo)));
		free(msg);
		msg = NULL;
	}
	if (r >= 0) {
		uint64_t f = bench_quantile(floor_ns, reps, 0.5),
		         in = bench_quantile(install_ns, reps, 0.5);

		bench_report_transfer("bundle-floor", "in-process", floor_ns, reps, b->bytes);
		bench_report_transfer("bundle-install", "bundlemgrd", install_ns, reps, b->bytes);
		printf("install of %zu MiB in %zu files: %.1f ms, floor (SHA-256 of every file + one "
		       "Ed25519 verify) %.1f ms: install runs at %.0f%% of the floor's throughput\n",
		        b->bytes >> 20, b->nfiles, (double)in / 1e6, (double)f / 1e6,
		        100.0 * (double)f / (double)in);
	} else {
		fprintf(stderr, "bench-bundle: %s\n", nx ? nexus_last_error(nx) : strerror(-r));
	}
	if (cap && remove_all(nx, bundle_bundles_from_cap(cap), done) < 0)
		r = -EIO;
	nx_rpc_cap_unref(cap);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	nexus_free(nx);
	free(msg);
	free(floor_ns);
	free(install_ns);
	return r;
}

int main(int argc, char **argv)
{
	struct bench b = {.nfiles = 1000, .bytes = 64u << 20};
	unsigned reps = 5;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--mib") == 0 && v)
			b.bytes = (size_t)strtoul(v, NULL, 10) << 20, i++;
		else if (strcmp(argv[i], "--files") == 0 && v)
			b.nfiles = (size_t)strtoul(v, NULL, 10), i++;
		else if (strcmp(argv[i], "--reps") == 0 && v)
			reps = (unsigned)strtoul(v, NULL, 10), i++;
		else
			return fprintf(stderr,
			               "usage: bench-bundle [--mib M] [--files N] [--reps R]\n"),
			       2;
	}
	if (b.nfiles == 0 || b.nfiles > BND_FILES_MAX || b.bytes < b.nfiles || reps == 0 ||
	        b.bytes > BND_PAYLOAD_MAX / 2)
		return fprintf(stderr, "bench-bundle: bad sizes\n"), 2;
	if (sodium_init() < 0)
		return 1;
	r = make_files(&b);
	if (r >= 0)
		r = run(&b, reps);
	sodium_memzero(b.sk, sizeof(b.sk));
	free(b.payload);
	free(b.files);
	free(b.names);
	free(b.data);
	return r < 0 ? 1 : 0;
}
