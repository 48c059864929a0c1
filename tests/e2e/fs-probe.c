/* SPDX-License-Identifier: MIT */
/*
 * fs-probe: what nx never does to vfsd, for tests/e2e/vfsd.sh. Each prints "probe: ..." lines
 * and exits 0 when vfsd behaved as fs.capnp says, 1 (saying why) otherwise.
 *
 *   fs-probe garbage          a bogus frame on a raw channel to vfsd: vfsd closes that channel
 *   fs-probe many DIR N       creates N empty files DIR/f00000... over one channel
 *   fs-probe list-churn DIR N lists DIR 64 entries a page, and between pages removes a name
 *                             already listed and adds one sorting before the cursor and one
 *                             after: each of the N f* names comes exactly once, in order
 *   fs-probe io FILE          transport and refusals of File.read/write on FILE (created):
 *                             2048 bytes inline, 2049 as a VMO, an unsealed VMO copied, a
 *                             pipe or an over-claimed VMO refused, both data and vmo refused,
 *                             a read over fsIoMax too_large, truncate down and up with stat,
 *                             sync, bad open flags, a write on a file opened read-only denied
 *   fs-probe open-many FILE N opens FILE N times over two channels (one channel's capability
 *                             table is smaller): prints how many were opened and the refusal
 *   fs-probe truncate FILE N  opens FILE for writing and truncates it to N bytes: prints
 *                             "probe: truncated" or "probe: refused: <reason>"
 *   fs-probe bad              a path with a NUL inside refused by open, stat, list, mkdir; an
 *                             unknown method of Fs unsupported
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.capnp.h"
#include "nexus/limits.h" /* VFS_IO_MAX */
#include "nexus/nexus.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "samgr.capnp.h"

static nexus *nx;

static int fail(const char *what, const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	printf("probe: FAIL %s: %d %s\n", what, r, res && res->reason ? res->reason : "");
	return 1;
}

/* The reason `call` failed with ("" if none). */
static const char *reason(const nx_rpc_call *call)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	return res && res->reason ? res->reason : "";
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- garbage ------------------------------------------------------------------------------ */

static int garbage(void)
{
	unsigned char msg[64] = {0, 0, 0, 0, 0, 0, 0, 8}; /* one segment of 2^27 words */
	struct nexus_endpoint *ep = NULL;
	samgr_resolve_results out;
	nx_rpc_cap *samgr = NULL;
	nx_rpc_call *call = NULL;
	struct pollfd pfd = {.events = POLLIN};
	char buf[4096];
	int r;

	r = nexus_samgr(nx, &samgr);
	if (r >= 0)
		r = samgr_resolve_wait(
		        samgr_from_cap(samgr), "vfsd", nexus_deadline(nx), &call, &out);
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, &ep) < 0
		            ? -EBADMSG
		            : nx_rpc_cap_take_fd(nexus_endpoint_cap(ep));
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(samgr);
	if (r < 0)
		return fail("resolve", NULL, r);
	pfd.fd = r;
	for (size_t i = 8; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 37u);
	if (write(pfd.fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return fail("write", NULL, -errno);
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			return fail("vfsd kept the channel", NULL, -ETIMEDOUT);
		n = read(pfd.fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
	}
	nx_fd_close(pfd.fd);
	printf("probe: vfsd closed the channel\n");
	return 0;
}

/* ---- many, list-churn ---------------------------------------------------------------------- */

/* Creates `path` (empty); `excl`: it must not exist. */
static int create(struct fs *fs, const char *path, bool excl)
{
	fs_open_results out;
	nx_rpc_call *call;
	uint32_t flags = FS_OPEN_WRITE | FS_OPEN_CREATE | (excl ? FS_OPEN_EXCLUSIVE : 0);
	int r = fs_open_wait(fs, path, flags, nexus_deadline(nx), &call, &out);

	if (r < 0)
		fail(path, call, r);
	nx_rpc_call_free(call); /* the File goes with the results */
	return r;
}

static int many(struct fs *fs, const char *dir, unsigned n)
{
	char path[FS_PATH_MAX_LEN + 1];

	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%05u", dir, i);
		if (create(fs, path, true) < 0)
			return 1;
	}
	printf("probe: created %u\n", n);
	return 0;
}

