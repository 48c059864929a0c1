/* SPDX-License-Identifier: MIT */
/*
 * Interfaces, over nx-rpc (source/libs/nx-rpc/rpc.h and typed.h):
 *   header: the opaque capability type `struct foo` and its casts, interface and method ids,
 *           per method the client calls (one-call forms taking the params as arguments, a
 *           blocking form, the _start/_send pair for everything else, typed pipelining),
 *           the server vtable, results starters and one-call returns, the dispatcher;
 *   source: the typed call and return functions, the dispatcher (params validated against
 *           their descriptor before the handler runs), the server constructors and the
 *           interface descriptor table.
 */
#include <string.h>

#include "emit.h"

static bool is_stream(const struct sc_method *m)
{
	return m->result_id == SC_STREAM_RESULT_ID;
}

static const struct sc_node *node(const struct gen *g, uint64_t id)
{
	return sc_request_node(g->req, id);
}

/* The one-call forms exist when every param can be an argument. */
static bool call_simple(const struct gen *g, const struct sc_method *m)
{
	return gen_fields_simple(node(g, m->param_id));
}

static bool return_simple(const struct gen *g, const struct sc_method *m)
{
	return !is_stream(m) && gen_fields_simple(node(g, m->result_id));
}

void emit_iface_type(struct gen *g, const struct sc_node *n)
{
	const char *c = n->cname;

	out(g->h,
	        "/* interface %s: a capability, used by pointer only. The casts to and from "
	        "nx_rpc_cap\n * allocate nothing; references are counted with "
	        "nx_rpc_cap_ref/unref(%s_cap(x)). */\n",
	        n->short_name, c);
	out(g->h, "struct %s;\n", c);
	out(g->h, "static inline struct %s *%s_from_cap(nx_rpc_cap *cap)\n{\n", c, c);
	out(g->h, "\treturn (struct %s *)cap;\n}\n\n", c);
	out(g->h, "static inline nx_rpc_cap *%s_cap(struct %s *target)\n{\n", c, c);
	out(g->h, "\treturn (nx_rpc_cap *)target;\n}\n\n");
}

