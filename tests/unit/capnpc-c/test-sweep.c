/* SPDX-License-Identifier: MIT */
/*
 * The limit sweep: for every method of every schema under tools/nexus-idl/schemas and every
 * limit its params carry ($maxLen, $maxCount, $nonEmpty, $closed, and "no NUL" for each
 * Text), at any depth, build params that break exactly that limit (everything else valid),
 * send them over a real connection to a server whose vtable has no handlers, and check the
 * answer names the field and the limit from the schema. The params are built from the
 * generated descriptors, so a limit added to a schema is swept without touching this file;
 * the expected reasons are written here, not by the code under test.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "bundle.capnp.h"
#include "echo.capnp.h"
#include "exec.capnp.h"
#include "keystore.capnp.h"
#include "fdcheck.h"
#include "init.capnp.h"
#include "identity.capnp.h"
#include "fs.capnp.h"
#include "fdstore.capnp.h"
#include "log.capnp.h"
#include "nexus-types.capnp.h"
#include "policy.capnp.h"
#include "rng.capnp.h"
#include "samgr.capnp.h"

/* ---- What to sweep ------------------------------------------------------------------------ */

static const struct {
	const char *file;
	const struct nx_capnp_iface_desc *const *interfaces; /* NULL: annotations only */
} schemas[] = {
        {"bundle-format.capnp", NULL},
        {"bundle.capnp", bundle_interfaces},
        {"echo.capnp", echo_interfaces},
        {"exec.capnp", exec_interfaces},
        {"init.capnp", init_interfaces},
        {"identity.capnp", identity_interfaces},
        {"keystore.capnp", keystore_interfaces},
        {"fs.capnp", fs_interfaces},
        {"fdstore.capnp", fdstore_interfaces},
        {"log.capnp", log_interfaces},
        {"nexus-types.capnp", nexus_interfaces},
        {"nexus.capnp", NULL},
        {"policy.capnp", policy_interfaces},
        {"rng.capnp", rng_interfaces},
        {"samgr.capnp", samgr_interfaces},
};

/* A server of each interface with an empty vtable: validation answers before any handler
 * would run, and a call that got past it would answer "unsupported", failing the check. */
#define EMPTY_SERVER(x)                                        \
	static int serve_##x(nx_rpc_cap **ret)                 \
	{                                                      \
		static const struct x##_server vt;             \
		struct x *cap = NULL;                          \
		int r = x##_server_new(&vt, NULL, NULL, &cap); \
                                                               \
		*ret = x##_cap(cap);                           \
		return r;                                      \
	}
EMPTY_SERVER(bundle_bundles)
EMPTY_SERVER(bundle_watcher)
EMPTY_SERVER(echo)
EMPTY_SERVER(exec)
EMPTY_SERVER(exec_process)
EMPTY_SERVER(exec_process_watcher)
EMPTY_SERVER(exec_output)
EMPTY_SERVER(init_control)
EMPTY_SERVER(keystore)
EMPTY_SERVER(fs)
EMPTY_SERVER(fs_file)
EMPTY_SERVER(fdstore_fd_store)
EMPTY_SERVER(fdstore_held)
EMPTY_SERVER(log)
EMPTY_SERVER(log_sink)
EMPTY_SERVER(nexus_endpoint)
EMPTY_SERVER(nexus_vmo)
EMPTY_SERVER(nexus_service_host)
EMPTY_SERVER(policy)
EMPTY_SERVER(policy_watcher)
EMPTY_SERVER(rng)
EMPTY_SERVER(identity)
EMPTY_SERVER(identity_session_watcher)
EMPTY_SERVER(samgr)
EMPTY_SERVER(samgr_admin)
EMPTY_SERVER(samgr_service_watcher)

