/* SPDX-License-Identifier: MIT */
/*
 * nx fs: the namespace vfsd serves (fs.capnp) to your subject, uid:<your uid>, through samgrd.
 *
 *   nx fs [--as SUBJECT] ls PATH [--page N] [--json]   a directory, all its pages (N entries
 *                                                       each, default vfsd's maximum)
 *   nx fs [--as SUBJECT] stat PATH [--json]
 *   nx fs [--as SUBJECT] cat PATH                       the file's bytes on stdout
 *   nx fs [--as SUBJECT] put LOCAL PATH                 LOCAL's bytes ("-": stdin) as PATH,
 *                                                       created or truncated
 *   nx fs [--as SUBJECT] mkdir|rm PATH
 *   nx fs [--as SUBJECT] mv FROM TO
 *
 * --as acts in another subject's trees (Fs.actAs: fs.admin, the operator's). Reads and writes
 * over fsInlineMax bytes travel as sealed VMOs, checked before they are mapped.
 * Exit codes: 0 success, 1 refused or failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fs.capnp.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-util/macro.h"

int nx_cmd_fs(int argc, char **argv);

/* Bytes moved per read or write call: one VMO each. */
#define CHUNK_BYTES (64ull << 20)

static const struct {
	const char *name;
	int nargs; /* operands after the subcommand */
	const char *usage;
} cmds[] = {
        {"ls", 1, "nx fs [--as SUBJECT] ls PATH [--page N] [--json]"},
        {"stat", 1, "nx fs [--as SUBJECT] stat PATH [--json]"},
        {"cat", 1, "nx fs [--as SUBJECT] cat PATH"},
        {"put", 2, "nx fs [--as SUBJECT] put LOCAL PATH"},
        {"mkdir", 1, "nx fs [--as SUBJECT] mkdir PATH"},
        {"rm", 1, "nx fs [--as SUBJECT] rm PATH"},
        {"mv", 2, "nx fs [--as SUBJECT] mv FROM TO"},
};

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: ");
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
		fprintf(f, "%s%s\n", i ? "       " : "", cmds[i].usage);
	fprintf(f, "       nx fs --help\n"
	           "Paths: /data/... (your private tree), /tmp/... (emptied at boot), /pkg/...\n"
	           "--as SUBJECT acts in another subject's trees (needs fs.admin).\n"
	           "Asks vfsd, resolved through samgrd at $NEXUS_RUNTIME_DIR/samgr.sock.\n"
	           "Exit codes: 0 success, 1 refused or failed, 2 usage.\n");
	return code;
}

static const char *type_name(fs_type t)
{
	return t == FS_TYPE_FILE ? "file" : t == FS_TYPE_DIRECTORY ? "directory" : "other";
}

/* ---- stat, ls ---------------------------------------------------------------------------- */

static int cmd_stat(struct nxt_session *s, struct fs *fs, char **argv, bool json)
{
	fs_stat_results out;
	nx_rpc_call *call;
	fs_info info;
	int r;

	r = fs_stat_wait(fs, argv[0], nexus_deadline(s->nx), &call, &out);
	if (r < 0) {
		r = nxt_report_call(s, call, r, "stat");
	} else {
		info = fs_stat_results_get_info(out);
		if (json) {
			printf("{\"path\":");
			nxt_json_string(argv[0], strlen(argv[0]));
			printf(",\"type\":\"%s\",\"size\":%" PRIu64 ",\"mtime_ns\":%" PRIu64 "}\n",
			        type_name(fs_info_get_type(info)), fs_info_get_size(info),
			        fs_info_get_mtime_ns(info));
		} else {
			printf("%s %s %" PRIu64 "\n", argv[0], type_name(fs_info_get_type(info)),
			        fs_info_get_size(info));
		}
	}
	nx_rpc_call_free(call);
	return r;
}

