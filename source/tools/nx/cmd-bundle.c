/* SPDX-License-Identifier: MIT */
/*
 * nx bundle: make, inspect and manage signed bundles (bundle-format.capnp, bundle.capnp).
 *
 *   nx bundle keygen KEY                    an Ed25519 key pair: KEY (secret, mode 0600) and
 *                                           KEY.pub (the public key as 64 hex digits, what a
 *                                           trust dir holds as <key id>.pub); prints the key id
 *   nx bundle pack DIR --manifest FILE --key KEY -o OUT.nxb
 *                                           every regular file under DIR (mode 0755 if its
 *                                           owner may execute it, else 0644; a symlink, device
 *                                           or FIFO is refused), the manifest source FILE
 *                                           (userspace/bundle/spec.h), signed with KEY
 *   nx bundle inspect X.nxb [--json]        manifest, files, hashes and whether the signature
 *                                           verifies with the key it names (offline)
 *   nx bundle install X.nxb [--force] [--json]   (bundle.install; --force: bundle.downgrade)
 *   nx bundle list [--json]                 (bundle.list)
 *   nx bundle info ID [--json]              the record and the signed manifest's files
 *   nx bundle cat ID PATH                   a file of an installed bundle to stdout
 *                                           (bundle.read)
 *   nx bundle remove ID                     (bundle.remove)
 *
 * keygen, pack and inspect work offline. Exit codes: 0 success, 1 refused or failed, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle.capnp.h"
#include "bundle/check.h"
#include "bundle/pack.h"
#include "common.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

int nx_cmd_bundle(int argc, char **argv);

static int usage(FILE *f, int code)
{
	fprintf(f,
	        "usage: nx bundle keygen KEY                 write KEY and KEY.pub, print the key id\n"
	        "       nx bundle pack DIR --manifest FILE --key KEY -o OUT.nxb\n"
	        "       nx bundle inspect X.nxb [--json]     manifest, hashes, signature (offline)\n"
	        "       nx bundle install X.nxb [--force] [--json]\n"
	        "       nx bundle list [--json]\n"
	        "       nx bundle info ID [--json]\n"
	        "       nx bundle cat ID PATH\n"
	        "       nx bundle remove ID\n"
	        "       nx bundle --help\n"
	        "The manifest source FILE has one 'key = value' per line: id, version, entry\n"
	        "(required), restart (never|on-failure|always), caps, memory, tasks, open-files.\n"
	        "Exit codes: 0 success, 1 refused or failed, 2 usage.\n");
	return code;
}

/* A bad argument: one line naming it ("nx bundle info: ID (nx bundle --help)"), exit
 * status 2. */
static int bad_usage(const char *cmd, const char *what)
{
	fprintf(stderr, "nx bundle %s: %s (nx bundle --help)\n", cmd, what);
	return 2;
}

/* ---- Files ---- */

/* The whole file at `path`, at most max bytes, into an 8-byte aligned buffer (free()). */
static int read_file(const char *path, size_t max, void **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;
	void *buf = NULL;
	int r = 0;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		r = -EMSGSIZE;
	else if (!(buf = aligned_alloc(8, ((size_t)st.st_size + 8) & ~(size_t)7)))
		r = -ENOMEM;
	else if (st.st_size && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		r = -EIO;
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;
	int r = 0;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "wb");
	if (!f) {
		r = -errno;
		nx_fd_close(fd);
		return r;
	}
	if (fwrite(buf, 1, len, f) != len)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* ---- keygen ---- */

static int cmd_keygen(const char *path)
{
	uint8_t pk[BND_KEY_LEN], sk[BND_SECRET_LEN];
	char hex[2 * BND_SECRET_LEN + 2], pub[PATH_MAX], key_id[BND_KEY_ID_LEN + 1];
	int r;

	if (sodium_init() < 0)
		return nxt_report("keygen: libsodium", -EIO);
	if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >= sizeof(pub))
		return nxt_report(path, -ENAMETOOLONG);
	crypto_sign_keypair(pk, sk);
	bnd_hex(sk, sizeof(sk), hex);
	hex[2 * sizeof(sk)] = '\n';
	r = write_file(path, hex, 2 * sizeof(sk) + 1, 0600);
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(sk, sizeof(sk));
	if (r < 0)
		return nxt_report(path, r);
	bnd_hex(pk, sizeof(pk), hex);
	hex[2 * sizeof(pk)] = '\n';
	r = write_file(pub, hex, 2 * sizeof(pk) + 1, 0644);
	if (r < 0)
		return nxt_report(pub, r);
	bnd_key_id(pk, key_id);
	printf("%s\n", key_id);
	return 0;
}