static int remove_path(struct fs *fs, const char *path)
{
	fs_remove_results out;
	nx_rpc_call *call;
	int r = fs_remove_wait(fs, path, nexus_deadline(nx), &call, &out);

	if (r < 0)
		fail(path, call, r);
	nx_rpc_call_free(call);
	return r;
}

static int list_churn(struct fs *fs, const char *dir, unsigned n)
{
	unsigned char *seen = calloc(n, 1);
	char cursor[FS_NAME_MAX_LEN + 1] = "", path[FS_PATH_MAX_LEN + 1];
	unsigned total = 0, pages = 0, churn = 0;
	bool more = true;
	int r = 0;

	while (r == 0 && more) {
		nx_capnp_list list = {0};
		fs_list_results out;
		nx_rpc_call *call;
		char prev[FS_NAME_MAX_LEN + 1];

		snprintf(prev, sizeof(prev), "%s", cursor);
		r = fs_list_wait(fs, dir, cursor, 64, nexus_deadline(nx), &call, &out);
		if (r < 0) {
			r = fail("list", call, r);
			nx_rpc_call_free(call);
			break;
		}
		(void)fs_list_results_get_entries(out, &list);
		more = fs_list_results_get_more(out);
		for (uint32_t i = 0; r == 0 && i < list.count; i++) {
			const char *name;
			size_t len;
			unsigned idx;

			(void)fs_entry_get_name(fs_entry_at(&list, i), &name, &len);
			if (strncmp(name, prev, len + 1) <= 0 && *prev)
				r = fail("out of order or repeated", NULL, (int)i);
			else if (name[0] == 'f' && sscanf(name, "f%05u", &idx) == 1 && idx < n) {
				if (seen[idx]++)
					r = fail("twice", NULL, (int)idx);
				total++;
			}
			snprintf(prev, sizeof(prev), "%.*s", (int)len, name);
		}
		snprintf(cursor, sizeof(cursor), "%s", prev);
		nx_rpc_call_free(call);
		pages++;
		/* Churn: one listed f-name goes, one name before the cursor and one after come. */
		if (r == 0 && more && cursor[0] == 'f') {
			snprintf(path, sizeof(path), "%s/%s", dir, cursor);
			r = remove_path(fs, path) < 0 ? 1 : 0;
			if (r == 0) {
				snprintf(path, sizeof(path), "%s/a-new-%u", dir, churn);
				r = create(fs, path, true) < 0 ? 1 : 0;
			}
			if (r == 0) {
				snprintf(path, sizeof(path), "%s/zz-new-%u", dir, churn++);
				r = create(fs, path, true) < 0 ? 1 : 0;
			}
		}
	}
	for (unsigned i = 0; r == 0 && i < n; i++)
		if (!seen[i])
			r = fail("missing", NULL, (int)i);
	free(seen);
	if (r == 0)
		printf("probe: listed %u in %u pages with churn, each once, in order\n", total,
		        pages);
	return r;
}

/* ---- io ---------------------------------------------------------------------------------- */

static int open_file(struct fs *fs, const char *path, uint32_t flags, struct fs_file **ret)
{
	fs_open_results out;
	nx_rpc_call *call;
	int r = fs_open_wait(fs, path, flags, nexus_deadline(nx), &call, &out);

	if (r >= 0)
		r = fs_open_results_get_file(out, ret);
	else
		fail(path, call, r);
	nx_rpc_call_free(call);
	return r;
}

/* A write whose vmo is `fd` (taken) claiming `size`, with `data` too when given. Returns the
 * result; *ret_reason copies the refusal. */
static int write_vmo(struct fs_file *f, int fd, uint64_t size, const char *data, char *ret_reason,
        size_t reason_size)
{
	static const struct nexus_vmo_server vmo_server = {0};
	struct nexus_vmo *vmo = NULL;
	fs_file_write_params_b params;
	fs_file_write_results out;
	nx_rpc_call *call = NULL;
	nexus_vmo_ref_b ref;
	int r;

	r = nexus_vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, &vmo);
	if (r >= 0)
		r = fs_file_write_start(f, &call, &params);
	if (r >= 0 && data)
		r = fs_file_write_params_set_data(params, data, strlen(data));
	if (r >= 0)
		r = fs_file_write_params_init_vmo(params, &ref);
	if (r >= 0) {
		r = nexus_vmo_ref_set_vmo(ref, vmo);
		nexus_vmo_ref_set_size(ref, size);
	}
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r >= 0)
		r = fs_file_write_send_wait(call, nexus_deadline(nx), &out);
	snprintf(ret_reason, reason_size, "%s", reason(call));
	nx_rpc_call_free(call);
	return r;
}

