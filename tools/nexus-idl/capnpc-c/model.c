/* SPDX-License-Identifier: MIT */
/*
 * Names, scopes, checks and diagnostics.
 *
 * capnp 0.9 gives no source positions to plugins (Node.SourceInfo has no byte offsets), so a
 * diagnostic finds its line by reading the schema source and looking for the declaration.
 * The plugin runs with its cwd set to the output directory and the request names files with
 * --src-prefix stripped, so the source is located through the parent capnp process: its
 * argv holds the path as the user gave it and /proc/<ppid>/cwd the directory it is relative
 * to. When that fails the diagnostic names the node instead of a line.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "model.h"

static const struct sc_node *file_node_of(const struct sc_request *req, const struct sc_node *n)
{
	return sc_request_node(req, n->file_id);
}

static bool is_c_keyword(const char *s);

/* The default prefix: the file's base name without ".capnp", in snake_case, with every
 * character that cannot be in an identifier turned into '_'. */
static void default_prefix(const char *filename, char *out, size_t cap)
{
	const char *base = strrchr(filename, '/');
	char stem[256];
	size_t n;

	base = base ? base + 1 : filename;
	n = strlen(base);
	if (n > 6 && strcmp(base + n - 6, ".capnp") == 0)
		n -= 6;
	if (n >= sizeof(stem))
		n = sizeof(stem) - 1;
	memcpy(stem, base, n);
	stem[n] = '\0';
	for (char *c = stem; *c; c++)
		if (!isalnum((unsigned char)*c))
			*c = '_';
	model_snake(stem, out, cap);
}

static int file_prefix(struct sc_node *file)
{
	const struct sc_annot *a = sc_annots_find(&file->annots, NX_ANNOT_PREFIX);
	char buf[256];

	if (a && a->value.text)
		(void)snprintf(buf, sizeof(buf), "%.*s", (int)a->value.len, a->value.text);
	else
		default_prefix(file->display_name, buf, sizeof(buf));
	file->prefix = strdup(buf);
	return file->prefix ? 0 : -ENOMEM;
}

