/* SPDX-License-Identifier: MIT */
/* nexus-init's fd store and the FdStore server on each service's fd 5. See fdstore.h. */
#include "fdstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fdstore.capnp.h"
#include "nx-abi/sock.h"

struct init_link {
	struct init_fdstore *store;
	const struct init_link_ops *ops;
	void *userdata;
	struct fdstore_fd_store *server;
	nx_rpc_conn *conn;
};

static bool name_ok(const char *name)
{
	size_t len = strnlen(name, NX_FDSTORE_NAME_MAX + 1);

	if (len == 0 || len > NX_FDSTORE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		            c == '-'))
			return false;
	}
	return true;
}

static int find(const struct init_fdstore *st, const char *name)
{
	for (unsigned i = 0; i < st->n; i++)
		if (strcmp(st->held[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int init_fdstore_put(struct init_fdstore *st, const char *name, int fd)
{
	int i;

	if (!name_ok(name)) {
		nx_fd_close(fd);
		return -EINVAL;
	}
	i = find(st, name);
	if (i >= 0) {
		nx_fd_close(st->held[i].fd);
		st->held[i].fd = fd;
		return 0;
	}
	if (st->n == NX_FDSTORE_MAX) {
		nx_fd_close(fd);
		return -EDQUOT;
	}
	memcpy(st->held[st->n].name, name, strlen(name) + 1);
	st->held[st->n++].fd = fd;
	return 0;
}

int init_fdstore_get(const struct init_fdstore *st, const char *name)
{
	int i = find(st, name);

	return i < 0 ? i : st->held[i].fd;
}

int init_fdstore_remove(struct init_fdstore *st, const char *name)
{
	int i = find(st, name);

	if (i < 0)
		return i;
	nx_fd_close(st->held[i].fd);
	st->held[i] = st->held[--st->n];
	return 0;
}

void init_fdstore_drop(struct init_fdstore *st)
{
	for (unsigned i = 0; i < st->n; i++)
		nx_fd_close(st->held[i].fd);
	st->n = 0;
}

/* ---- FdStore on the service's channel ---- */

/* A name param the schema bounded (1..NX_FDSTORE_NAME_MAX, no inner NUL) as a C string. */
static void name_copy(const char *text, size_t len, char name[NX_FDSTORE_NAME_MAX + 1])
{
	memcpy(name, text, len);
	name[len] = '\0';
}

static int fail_name(nx_rpc_incoming *in, const char *name)
{
	return nx_rpc_incoming_failf(in, -EINVAL, "name: %s is not 1..%u bytes of [a-z0-9._-]",
	        name, NX_FDSTORE_NAME_MAX);
}

static int serve_deposit(void *impl, nx_rpc_incoming *in, fdstore_fd_store_deposit_params params)
{
	init_link *l = impl;
	char name[NX_FDSTORE_NAME_MAX + 1];
	struct fdstore_held *held = NULL;
	const char *text;
	size_t len;
	int fd, r;

	(void)fdstore_fd_store_deposit_params_get_name(params, &text, &len);
	name_copy(text, len, name);
	r = fdstore_fd_store_deposit_params_get_fd(params, &held);
	fd = r >= 0 ? nx_rpc_cap_take_fd(fdstore_held_cap(held)) : r;
	nx_rpc_cap_unref(fdstore_held_cap(held));
	if (fd < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "fd: no fd attached");
	r = init_fdstore_put(l->store, name, fd); /* takes fd */
	if (r == -EINVAL)
		return fail_name(in, name);
	if (r == -EDQUOT)
		return nx_rpc_incoming_failf(in, r, "fd: %u fds held already", NX_FDSTORE_MAX);
	return fdstore_fd_store_deposit_return(in);
}

static const struct fdstore_held_server held_vt = {0};

static int serve_fetch(void *impl, nx_rpc_incoming *in, fdstore_fd_store_fetch_params params)
{
	init_link *l = impl;
	char name[NX_FDSTORE_NAME_MAX + 1];
	struct fdstore_held *held;
	const char *text;
	size_t len;
	int fd, r;

	(void)fdstore_fd_store_fetch_params_get_name(params, &text, &len);
	name_copy(text, len, name);
	if (!name_ok(name))
		return fail_name(in, name);
	r = init_fdstore_get(l->store, name);
	if (r < 0)
		return nx_rpc_incoming_failf(in, -ENOENT, "name: nothing held under %s", name);
	r = nx_fd_dup(r, &fd); /* the store keeps its own */
	if (r >= 0)
		r = fdstore_held_server_new_with_fd(&held_vt, NULL, NULL, fd, &held); /* takes fd */
	if (r < 0)
		return r;
	r = fdstore_fd_store_fetch_return(in, held);
	nx_rpc_cap_unref(fdstore_held_cap(held));
	return r;
}

static int serve_remove(void *impl, nx_rpc_incoming *in, fdstore_fd_store_remove_params params)
{
	init_link *l = impl;
	char name[NX_FDSTORE_NAME_MAX + 1];
	const char *text;
	size_t len;

	(void)fdstore_fd_store_remove_params_get_name(params, &text, &len);
	name_copy(text, len, name);
	if (!name_ok(name))
		return fail_name(in, name);
	if (init_fdstore_remove(l->store, name) < 0)
		return nx_rpc_incoming_failf(in, -ENOENT, "name: nothing held under %s", name);
	return fdstore_fd_store_remove_return(in);
}

static int serve_reconnect(
        void *impl, nx_rpc_incoming *in, fdstore_fd_store_reconnect_params params)
{
	init_link *l = impl;

	return l->ops->reconnect(l->userdata, in);
}

static int serve_journal(void *impl, nx_rpc_incoming *in, fdstore_fd_store_journal_params params)
{
	init_link *l = impl;
	struct log *log = NULL;
	int r;

	r = fdstore_fd_store_journal_params_get_log(params, &log);
	if (r >= 0)
		r = l->ops->journal(l->userdata, log);
	nx_rpc_cap_unref(log_cap(log));
	if (r == -EPERM)
		return nx_rpc_incoming_failf(in, r, "only logd says where init's events go");
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "log: %s", strerror(-r));
	return fdstore_fd_store_journal_return(in);
}

static const struct fdstore_fd_store_server store_vt = {
        .deposit = serve_deposit,
        .fetch = serve_fetch,
        .remove = serve_remove,
        .reconnect = serve_reconnect,
        .journal = serve_journal,
};

int init_link_new(nx_loop *loop, int fd, struct init_fdstore *store,
        const struct init_link_ops *ops, void *userdata, init_link **ret)
{
	init_link *l = calloc(1, sizeof(*l));
	int r;

	if (!l) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	l->store = store;
	l->ops = ops;
	l->userdata = userdata;
	r = fdstore_fd_store_server_new(&store_vt, l, NULL, &l->server);
	if (r < 0) {
		nx_fd_close(fd);
		free(l);
		return r;
	}
	r = nx_rpc_conn_new(loop, fd, fdstore_fd_store_cap(l->server), &l->conn); /* takes fd */
	if (r < 0) {
		init_link_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

init_link *init_link_free(init_link *l)
{
	if (!l)
		return NULL;
	nx_rpc_conn_free(l->conn);
	nx_rpc_cap_unref(fdstore_fd_store_cap(l->server));
	free(l);
	return NULL;
}