/* Reads length bytes at 0: 0 with "inline"/"vmo" in *ret_how and the byte count. */
static int read_how(struct fs_file *f, uint64_t length, const char **ret_how, uint64_t *ret_n,
        char *ret_reason, size_t reason_size)
{
	fs_file_read_results out;
	nx_rpc_call *call;
	const uint8_t *data;
	size_t len;
	int r = fs_file_read_wait(f, 0, length, nexus_deadline(nx), &call, &out);

	if (r >= 0 && fs_file_read_results_has_vmo(out)) {
		*ret_how = "vmo";
		*ret_n = nexus_vmo_ref_get_size(fs_file_read_results_get_vmo(out));
	} else if (r >= 0) {
		(void)fs_file_read_results_get_data(out, &data, &len);
		*ret_how = "inline";
		*ret_n = len;
	}
	snprintf(ret_reason, reason_size, "%s", reason(call));
	nx_rpc_call_free(call);
	return r;
}

static int io(struct fs *fs, const char *path)
{
	struct fs_file *f = NULL, *ro = NULL;
	char why[NX_RPC_REASON_MAX + 1], buf[4096];
	const char *how = "";
	uint64_t n = 0;
	int r, fd, pipefd[2];

	memset(buf, 'u', sizeof(buf));
	if (open_file(fs, path, FS_OPEN_READ | FS_OPEN_WRITE | FS_OPEN_CREATE | FS_OPEN_TRUNCATE,
	            &f) < 0)
		return 1;
	/* An unsealed VMO is accepted, copied out. */
	if (nx_vmo_create("probe", sizeof(buf), &fd) < 0 ||
	        nx_vmo_write(fd, 0, buf, sizeof(buf)) < 0)
		return fail("vmo", NULL, -EIO);
	r = write_vmo(f, fd, sizeof(buf), NULL, why, sizeof(why));
	if (r < 0)
		return fail("unsealed vmo write", NULL, r);
	printf("probe: unsealed vmo written\n");
	/* Transport by size: VFS_INLINE_MAX inline, one more byte as a VMO. */
	r = read_how(f, 2048, &how, &n, why, sizeof(why));
	if (r < 0 || strcmp(how, "inline") != 0 || n != 2048)
		return fail("2048 bytes not inline", NULL, r);
	r = read_how(f, 2049, &how, &n, why, sizeof(why));
	if (r < 0 || strcmp(how, "vmo") != 0 || n != 2049)
		return fail("2049 bytes not a vmo", NULL, r);
	r = read_how(f, VFS_IO_MAX + 1, &how, &n, why, sizeof(why));
	if (r != -EMSGSIZE || !starts(why, "too_large: length"))
		return fail("read over fsIoMax", NULL, r);
	printf("probe: 2048 inline, 2049 vmo, over fsIoMax too_large\n");
	/* Refusals that change nothing. */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return fail("pipe", NULL, -errno);
	nx_fd_close(pipefd[1]);
	r = write_vmo(f, pipefd[0], 10, NULL, why, sizeof(why));
	if (r != -EINVAL || strcmp(why, "invalid_argument: vmo: not a sealable memfd") != 0)
		return fail("a pipe as vmo", NULL, r);
	if (nx_vmo_create("probe", 16, &fd) < 0 || nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN) < 0)
		return fail("vmo", NULL, -EIO);
	r = write_vmo(f, fd, 17, NULL, why, sizeof(why));
	if (r != -EINVAL || !starts(why, "invalid_argument: vmo.size: 17 is past the end"))
		return fail("an over-claimed vmo", NULL, r);
	if (nx_vmo_create("probe", 16, &fd) < 0)
		return fail("vmo", NULL, -EIO);
	r = write_vmo(f, fd, 16, "data too", why, sizeof(why));
	if (r != -EINVAL || strcmp(why, "invalid_argument: data and vmo: both given") != 0)
		return fail("data and vmo", NULL, r);
	r = read_how(f, 1 << 20, &how, &n, why, sizeof(why));
	if (r < 0 || n != sizeof(buf))
		return fail("the refusals changed the file", NULL, r);
	printf("probe: pipe, over-claimed vmo, data and vmo refused; file unchanged\n");
	/* Truncate shrinks and grows (zeros), stat follows, sync answers. */
	{
		static const uint64_t sizes[] = {100, 8192};
		fs_file_truncate_results tr;
		fs_file_stat_results sr;
		fs_file_sync_results yr;
		nx_rpc_call *call;

		for (size_t i = 0; i < 2; i++) {
			r = fs_file_truncate_wait(f, sizes[i], nexus_deadline(nx), &call, &tr);
			nx_rpc_call_free(call);
			if (r >= 0)
				r = fs_file_stat_wait(f, nexus_deadline(nx), &call, &sr);
			if (r < 0 ||
			        fs_info_get_size(fs_file_stat_results_get_info(sr)) != sizes[i] ||
			        fs_info_get_type(fs_file_stat_results_get_info(sr)) != FS_TYPE_FILE)
				return fail("truncate then stat", NULL, r);
			nx_rpc_call_free(call);
		}
		r = read_how(f, 1 << 20, &how, &n, why, sizeof(why));
		if (r < 0 || n != 8192 || strcmp(how, "vmo") != 0)
			return fail("read after truncate", NULL, r);
		r = fs_file_sync_wait(f, nexus_deadline(nx), &call, &yr);
		nx_rpc_call_free(call);
		if (r < 0)
			return fail("sync", NULL, r);
	}
	printf("probe: truncate to 100 and 8192, stat follows, sync\n");
	/* Open flags and a read-only file. */
	{
		fs_open_results out;
		nx_rpc_call *call;
		static const uint32_t bad[] = {0, FS_OPEN_READ | FS_OPEN_CREATE,
		        FS_OPEN_WRITE | FS_OPEN_EXCLUSIVE, FS_OPEN_READ | 64};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = fs_open_wait(fs, path, bad[i], nexus_deadline(nx), &call, &out);
			if (r != -EINVAL || !starts(reason(call), "invalid_argument: flags"))
				return fail("bad flags accepted", call, r);
			nx_rpc_call_free(call);
		}
	}
	if (open_file(fs, path, FS_OPEN_READ, &ro) < 0)
		return 1;
	{
		fs_file_write_params_b params;
		fs_file_write_results out;
		nx_rpc_call *call = NULL;

		r = fs_file_write_start(ro, &call, &params);
		if (r >= 0)
			r = fs_file_write_params_set_data(params, "x", 1);
		if (r >= 0)
			r = fs_file_write_send_wait(call, nexus_deadline(nx), &out);
		if (r != -EPERM ||
		        !starts(reason(call), "denied: the file was not opened for writing"))
			return fail("write on a read-only file", call, r);
		nx_rpc_call_free(call);
	}
	printf("probe: bad flags invalid_argument, write on a read-only file denied\n");
	nx_rpc_cap_unref(fs_file_cap(ro));
	nx_rpc_cap_unref(fs_file_cap(f));
	return 0;
}