/* ---- pack ---- */

struct walk {
	struct bnd_pack_file files[BND_FILES_MAX];
	char *paths[BND_FILES_MAX];
	void *bufs[BND_FILES_MAX];
	size_t n, total, root_len;
	int error;
	char culprit[PATH_MAX];
};

static struct walk *walking; /* nftw has no userdata */

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct walk *w = walking;
	size_t len = 0;
	int r;

	if (type == FTW_D || type == FTW_DP)
		return 0;
	snprintf(w->culprit, sizeof(w->culprit), "%s", path);
	if (type != FTW_F || !S_ISREG(st->st_mode)) {
		w->error = -EINVAL; /* symlinks, devices, FIFOs cannot be expressed */
		return 1;
	}
	if (w->n >= BND_FILES_MAX) {
		w->error = -E2BIG;
		return 1;
	}
	r = read_file(path, BND_PAYLOAD_MAX - w->total, &w->bufs[w->n], &len);
	if (r < 0) {
		w->error = r;
		return 1;
	}
	w->paths[w->n] = strdup(path + w->root_len + 1);
	if (!w->paths[w->n]) {
		free(w->bufs[w->n]);
		w->error = -ENOMEM;
		return 1;
	}
	w->files[w->n] = (struct bnd_pack_file){
	        .path = w->paths[w->n],
	        .mode = (st->st_mode & S_IXUSR) ? 0755 : 0644,
	        .data = w->bufs[w->n],
	        .size = len,
	};
	w->total += len;
	w->n++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(
	        ((const struct bnd_pack_file *)a)->path, ((const struct bnd_pack_file *)b)->path);
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->paths[i]);
		free(w->bufs[i]);
	}
	free(w);
}

static int read_key(const char *path, uint8_t sk[BND_SECRET_LEN])
{
	void *buf = NULL;
	size_t len = 0;
	int r = read_file(path, 4 * BND_SECRET_LEN, &buf, &len);

	if (r < 0)
		return r;
	if (!buf)
		return -EINVAL; /* read_file gives a buffer on success; an empty key is no key */
	while (len > 0 && ((char *)buf)[len - 1] == '\n')
		len--;
	r = bnd_unhex(buf, len, sk, BND_SECRET_LEN);
	sodium_memzero(buf, len);
	free(buf);
	return r;
}

static int read_spec(const char *path, struct bnd_spec *spec)
{
	struct bnd_spec_error err = {0};
	void *text = NULL;
	size_t len = 0;
	int r = read_file(path, BND_SPEC_MAX, &text, &len);

	if (r < 0)
		return nxt_report(path, r);
	r = bnd_spec_parse(text, len, spec, &err);
	free(text);
	if (r < 0) {
		fprintf(stderr, "nx: invalid_argument: %s: %s\n", path, err.text);
		return 1;
	}
	return 0;
}