static void emit_client_header(struct gen *g, const struct sc_node *n, const struct sc_method *m)
{
	FILE *h = g->h;
	const struct sc_node *pn = node(g, m->param_id), *rn = node(g, m->result_id);
	char mf[GEN_NAME_MAX], mu[GEN_NAME_MAX];

	model_method_name(n, m, mf, sizeof(mf));
	gen_upper_name(mf, mu);
	out(h, "/* %s.%s */\n\n", n->short_name, m->name);
	out(h,
	        "/* Starts a call on `target` (referenced, not taken); fill *ret_params, then "
	        "%s_send%s.\n * Until sent the call is the caller's (nx_rpc_call_free). */\n",
	        mf, is_stream(m) ? "" : " or _send_wait");
	out(h,
	        "static inline int %s_start(struct %s *target, nx_rpc_call **ret_call, %s_b "
	        "*ret_params)\n{\n",
	        mf, n->cname, pn->cname);
	out(h,
	        "\treturn nx_rpc_call_new(%s_cap(target), %s_INTERFACE_ID, %s_METHOD_ID, "
	        "%s_DATA_WORDS,\n\t\t%s_PTRS, ret_call, &ret_params->s);\n}\n\n",
	        n->cname, n->cupper, mu, pn->cupper, pn->cupper);
	if (is_stream(m)) {
		out(h, "/* Sends a stream call: consumes it except on -EAGAIN (window full: wait "
		       "with\n * nx_rpc_stream_on_ready); a failed stream call fails the later "
		       "ones. */\n");
		out(h, "static inline int %s_send(nx_rpc_call *call)\n{\n", mf);
		out(h, "\treturn nx_rpc_stream_send(call);\n}\n\n");
		if (call_simple(g, m)) {
			out(h, "/* Starts and sends in one: 0, or -EAGAIN (nothing sent), or an "
			       "error. */\n");
			out(h, "int %s(struct %s *target", mf, n->cname);
			gen_simple_args(h, g, pn);
			out(h, ");\n\n");
		}
		return;
	}
	out(h, "/* Runs once from the loop: error 0 and the results (valid during the callback "
	       "only),\n * or error < 0 with the section 9 reason and empty results. */\n");
	out(h,
	        "typedef void (*%s_cb)(void *userdata, int error, const char *reason, %s "
	        "results);\n",
	        mf, rn->cname);
	out(h, "/* Sends the call (taken: freed after cb, or on failure). 0, or a negative "
	       "errno with cb\n * never run. Results are validated before cb (the server is a "
	       "peer). cb may be NULL\n * when nobody needs the answer. Freeing the call before "
	       "cb ran cancels it. */\n");
	out(h, "int %s_send(nx_rpc_call *call, %s_cb cb, void *userdata);\n", mf, mf);
	out(h, "/* Sends if not sent, waits until `deadline_ns` (CLOCK_MONOTONIC, UINT64_MAX: "
	       "none).\n * 0 with *ret viewing the call (still the caller's), or "
	       "nx_rpc_call_wait_typed()'s errors. */\n");
	out(h, "int %s_send_wait(nx_rpc_call *call, uint64_t deadline_ns, %s *ret);\n", mf,
	        rn->cname);
	if (call_simple(g, m)) {
		out(h, "/* The call in one: params as arguments (borrowed; Text NUL-terminated). "
		       "Returns 0, or a\n * negative errno with cb never run. */\n");
		out(h, "int %s(struct %s *target", mf, n->cname);
		gen_simple_args(h, g, pn);
		out(h, ", %s_cb cb, void *userdata);\n", mf);
		out(h, "/* Blocking, for tools. *ret_call is always set: the call (the caller "
		       "frees it; *ret views\n * it; after a failure nx_rpc_call_result() gives "
		       "the reason), or NULL if none was made. */\n");
		out(h, "int %s_wait(struct %s *target", mf, n->cname);
		gen_simple_args(h, g, pn);
		out(h, ", uint64_t deadline_ns,\n\tnx_rpc_call **ret_call, %s *ret);\n", rn->cname);
	}
	for (size_t i = 0; i < rn->nfields; i++) {
		const struct sc_field *f = &rn->fields[i];
		char fn[GEN_NAME_MAX];

		if (f->is_group || f->disc != SC_NO_DISCRIMINANT || f->type.kind != SC_INTERFACE)
			continue;
		gen_field_name(f, fn);
		out(h,
		        "/* Promise pipelining: the capability `%s` the results will hold, usable "
		        "once the call\n * was sent. 0 with a new reference, or "
		        "nx_rpc_call_pipeline()'s errors. */\n",
		        f->name);
		out(h, "static inline int %s_pipeline_%s(nx_rpc_call *call, struct %s **ret)\n{\n",
		        mf, fn, gen_cname(g, f->type.id));
		out(h, "\tconst uint16_t path[1] = {%u};\n\tnx_rpc_cap *cap;\n", f->offset);
		out(h, "\tint r = nx_rpc_call_pipeline(call, path, 1, &cap);\n\n");
		out(h, "\tif (r == 0)\n\t\t*ret = %s_from_cap(cap);\n\treturn r;\n}\n\n",
		        gen_cname(g, f->type.id));
	}
	out_c(h, '\n');
}

static void emit_server_header(struct gen *g, const struct sc_method *m, const char *mf)
{
	FILE *h = g->h;
	const struct sc_node *rn = node(g, m->result_id);

	if (is_stream(m))
		return;
	out(h, "/* Server side: starts the results (once); answer with nx_rpc_incoming_return. */\n");
	out(h, "static inline int %s_results_init(nx_rpc_incoming *in, %s_b *ret)\n{\n", mf,
	        rn->cname);
	out(h, "\treturn nx_rpc_incoming_results(in, %s_DATA_WORDS, %s_PTRS, &ret->s);\n}\n\n",
	        rn->cupper, rn->cupper);
	if (return_simple(g, m)) {
		out(h, "/* Builds the results from the arguments (borrowed) and returns them, or "
		       "fails `in`\n * when they cannot be built; `in` is answered and freed "
		       "either way: 0 (end a handler\n * with `return <m>_return(in, ...)`). */\n");
		out(h, "int %s_return(nx_rpc_incoming *in", mf);
		gen_simple_args(h, g, rn);
		out(h, ");\n\n");
	}
}