static const struct {
	const struct nx_capnp_iface_desc *iface;
	int (*serve)(nx_rpc_cap **ret);
} servers[] = {
        {&bundle_bundles_desc, serve_bundle_bundles},
        {&bundle_watcher_desc, serve_bundle_watcher},
        {&echo_desc, serve_echo},
        {&exec_desc, serve_exec},
        {&exec_process_desc, serve_exec_process},
        {&exec_process_watcher_desc, serve_exec_process_watcher},
        {&exec_output_desc, serve_exec_output},
        {&init_control_desc, serve_init_control},
        {&keystore_desc, serve_keystore},
        {&fs_desc, serve_fs},
        {&fs_file_desc, serve_fs_file},
        {&fdstore_fd_store_desc, serve_fdstore_fd_store},
        {&fdstore_held_desc, serve_fdstore_held},
        {&log_desc, serve_log},
        {&log_sink_desc, serve_log_sink},
        {&nexus_endpoint_desc, serve_nexus_endpoint},
        {&nexus_vmo_desc, serve_nexus_vmo},
        {&nexus_service_host_desc, serve_nexus_service_host},
        {&policy_desc, serve_policy},
        {&policy_watcher_desc, serve_policy_watcher},
        {&rng_desc, serve_rng},
        {&identity_desc, serve_identity},
        {&identity_session_watcher_desc, serve_identity_session_watcher},
        {&samgr_desc, serve_samgr},
        {&samgr_admin_desc, serve_samgr_admin},
        {&samgr_service_watcher_desc, serve_samgr_service_watcher},
};

/* ---- Violations --------------------------------------------------------------------------- */

enum breach { TOO_LONG, HAS_NUL, EMPTY, TOO_MANY, ELEM_TOO_LONG, UNKNOWN_ENUM };

#define MAX_DEPTH 8

/* The field to break, as the chain of fields leading to it from the params struct (a list of
 * structs is entered at element 0), and how to break it. */
struct violation {
	const struct nx_capnp_vfield *steps[MAX_DEPTH];
	int nsteps;
	enum breach breach;
	char path[256]; /* as the reason should name it */
	char want[512]; /* the whole reason */
	int want_errno;
};

/* The smallest struct that holds every field the descriptor (and its groups) names. */
static void desc_size(const struct nx_capnp_desc *d, uint16_t *dw, uint16_t *np)
{
	for (uint32_t i = 0; i < d->nfields; i++) {
		const struct nx_capnp_vfield *f = &d->fields[i];

		if (f->type->kind == NX_CAPNP_V_GROUP) {
			desc_size(f->type->desc, dw, np);
			continue;
		}
		if (f->disc != NX_CAPNP_NO_DISC && *dw < d->disc_offset / 4 + 1)
			*dw = (uint16_t)(d->disc_offset / 4 + 1);
		if (f->type->kind == NX_CAPNP_V_ENUM) {
			if (*dw < f->offset / 4 + 1)
				*dw = (uint16_t)(f->offset / 4 + 1);
		} else if (*np < f->offset + 1) {
			*np = (uint16_t)(f->offset + 1);
		}
	}
}

static void build_struct(
        nx_capnp_bstruct *s, const struct nx_capnp_desc *d, const struct violation *v, int depth);

static void init_struct(nx_capnp_bptr *p, const struct nx_capnp_desc *d, nx_capnp_bstruct *ret)
{
	uint16_t dw = 0, np = 0;

	desc_size(d, &dw, &np);
	assert_int_equal(nx_capnp_bptr_init_struct(p, dw, np, ret), 0);
}

/* A list of one valid struct (element 0 built towards `v` when depth says so). */
static void one_struct_list(
        nx_capnp_bptr *p, const struct nx_capnp_desc *d, const struct violation *v, int depth)
{
	uint16_t dw = 0, np = 0;
	nx_capnp_blist l;
	nx_capnp_bstruct e;

	desc_size(d, &dw, &np);
	assert_int_equal(nx_capnp_bptr_init_struct_list(p, dw, np, 1, &l), 0);
	nx_capnp_blist_get_struct(&l, 0, &e);
	build_struct(&e, d, v, depth);
}

static void set_blob(nx_capnp_bptr *p, const struct nx_capnp_vtype *t, const char *b, size_t n)
{
	if (t->kind == NX_CAPNP_V_TEXT)
		assert_int_equal(nx_capnp_bptr_set_text(p, b, n), 0);
	else
		assert_int_equal(nx_capnp_bptr_set_data(p, b, n), 0);
}