static int pack(const char *dir, const char *manifest, const char *key, const char *out)
{
	struct walk *w = calloc(1, sizeof(*w));
	uint8_t sk[BND_SECRET_LEN];
	struct bnd_spec spec;
	void *buf = NULL;
	size_t len = 0;
	int r;

	if (!w)
		return nxt_report("pack", -ENOMEM);
	r = read_spec(manifest, &spec);
	if (r == 0 && read_key(key, sk) < 0)
		r = nxt_report(key, -EINVAL);
	if (r == 0) {
		w->root_len = strlen(dir);
		while (w->root_len > 1 && dir[w->root_len - 1] == '/')
			w->root_len--;
		walking = w;
		if (nftw(dir, visit, 16, FTW_PHYS) != 0 && w->error == 0)
			w->error = -errno;
		if (w->error < 0)
			r = nxt_report(w->culprit[0] ? w->culprit : dir, w->error);
	}
	if (r == 0) {
		qsort(w->files, w->n, sizeof(w->files[0]), by_path);
		r = bnd_pack(&spec, w->files, w->n, sk, &buf, &len);
		r = r < 0 ? nxt_report("pack", r) : 0;
	}
	sodium_memzero(sk, sizeof(sk));
	if (r == 0 && (r = write_file(out, buf, len, 0644)) < 0)
		r = nxt_report(out, r);
	if (r == 0)
		printf("%s: %s version %llu, %zu files, %zu bytes\n", out, spec.id,
		        (unsigned long long)spec.version, w->n, len);
	free(buf);
	walk_free(w);
	return r;
}

static int cmd_pack(int argc, char **argv)
{
	const char *dir = NULL, *manifest = NULL, *key = NULL, *out = NULL;

	for (int i = 0; i < argc; i++) {
		const char **opt = strcmp(argv[i], "--manifest") == 0 ? &manifest
		                   : strcmp(argv[i], "--key") == 0    ? &key
		                   : strcmp(argv[i], "-o") == 0       ? &out
		                                                      : NULL;

		if (opt && i + 1 < argc && !*opt)
			*opt = argv[++i];
		else if (!opt && !dir && argv[i][0] != '-')
			dir = argv[i];
		else
			return bad_usage("pack", argv[i]); /* unexpected */
	}
	if (!dir || !manifest || !key || !out)
		return bad_usage("pack", "DIR, --manifest, --key and -o are needed");
	return pack(dir, manifest, key, out);
}

/* ---- inspect ---- */

/* Offline: whether the bundle is signed by the key it names. */
static int self_trust(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN])
{
	memcpy(ret_key, claimed, BND_KEY_LEN);
	return 0;
}

static void print_caps_json(const char *const *caps, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		nxt_json_string(caps[i], strlen(caps[i]));
	}
	printf("]");
}

static void print_inspected(const char *path, const bnd_bundle *b, bool json)
{
	struct bnd_limits l = bnd_bundle_limits(b);
	const char *caps[BND_CAPS_MAX];
	char hex[BND_HASH_HEX_LEN + 1];
	size_t ncaps = bnd_bundle_cap_count(b);

	for (size_t i = 0; i < ncaps; i++)
		caps[i] = bnd_bundle_cap(b, i);
	if (json) {
		printf("{\"id\":");
		nxt_json_string(bnd_bundle_id(b), strlen(bnd_bundle_id(b)));
		printf(",\"version\":%llu,\"publisher\":\"%s\",\"signature\":\"verifies\",\"entry\":",
		        (unsigned long long)bnd_bundle_version(b), bnd_bundle_key_id(b));
		nxt_json_string(bnd_bundle_entry(b), strlen(bnd_bundle_entry(b)));
		printf(",\"restart\":\"%s\",\"caps\":", bnd_restart_name(bnd_bundle_restart(b)));
		print_caps_json(caps, ncaps);
		printf(",\"limits\":{\"memory\":%llu,\"tasks\":%u,\"openFiles\":%u},\"files\":[",
		        (unsigned long long)l.memory_bytes, l.tasks, l.open_files);
	} else {
		printf("%s: %s version %llu\npublisher: %s (signature verifies with this key)\n"
		       "entry: %s\nrestart: %s\ncaps:",
		        path, bnd_bundle_id(b), (unsigned long long)bnd_bundle_version(b),
		        bnd_bundle_key_id(b), bnd_bundle_entry(b),
		        bnd_restart_name(bnd_bundle_restart(b)));
		for (size_t i = 0; i < ncaps; i++)
			printf(" %s", caps[i]);
		printf("\nlimits: memory=%llu tasks=%u open-files=%u\nfiles:\n",
		        (unsigned long long)l.memory_bytes, l.tasks, l.open_files);
	}
	for (size_t i = 0; i < bnd_bundle_file_count(b); i++) {
		struct bnd_file f;

		bnd_bundle_file(b, i, &f);
		bnd_hex(f.sha256, BND_HASH_LEN, hex);
		if (json) {
			printf("%s{\"path\":", i ? "," : "");
			nxt_json_string(f.path, f.path_len);
			printf(",\"mode\":%u,\"size\":%llu,\"sha256\":\"%s\"}", (unsigned)f.mode,
			        (unsigned long long)f.size, hex);
		} else {
			printf("  %04o %10llu %s %s\n", (unsigned)f.mode,
			        (unsigned long long)f.size, hex, f.path);
		}
	}
	if (json)
		printf("]}\n");
}