/* ---- open-many ---------------------------------------------------------------------------- */

static int open_many(struct fs *fs, const char *path, unsigned n)
{
	struct fs_file **files = calloc(n, sizeof(*files));
	nexus *nx2 = NULL;
	nx_rpc_cap *cap2 = NULL;
	unsigned opened = 0;
	int r;

	r = nexus_connect(&nx2);
	if (r >= 0)
		r = nexus_resolve(nx2, "vfsd", &cap2);
	if (r < 0)
		return fail("second channel", NULL, r);
	for (; opened < n; opened++) {
		struct fs *via = opened % 2 ? fs_from_cap(cap2) : fs;
		fs_open_results out;
		nx_rpc_call *call;

		r = fs_open_wait(via, path, FS_OPEN_READ, nexus_deadline(nx), &call, &out);
		if (r >= 0)
			r = fs_open_results_get_file(out, &files[opened]);
		else
			printf("probe: refused: %s\n", reason(call));
		nx_rpc_call_free(call);
		if (r < 0)
			break;
	}
	printf("probe: opened %u\n", opened);
	for (unsigned i = 0; i < opened; i++)
		nx_rpc_cap_unref(fs_file_cap(files[i]));
	free(files);
	nx_rpc_cap_unref(cap2);
	nexus_free(nx2);
	return 0;
}

