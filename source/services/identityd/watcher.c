/* SPDX-License-Identifier: MIT */
/*
 * samgrd's SessionWatcher. A session that ends early (revoke, logout, removeUser, setPassword,
 * a login past the per-user cap) is announced to it, and the call that ended it answers only
 * once samgrd answered: when `nx session revoke` returns, no connection still carries that
 * session's user:<name>. If samgrd's answer fails (it died, the channel broke), the call
 * answers anyway: samgrd drops every user: subject when it loses identityd or restarts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identityd.h"
#include "nx-log/log.h"

struct idd_announce {
	struct idd_announce *next;
	struct identityd *d;
	nx_rpc_incoming *in; /* NULL once the caller left */
	nx_rpc_call *call;   /* the revoked() call, NULL once answered */
};

static void announce_destroy(struct idd_announce *a)
{
	nx_rpc_call_free(a->call);
	free(a);
}

static void announce_free(struct idd_announce *a)
{
	struct idd_announce **p = &a->d->announces;

	while (*p != a)
		p = &(*p)->next;
	*p = a->next;
	announce_destroy(a);
}

static void on_told(void *userdata, int error, const char *reason,
        identity_session_watcher_revoked_results results)
{
	struct idd_announce *a = userdata;

	a->call = NULL; /* freed by the generated code after this callback */
	if (error < 0)
		nx_log(NX_LOG_WARN, "session", "samgrd did not take a revocation: %s", reason);
	if (a->in)
		(void)nx_rpc_incoming_return(a->in);
	announce_free(a);
}

static void on_caller_left(nx_rpc_incoming *in, void *userdata)
{
	struct idd_announce *a = userdata;

	/* samgrd still hears of it; only the answer is pointless. */
	(void)nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	a->in = NULL;
}

void idd_watcher_set(struct identityd *d, struct identity_session_watcher *cb)
{
	nx_rpc_cap_unref(identity_session_watcher_cap(d->watcher));
	d->watcher =
	        identity_session_watcher_from_cap(nx_rpc_cap_ref(identity_session_watcher_cap(cb)));
}

int idd_announce(struct identityd *d, nx_rpc_incoming *in, const struct idd_ended *ended)
{
	identity_session_watcher_revoked_params_b params;
	struct idd_announce *a;
	nx_capnp_blist list;
	nx_rpc_call *call = NULL;
	int r;

	if (!d->watcher || ended->n == 0)
		return in ? nx_rpc_incoming_return(in) : 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	r = identity_session_watcher_revoked_start(d->watcher, &call, &params);
	if (r >= 0)
		r = identity_session_watcher_revoked_params_init_sessions(
		        params, (uint32_t)ended->n, &list);
	for (size_t i = 0; r >= 0 && i < ended->n; i++)
		nx_capnp_blist_set_u64(&list, (uint32_t)i, ended->ids[i]);
	if (r >= 0) {
		a->d = d;
		a->in = in;
		a->call = call;
		a->next = d->announces;
		d->announces = a;
		r = identity_session_watcher_revoked_send(call, on_told, a); /* takes call */
		if (r < 0) {
			a->call = NULL;
			announce_free(a);
		}
		call = NULL;
	} else {
		free(a);
	}
	nx_rpc_call_free(call);
	if (r < 0) {
		/* The watcher is unusable: the change stands, samgrd's own rule covers it. */
		nx_log(NX_LOG_WARN, "session", "cannot tell samgrd of ended sessions: %s",
		        strerror(-r));
		return in ? nx_rpc_incoming_return(in) : 0;
	}
	if (in)
		nx_rpc_incoming_set_cancel_cb(in, on_caller_left, a);
	return in ? NX_RPC_ASYNC : 0;
}

void idd_watcher_stop(struct identityd *d)
{
	struct idd_announce *a = d->announces, *next;

	d->announces = NULL;
	for (; a; a = next) {
		next = a->next;
		if (a->in)
			(void)nx_rpc_incoming_failf(a->in, -ECANCELED, "identityd stops");
		announce_destroy(a);
	}
	d->watcher = identity_session_watcher_from_cap(
	        nx_rpc_cap_unref(identity_session_watcher_cap(d->watcher)));
}