/* Prints one page; *cursor gets its last name. */
static void print_page(const nx_capnp_list *list, bool json, size_t *printed, char *cursor)
{
	for (uint32_t i = 0; i < list->count; i++) {
		fs_entry e = fs_entry_at(list, i);
		const char *name = "";
		size_t len = 0;

		(void)fs_entry_get_name(e, &name, &len); /* results are validated */
		if (json) {
			printf("%s{\"name\":", (*printed)++ ? "," : "");
			nxt_json_string(name, len);
			printf(",\"type\":\"%s\",\"size\":%" PRIu64 ",\"mtime_ns\":%" PRIu64 "}",
			        type_name(fs_entry_get_type(e)), fs_entry_get_size(e),
			        fs_entry_get_mtime_ns(e));
		} else {
			printf("%-9s %12" PRIu64 " %.*s\n", type_name(fs_entry_get_type(e)),
			        fs_entry_get_size(e), (int)len, name);
		}
		memcpy(cursor, name, len);
		cursor[len] = '\0';
	}
}

static int cmd_ls(struct nxt_session *s, struct fs *fs, char **argv, bool json, uint32_t page)
{
	char cursor[FS_NAME_MAX_LEN + 1] = "";
	size_t printed = 0, pages = 0;
	bool more = true;
	int r = 0;

	if (json)
		printf("{\"path\":");
	if (json)
		nxt_json_string(argv[0], strlen(argv[0]));
	if (json)
		printf(",\"entries\":[");
	while (more && r == 0) {
		nx_capnp_list list = {0};
		fs_list_results out;
		nx_rpc_call *call;

		r = fs_list_wait(fs, argv[0], cursor, page, nexus_deadline(s->nx), &call, &out);
		if (r < 0) {
			r = nxt_report_call(s, call, r, "list");
		} else {
			(void)fs_list_results_get_entries(out, &list);
			more = fs_list_results_get_more(out);
			if (more && list.count == 0)
				r = nxt_report("list: an empty page with more to come", -EBADMSG);
			else
				print_page(&list, json, &printed, cursor);
			pages++;
		}
		nx_rpc_call_free(call);
	}
	if (json)
		printf("],\"pages\":%zu}\n", pages);
	return r;
}

/* ---- cat --------------------------------------------------------------------------------- */

/* Writes the bytes of one read answer to stdout; *ret_n: how many. */
static int emit_read(fs_file_read_results out, uint64_t *ret_n)
{
	struct nexus_vmo *vmo = NULL;
	struct nx_vmo_map map = {0};
	const uint8_t *data;
	uint64_t claimed;
	size_t len;
	int r;

	if (!fs_file_read_results_has_vmo(out)) {
		(void)fs_file_read_results_get_data(out, &data, &len);
		*ret_n = len;
		return fwrite(data, 1, len, stdout) == len ? 0 : -EIO;
	}
	claimed = nexus_vmo_ref_get_size(fs_file_read_results_get_vmo(out));
	r = nexus_vmo_ref_get_vmo(fs_file_read_results_get_vmo(out), &vmo);
	if (r >= 0)
		r = nx_vmo_map_ro(nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), FS_IO_MAX, false, &map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo)); /* the map stays valid without the fd */
	if (r >= 0 && claimed > map.size)
		r = -EINVAL;
	if (r >= 0 && fwrite(map.addr, 1, (size_t)claimed, stdout) != claimed)
		r = -EIO;
	nx_vmo_unmap(&map);
	if (r >= 0)
		*ret_n = claimed;
	return r;
}

static int cmd_cat(struct nxt_session *s, struct fs *fs, char **argv)
{
	struct fs_file *file = NULL;
	fs_open_results opened;
	nx_rpc_call *call;
	uint64_t offset = 0, n = 1;
	int r;

	r = fs_open_wait(fs, argv[0], FS_OPEN_READ, nexus_deadline(s->nx), &call, &opened);
	if (r < 0)
		r = nxt_report_call(s, call, r, "open");
	else
		r = fs_open_results_get_file(opened, &file) < 0 ? nxt_report("open", -EBADMSG) : 0;
	nx_rpc_call_free(call);
	while (r == 0 && n > 0) {
		fs_file_read_results out;

		r = fs_file_read_wait(
		        file, offset, CHUNK_BYTES, nexus_deadline(s->nx), &call, &out);
		if (r < 0)
			r = nxt_report_call(s, call, r, "read");
		else if ((r = emit_read(out, &n)) < 0)
			r = nxt_report("read", r);
		offset += n;
		nx_rpc_call_free(call);
	}
	nx_rpc_cap_unref(fs_file_cap(file));
	return r;
}