void emit_iface_header(struct gen *g, const struct sc_node *n)
{
	FILE *h = g->h;
	char mf[GEN_NAME_MAX], mu[GEN_NAME_MAX];

	out(h, "/* ---- interface %s ---- */\n\n", n->short_name);
	out(h, "#define %s_INTERFACE_ID UINT64_C(0x%016llx)\n", n->cupper,
	        (unsigned long long)n->id);
	for (size_t i = 0; i < n->nmethods; i++) {
		model_method_name(n, &n->methods[i], mf, sizeof(mf));
		gen_upper_name(mf, mu);
		out(h, "#define %s_METHOD_ID %zu\n", mu, i);
	}
	out(h, "extern const struct nx_capnp_iface_desc %s_desc;\n\n", n->cname);

	for (size_t i = 0; i < n->nmethods; i++) {
		emit_client_header(g, n, &n->methods[i]);
		model_method_name(n, &n->methods[i], mf, sizeof(mf));
		emit_server_header(g, &n->methods[i], mf);
	}

	out(h, "/* Server vtable. A handler gets params already validated against the schema "
	       "(valid until\n * `in` is answered) and answers as an nx_rpc_server_ops dispatch "
	       "does: 0 after\n * nx_rpc_incoming_return/_fail, NX_RPC_ASYNC to answer later, or "
	       "a negative errno.\n * NULL handlers answer -ENOSYS. */\n");
	out(h, "struct %s_server {\n", n->cname);
	for (size_t i = 0; i < n->nmethods; i++) {
		const struct sc_method *m = &n->methods[i];

		model_member(m->name, mf, sizeof(mf));
		out(h, "\tint (*%s)(void *impl, nx_rpc_incoming *in, %s params);\n", mf,
		        gen_cname(g, m->param_id));
	}
	for (size_t i = 0; i < n->nsupers; i++) {
		const char *sn = gen_cname(g, n->supers[i]);

		out(h, "\tconst struct %s_server *%s; /* superclass, NULL: unimplemented */\n", sn,
		        sn);
	}
	if (!n->nmethods && !n->nsupers)
		out(h, "\tint unused;\n");
	out(h, "};\n\n");
	out(h, "/* Routes one incoming call to the vtable (or a superclass's). Params that break "
	       "the schema\n * are answered (\"invalid_argument: name: empty\", \"too_large: "
	       "text: longer than 256\n * bytes\") before any handler runs. -ENOSYS for unknown "
	       "interfaces and methods. */\n");
	out(h,
	        "int %s_dispatch(const struct %s_server *vt, void *impl, nx_rpc_incoming *in,\n"
	        "\tuint64_t interface_id, uint16_t method_id);\n",
	        n->cname, n->cname);
	out(h, "/* A capability served by `vt` (borrowed, must outlive the cap) with `impl`. "
	       "`destroy`\n * (may be NULL) runs with impl when the last reference goes. Returns 0 "
	       "with one\n * reference in *ret, or -ENOMEM (impl stays the caller's). */\n");
	out(h,
	        "int %s_server_new(const struct %s_server *vt, void *impl, void (*destroy)(void "
	        "*impl),\n\tstruct %s **ret);\n",
	        n->cname, n->cname, n->cname);
	out(h, "/* Same, bound to `fd` (taken: closed with the cap, or on failure), which rides "
	       "with the\n * cap whenever it is sent (a VMO, an Endpoint). -EBADF if fd < 0. */\n");
	out(h,
	        "int %s_server_new_with_fd(const struct %s_server *vt, void *impl,\n"
	        "\tvoid (*destroy)(void *impl), int fd, struct %s **ret);\n",
	        n->cname, n->cname, n->cname);
	out(h, "/* The schema name of method `method_id` (for logs), or NULL. */\n");
	out(h, "const char *%s_method_name(uint16_t method_id);\n", n->cname);
	out(h,
	        "/* True if `cap` is a local %s server made by %s_server_new; *ret_impl gets "
	        "its impl. */\n",
	        n->short_name, n->cname);
	out(h, "bool %s_server_get_impl(struct %s *cap, void **ret_impl);\n\n", n->cname, n->cname);
}

/* ---- Source ----------------------------------------------------------------------------- */