static void blob_of(nx_capnp_bptr *p, const struct nx_capnp_vtype *t, size_t n)
{
	char *b = malloc(n + 1);

	assert_non_null(b);
	memset(b, 'a', n);
	set_blob(p, t, b, n);
	free(b);
}

/* Breaks field `f` of `s` as `v` says. */
static void apply(nx_capnp_bstruct *s, const struct nx_capnp_vfield *f, const struct violation *v)
{
	const struct nx_capnp_vtype *t = f->type;
	nx_capnp_bptr p = nx_capnp_bstruct_ptr(s, f->offset);
	nx_capnp_blist l;

	switch (v->breach) {
	case TOO_LONG:
		blob_of(&p, t, (size_t)f->max_len + 1);
		break;
	case HAS_NUL:
		set_blob(&p, t, "\0", 1);
		break;
	case EMPTY:
		if (t->kind == NX_CAPNP_V_LIST)
			assert_int_equal(
			        nx_capnp_bptr_init_list(&p, (enum nx_capnp_elem)t->elem, 0, &l), 0);
		else
			set_blob(&p, t, "", 0);
		break;
	case TOO_MANY:
		/* Zero-sized struct elements keep 4097 of them inside one message. */
		if (t->elem == NX_CAPNP_ELEM_COMPOSITE)
			assert_int_equal(
			        nx_capnp_bptr_init_struct_list(&p, 0, 0, f->max_count + 1, &l), 0);
		else
			assert_int_equal(nx_capnp_bptr_init_list(&p, (enum nx_capnp_elem)t->elem,
			                         f->max_count + 1, &l),
			        0);
		break;
	case ELEM_TOO_LONG:
		assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 1, &l), 0);
		p = nx_capnp_blist_ptr(&l, 0);
		blob_of(&p, t->elem_type, (size_t)f->max_len + 1);
		break;
	case UNKNOWN_ENUM:
		nx_capnp_bstruct_set_u16(s, f->offset, t->enum_count, f->enum_default);
		break;
	}
}

/* A valid value for `f` (present when it must be non-empty). */
static void fill_valid(nx_capnp_bstruct *s, const struct nx_capnp_vfield *f)
{
	const struct nx_capnp_vtype *t = f->type;
	nx_capnp_bptr p = nx_capnp_bstruct_ptr(s, f->offset);
	nx_capnp_bstruct child;
	nx_capnp_blist l;

	switch (t->kind) {
	case NX_CAPNP_V_TEXT:
	case NX_CAPNP_V_DATA:
		if (f->non_empty)
			set_blob(&p, t, "x", 1);
		break;
	case NX_CAPNP_V_STRUCT:
		init_struct(&p, t->desc, &child);
		build_struct(&child, t->desc, NULL, 0);
		break;
	case NX_CAPNP_V_LIST:
		if (!f->non_empty)
			break;
		if (t->elem_type && t->elem_type->kind == NX_CAPNP_V_STRUCT)
			one_struct_list(&p, t->elem_type->desc, NULL, 0);
		else if (t->elem_type && t->elem_type->kind != NX_CAPNP_V_ENUM)
			fail_msg("%s: a non-empty list of this kind is not built yet", f->name);
		else
			assert_int_equal(
			        nx_capnp_bptr_init_list(&p, (enum nx_capnp_elem)t->elem, 1, &l), 0);
		break;
	default:
		break;
	}
}