static int cmd_inspect(const char *path, bool json)
{
	struct bnd_error err = {0};
	bnd_bundle *b = NULL;
	void *buf = NULL;
	size_t len = 0;
	int r;

	r = read_file(path, BND_PAYLOAD_MAX, &buf, &len);
	if (r < 0)
		return nxt_report(path, r);
	r = bnd_check(buf, len, self_trust, NULL, &b, &err);
	if (r < 0) {
		if (err.step == BND_STEP_NONE)
			(void)nxt_report(path, r);
		else
			fprintf(stderr, "nx: %s: %s: %s\n", nx_rpc_reason_code(r), path, err.text);
		free(buf);
		return 1;
	}
	print_inspected(path, b, json);
	bnd_bundle_free(b);
	free(buf);
	return 0;
}

/* ---- install ---- */

/* The file at path in a new sealed VMO: *ret_fd, *ret_size. */
static int vmo_of_file(const char *path, int *ret_fd, size_t *ret_size)
{
	void *buf = NULL;
	size_t len = 0;
	int fd = -1, r;

	r = read_file(path, BND_PAYLOAD_MAX, &buf, &len);
	if (r >= 0)
		r = nx_vmo_create("nx-bundle", len, &fd);
	if (r >= 0 && len)
		r = nx_vmo_write(fd, 0, buf, len);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	free(buf);
	if (r < 0) {
		nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	*ret_size = len;
	return 0;
}

static int cmd_install(struct nxt_session *s, const char *path, bool force, bool json)
{
	static const struct nexus_vmo_server vmo_vt = {0};
	bundle_bundles_install_params_b params;
	bundle_bundles_install_results out;
	struct nexus_vmo *vmo = NULL;
	nexus_vmo_ref_b ref;
	nx_rpc_call *call = NULL;
	const char *id = "";
	size_t size = 0, idlen = 0;
	int fd = -1, r;

	r = vmo_of_file(path, &fd, &size);
	if (r < 0)
		return nxt_report(path, r);
	r = nexus_vmo_server_new_with_fd(&vmo_vt, NULL, NULL, fd, &vmo); /* takes fd */
	if (r >= 0)
		r = bundle_bundles_install_start(bundle_bundles_from_cap(s->svc), &call, &params);
	if (r >= 0)
		r = bundle_bundles_install_params_init_payload(params, &ref);
	if (r >= 0)
		r = nexus_vmo_ref_set_vmo(ref, vmo);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r < 0) {
		nx_rpc_call_free(call);
		return nxt_report("install", r);
	}
	nexus_vmo_ref_set_size(ref, size);
	bundle_bundles_install_params_set_force(params, force);
	r = bundle_bundles_install_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "install");
	} else {
		(void)bundle_bundles_install_results_get_id(out, &id, &idlen);
		if (json)
			printf("{\"id\":\"%.*s\",\"version\":%llu,\"previous\":%llu}\n", (int)idlen,
			        id,
			        (unsigned long long)bundle_bundles_install_results_get_version(out),
			        (unsigned long long)bundle_bundles_install_results_get_previous(
			                out));
		else
			printf("installed %.*s version %llu (previous %llu)\n", (int)idlen, id,
			        (unsigned long long)bundle_bundles_install_results_get_version(out),
			        (unsigned long long)bundle_bundles_install_results_get_previous(
			                out));
	}
	nx_rpc_call_free(call);
	return r;
}

/* ---- list, info, cat, remove ---- */