static void emit_client_source(struct gen *g, const struct sc_node *n, const struct sc_method *m)
{
	FILE *c = g->c;
	const struct sc_node *pn = node(g, m->param_id), *rn = node(g, m->result_id);
	char mf[GEN_NAME_MAX];

	model_method_name(n, m, mf, sizeof(mf));
	if (call_simple(g, m)) {
		/* Shared by the one-call forms: start the call and fill the params. */
		out(c, "static int %s_start_with(struct %s *target, nx_rpc_call **ret_call", mf,
		        n->cname);
		gen_simple_args(c, g, pn);
		out(c, ")\n{\n\t%s_b b;\n\tnx_rpc_call *call;\n", pn->cname);
		out(c, "\tint r = %s_start(target, &call, &b);\n\n", mf);
		out(c, "\tif (r < 0)\n\t\treturn r;\n");
		/* Only setters that copy (Text, Data, capabilities) can fail. */
		if (gen_simple_fill(c, pn, "b"))
			out(c, "\tif (r < 0) {\n\t\tnx_rpc_call_free(call);\n\t\treturn r;\n\t}\n");
		out(c, "\t*ret_call = call;\n\treturn 0;\n}\n\n");
	}
	if (is_stream(m)) {
		if (!call_simple(g, m))
			return;
		out(c, "int %s(struct %s *target", mf, n->cname);
		gen_simple_args(c, g, pn);
		out(c, ")\n{\n\tnx_rpc_call *call;\n\tint r = %s_start_with(target, &call", mf);
		gen_simple_names(c, pn);
		out(c, ");\n\n\tif (r < 0)\n\t\treturn r;\n\tr = nx_rpc_stream_send(call);\n");
		out(c, "\tif (r == -EAGAIN)\n\t\tnx_rpc_call_free(call);\n\treturn r;\n}\n\n");
		return;
	}
	/* nx_rpc_call_send_typed() carries the typed callback as a generic function pointer;
	 * this casts it back to its own type, so no call goes through a mismatched type. */
	out(c,
	        "static void %s_done(void (*cb)(void), void *userdata, int error, const char "
	        "*reason,\n\tconst nx_capnp_struct *results)\n{\n",
	        mf);
	out(c, "\t%s v;\n\n\tv.s = *results;\n", rn->cname);
	out(c, "\t((%s_cb)cb)(userdata, error, reason, v);\n}\n\n", mf);
	out(c, "int %s_send(nx_rpc_call *call, %s_cb cb, void *userdata)\n{\n", mf, mf);
	out(c,
	        "\treturn nx_rpc_call_send_typed(\n\t        call, &%s_desc, %s_done, (void "
	        "(*)(void))cb, userdata);\n}\n\n",
	        rn->cname, mf);
	out(c, "int %s_send_wait(nx_rpc_call *call, uint64_t deadline_ns, %s *ret)\n{\n", mf,
	        rn->cname);
	out(c, "\treturn nx_rpc_call_wait_typed(call, deadline_ns, &%s_desc, &ret->s);\n}\n\n",
	        rn->cname);
	if (!call_simple(g, m))
		return;
	out(c, "int %s(struct %s *target", mf, n->cname);
	gen_simple_args(c, g, pn);
	out(c, ", %s_cb cb, void *userdata)\n{\n", mf);
	out(c, "\tnx_rpc_call *call;\n\tint r = %s_start_with(target, &call", mf);
	gen_simple_names(c, pn);
	out(c, ");\n\n\treturn r < 0 ? r : %s_send(call, cb, userdata);\n}\n\n", mf);
	out(c, "int %s_wait(struct %s *target", mf, n->cname);
	gen_simple_args(c, g, pn);
	out(c, ", uint64_t deadline_ns,\n\tnx_rpc_call **ret_call, %s *ret)\n{\n", rn->cname);
	out(c, "\tnx_rpc_call *call = NULL;\n\tint r = %s_start_with(target, &call", mf);
	gen_simple_names(c, pn);
	out(c, ");\n\n\t*ret_call = call;\n");
	out(c, "\treturn r < 0 ? r : %s_send_wait(call, deadline_ns, ret);\n}\n\n", mf);
}