static void build_struct(
        nx_capnp_bstruct *s, const struct nx_capnp_desc *d, const struct violation *v, int depth)
{
	const struct nx_capnp_vfield *target = v && depth < v->nsteps ? v->steps[depth] : NULL;
	uint16_t active = target && target->disc != NX_CAPNP_NO_DISC ? target->disc : 0;

	assert_true(depth < MAX_DEPTH);
	if (active)
		nx_capnp_bstruct_set_u16(s, d->disc_offset, active, 0);
	for (uint32_t i = 0; i < d->nfields; i++) {
		const struct nx_capnp_vfield *f = &d->fields[i];
		nx_capnp_bptr p = nx_capnp_bstruct_ptr(s, f->offset);
		nx_capnp_bstruct child;

		if (f->disc != NX_CAPNP_NO_DISC && f->disc != active)
			continue;
		if (f != target) {
			if (f->type->kind == NX_CAPNP_V_GROUP)
				build_struct(s, f->type->desc, NULL, 0);
			else
				fill_valid(s, f);
			continue;
		}
		if (depth == v->nsteps - 1) {
			apply(s, f, v);
		} else if (f->type->kind == NX_CAPNP_V_GROUP) {
			build_struct(s, f->type->desc, v, depth + 1);
		} else if (f->type->kind == NX_CAPNP_V_STRUCT) {
			init_struct(&p, f->type->desc, &child);
			build_struct(&child, f->type->desc, v, depth + 1);
		} else {
			one_struct_list(&p, f->type->elem_type->desc, v, depth + 1);
		}
	}
}

/* ---- The sweep ---------------------------------------------------------------------------- */

struct sweep {
	nx_loop *loop;
	nx_rpc_conn *server, *client;
	nx_rpc_cap *target;
	const struct nx_capnp_iface_desc *iface;
	uint16_t method;
	unsigned checked;
};

static void send_and_check(struct sweep *w, const struct violation *v)
{
	const struct nx_capnp_desc *pd = w->iface->methods[w->method].params;
	const nx_rpc_result *res = NULL;
	nx_capnp_bstruct params;
	nx_rpc_call *call = NULL;
	uint16_t dw = 0, np = 0;

	desc_size(pd, &dw, &np);
	assert_int_equal(
	        nx_rpc_call_new(w->target, w->iface->id, w->method, dw, np, &call, &params), 0);
	build_struct(&params, pd, v, 0);
	assert_int_equal(nx_rpc_call_wait(call, UINT64_MAX, &res), 0);
	if (strcmp(res->reason, v->want) != 0 || res->error != v->want_errno)
		fail_msg("%s.%s: got %d \"%s\", want %d \"%s\"", w->iface->name,
		        w->iface->methods[w->method].name, res->error, res->reason, v->want_errno,
		        v->want);
	nx_rpc_call_free(call);
	w->checked++;
}