static void print_summary(bundle_summary sum, bool json, bool first)
{
	const char *id = "", *pub = "";
	size_t idlen = 0, publen = 0;

	(void)bundle_summary_get_id(sum, &id, &idlen); /* results are validated */
	(void)bundle_summary_get_publisher(sum, &pub, &publen);
	if (json) {
		printf("%s{\"id\":", first ? "" : ",");
		nxt_json_string(id, idlen);
		printf(",\"version\":%llu,\"publisher\":",
		        (unsigned long long)bundle_summary_get_version(sum));
		nxt_json_string(pub, publen);
		printf(",\"files\":%u,\"bytes\":%llu}", (unsigned)bundle_summary_get_files(sum),
		        (unsigned long long)bundle_summary_get_bytes(sum));
	} else {
		printf("%-32.*s %10llu %-16.*s %6u %12llu\n", (int)idlen, id,
		        (unsigned long long)bundle_summary_get_version(sum), (int)publen, pub,
		        (unsigned)bundle_summary_get_files(sum),
		        (unsigned long long)bundle_summary_get_bytes(sum));
	}
}

static int cmd_list(struct nxt_session *s, bool json)
{
	char after[BND_ID_MAX + 1] = "";
	bool more = true, first = true;
	int r = 0;

	if (json)
		printf("[");
	else
		printf("%-32s %10s %-16s %6s %12s\n", "ID", "VERSION", "PUBLISHER", "FILES",
		        "BYTES");
	while (r == 0 && more) {
		bundle_bundles_list_results out;
		nx_capnp_list list = {0};
		nx_rpc_call *call = NULL;

		r = bundle_bundles_list_wait(
		        bundle_bundles_from_cap(s->svc), after, nexus_deadline(s->nx), &call, &out);
		if (r < 0) {
			r = nxt_report_call(s, call, r, "list");
			nx_rpc_call_free(call);
			break;
		}
		(void)bundle_bundles_list_results_get_bundles(out, &list);
		more = bundle_bundles_list_results_get_more(out) && list.count > 0;
		for (uint32_t i = 0; i < list.count; i++, first = false) {
			bundle_summary sum = bundle_summary_at(&list, i);
			const char *id = "";
			size_t idlen = 0;

			print_summary(sum, json, first);
			(void)bundle_summary_get_id(sum, &id, &idlen);
			snprintf(after, sizeof(after), "%.*s", (int)idlen, id);
		}
		nx_rpc_call_free(call);
	}
	if (json && r == 0)
		printf("]\n");
	return r;
}

/* The files of the signed manifest in the info answer's VMO. */
static int print_manifest_files(nexus_vmo_ref ref, bool json)
{
	struct nx_capnp_seg seg;
	struct nx_vmo_map map = {0};
	struct nexus_vmo *vmo = NULL;
	nx_capnp_reader rd;
	nxb_manifest m;
	nx_capnp_list files = {0};
	char hex[BND_HASH_HEX_LEN + 1];
	int r;

	r = nexus_vmo_ref_get_vmo(ref, &vmo);
	if (r >= 0)
		r = nx_vmo_map_ro(
		        nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), BND_PAYLOAD_MAX, false, &map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r >= 0 && (map.size % 8 != 0 || map.size == 0))
		r = -EBADMSG;
	if (r >= 0) {
		seg = (struct nx_capnp_seg){.words = map.addr, .nwords = (uint32_t)(map.size / 8)};
		nx_capnp_reader_init(&rd, &seg, 1);
		r = nxb_manifest_read_root(&rd, &m);
	}
	if (r >= 0 && nxb_manifest_validate(&m.s, NULL) < 0)
		r = -EBADMSG;
	if (r >= 0)
		r = nxb_manifest_get_files(m, &files);
	for (uint32_t i = 0; r >= 0 && i < files.count; i++) {
		nxb_entry e = nxb_entry_at(&files, i);
		const char *path = "";
		const uint8_t *h = NULL;
		size_t plen = 0, hlen = 0;

		(void)nxb_entry_get_path(e, &path, &plen);
		(void)nxb_entry_get_sha256(e, &h, &hlen);
		if (hlen != BND_HASH_LEN) {
			r = -EBADMSG;
			break;
		}
		bnd_hex(h, hlen, hex);
		if (json) {
			printf("%s{\"path\":", i ? "," : "");
			nxt_json_string(path, plen);
			printf(",\"mode\":%u,\"size\":%llu,\"sha256\":\"%s\"}",
			        (unsigned)nxb_entry_get_mode(e),
			        (unsigned long long)nxb_entry_get_size(e), hex);
		} else {
			printf("  %04o %10llu %s %.*s\n", (unsigned)nxb_entry_get_mode(e),
			        (unsigned long long)nxb_entry_get_size(e), hex, (int)plen, path);
		}
	}
	nx_vmo_unmap(&map);
	return r;
}