/* ---- truncate ----------------------------------------------------------------------------- */

static int truncate_to(struct fs *fs, const char *path, uint64_t size)
{
	struct fs_file *f = NULL;
	fs_file_truncate_results out;
	nx_rpc_call *call;
	int r;

	if (open_file(fs, path, FS_OPEN_WRITE, &f) < 0)
		return 1;
	r = fs_file_truncate_wait(f, size, nexus_deadline(nx), &call, &out);
	if (r < 0)
		printf("probe: refused: %s\n", reason(call));
	else
		printf("probe: truncated\n");
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(fs_file_cap(f));
	return 0;
}

/* ---- bad ---------------------------------------------------------------------------------- */

static int bad(struct fs *fs)
{
	static const char nul_path[] = "/data/a\0b";
	const size_t len = sizeof(nul_path) - 1;
	nx_capnp_bstruct params;
	nx_rpc_call *call = NULL;
	const nx_rpc_result *res;
	int r;

	for (int m = 0; m < 4; m++) {
		fs_open_params_b op;
		fs_stat_params_b sp;
		fs_list_params_b lp;
		fs_mkdir_params_b mp;

		if (m == 0 && (r = fs_open_start(fs, &call, &op)) >= 0)
			r = fs_open_params_set_path(op, nul_path, len);
		else if (m == 1 && (r = fs_stat_start(fs, &call, &sp)) >= 0)
			r = fs_stat_params_set_path(sp, nul_path, len);
		else if (m == 2 && (r = fs_list_start(fs, &call, &lp)) >= 0)
			r = fs_list_params_set_path(lp, nul_path, len);
		else if (m == 3 && (r = fs_mkdir_start(fs, &call, &mp)) >= 0)
			r = fs_mkdir_params_set_path(mp, nul_path, len);
		if (r >= 0)
			r = nexus_call_wait(nx, call, "call", &res);
		if (r != -EINVAL ||
		        strcmp(reason(call), "invalid_argument: path: contains NUL") != 0) {
			r = fail("a NUL in a path", call, r);
			nx_rpc_call_free(call);
			return r;
		}
		nx_rpc_call_free(call);
	}
	printf("probe: NUL in a path refused by open, stat, list, mkdir\n");
	r = nx_rpc_call_new(fs_cap(fs), FS_INTERFACE_ID, 42, 0, 0, &call, &params);
	if (r >= 0)
		r = nexus_call_wait(nx, call, "call", &res);
	if (r != -EOPNOTSUPP || !starts(reason(call), "unsupported:")) {
		r = fail("an unknown method", call, r);
		nx_rpc_call_free(call);
		return r;
	}
	nx_rpc_call_free(call);
	printf("probe: unknown method unsupported\n");
	return 0;
}

int main(int argc, char **argv)
{
	nx_rpc_cap *cap = NULL;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return 2;
	r = nexus_connect(&nx);
	if (r >= 0 && strcmp(argv[1], "garbage") == 0)
		r = garbage();
	else if (r >= 0 && (r = nexus_resolve(nx, "vfsd", &cap)) < 0)
		r = fail("resolve vfsd", NULL, r);
	else if (strcmp(argv[1], "many") == 0 && argc == 4)
		r = many(fs_from_cap(cap), argv[2], (unsigned)atoi(argv[3]));
	else if (strcmp(argv[1], "list-churn") == 0 && argc == 4)
		r = list_churn(fs_from_cap(cap), argv[2], (unsigned)atoi(argv[3]));
	else if (strcmp(argv[1], "io") == 0 && argc == 3)
		r = io(fs_from_cap(cap), argv[2]);
	else if (strcmp(argv[1], "truncate") == 0 && argc == 4)
		r = truncate_to(fs_from_cap(cap), argv[2], strtoull(argv[3], NULL, 10));
	else if (strcmp(argv[1], "bad") == 0 && argc == 2)
		r = bad(fs_from_cap(cap));
	else if (strcmp(argv[1], "open-many") == 0 && argc == 4)
		r = open_many(fs_from_cap(cap), argv[2], (unsigned)atoi(argv[3]));
	else
		r = 2;
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r < 0 ? 1 : r;
}
