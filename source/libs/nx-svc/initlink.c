/* SPDX-License-Identifier: MIT */
/* nx-svc initlink: the client of nexus-init's FdStore on fd 5. See initlink.h. */
#include "initlink.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "fdstore.capnp.h"
#include "log.capnp.h"
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"

struct nx_initlink {
	nx_rpc_conn *conn;
	struct fdstore_fd_store *store; /* its bootstrap */
	bool reconnecting;
	nx_initlink_reconnect_cb done; /* NULL while the link is freed */
	void *userdata;
};

int nx_initlink_new(nx_loop *loop, int fd, nx_initlink **ret)
{
	nx_initlink *l = calloc(1, sizeof(*l));
	nx_rpc_cap *bootstrap;
	int r;

	if (!l) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	r = nx_rpc_conn_new(loop, fd, NULL, &l->conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(l->conn, &bootstrap);
	if (r < 0) {
		nx_initlink_free(l);
		return r;
	}
	l->store = fdstore_fd_store_from_cap(bootstrap);
	*ret = l;
	return 0;
}

nx_initlink *nx_initlink_free(nx_initlink *l)
{
	if (!l)
		return NULL;
	l->done = NULL; /* a reconnect in flight fails with the channel: nobody to tell */
	nx_rpc_cap_unref(fdstore_fd_store_cap(l->store));
	nx_rpc_conn_free(l->conn);
	free(l);
	return NULL;
}

static uint64_t deadline(void)
{
	return nx_clock_monotonic_ns() + NX_INITLINK_TIMEOUT_NS;
}

int nx_initlink_fetch(nx_initlink *l, const char *name, int *ret_fd)
{
	fdstore_fd_store_fetch_results out;
	struct fdstore_held *held = NULL;
	nx_rpc_call *call = NULL;
	int r, fd;

	r = fdstore_fd_store_fetch_wait(l->store, name, deadline(), &call, &out);
	if (r >= 0)
		r = fdstore_fd_store_fetch_results_get_fd(out, &held);
	fd = r >= 0 ? nx_rpc_cap_take_fd(fdstore_held_cap(held)) : r;
	nx_rpc_cap_unref(fdstore_held_cap(held));
	nx_rpc_call_free(call);
	if (fd < 0)
		return fd == -EBADF ? -EBADMSG : fd; /* no fd attached: init broke its word */
	*ret_fd = fd;
	return 0;
}

static const struct fdstore_held_server held_vt = {0};

int nx_initlink_deposit(nx_initlink *l, const char *name, int fd)
{
	fdstore_fd_store_deposit_results out;
	struct fdstore_held *held;
	nx_rpc_call *call = NULL;
	int copy, r;

	r = nx_fd_dup(fd, &copy);
	if (r < 0)
		return r;
	r = fdstore_held_server_new_with_fd(&held_vt, NULL, NULL, copy, &held); /* takes copy */
	if (r < 0)
		return r;
	r = fdstore_fd_store_deposit_wait(l->store, name, held, deadline(), &call, &out);
	nx_rpc_cap_unref(fdstore_held_cap(held));
	nx_rpc_call_free(call);
	return r;
}

static void on_reconnected(
        void *userdata, int error, const char *reason, fdstore_fd_store_reconnect_results out)
{
	nx_initlink *l = userdata;
	struct nexus_endpoint *end = NULL;
	int fd = error;

	l->reconnecting = false;
	if (!l->done)
		return; /* the link is being freed */
	if (fd == 0) {
		fd = fdstore_fd_store_reconnect_results_get_conn(out, &end);
		if (fd >= 0)
			fd = nx_rpc_cap_take_fd(nexus_endpoint_cap(end));
		nx_rpc_cap_unref(nexus_endpoint_cap(end));
	}
	l->done(l->userdata, fd);
}

int nx_initlink_reconnect(nx_initlink *l, nx_initlink_reconnect_cb done, void *userdata)
{
	int r;

	l->done = done;
	l->userdata = userdata;
	if (l->reconnecting)
		return 0; /* its answer goes to the new done */
	r = fdstore_fd_store_reconnect(l->store, on_reconnected, l);
	if (r >= 0)
		l->reconnecting = true;
	return r;
}

nx_rpc_conn *nx_initlink_conn(const nx_initlink *l)
{
	return l->conn;
}

static void on_journal(
        void *userdata, int error, const char *reason, fdstore_fd_store_journal_results out)
{
	/* Refused or lost: init keeps its events queued (and on its console). */
}

int nx_initlink_journal(nx_initlink *l, nx_rpc_cap *log)
{
	return fdstore_fd_store_journal(l->store, log_from_cap(log), on_journal, NULL);
}