static void emit_return_source(struct gen *g, const struct sc_method *m, const char *mf)
{
	FILE *c = g->c;
	const struct sc_node *rn = node(g, m->result_id);

	if (!return_simple(g, m))
		return;
	out(c, "int %s_return(nx_rpc_incoming *in", mf);
	gen_simple_args(c, g, rn);
	out(c, ")\n{\n\t%s_b b;\n\tint r = %s_results_init(in, &b);\n\n", rn->cname, mf);
	/* No setter may touch `b` unless it was started. */
	out(c, "\tif (r < 0)\n\t\treturn nx_rpc_incoming_return_built(in, r);\n");
	(void)gen_simple_fill(c, rn, "b");
	out(c, "\treturn nx_rpc_incoming_return_built(in, r);\n}\n\n");
}

static void emit_dispatch(struct gen *g, const struct sc_node *n)
{
	FILE *c = g->c;
	char mf[GEN_NAME_MAX], mu[GEN_NAME_MAX], member[GEN_NAME_MAX];

	out(c,
	        "int %s_dispatch(const struct %s_server *vt, void *impl, nx_rpc_incoming *in,\n"
	        "\tuint64_t interface_id, uint16_t method_id)\n{\n",
	        n->cname, n->cname);
	if (n->nsupers)
		out(c, "\tint r;\n\n");
	out(c, "\tif (interface_id == %s_INTERFACE_ID) {\n", n->cupper);
	if (n->nmethods) {
		out(c, "\t\tswitch (method_id) {\n");
		for (size_t i = 0; i < n->nmethods; i++) {
			const struct sc_method *m = &n->methods[i];
			const char *pn = gen_cname(g, m->param_id);

			model_method_name(n, m, mf, sizeof(mf));
			gen_upper_name(mf, mu);
			model_member(m->name, member, sizeof(member));
			out(c, "\t\tcase %s_METHOD_ID: {\n", mu);
			out(c, "\t\t\t%s params;\n\n", pn);
			/* Validation first: what a peer sent is judged the same whether or not
			 * this server implements the method. */
			out(c, "\t\t\tif (nx_rpc_incoming_params_valid(in, &%s_desc, &params.s) < 0)\n",
			        pn);
			out(c, "\t\t\t\treturn 0; /* answered, naming the field */\n");
			out(c, "\t\t\tif (!vt->%s)\n\t\t\t\treturn -ENOSYS;\n", member);
			out(c, "\t\t\treturn vt->%s(impl, in, params);\n\t\t}\n", member);
		}
		out(c, "\t\tdefault:\n\t\t\treturn -ENOSYS;\n\t\t}\n");
	} else {
		out(c, "\t\t(void)vt;\n\t\t(void)impl;\n\t\t(void)in;\n\t\t(void)method_id;\n"
		       "\t\treturn -ENOSYS;\n");
	}
	out(c, "\t}\n");
	for (size_t i = 0; i < n->nsupers; i++) {
		const char *sn = gen_cname(g, n->supers[i]);

		out(c,
		        "\tif (vt->%s) {\n\t\tr = %s_dispatch(vt->%s, impl, in, interface_id, "
		        "method_id);\n\t\tif (r != -ENOSYS)\n\t\t\treturn r;\n\t}\n",
		        sn, sn, sn);
	}
	out(c, "\treturn -ENOSYS;\n}\n\n");
}

