/* SPDX-License-Identifier: MIT */
/*
 * Interfaces, over nx-rpc (source/libs/nx-rpc/rpc.h):
 *   header: interface and method ids, a client stub per method (start the call with typed
 *           params; read typed results; `-> stream` methods send through the stream window),
 *           the server vtable, typed results starters, the dispatcher's prototype;
 *   source: the dispatcher (params validated before the handler runs) and a server
 *           constructor binding a vtable and an impl to an nx_rpc_cap.
 */
#include <string.h>

#include "emit.h"

static bool is_stream(const struct sc_method *m)
{
	return m->result_id == SC_STREAM_RESULT_ID;
}

void emit_iface_header(struct gen *g, const struct sc_node *n)
{
	FILE *h = g->h;
	char mn[GEN_NAME_MAX];

	out(h, "/* ---- interface %s ---- */\n\n", n->short_name);
	out(h, "#define %s_INTERFACE_ID UINT64_C(0x%016llx)\n", n->cname,
	        (unsigned long long)n->id);
	for (size_t i = 0; i < n->nmethods; i++) {
		model_snake(n->methods[i].name, mn, sizeof(mn));
		out(h, "#define %s_%s_METHOD_ID %zu\n", n->cname, mn, i);
	}
	out_c(h, '\n');

	for (size_t i = 0; i < n->nmethods; i++) {
		const struct sc_method *m = &n->methods[i];
		const char *pn = gen_cname(g, m->param_id);
		const char *rn = gen_cname(g, m->result_id);

		model_snake(m->name, mn, sizeof(mn));
		out(h,
		        "/* Starts a call of %s.%s on `target` (referenced, not taken); fill "
		        "*ret_params, then\n * %s. The call is the caller's (nx_rpc_call_free). */\n",
		        n->short_name, m->name,
		        is_stream(m) ? "send with the _send stub (a `-> stream` method)"
		                     : "nx_rpc_call_send() or nx_rpc_call_wait()");
		out(h,
		        "static inline int %s_%s_new(nx_rpc_cap *target, nx_rpc_call **ret_call, "
		        "%s_b *ret_params)\n{\n",
		        n->cname, mn, pn);
		out(h,
		        "\treturn nx_rpc_call_new(target, %s_INTERFACE_ID, %s_%s_METHOD_ID, "
		        "%s_DATA_WORDS,\n\t\t%s_PTRS, ret_call, &ret_params->s);\n}\n\n",
		        n->cname, n->cname, mn, pn, pn);
		if (is_stream(m)) {
			out(h, "/* Consumes the call except on -EAGAIN (window full: wait with "
			       "nx_rpc_stream_on_ready). */\n");
			out(h,
			        "static inline int %s_%s_send(nx_rpc_call *call)\n{\n"
			        "\treturn nx_rpc_stream_send(call);\n}\n\n",
			        n->cname, mn);
		} else {
			out(h, "/* The typed results of a returned call (empty when "
			       "result->error < 0). */\n");
			out(h,
			        "static inline %s %s_%s_results(const nx_rpc_result *result)\n{\n"
			        "\t%s v;\n\n\tv.s = result->results;\n\treturn v;\n}\n\n",
			        rn, n->cname, mn, rn);
			out(h, "/* The same, checked: the call's error, or the results' validator's "
			       "(the server is a peer). */\n");
			out(h,
			        "static inline int %s_%s_results_checked(const nx_rpc_result *result, "
			        "%s *ret)\n{\n\tif (result->error < 0)\n\t\treturn result->error;\n"
			        "\tret->s = result->results;\n\treturn %s_validate(&ret->s);\n}\n\n",
			        n->cname, mn, rn, rn);
			out(h, "/* Server side: starts the results of an incoming %s call. */\n",
			        m->name);
			out(h,
			        "static inline int %s_%s_results_init(nx_rpc_incoming *in, %s_b *ret)"
			        "\n{\n\treturn nx_rpc_incoming_results(in, %s_DATA_WORDS, %s_PTRS, "
			        "&ret->s);\n}\n\n",
			        n->cname, mn, rn, rn, rn);
		}
	}

	out(h, "/* Server vtable. A handler gets validated params (valid until `in` is "
	       "answered) and\n * answers as an nx_rpc_server_ops dispatch does: 0 after "
	       "nx_rpc_incoming_return/_fail,\n * NX_RPC_ASYNC to answer later, or a negative errno. "
	       "NULL handlers answer -ENOSYS. */\n");
	out(h, "struct %s_server {\n", n->cname);
	for (size_t i = 0; i < n->nmethods; i++) {
		const struct sc_method *m = &n->methods[i];

		model_member(m->name, mn, sizeof(mn));
		out(h, "\tint (*%s)(void *impl, nx_rpc_incoming *in, %s params);\n", mn,
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
	out(h, "/* Routes one incoming call to the vtable (or a superclass's). -ENOSYS for "
	       "unknown\n * interfaces and methods, -EBADMSG / -EMSGSIZE for params that fail "
	       "validation. */\n");
	out(h,
	        "int %s_dispatch(const struct %s_server *vt, void *impl, nx_rpc_incoming *in,\n"
	        "\tuint64_t interface_id, uint16_t method_id);\n",
	        n->cname, n->cname);
	out(h, "/* A capability served by `vt` (borrowed, must outlive the cap) with `impl`. "
	       "`destroy`\n * (may be NULL) runs with impl when the last reference goes. Returns 0 "
	       "with one\n * reference in *ret, or -ENOMEM (impl stays the caller's). */\n");
	out(h,
	        "int %s_server_new(const struct %s_server *vt, void *impl, void (*destroy)(void "
	        "*impl),\n\tnx_rpc_cap **ret);\n",
	        n->cname, n->cname);
	out(h, "/* Same, bound to `fd` (taken: closed with the cap, or on failure), which rides "
	       "with the\n * cap whenever it is sent (a VMO, an Endpoint). -EBADF if fd < 0. */\n");
	out(h,
	        "int %s_server_new_with_fd(const struct %s_server *vt, void *impl,\n"
	        "\tvoid (*destroy)(void *impl), int fd, nx_rpc_cap **ret);\n",
	        n->cname, n->cname);
	out(h, "/* The schema name of method `method_id` (for logs), or NULL. */\n");
	out(h, "const char *%s_method_name(uint16_t method_id);\n", n->cname);
	out(h,
	        "/* True if `cap` is a local %s server made by %s_server_new; *ret_impl gets "
	        "its impl. */\n",
	        n->short_name, n->cname);
	out(h, "bool %s_server_get_impl(const nx_rpc_cap *cap, void **ret_impl);\n\n", n->cname);
}

void emit_iface_source(struct gen *g, const struct sc_node *n)
{
	FILE *c = g->c;
	char mn[GEN_NAME_MAX];

	out(c, "/* ---- interface %s ---- */\n\n", n->short_name);
	out(c, "/* Methods by ordinal: name, whether it is a `-> stream` method. */\n");
	out(c, "static const struct {\n\tconst char *name;\n\tbool stream;\n} %s_methods[%zu] = {\n",
	        n->cname, n->nmethods ? n->nmethods : 1);
	for (size_t i = 0; i < n->nmethods; i++)
		out(c, "\t{ \"%s\", %s },\n", n->methods[i].name,
		        is_stream(&n->methods[i]) ? "true" : "false");
	if (!n->nmethods)
		out(c, "\t{ NULL, false },\n");
	out(c, "};\n\n");
	out(c, "const char *%s_method_name(uint16_t method_id)\n{\n", n->cname);
	if (n->nmethods)
		out(c, "\treturn method_id < %zu ? %s_methods[method_id].name : NULL;\n}\n\n",
		        n->nmethods, n->cname);
	else
		out(c, "\t(void)method_id;\n\t(void)%s_methods;\n\treturn NULL;\n}\n\n", n->cname);
	out(c,
	        "int %s_dispatch(const struct %s_server *vt, void *impl, nx_rpc_incoming *in,\n"
	        "\tuint64_t interface_id, uint16_t method_id)\n{\n",
	        n->cname, n->cname);
	if (n->nsupers)
		out(c, "\tint r;\n\n");
	out(c, "\tif (interface_id == %s_INTERFACE_ID) {\n", n->cname);
	if (n->nmethods) {
		out(c, "\t\tswitch (method_id) {\n");
		for (size_t i = 0; i < n->nmethods; i++) {
			const struct sc_method *m = &n->methods[i];
			const char *pn = gen_cname(g, m->param_id);

			char member[GEN_NAME_MAX];

			model_snake(m->name, mn, sizeof(mn));
			model_member(m->name, member, sizeof(member));
			out(c, "\t\tcase %s_%s_METHOD_ID: {\n", n->cname, mn);
			out(c, "\t\t\t%s params;\n\t\t\tint e;\n\n", pn);
			out(c, "\t\t\tif (!vt->%s)\n\t\t\t\treturn -ENOSYS;\n", member);
			out(c, "\t\t\te = nx_rpc_incoming_params(in, &params.s);\n");
			out(c, "\t\t\tif (e < 0)\n\t\t\t\treturn nxg_err(e);\n");
			out(c, "\t\t\te = %s_validate(&params.s);\n", pn);
			out(c, "\t\t\tif (e < 0)\n\t\t\t\treturn e;\n");
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

	out(c,
	        "struct %s_binding {\n\tconst struct %s_server *vt;\n\tvoid *impl;\n"
	        "\tvoid (*destroy)(void *impl);\n};\n\n",
	        n->cname, n->cname);
	out(c,
	        "static int %s_ops_dispatch(void *p, nx_rpc_incoming *in, uint64_t interface_id,"
	        "\n\tuint16_t method_id)\n{\n\tstruct %s_binding *b = p;\n\n"
	        "\treturn %s_dispatch(b->vt, b->impl, in, interface_id, method_id);\n}\n\n",
	        n->cname, n->cname, n->cname);
	out(c,
	        "static void %s_ops_destroy(void *p)\n{\n\tstruct %s_binding *b = p;\n\n"
	        "\tif (b->destroy)\n\t\tb->destroy(b->impl);\n\tfree(b);\n}\n\n",
	        n->cname, n->cname);
	out(c,
	        "static const struct nx_rpc_server_ops %s_ops = {\n"
	        "\t.dispatch = %s_ops_dispatch,\n\t.destroy = %s_ops_destroy,\n};\n\n",
	        n->cname, n->cname, n->cname);
	out(c,
	        "int %s_server_new(const struct %s_server *vt, void *impl, void (*destroy)(void "
	        "*impl),\n\tnx_rpc_cap **ret)\n{\n",
	        n->cname, n->cname);
	out(c, "\tstruct %s_binding *b = calloc(1, sizeof(*b));\n\tint r;\n\n", n->cname);
	out(c, "\tif (!b)\n\t\treturn -ENOMEM;\n\tb->vt = vt;\n\tb->impl = impl;\n"
	       "\tb->destroy = destroy;\n");
	out(c, "\tr = nx_rpc_server_new(&%s_ops, b, ret);\n", n->cname);
	out(c, "\tif (r < 0)\n\t\tfree(b);\n\treturn r;\n}\n\n");
	out(c,
	        "int %s_server_new_with_fd(const struct %s_server *vt, void *impl,\n"
	        "\tvoid (*destroy)(void *impl), int fd, nx_rpc_cap **ret)\n{\n",
	        n->cname, n->cname);
	out(c, "\tstruct %s_binding *b;\n\tint r;\n\n", n->cname);
	out(c, "\tif (fd < 0)\n\t\treturn -EBADF;\n\tb = calloc(1, sizeof(*b));\n");
	out(c, "\tif (!b) {\n\t\tnx_fd_close(fd);\n\t\treturn -ENOMEM;\n\t}\n");
	out(c, "\tb->vt = vt;\n\tb->impl = impl;\n\tb->destroy = destroy;\n");
	out(c, "\tr = nx_rpc_server_new_with_fd(&%s_ops, b, fd, ret);\n", n->cname);
	out(c, "\tif (r < 0)\n\t\tfree(b);\n\treturn r;\n}\n\n");
	out(c,
	        "bool %s_server_get_impl(const nx_rpc_cap *cap, void **ret_impl)\n{\n"
	        "\tvoid *p = NULL;\n\n",
	        n->cname);
	out(c, "\tif (!nx_rpc_cap_get_local(cap, &%s_ops, &p) || !p)\n\t\treturn false;\n",
	        n->cname);
	out(c, "\t*ret_impl = ((struct %s_binding *)p)->impl;\n\treturn true;\n}\n\n", n->cname);
}