static void expect(struct violation *v, enum breach b, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void expect(struct violation *v, enum breach b, int err, const char *fmt, ...)
{
	char rule[128];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	v->breach = b;
	v->want_errno = err;
	(void)snprintf(v->want, sizeof(v->want), "%s: %s: %s",
	        err == -EMSGSIZE ? "too_large" : "invalid_argument", v->path, rule);
}

/* Sends one violation per limit of field `f`, the last step of `v` (path set). */
static void sweep_field(struct sweep *w, struct violation *v, const struct nx_capnp_vfield *f)
{
	const struct nx_capnp_vtype *t = f->type;
	size_t len = strlen(v->path);

	if (t->kind == NX_CAPNP_V_TEXT || t->kind == NX_CAPNP_V_DATA) {
		if (f->max_len != NX_CAPNP_NO_LIMIT) {
			expect(v, TOO_LONG, -EMSGSIZE, "longer than %u bytes", f->max_len);
			send_and_check(w, v);
		}
		if (f->non_empty) {
			expect(v, EMPTY, -EINVAL, "empty");
			send_and_check(w, v);
		}
		if (t->kind == NX_CAPNP_V_TEXT) {
			expect(v, HAS_NUL, -EINVAL, "contains NUL");
			send_and_check(w, v);
		}
	} else if (t->kind == NX_CAPNP_V_LIST) {
		if (f->max_count != NX_CAPNP_NO_LIMIT) {
			expect(v, TOO_MANY, -EMSGSIZE, "more than %u elements", f->max_count);
			send_and_check(w, v);
		}
		if (f->non_empty) {
			expect(v, EMPTY, -EINVAL, "empty");
			send_and_check(w, v);
		}
		if (f->max_len != NX_CAPNP_NO_LIMIT && t->elem_type &&
		        (t->elem_type->kind == NX_CAPNP_V_TEXT ||
		                t->elem_type->kind == NX_CAPNP_V_DATA)) {
			(void)snprintf(v->path + len, sizeof(v->path) - len, "[0]");
			expect(v, ELEM_TOO_LONG, -EMSGSIZE, "longer than %u bytes", f->max_len);
			send_and_check(w, v);
			v->path[len] = '\0';
		}
	} else if (t->kind == NX_CAPNP_V_ENUM) {
		expect(v, UNKNOWN_ENUM, -EINVAL, "unknown enumerant");
		send_and_check(w, v);
	}
}

static void sweep_struct(struct sweep *w, struct violation *v, const struct nx_capnp_desc *d)
{
	size_t len = strlen(v->path);

	assert_true(v->nsteps < MAX_DEPTH);
	for (uint32_t i = 0; i < d->nfields; i++) {
		const struct nx_capnp_vfield *f = &d->fields[i];
		const struct nx_capnp_vtype *t = f->type;

		v->steps[v->nsteps++] = f;
		(void)snprintf(
		        v->path + len, sizeof(v->path) - len, "%s%s", len ? "." : "", f->name);
		if (t->kind == NX_CAPNP_V_GROUP || t->kind == NX_CAPNP_V_STRUCT) {
			sweep_struct(w, v, t->desc);
		} else {
			sweep_field(w, v, f);
			if (t->kind == NX_CAPNP_V_LIST && t->elem_type &&
			        t->elem_type->kind == NX_CAPNP_V_STRUCT) {
				strcat(v->path, "[0]");
				sweep_struct(w, v, t->elem_type->desc);
			}
		}
		v->nsteps--;
		v->path[len] = '\0';
	}
}

static int (*server_of(const struct nx_capnp_iface_desc *iface))(nx_rpc_cap **)
{
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (servers[i].iface == iface)
			return servers[i].serve;
	fail_msg("interface %s has no entry in this test's servers[]", iface->name);
	return NULL;
}

static void sweep_interface(const struct nx_capnp_iface_desc *iface, unsigned *ret_checked)
{
	struct sweep w = {.iface = iface};
	nx_rpc_cap *served = NULL;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(nx_loop_new(&w.loop), 0);
	assert_int_equal(server_of(iface)(&served), 0);
	assert_int_equal(nx_rpc_conn_new(w.loop, sv[0], served, &w.server), 0);
	nx_rpc_cap_unref(served);
	assert_int_equal(nx_rpc_conn_new(w.loop, sv[1], NULL, &w.client), 0);
	assert_int_equal(nx_rpc_conn_bootstrap(w.client, &w.target), 0);
	for (w.method = 0; w.method < iface->nmethods; w.method++) {
		struct violation v = {.nsteps = 0};

		sweep_struct(&w, &v, iface->methods[w.method].params);
	}
	nx_rpc_cap_unref(w.target);
	nx_rpc_conn_free(w.client);
	nx_rpc_conn_free(w.server);
	nx_loop_free(w.loop);
	*ret_checked += w.checked;
}

/* Every schema file in the directory has an entry above, so none is left unswept. */
static void test_every_schema_listed(void **state)
{
	const char *dir = getenv("CAPNPC_C_SCHEMAS");
	struct dirent *e;
	DIR *d;
	int files = 0;

	(void)state;
	assert_non_null(dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		bool listed = false;

		if (n < 6 || strcmp(e->d_name + n - 6, ".capnp") != 0)
			continue;
		files++;
		for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
			listed |= strcmp(schemas[i].file, e->d_name) == 0;
		if (!listed)
			fail_msg("%s/%s is not swept: add it to schemas[]", dir, e->d_name);
	}
	closedir(d);
	assert_int_equal(files, sizeof(schemas) / sizeof(schemas[0]));
}

static void test_sweep(void **state)
{
	int before = fdcheck_count();
	unsigned checked = 0, methods = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		for (const struct nx_capnp_iface_desc *const *it = schemas[i].interfaces; it && *it;
		        it++) {
			sweep_interface(*it, &checked);
			methods += (*it)->nmethods;
		}
	}
	printf("swept %u methods, %u broken limits, each answered naming its field\n", methods,
	        checked);
	/* Sanity: the schemas carry dozens of limits; zero would mean the walk found none. */
	assert_true(checked > 40);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_schema_listed),
	        cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