/* ---- put --------------------------------------------------------------------------------- */

/* Up to CHUNK_BYTES of `in` into a sealed VMO: *ret_fd (or -1 when nothing was left) and
 * *ret_n bytes. */
static int chunk_vmo(FILE *in, int *ret_fd, size_t *ret_n)
{
	struct nx_vmo_map map = {0};
	size_t n = 0;
	int fd = -1, r;

	r = nx_vmo_create("nx-fs-put", CHUNK_BYTES, &fd);
	if (r >= 0)
		r = nx_vmo_map_rw(fd, false, &map);
	if (r >= 0) {
		n = fread(map.addr, 1, map.size, in);
		if (ferror(in))
			r = -EIO;
	}
	nx_vmo_unmap(&map);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r < 0 && fd >= 0)
		nx_fd_close(fd);
	if (r >= 0) {
		*ret_fd = fd;
		*ret_n = n;
	}
	return r;
}

/* Writes one chunk at offset: inline when small, else as the sealed VMO fd (taken). */
static int put_chunk(struct nxt_session *s, struct fs_file *file, uint64_t offset, int fd, size_t n)
{
	static const struct nexus_vmo_server vmo_server = {0};
	struct nexus_vmo *vmo = NULL;
	fs_file_write_params_b params;
	fs_file_write_results out;
	nx_rpc_call *call = NULL;
	uint8_t small[FS_INLINE_MAX];
	nexus_vmo_ref_b ref;
	int r = 0;

	if (n <= FS_INLINE_MAX)
		r = nx_vmo_read(fd, 0, small, n);
	if (r >= 0)
		r = fs_file_write_start(file, &call, &params);
	if (r >= 0)
		fs_file_write_params_set_offset(params, offset);
	if (r >= 0 && n <= FS_INLINE_MAX) {
		nx_fd_close(fd);
		fd = -1;
		r = fs_file_write_params_set_data(params, small, n);
	} else if (r >= 0) {
		r = nexus_vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, &vmo); /* takes fd */
		fd = -1;
		if (r >= 0)
			r = fs_file_write_params_init_vmo(params, &ref);
		if (r >= 0) {
			r = nexus_vmo_ref_set_vmo(ref, vmo);
			nexus_vmo_ref_set_size(ref, n);
		}
		nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	}
	if (fd >= 0)
		nx_fd_close(fd);
	if (r < 0) {
		nx_rpc_call_free(call);
		return nxt_report("write", r);
	}
	r = fs_file_write_send_wait(call, nexus_deadline(s->nx), &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "write");
	nx_rpc_call_free(call);
	return r;
}

static int cmd_put(struct nxt_session *s, struct fs *fs, char **argv)
{
	FILE *in = strcmp(argv[0], "-") == 0 ? stdin : fopen(argv[0], "rbe");
	struct fs_file *file = NULL;
	fs_open_results opened;
	nx_rpc_call *call;
	uint64_t offset = 0;
	size_t n = 1;
	int r, fd;

	if (!in)
		return nxt_report(argv[0], -errno);
	r = fs_open_wait(fs, argv[1], FS_OPEN_WRITE | FS_OPEN_CREATE | FS_OPEN_TRUNCATE,
	        nexus_deadline(s->nx), &call, &opened);
	if (r < 0)
		r = nxt_report_call(s, call, r, "open");
	else
		r = fs_open_results_get_file(opened, &file) < 0 ? nxt_report("open", -EBADMSG) : 0;
	nx_rpc_call_free(call);
	while (r == 0 && n > 0) {
		r = chunk_vmo(in, &fd, &n);
		if (r < 0)
			r = nxt_report(argv[0], r);
		else if (n == 0)
			nx_fd_close(fd);
		else
			r = put_chunk(s, file, offset, fd, n);
		offset += n;
	}
	if (in != stdin)
		fclose(in);
	nx_rpc_cap_unref(fs_file_cap(file));
	return r;
}

/* ---- mkdir, rm, mv ----------------------------------------------------------------------- */