static void print_info(bundle_info info, bool json)
{
	bundle_summary sum = bundle_info_get_summary(info);
	nxb_limits l = bundle_info_get_limits(info);
	nx_capnp_list caps = {0};
	const char *entry = "";
	size_t elen = 0;

	(void)bundle_info_get_entry(info, &entry, &elen);
	(void)bundle_info_get_caps(info, &caps);
	if (json) {
		printf("{\"bundle\":");
		print_summary(sum, true, true);
		printf(",\"entry\":");
		nxt_json_string(entry, elen);
		printf(",\"restart\":\"%s\",\"caps\":[",
		        bnd_restart_name(bundle_info_get_restart(info)) ?: "unknown");
	} else {
		printf("%-32s %10s %-16s %6s %12s\n", "ID", "VERSION", "PUBLISHER", "FILES",
		        "BYTES");
		print_summary(sum, false, true);
		printf("entry: %.*s\nrestart: %s\ncaps:", (int)elen, entry,
		        bnd_restart_name(bundle_info_get_restart(info)) ?: "unknown");
	}
	for (uint32_t i = 0; i < caps.count; i++) {
		nx_capnp_ptr p = nx_capnp_list_ptr(&caps, i);
		const char *c = "";
		size_t clen = 0;

		(void)nx_capnp_ptr_read_text(&p, &c, &clen);
		if (json) {
			printf("%s", i ? "," : "");
			nxt_json_string(c, clen);
		} else {
			printf(" %.*s", (int)clen, c);
		}
	}
	if (json)
		printf("],\"limits\":{\"memory\":%llu,\"tasks\":%u,\"openFiles\":%u},\"files\":[",
		        (unsigned long long)nxb_limits_get_memory_bytes(l),
		        (unsigned)nxb_limits_get_tasks(l), (unsigned)nxb_limits_get_open_files(l));
	else
		printf("\nlimits: memory=%llu tasks=%u open-files=%u\nfiles:\n",
		        (unsigned long long)nxb_limits_get_memory_bytes(l),
		        (unsigned)nxb_limits_get_tasks(l), (unsigned)nxb_limits_get_open_files(l));
}

static int cmd_info(struct nxt_session *s, const char *id, bool json)
{
	bundle_bundles_info_results out;
	nx_rpc_call *call = NULL;
	int r;

	r = bundle_bundles_info_wait(
	        bundle_bundles_from_cap(s->svc), id, nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "info");
	} else {
		print_info(bundle_bundles_info_results_get_info(out), json);
		r = print_manifest_files(bundle_bundles_info_results_get_manifest(out), json);
		if (r < 0)
			r = nxt_report("info: manifest", r);
		else if (json)
			printf("]}\n");
	}
	nx_rpc_call_free(call);
	return r;
}

static int cmd_cat(struct nxt_session *s, const char *id, const char *path)
{
	bundle_bundles_open_file_results out;
	struct nexus_vmo *vmo = NULL;
	struct nx_vmo_map map = {0};
	nx_rpc_call *call = NULL;
	nexus_vmo_ref ref;
	int r;

	r = bundle_bundles_open_file_wait(
	        bundle_bundles_from_cap(s->svc), id, path, nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "cat");
		nx_rpc_call_free(call);
		return r;
	}
	ref = bundle_bundles_open_file_results_get_file(out);
	r = nexus_vmo_ref_get_vmo(ref, &vmo);
	if (r >= 0)
		r = nx_vmo_map_ro(
		        nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), BND_PAYLOAD_MAX, false, &map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r >= 0 && nexus_vmo_ref_get_size(ref) != map.size)
		r = -EBADMSG;
	if (r >= 0 && map.size && fwrite(map.addr, 1, map.size, stdout) != map.size)
		r = -EIO;
	nx_vmo_unmap(&map);
	nx_rpc_call_free(call);
	return r < 0 ? nxt_report("cat", r) : 0;
}