/* "<prefix>_<snake(scoped name)>", the prefix not repeated (see model.h). */
static int node_cname(const struct sc_request *req, struct sc_node *n)
{
	const struct sc_node *file = sc_request_node(req, n->file_id);
	const char *prefix = file && file->prefix ? file->prefix : "";
	size_t plen = strlen(prefix);
	char scoped[1024], part[512], name[1024 + 520];
	size_t o = 0;

	scoped[0] = '\0';
	for (const char *p = n->short_name; *p && o + 2 < sizeof(scoped);) {
		size_t len = strcspn(p, ".$");

		(void)snprintf(part, sizeof(part), "%.*s", (int)len, p);
		model_snake(part, scoped + o, sizeof(scoped) - o);
		o += strlen(scoped + o);
		p += len;
		if (*p && o + 1 < sizeof(scoped)) {
			scoped[o++] = '_';
			scoped[o] = '\0';
			p++;
		}
	}
	if (plen && strncmp(scoped, prefix, plen) == 0 &&
	        (scoped[plen] == '\0' || scoped[plen] == '_'))
		(void)snprintf(name, sizeof(name), "%s", scoped);
	else
		(void)snprintf(name, sizeof(name), "%s%s%s", prefix, plen ? "_" : "", scoped);
	if (is_c_keyword(name))
		model_underscore(name, sizeof(name));
	n->cname = strdup(name);
	n->cupper = strdup(name);
	if (!n->cname || !n->cupper)
		return -ENOMEM;
	for (char *c = n->cupper; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return 0;
}

int model_build(struct sc_request *req)
{
	for (size_t i = 0; i < req->nnodes; i++) {
		struct sc_node *n = &req->nodes[i];
		const char *colon = strrchr(n->display_name, ':');
		size_t flen = colon ? (size_t)(colon - n->display_name) : strlen(n->display_name);

		n->is_param_struct = strchr(n->short_name, '$') != NULL;
		if (n->kind == SC_NODE_FILE) {
			n->file_id = n->id;
			if (file_prefix(n) < 0)
				return -ENOMEM;
			continue;
		}
		n->parent = n->scope_id ? sc_request_node(req, n->scope_id) : NULL;
		/* The file is the display name's part before the colon; param structs have no
		 * scope, so this is the one way that works for every node. */
		for (size_t j = 0; j < req->nnodes; j++) {
			const struct sc_node *f = &req->nodes[j];

			if (f->kind == SC_NODE_FILE && strlen(f->display_name) == flen &&
			        strncmp(f->display_name, n->display_name, flen) == 0) {
				n->file_id = f->id;
				break;
			}
		}
	}
	for (size_t i = 0; i < req->nnodes; i++)
		if (node_cname(req, &req->nodes[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* ---- Locating the schema source ---------------------------------------------------------- */

static size_t read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	return n;
}

/* Finds the path the user gave capnp for `fname` (which may have lost a --src-prefix). */
static bool source_path(
        const char *fname, char *shown, size_t shown_cap, char *path, size_t path_cap)
{
	char proc[64], args[8192];
	size_t n, flen = strlen(fname);
	pid_t ppid = getppid();

	(void)snprintf(proc, sizeof(proc), "/proc/%d/cmdline", (int)ppid);
	n = read_small(proc, args, sizeof(args));
	for (size_t off = 0; off < n; off += strlen(args + off) + 1) {
		const char *a = args + off;
		size_t alen = strlen(a);

		if (alen < flen || strcmp(a + alen - flen, fname) != 0)
			continue;
		if (alen > flen && a[alen - flen - 1] != '/')
			continue;
		if (alen >= shown_cap || alen >= path_cap)
			continue; /* a path we could not show whole is no help */
		memcpy(shown, a, alen + 1);
		if (a[0] == '/')
			memcpy(path, a, alen + 1);
		else
			(void)snprintf(path, path_cap, "/proc/%d/cwd/%s", (int)ppid, a);
		if (access(path, R_OK) == 0)
			return true;
	}
	(void)snprintf(shown, shown_cap, "%s", fname);
	(void)snprintf(path, path_cap, "%s", fname);
	return access(path, R_OK) == 0;
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

/* The line declaring `name`: after keyword `kw` when given, else as a member (`name @n`). */
static int find_line(const char *path, const char *kw, const char *name)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	size_t nlen = strlen(name);
	int lineno = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');

		lineno++;
		if (hash)
			*hash = '\0';
		for (char *p = strstr(line, name); p; p = strstr(p + 1, name)) {
			const char *q = p + nlen, *b = p;

			if ((p > line && is_ident((unsigned char)p[-1])) ||
			        is_ident((unsigned char)*q))
				continue;
			if (kw) {
				size_t klen = strlen(kw);

				while (b > line && isspace((unsigned char)b[-1]))
					b--;
				if (b == p || (size_t)(b - line) < klen ||
				        strncmp(b - klen, kw, klen) != 0)
					continue;
				if (b - klen > line && is_ident((unsigned char)b[-klen - 1]))
					continue;
			} else {
				while (isspace((unsigned char)*q))
					q++;
				/* fields `name @n :T`, groups and named unions `name :group` */
				if (*q != '@' && *q != ':')
					continue;
			}
			(void)fclose(f);
			return lineno;
		}
	}
	(void)fclose(f);
	return 0;
}

static const char *node_keyword(const struct sc_node *n)
{
	switch (n->kind) {
	case SC_NODE_STRUCT:
		return n->is_group ? NULL : "struct";
	case SC_NODE_ENUM:
		return "enum";
	case SC_NODE_INTERFACE:
		return "interface";
	case SC_NODE_CONST:
		return "const";
	case SC_NODE_ANNOTATION:
		return "annotation";
	default:
		return NULL;
	}
}

void model_error(const struct sc_request *req, const struct sc_node *node, const char *what,
        const char *fmt, ...)
{
	const struct sc_node *file = file_node_of(req, node);
	const char *fname = file ? file->display_name : "?";
	const char *simple = strrchr(node->short_name, '.');
	char shown[PATH_MAX], path[PATH_MAX + 32], name[256];
	int line = 0;
	va_list ap;

	simple = simple ? simple + 1 : node->short_name;
	(void)snprintf(name, sizeof(name), "%s", simple);
	/* A param struct "m$Params" is declared by its method "m". */
	if (strchr(name, '$'))
		*strchr(name, '$') = '\0';
	if (source_path(fname, shown, sizeof(shown), path, sizeof(path))) {
		if (what)
			line = find_line(path, NULL, what);
		if (!line)
			line = find_line(
			        path, node->is_param_struct ? NULL : node_keyword(node), name);
	}
	if (line)
		(void)fprintf(stderr, "%s:%d: error: ", shown, line);
	else
		(void)fprintf(stderr, "%s: error: %s%s%s: ", shown, node->short_name,
		        what ? "." : "", what ? what : "");
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is right above */
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

/* ---- Checks ------------------------------------------------------------------------------ */

static int check_type(const struct sc_request *req, const struct sc_node *n, const char *what,
        const struct sc_type *t)
{
	if (t->generic) {
		model_error(req, n, what, "generic types are not supported by capnpc-c");
		return 1;
	}
	if (t->kind == SC_LIST)
		return check_type(req, n, what, t->elem);
	if ((t->kind == SC_STRUCT || t->kind == SC_ENUM || t->kind == SC_INTERFACE) &&
	        !sc_request_node(req, t->id)) {
		model_error(req, n, what, "type 0x%016llx is not in the request",
		        (unsigned long long)t->id);
		return 1;
	}
	return 0;
}

static int check_node(const struct sc_request *req, const struct sc_node *n)
{
	int errors = 0;

	/* A generic method's $Params/$Results are generic too; the method says it once. */
	if (n->is_generic && n->is_param_struct)
		return 0;
	if (n->is_generic) {
		model_error(req, n, NULL, "generic %s '%s' is not supported by capnpc-c",
		        n->kind == SC_NODE_INTERFACE ? "interface" : "struct", n->short_name);
		return 1;
	}
	switch (n->kind) {
	case SC_NODE_STRUCT:
		for (size_t i = 0; i < n->nfields; i++)
			if (!n->fields[i].is_group)
				errors += check_type(req, n, n->fields[i].name, &n->fields[i].type);
		break;
	case SC_NODE_INTERFACE:
		if (n->supers_generic) {
			model_error(
			        req, n, NULL, "generic superclasses are not supported by capnpc-c");
			errors++;
		}
		for (size_t i = 0; i < n->nmethods; i++) {
			const struct sc_method *m = &n->methods[i];

			if (m->generic) {
				model_error(req, n, m->name,
				        "generic method '%s' is not supported by capnpc-c",
				        m->name);
				errors++;
			}
		}
		break;
	case SC_NODE_CONST:
		errors += check_type(req, n, NULL, &n->type);
		if (n->type.kind == SC_INTERFACE || n->type.kind == SC_ANYPTR) {
			model_error(req, n, NULL,
			        "constants of this type are not supported by capnpc-c");
			errors++;
		}
		break;
	default:
		break;
	}
	return errors;
}

/* Every C identifier the generator writes derives from a "stem" (a node's cname, a method's
 * "<iface>_<method>", an enumerant's "<enum>_<name>") plus a suffix from a fixed set per kind
 * (a struct `foo` also defines `foo_b`, `FOO_TYPE_ID`, ...). Two schema names collide when
 * stem + suffix of one equals stem + suffix of the other. Compared ignoring case, since
 * macros are the upper-case stems: this also rejects a few pairs C would tell apart
 * (a type `foo` beside a constant `FOO`), which a schema can rename at no cost. */
static const char *const struct_suffixes[] = {"", "_b", "_desc", "_type_id", "_data_words", "_ptrs",
        "_validate", "_at", "_b_at", "_read_root", "_init_root", "_which", NULL};
static const char *const enum_suffixes[] = {"", "_type_id", "_count", "_is_valid", "_name", NULL};
static const char *const iface_suffixes[] = {"", "_interface_id", "_server", "_dispatch",
        "_server_new", "_server_new_with_fd", "_server_get_impl", "_method_name", "_from_cap",
        "_cap", "_methods", NULL};
static const char *const method_suffixes[] = {"", "_method_id", "_cb", "_wait", "_start", "_send",
        "_send_wait", "_return", "_results_init", NULL};
static const char *const const_suffixes[] = {"", "_len", "_get", NULL};
static const char *const plain_suffixes[] = {"", NULL};

struct stem {
	char name[GEN_STEM_MAX];
	const struct sc_node *node;
	const char *what; /* member (method, enumerant) the stem comes from, or NULL */
	const char *const *suffixes;
};

static bool stems_collide(const struct stem *a, const struct stem *b)
{
	char x[GEN_STEM_MAX + 32], y[GEN_STEM_MAX + 32];

	for (const char *const *sa = a->suffixes; *sa; sa++) {
		(void)snprintf(x, sizeof(x), "%s%s", a->name, *sa);
		for (const char *const *sb = b->suffixes; *sb; sb++) {
			(void)snprintf(y, sizeof(y), "%s%s", b->name, *sb);
			if (strcasecmp(x, y) == 0)
				return true;
		}
	}
	return false;
}

static size_t node_stems(const struct sc_node *n, struct stem *v, size_t cap)
{
	size_t k = 0;
	char up[GEN_STEM_MAX / 2];

	if (k < cap) {
		v[k] = (struct stem){.node = n};
		(void)snprintf(v[k].name, sizeof(v[k].name), "%s", n->cname);
		switch (n->kind) {
		case SC_NODE_STRUCT:
			v[k].suffixes = struct_suffixes;
			break;
		case SC_NODE_ENUM:
			v[k].suffixes = enum_suffixes;
			break;
		case SC_NODE_INTERFACE:
			v[k].suffixes = iface_suffixes;
			break;
		case SC_NODE_CONST:
			v[k].suffixes = const_suffixes;
			break;
		default:
			return 0;
		}
		k++;
	}
	for (size_t i = 0; i < n->nmethods && k < cap; i++, k++) {
		v[k] = (struct stem){
		        .node = n, .what = n->methods[i].name, .suffixes = method_suffixes};
		model_method_name(n, &n->methods[i], v[k].name, sizeof(v[k].name));
	}
	for (size_t i = 0; i < n->nenumerants && k < cap; i++, k++) {
		v[k] = (struct stem){
		        .node = n, .what = n->enumerants[i].name, .suffixes = plain_suffixes};
		model_snake(n->enumerants[i].name, up, sizeof(up));
		(void)snprintf(v[k].name, sizeof(v[k].name), "%s_%s", n->cname, up);
	}
	return k;
}

static const char *stem_shown(const struct stem *s, char *buf, size_t cap)
{
	if (!s->what)
		return s->node->short_name;
	(void)snprintf(buf, cap, "%s.%s", s->node->short_name, s->what);
	return buf;
}

static int check_names(const struct sc_request *req, struct sc_node **nodes, size_t n)
{
	size_t cap = 64, k = 0;
	struct stem *v = NULL;
	int errors = 0;

	for (size_t i = 0; i < n; i++)
		cap += 1 + nodes[i]->nmethods + nodes[i]->nenumerants;
	v = calloc(cap, sizeof(*v));
	if (!v) {
		model_error(req, nodes[0], NULL, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		k += node_stems(nodes[i], v + k, cap - k);
	for (size_t i = 0; i < k; i++) {
		for (size_t j = i + 1; j < k; j++) {
			char a[512], b[512];

			if (!stems_collide(&v[i], &v[j]))
				continue;
			model_error(req, v[j].node, v[j].what,
			        "the C name of '%s' collides with '%s' (%s)",
			        stem_shown(&v[j], a, sizeof(a)), stem_shown(&v[i], b, sizeof(b)),
			        v[i].name);
			errors++;
		}
	}
	free(v);
	return errors;
}

int model_check(const struct sc_request *req, const struct sc_file *file)
{
	size_t n = 0;
	struct sc_node **nodes = model_file_nodes(req, file->id, &n);
	int errors = 0;

	if (!nodes) {
		(void)fprintf(stderr, "%s: error: out of memory\n", file->filename);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		errors += check_node(req, nodes[i]);
	errors += check_names(req, nodes, n);
	free(nodes);
	return errors;
}

/* ---- Order ------------------------------------------------------------------------------- */

struct order {
	const struct sc_request *req;
	struct sc_node **v;
	size_t n, cap;
	bool failed;
};

static bool seen(const struct order *o, const struct sc_node *n)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i] == n)
			return true;
	return false;
}

static void visit(struct order *o, struct sc_node *n, uint64_t file_id)
{
	if (!n || n->file_id != file_id || seen(o, n) || o->failed)
		return;
	if (n->kind != SC_NODE_FILE) {
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 32;
			/* an array of pointers is meant */
			struct sc_node **v = realloc(
			        o->v, cap * sizeof(*v)); /* NOLINT(bugprone-sizeof-expression) */

			if (!v) {
				o->failed = true;
				return;
			}
			o->v = v;
			o->cap = cap;
		}
		o->v[o->n++] = n;
	}
	for (size_t i = 0; i < n->nfields; i++)
		if (n->fields[i].is_group)
			visit(o, sc_request_node(o->req, n->fields[i].group_id), file_id);
	for (size_t i = 0; i < n->nmethods; i++) {
		visit(o, sc_request_node(o->req, n->methods[i].param_id), file_id);
		visit(o, sc_request_node(o->req, n->methods[i].result_id), file_id);
	}
	for (size_t i = 0; i < n->nnested; i++)
		visit(o, sc_request_node(o->req, n->nested[i].id), file_id);
}

struct sc_node **model_file_nodes(const struct sc_request *req, uint64_t file_id, size_t *ret_n)
{
	struct order o = {.req = req};

	visit(&o, sc_request_node(req, file_id), file_id);
	if (o.failed || !o.v) {
		free(o.v);
		if (!o.failed) {
			*ret_n = 0;
			return calloc(1, sizeof(*o.v)); /* NOLINT(bugprone-sizeof-expression) */
		}
		return NULL;
	}
	*ret_n = o.n;
	return o.v;
}

/* ---- Names ------------------------------------------------------------------------------- */

void model_snake(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; in[i] && o + 2 < cap; i++) {
		unsigned char c = (unsigned char)in[i];

		if (isupper(c)) {
			if (i > 0 && (islower((unsigned char)in[i - 1]) ||
			                     isdigit((unsigned char)in[i - 1])))
				out[o++] = '_';
			out[o++] = (char)tolower(c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* C and C++ keywords a schema may legally use as a method name; as a struct member the
 * name gets a trailing '_' (Samgr.register -> vt->register_). */
static const char *const c_keywords[] = {
        "alignas",
        "alignof",
        "and",
        "asm",
        "auto",
        "bool",
        "break",
        "case",
        "catch",
        "char",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "double",
        "else",
        "enum",
        "explicit",
        "export",
        "extern",
        "false",
        "float",
        "for",
        "friend",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "mutable",
        "namespace",
        "new",
        "not",
        "operator",
        "or",
        "private",
        "protected",
        "public",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "template",
        "this",
        "throw",
        "true",
        "try",
        "typedef",
        "typename",
        "union",
        "unsigned",
        "using",
        "virtual",
        "void",
        "volatile",
        "while",
        "xor",
};

static bool is_c_keyword(const char *s)
{
	for (size_t i = 0; i < sizeof(c_keywords) / sizeof(c_keywords[0]); i++)
		if (strcmp(s, c_keywords[i]) == 0)
			return true;
	return false;
}

void model_underscore(char *s, size_t cap)
{
	size_t n = strlen(s);

	if (n + 1 < cap) {
		s[n] = '_';
		s[n + 1] = '\0';
	}
}

void model_member(const char *in, char *out, size_t cap)
{
	model_snake(in, out, cap);
	if (is_c_keyword(out))
		model_underscore(out, cap);
}

void model_method_name(
        const struct sc_node *iface, const struct sc_method *m, char *out, size_t cap)
{
	char mn[256];

	model_snake(m->name, mn, sizeof(mn));
	(void)snprintf(out, cap, "%s_%s", iface->cname, mn);
}

void model_upper(const char *in, char *out, size_t cap)
{
	model_snake(in, out, cap);
	for (char *c = out; *c; c++)
		*c = (char)toupper((unsigned char)*c);
}

bool model_enum_closed(const struct sc_request *req, const struct sc_field *f, uint64_t enum_id)
{
	const struct sc_node *e = sc_request_node(req, enum_id);

	if (f && sc_annots_find(&f->annots, NX_ANNOT_CLOSED))
		return true;
	return e && sc_annots_find(&e->annots, NX_ANNOT_CLOSED);
}