static int cmd_change(struct nxt_session *s, struct fs *fs, const char *cmd, char **argv)
{
	uint64_t deadline = nexus_deadline(s->nx);
	nx_rpc_call *call = NULL;
	int r;

	if (strcmp(cmd, "mkdir") == 0) {
		fs_mkdir_results out;

		r = fs_mkdir_wait(fs, argv[0], deadline, &call, &out);
	} else if (strcmp(cmd, "rm") == 0) {
		fs_remove_results out;

		r = fs_remove_wait(fs, argv[0], deadline, &call, &out);
	} else {
		fs_rename_results out;

		r = fs_rename_wait(fs, argv[0], argv[1], deadline, &call, &out);
	}
	if (r < 0)
		r = nxt_report_call(s, call, r, cmd);
	nx_rpc_call_free(call);
	return r;
}

/* ---- the command ------------------------------------------------------------------------- */

/* The Fs to act through: vfsd's bootstrap, or what actAs(subject) gives. A new reference. */
static int fs_for(struct nxt_session *s, const char *as, struct fs **ret)
{
	fs_act_as_results out;
	nx_rpc_call *call;
	int r;

	if (!as) {
		*ret = fs_from_cap(nx_rpc_cap_ref(s->svc));
		return 0;
	}
	r = fs_act_as_wait(fs_from_cap(s->svc), as, nexus_deadline(s->nx), &call, &out);
	if (r < 0)
		r = nxt_report_call(s, call, r, "as");
	else if (fs_act_as_results_get_fs(out, ret) < 0)
		r = nxt_report("as", -EBADMSG);
	nx_rpc_call_free(call);
	return r;
}

static int run(const char *cmd, const char *as, char **ops, bool json, uint32_t page)
{
	struct nxt_session s = {0};
	struct fs *fs = NULL;
	int r;

	r = nxt_session_open(&s, "vfsd");
	if (r == 0)
		r = fs_for(&s, as, &fs);
	if (r == 0) {
		if (strcmp(cmd, "ls") == 0)
			r = cmd_ls(&s, fs, ops, json, page);
		else if (strcmp(cmd, "stat") == 0)
			r = cmd_stat(&s, fs, ops, json);
		else if (strcmp(cmd, "cat") == 0)
			r = cmd_cat(&s, fs, ops);
		else if (strcmp(cmd, "put") == 0)
			r = cmd_put(&s, fs, ops);
		else
			r = cmd_change(&s, fs, cmd, ops);
	}
	nx_rpc_cap_unref(fs_cap(fs));
	nxt_session_close(&s);
	return r;
}

int nx_cmd_fs(int argc, char **argv)
{
	const char *as = NULL, *cmd;
	char *ops[2];
	int nops = 0, c = -1;
	bool json = false;
	uint32_t page = 0;

	argc--, argv++;
	if (argc >= 1 && strcmp(argv[0], "--help") == 0)
		return usage(stdout, 0);
	if (argc >= 2 && strcmp(argv[0], "--as") == 0) {
		as = argv[1];
		argc -= 2, argv += 2;
	}
	if (argc < 1) {
		fprintf(stderr, "nx fs: a command is missing (nx fs --help)\n");
		return 2;
	}
	cmd = argv[0];
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			c = (int)i;
	if (c < 0) {
		fprintf(stderr, "nx fs: unknown command '%s' (nx fs --help)\n", cmd);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const bool lists = c <= 1; /* ls and stat take --json; ls --page */
		char *end;

		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: %s\n", cmds[c].usage);
			return 0;
		} else if (lists && strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (c == 0 && strcmp(argv[i], "--page") == 0 && i + 1 < argc) {
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || !*argv[i] || v == 0 || v > FS_LIST_PAGE_MAX) {
				fprintf(stderr, "nx fs ls: --page %s: not in 1..%u\n", argv[i],
				        FS_LIST_PAGE_MAX);
				return 2;
			}
			page = (uint32_t)v;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "nx fs %s: unknown option '%s'\n", cmd, argv[i]);
			return 2;
		} else if (nops < cmds[c].nargs) {
			ops[nops++] = argv[i];
		} else {
			fprintf(stderr, "nx fs %s: unexpected '%s'\n", cmd, argv[i]);
			return 2;
		}
	}
	if (nops != cmds[c].nargs) {
		fprintf(stderr, "usage: %s\n", cmds[c].usage);
		return 2;
	}
	return run(cmd, as, ops, json, page);
}
