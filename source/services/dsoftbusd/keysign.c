/* SPDX-License-Identifier: MIT */
/* dsoftbusd keysign (keysign.h): Keystore.sign with "@device" over a followed channel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "busdisc/announce.h"
#include "follow.h"
#include "keystore.capnp.h"
#include "keystore/ref.h"
#include "keysign.h"
#include "nx-log/log.h"

#define DEVICE_KEY "@device"

/* One call in flight; unlinked when its answer came (or on free). */
struct keysign_req {
	struct keysign_req *next, **prev;
	nx_rpc_call *call;
	bus_disc_signed_fn done;
	void *ctx;
};

struct bus_keysign {
	nx_follow *follow;
	struct keystore *keystore; /* NULL while keystored is away */
	struct keysign_req *reqs;
};

static void unlink_req(struct keysign_req *req)
{
	*req->prev = req->next;
	if (req->next)
		req->next->prev = req->prev;
}

static void answered(void *userdata, int error, const char *reason, keystore_sign_results res)
{
	struct keysign_req *req = userdata;
	const uint8_t *sig = NULL;
	size_t len = 0;

	unlink_req(req); /* nx-rpc frees the call after this returns */
	if (error < 0)
		nx_log(NX_LOG_WARN, "keysign", "keystored did not sign: %s", reason);
	else if (keystore_sign_results_get_signature(res, &sig, &len) < 0 || len != BUSDISC_SIG_LEN)
		error = -EBADMSG;
	req->done(req->ctx, error, error < 0 ? NULL : sig);
	free(req);
}

int bus_keysign_sign(bus_keysign *ks, const char *domain, const uint8_t *data, size_t len,
        bus_disc_signed_fn done, void *ctx)
{
	keystore_sign_params_b p;
	struct keysign_req *req;
	int r;

	if (!ks || !domain || !ks_domain_valid(domain, strlen(domain)) || (!data && len) ||
	        len > KS_INLINE_DATA_MAX || !done)
		return -EINVAL;
	if (!ks->keystore)
		return -ENOTCONN;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	*req = (struct keysign_req){.done = done, .ctx = ctx};
	r = keystore_sign_start(ks->keystore, &req->call, &p);
	if (r == 0)
		r = keystore_sign_params_set_key(p, DEVICE_KEY, strlen(DEVICE_KEY));
	if (r == 0)
		r = keystore_sign_params_set_domain(p, domain, strlen(domain));
	if (r == 0)
		r = keystore_sign_params_set_data(p, data, len);
	if (r < 0) {
		nx_rpc_call_free(req->call);
		free(req);
		return r;
	}
	r = keystore_sign_send(req->call, answered, req); /* takes the call */
	if (r < 0) {
		free(req);
		return r;
	}
	req->next = ks->reqs;
	req->prev = &ks->reqs;
	if (ks->reqs)
		ks->reqs->prev = &req->next;
	ks->reqs = req;
	return 0;
}

int bus_keysign_announce(
        void *keysign, const uint8_t *data, size_t len, bus_disc_signed_fn done, void *ctx)
{
	return bus_keysign_sign(keysign, BUSDISC_SIGN_DOMAIN, data, len, done, ctx);
}

/* Calls in flight on an old channel fail on their own when it breaks: their answer says so. */
static void keystore_up(void *userdata, nx_rpc_cap *bootstrap)
{
	bus_keysign *ks = userdata;

	nx_rpc_cap_unref(keystore_cap(ks->keystore));
	ks->keystore = keystore_from_cap(nx_rpc_cap_ref(bootstrap));
}

static void keystore_down(void *userdata)
{
	bus_keysign *ks = userdata;

	nx_rpc_cap_unref(keystore_cap(ks->keystore));
	ks->keystore = NULL;
}

static const struct nx_follow_ops keystore_ops = {.up = keystore_up, .down = keystore_down};

int bus_keysign_new(nx_loop *loop, struct samgr *samgr, bus_keysign **ret)
{
	bus_keysign *ks;
	int r;

	if (!loop || !samgr || !ret)
		return -EINVAL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	r = nx_follow_new(loop, samgr, "keystored", &keystore_ops, ks, &ks->follow);
	if (r < 0) {
		free(ks);
		return r;
	}
	*ret = ks;
	return 0;
}

bus_keysign *bus_keysign_free(bus_keysign *ks)
{
	if (!ks)
		return NULL;
	for (struct keysign_req *req = ks->reqs, *next; req; req = next) {
		next = req->next;
		nx_rpc_call_free(req->call); /* cancels: `answered` never runs */
		req->done(req->ctx, -ECANCELED, NULL);
		free(req);
	}
	ks->reqs = NULL;
	nx_follow_free(ks->follow);
	nx_rpc_cap_unref(keystore_cap(ks->keystore));
	free(ks);
	return NULL;
}