static int cmd_remove(struct nxt_session *s, const char *id)
{
	bundle_bundles_remove_results out;
	nx_rpc_call *call = NULL;
	int r;

	r = bundle_bundles_remove_wait(
	        bundle_bundles_from_cap(s->svc), id, nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "remove");
	else
		printf("removed %s version %llu\n", id,
		        (unsigned long long)bundle_bundles_remove_results_get_version(out));
	nx_rpc_call_free(call);
	return r;
}

/* ---- Dispatch ---- */

/* Takes a trailing flag off the arguments. */
static bool take_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 0; i < *argc; i++)
		if (strcmp(argv[i], flag) == 0) {
			memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i - 1) * sizeof(*argv));
			(*argc)--;
			return true;
		}
	return false;
}

/* The commands that talk to bundlemgrd and their operand counts. */
static const struct {
	const char *name;
	int argc; /* the command included */
	const char *operands;
} online_cmds[] = {
        {"list", 1, "no operand"},
        {"install", 2, "X.nxb"},
        {"info", 2, "ID"},
        {"cat", 3, "ID PATH"},
        {"remove", 2, "ID"},
};

/* The commands that talk to bundlemgrd: argv[0] the command, its operands after. */
static int online(int argc, char **argv, bool json, bool force)
{
	struct nxt_session s = {0};
	const char *cmd = argv[0];
	size_t k = 0;
	int r;

	while (k < sizeof(online_cmds) / sizeof(online_cmds[0]) &&
	        strcmp(online_cmds[k].name, cmd) != 0)
		k++;
	if (k == sizeof(online_cmds) / sizeof(online_cmds[0]))
		return bad_usage(cmd, "no such command");
	if (argc != online_cmds[k].argc)
		return bad_usage(cmd, online_cmds[k].operands);
	if (force && strcmp(cmd, "install") != 0)
		return bad_usage(cmd, "--force is for install only");
	r = nxt_session_open(&s, "bundlemgrd");
	if (r == 0 && strcmp(cmd, "list") == 0)
		r = cmd_list(&s, json);
	else if (r == 0 && strcmp(cmd, "install") == 0)
		r = cmd_install(&s, argv[1], force, json);
	else if (r == 0 && strcmp(cmd, "info") == 0)
		r = cmd_info(&s, argv[1], json);
	else if (r == 0 && strcmp(cmd, "cat") == 0)
		r = cmd_cat(&s, argv[1], argv[2]);
	else if (r == 0)
		r = cmd_remove(&s, argv[1]);
	nxt_session_close(&s);
	return r;
}

int nx_cmd_bundle(int argc, char **argv)
{
	bool json, force;

	if (argc < 2)
		return usage(stderr, 2);
	if (take_flag(&argc, argv, "--help") || strcmp(argv[1], "help") == 0)
		return usage(stdout, 0);
	argc--, argv++; /* argv[0]: the command */
	if (strcmp(argv[0], "pack") == 0)
		return cmd_pack(argc - 1, argv + 1);
	json = take_flag(&argc, argv, "--json");
	force = take_flag(&argc, argv, "--force");
	if (strcmp(argv[0], "keygen") == 0 && argc == 2 && !json && !force)
		return cmd_keygen(argv[1]);
	if (strcmp(argv[0], "inspect") == 0 && argc == 2 && !force)
		return cmd_inspect(argv[1], json);
	if (strcmp(argv[0], "keygen") == 0)
		return bad_usage("keygen", "KEY, and no option");
	if (strcmp(argv[0], "inspect") == 0)
		return bad_usage("inspect", "X.nxb [--json]");
	return online(argc, argv, json, force);
}
