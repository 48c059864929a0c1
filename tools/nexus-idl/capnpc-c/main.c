/* SPDX-License-Identifier: MIT */
/*
 * capnpc-c: a `capnp compile -o` plugin writing C for the nx-capnp runtime and nx-rpc.
 *
 *   capnp compile -I tools/nexus-idl/schemas --src-prefix=DIR -o capnpc-c:OUTDIR DIR/foo.capnp
 *
 * capnp starts the plugin with its cwd set to OUTDIR and the CodeGeneratorRequest on stdin;
 * for each requested file we write `<file>.capnp.h` and `<file>.capnp.c` there. The table of
 * contents: read the request, build the model, check it, emit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"

/* Larger than any schema set we compile; a bound keeps a runaway pipe from eating memory. */
#define REQUEST_MAX_BYTES (256u << 20)

static int read_all(FILE *in, uint8_t **ret, size_t *ret_len)
{
	size_t cap = 1u << 16, len = 0;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap >= REQUEST_MAX_BYTES) {
				free(buf);
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len, in);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(in)) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int generate(const struct sc_request *req, const struct sc_file *file)
{
	char hpath[4096], cpath[4096];
	const char *slash = strrchr(file->filename, '/');
	struct gen g = {.req = req, .file = file};
	int errors = model_check(req, file);

	if (errors)
		return -EINVAL;
	g.base = slash ? slash + 1 : file->filename;
	g.prefix = sc_request_node(req, file->id)->prefix;
	g.nodes = model_file_nodes(req, file->id, &g.nnodes);
	if (!g.nodes)
		return -ENOMEM;
	for (size_t i = 0; i < g.nnodes; i++) {
		g.has_iface |= g.nodes[i]->kind == SC_NODE_INTERFACE;
		for (size_t j = 0; j < g.nodes[i]->nfields; j++)
			g.uses_caps |= !g.nodes[i]->fields[j].is_group &&
			               g.nodes[i]->fields[j].type.kind == SC_INTERFACE;
	}
	/* Flat: generated headers include each other by base name, so outputs land side by
	 * side whatever directories the schemas came from (and whatever --src-prefix). */
	(void)snprintf(hpath, sizeof(hpath), "%s.h", g.base);
	(void)snprintf(cpath, sizeof(cpath), "%s.c", g.base);
	g.h = fopen(hpath, "we");
	g.c = fopen(cpath, "we");
	if (!g.h || !g.c) {
		(void)fprintf(stderr, "%s: error: cannot write %s: %s\n", file->filename,
		        g.h ? cpath : hpath, strerror(errno));
		g.errors++;
	} else {
		emit_header(&g);
		emit_source(&g);
	}
	if ((g.h && ferror(g.h)) || (g.c && ferror(g.c)))
		g.errors++;
	if (g.h && fclose(g.h) != 0)
		g.errors++;
	if (g.c && fclose(g.c) != 0)
		g.errors++;
	free(g.nodes);
	if (g.errors) {
		/* Half-written outputs would look like success to the build. */
		unlink(hpath);
		unlink(cpath);
		return -EIO;
	}
	return 0;
}

int main(void)
{
	static struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	struct sc_request req;
	nx_capnp_reader rd;
	nx_capnp_struct root;
	uint8_t *buf = NULL;
	size_t len = 0, used = 0;
	uint32_t nsegs = 0;
	int r, status = 0;

	r = read_all(stdin, &buf, &len);
	if (r < 0) {
		(void)fprintf(stderr, "capnpc-c: error: reading the request: %s\n", strerror(-r));
		return 1;
	}
	r = nx_capnp_frame_parse(
	        buf, len, REQUEST_MAX_BYTES, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &used);
	if (r < 0) {
		(void)fprintf(stderr,
		        "capnpc-c: error: the request is not a Cap'n Proto message: %s\n",
		        strerror(-r));
		free(buf);
		return 1;
	}
	nx_capnp_reader_init(&rd, segs, nsegs);
	r = nx_capnp_reader_root_struct(&rd, &root);
	if (r >= 0)
		r = sc_request_read(&root, &req);
	else
		memset(&req, 0, sizeof(req));
	if (r >= 0)
		r = model_build(&req);
	if (r < 0) {
		(void)fprintf(stderr, "capnpc-c: error: reading the request: %s\n", strerror(-r));
		sc_request_done(&req);
		free(buf);
		return 1;
	}
	for (size_t i = 0; i < req.nfiles; i++)
		if (generate(&req, &req.files[i]) < 0)
			status = 1;
	sc_request_done(&req);
	free(buf);
	return status;
}