static void emit_server_source(struct gen *g, const struct sc_node *n)
{
	FILE *c = g->c;
	const char *cn = n->cname;

	out(c,
	        "struct %s_binding {\n\tconst struct %s_server *vt;\n\tvoid *impl;\n"
	        "\tvoid (*destroy)(void *impl);\n};\n\n",
	        cn, cn);
	out(c,
	        "static int %s_ops_dispatch(void *p, nx_rpc_incoming *in, uint64_t interface_id,"
	        "\n\tuint16_t method_id)\n{\n\tstruct %s_binding *b = p;\n\n"
	        "\treturn %s_dispatch(b->vt, b->impl, in, interface_id, method_id);\n}\n\n",
	        cn, cn, cn);
	out(c,
	        "static void %s_ops_destroy(void *p)\n{\n\tstruct %s_binding *b = p;\n\n"
	        "\tif (b->destroy)\n\t\tb->destroy(b->impl);\n\tfree(b);\n}\n\n",
	        cn, cn);
	out(c,
	        "static const struct nx_rpc_server_ops %s_ops = {\n"
	        "\t.dispatch = %s_ops_dispatch,\n\t.destroy = %s_ops_destroy,\n};\n\n",
	        cn, cn, cn);
	/* fd < 0: no fd (the plain constructor); the public _with_fd refuses it. */
	out(c,
	        "static int %s_bind(const struct %s_server *vt, void *impl, void (*destroy)(void "
	        "*impl),\n\tint fd, struct %s **ret)\n{\n",
	        cn, cn, cn);
	out(c, "\tstruct %s_binding *b = calloc(1, sizeof(*b));\n\tnx_rpc_cap *cap;\n\tint r;\n\n",
	        cn);
	out(c, "\tif (!b) {\n\t\tif (fd >= 0)\n\t\t\tnx_fd_close(fd);\n\t\treturn -ENOMEM;\n\t}\n");
	out(c, "\tb->vt = vt;\n\tb->impl = impl;\n\tb->destroy = destroy;\n");
	out(c, "\tif (fd >= 0)\n\t\tr = nx_rpc_server_new_with_fd(&%s_ops, b, fd, &cap);\n", cn);
	out(c, "\telse\n\t\tr = nx_rpc_server_new(&%s_ops, b, &cap);\n", cn);
	out(c, "\tif (r < 0) {\n\t\tfree(b);\n\t\treturn r;\n\t}\n");
	out(c, "\t*ret = %s_from_cap(cap);\n\treturn 0;\n}\n\n", cn);
	out(c,
	        "int %s_server_new(const struct %s_server *vt, void *impl, void (*destroy)(void "
	        "*impl),\n\tstruct %s **ret)\n{\n\treturn %s_bind(vt, impl, destroy, -1, ret);\n}\n\n",
	        cn, cn, cn, cn);
	out(c,
	        "int %s_server_new_with_fd(const struct %s_server *vt, void *impl,\n"
	        "\tvoid (*destroy)(void *impl), int fd, struct %s **ret)\n{\n",
	        cn, cn, cn);
	out(c, "\treturn fd < 0 ? -EBADF : %s_bind(vt, impl, destroy, fd, ret);\n}\n\n", cn);
	out(c, "bool %s_server_get_impl(struct %s *cap, void **ret_impl)\n{\n\tvoid *p = NULL;\n\n",
	        cn, cn);
	out(c, "\tif (!nx_rpc_cap_get_local(%s_cap(cap), &%s_ops, &p) || !p)\n\t\treturn false;\n",
	        cn, cn);
	out(c, "\t*ret_impl = ((struct %s_binding *)p)->impl;\n\treturn true;\n}\n\n", cn);
}

static void emit_iface_desc(struct gen *g, const struct sc_node *n)
{
	FILE *c = g->c;

	if (n->nmethods) {
		out(c, "static const struct nx_capnp_method_desc nxg_%s_methods[] = {\n", n->cname);
		for (size_t i = 0; i < n->nmethods; i++) {
			const struct sc_method *m = &n->methods[i];

			out(c, "\t{\"%s\", %s, &%s_desc, ", m->name,
			        is_stream(m) ? "true" : "false", gen_cname(g, m->param_id));
			if (is_stream(m))
				out_s(c, "NULL},\n");
			else
				out(c, "&%s_desc},\n", gen_cname(g, m->result_id));
		}
		out(c, "};\n");
	}
	out(c, "const struct nx_capnp_iface_desc %s_desc = {\"%s\", UINT64_C(0x%016llx), %zu, ",
	        n->cname, n->short_name, (unsigned long long)n->id, n->nmethods);
	if (n->nmethods)
		out(c, "nxg_%s_methods};\n\n", n->cname);
	else
		out_s(c, "NULL};\n\n");
	out(c, "const char *%s_method_name(uint16_t method_id)\n{\n", n->cname);
	out(c, "\treturn method_id < %s_desc.nmethods ? %s_desc.methods[method_id].name : NULL;\n}\n\n",
	        n->cname, n->cname);
}

void emit_iface_source(struct gen *g, const struct sc_node *n)
{
	char mf[GEN_NAME_MAX];

	out(g->c, "/* ---- interface %s ---- */\n\n", n->short_name);
	emit_iface_desc(g, n);
	for (size_t i = 0; i < n->nmethods; i++) {
		emit_client_source(g, n, &n->methods[i]);
		model_method_name(n, &n->methods[i], mf, sizeof(mf));
		emit_return_source(g, &n->methods[i], mf);
	}
	emit_dispatch(g, n);
	emit_server_source(g, n);
}
