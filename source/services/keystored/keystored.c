/* SPDX-License-Identifier: MIT */
/*
 * keystored's Keystore interface (tools/nexus-idl/schemas/keystore.capnp). Which key a call
 * means is userspace/keystore's ks_ref_resolve of the connection's subject (nx-svc's word,
 * never the payload's); the keys are the store's (store.h). This file reads requests, asks
 * policyd (crypto.sign.<domain>, crypto.key.manage), gets entropy from rngd for new keys and
 * the device key, and answers. Damage (`integrity:`) is answered and logged to logd.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "keystore/ref.h"
#include "keystored.h"
#include "nx-abi/clock.h"
#include "nx-log/log.h"
#include "payload.h"
#include "rng.capnp.h"

_Static_assert(KEYSTORE_NAME_MAX_LEN == KS_NAME_MAX, "keystore.capnp and limits-keystore.h");
_Static_assert(KEYSTORE_DOMAIN_MAX_LEN == KS_DOMAIN_MAX, "keystore.capnp and limits-keystore.h");
_Static_assert(KEYSTORE_DATA_INLINE_MAX == KS_INLINE_DATA_MAX, "keystore.capnp and limits");
_Static_assert(KEYSTORE_DATA_VMO_MAX == KS_VMO_DATA_MAX, "keystore.capnp and limits");
_Static_assert(KEYSTORE_KEYS_MAX == KS_KEYS_PER_SUBJECT, "keystore.capnp and limits");
_Static_assert(KS_PROVISION_ENTROPY <= RNG_INLINE_MAX, "entropy comes inline");

#define SIGN_CAP_PREFIX "crypto.sign."
#define MANAGE_CAP      "crypto.key.manage"

/* A create() waiting for rngd's bytes. */
struct create {
	keystored *d;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* the getEntropy call; NULL once it returned */
	char owner[NX_SVC_SUBJECT_MAX + 1];
	char name[KS_NAME_MAX + 1];
	struct create *next;
};

struct keystored {
	nx_svc *svc;
	kss *store; /* NULL: damaged, `broken` says how */
	char broken[KSS_WHY_MAX + 1];
	nx_follow *follow;
	struct rng *rng;             /* rngd's bootstrap while reachable */
	nx_rpc_call *provision_call; /* the device key's entropy, while asked */
	struct create *creates;
	unsigned ncreates;
};

/* Wipes bytes rngd sent us once used: they are a key's seed. The call's message is ours to
 * scribble on until the callback returns. */
static void wipe_received(const uint8_t *bytes, size_t len)
{
	sodium_memzero((void *)(uintptr_t)bytes, len);
}

/* Answers a store failure; damage is also logged, so logd keeps a record of it. */
static int fail_store(keystored *d, nx_rpc_incoming *in, int r, const char *key)
{
	switch (r) {
	case -ENOENT:
		return nx_rpc_incoming_failf(in, r, "key: no key %s", key);
	case -EEXIST:
		return nx_rpc_incoming_failf(in, r, "name: a key %s exists", key);
	case -EDQUOT:
		return nx_rpc_incoming_failf(
		        in, r, "name: %u keys held already", KS_KEYS_PER_SUBJECT);
	case -EAGAIN:
		return nx_rpc_incoming_failf(
		        in, r, "key: the device key is not made yet (waiting for rngd)");
	case -EBADMSG:
		nx_log(NX_LOG_ERROR, "keys", "integrity: %s", kss_why(d->store));
		return nx_rpc_incoming_failf(in, r, "%s", kss_why(d->store));
	case -ENOMEM:
		return r;
	case -EINVAL:
	case -EPERM:
		return nx_rpc_incoming_failf(in, r, "key: %s", key);
	default:
		return nx_rpc_incoming_failf(in, -EIO, "store: %s", strerror(-r));
	}
}

/* ---- The device key: made once, from rngd's bytes ---- */

static void provisioned(void *userdata, int error, const char *reason, rng_get_entropy_results res)
{
	keystored *d = userdata;
	const uint8_t *bytes = NULL;
	size_t len = 0;
	int r;

	d->provision_call = NULL; /* freed by nx-rpc after this returns */
	if (error < 0) {
		nx_log(NX_LOG_WARN, "keys", "device key: rngd gave no entropy: %s", reason);
		return; /* asked again on rngd's next "up" or the next call that needs it */
	}
	(void)rng_get_entropy_results_get_bytes(res, &bytes, &len);
	if (len != KS_PROVISION_ENTROPY) {
		nx_log(NX_LOG_ERROR, "keys", "device key: rngd sent %zu bytes, not %u", len,
		        KS_PROVISION_ENTROPY);
		return;
	}
	r = kss_provision(d->store, bytes, nx_clock_realtime_ns());
	wipe_received(bytes, len);
	if (r == -EBADMSG)
		nx_log(NX_LOG_ERROR, "keys", "integrity: %s", kss_why(d->store));
	else if (r < 0)
		nx_log(NX_LOG_ERROR, "keys", "device key: cannot store it: %s", strerror(-r));
	else
		nx_log(NX_LOG_NOTICE, "keys", "device key made from rngd entropy");
}

/* Asks rngd for the device key's bytes unless it exists, is being asked for, or rngd is away. */
static void provision(keystored *d)
{
	rng_get_entropy_params_b p;
	nx_rpc_call *call = NULL;

	if (!d->store || !kss_needs_provision(d->store) || d->provision_call || !d->rng)
		return;
	if (rng_get_entropy_start(d->rng, &call, &p) < 0)
		return;
	rng_get_entropy_params_set_n(p, KS_PROVISION_ENTROPY);
	if (rng_get_entropy_send(call, provisioned, d) >= 0)
		d->provision_call = call;
}

static void rng_up(void *userdata, nx_rpc_cap *bootstrap)
{
	keystored *d = userdata;

	nx_rpc_cap_unref(rng_cap(d->rng));
	d->rng = rng_from_cap(nx_rpc_cap_ref(bootstrap));
	d->provision_call = nx_rpc_call_free(d->provision_call); /* asked again on this one */
	provision(d);
}

static void rng_down(void *userdata)
{
	keystored *d = userdata;

	nx_rpc_cap_unref(rng_cap(d->rng));
	d->rng = NULL;
}

static const struct nx_follow_ops rng_ops = {.up = rng_up, .down = rng_down};

/* ---- Shared checks ---- */

/* The store, or an answer: damaged (integrity). */
static kss *store_or_fail(keystored *d, nx_rpc_incoming *in, int *ret_answer)
{
	if (d->store)
		return d->store;
	*ret_answer = nx_rpc_incoming_failf(in, -EBADMSG, "%s", d->broken);
	return NULL;
}

/* The caller's subject resolves `key`: 0, or the answer in *ret_answer. */
static int resolve(keystored *d, nx_rpc_incoming *in, const char *key, size_t len,
        struct ks_ref *ret, int *ret_answer)
{
	const char *subject = nx_svc_subject(d->svc, in);
	int r;

	if (!subject) { /* not through an accepted connection: nobody vouched for it */
		*ret_answer = -EPERM;
		return -EPERM;
	}
	r = ks_ref_resolve(subject, key, len, ret);
	if (r < 0)
		*ret_answer = nx_rpc_incoming_failf(in, -EINVAL,
		        "key: not %s nor a name of 1..%u bytes of [A-Za-z0-9._-]", KS_DEVICE_REF,
		        KS_NAME_MAX);
	return r;
}

/* Whether the caller holds `cap`: 0 (allowed), 1 with *ret_answer (denied, or held for
 * policyd: NX_RPC_ASYNC). */
static int authorize(keystored *d, nx_rpc_incoming *in, const char *cap, int *ret_answer)
{
	bool allowed = false;
	int r = nx_svc_allowed(d->svc, in, cap, &allowed);

	if (r != 0) {
		*ret_answer = r;
		return 1;
	}
	if (!allowed) {
		*ret_answer = nx_rpc_incoming_failf(
		        in, -EPERM, "%s lacks %s", nx_svc_subject(d->svc, in), cap);
		return 1;
	}
	return 0;
}

/* ---- Methods ---- */

static int serve_public_key(void *impl, nx_rpc_incoming *in, keystore_public_key_params params)
{
	keystored *d = impl;
	uint8_t pub[KS_PUBLIC_LEN];
	struct ks_ref ref;
	const char *key;
	size_t len;
	int answer = 0, r;
	kss *s = store_or_fail(d, in, &answer);

	if (!s)
		return answer;
	(void)keystore_public_key_params_get_key(params, &key, &len); /* validated */
	if (resolve(d, in, key, len, &ref, &answer) < 0)
		return answer;
	r = kss_public(s, &ref, pub);
	if (r == -EAGAIN)
		provision(d);
	if (r < 0)
		return fail_store(d, in, r, key);
	return keystore_public_key_return(in, pub, sizeof(pub));
}

static int serve_sign(void *impl, nx_rpc_incoming *in, keystore_sign_params params)
{
	keystored *d = impl;
	char cap[sizeof(SIGN_CAP_PREFIX) + KS_DOMAIN_MAX];
	uint8_t sig[KS_SIGNATURE_LEN];
	const char *key, *domain, *why = "";
	const uint8_t *data;
	size_t klen, dlen, len;
	struct ksd_payload payload;
	struct ks_ref ref;
	int answer = 0, r;
	kss *s = store_or_fail(d, in, &answer);

	if (!s)
		return answer;
	/* The dispatcher validated the params against the schema. */
	(void)keystore_sign_params_get_key(params, &key, &klen);
	(void)keystore_sign_params_get_domain(params, &domain, &dlen);
	(void)keystore_sign_params_get_data(params, &data, &len);
	if (resolve(d, in, key, klen, &ref, &answer) < 0)
		return answer;
	if (!ks_domain_valid(domain, dlen))
		return nx_rpc_incoming_failf(in, -EINVAL,
		        "domain: not 1..%u bytes of [a-z0-9._-] with no empty segment",
		        KS_DOMAIN_MAX);
	snprintf(cap, sizeof(cap), SIGN_CAP_PREFIX "%s", domain);
	if (authorize(d, in, cap, &answer))
		return answer;
	r = ksd_payload_read(data, len, keystore_sign_params_has_vmo(params),
	        keystore_sign_params_get_vmo(params), &payload, &why);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "%s", why);
	r = kss_sign(s, &ref, domain, payload.data, payload.len, sig);
	ksd_payload_done(&payload);
	if (r == -EAGAIN)
		provision(d);
	if (r < 0)
		return fail_store(d, in, r, key);
	return keystore_sign_return(in, sig, sizeof(sig));
}

static int serve_verify(void *impl, nx_rpc_incoming *in, keystore_verify_params params)
{
	const uint8_t *pub, *sig, *data;
	const char *domain, *why = "";
	size_t plen, slen, dlen, len;
	struct ksd_payload payload;
	int r;

	(void)impl;
	/* The dispatcher validated the params against the schema. */
	(void)keystore_verify_params_get_public_key(params, &pub, &plen);
	(void)keystore_verify_params_get_signature(params, &sig, &slen);
	(void)keystore_verify_params_get_domain(params, &domain, &dlen);
	(void)keystore_verify_params_get_data(params, &data, &len);
	if (plen != KS_PUBLIC_LEN)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "publicKey: %zu bytes, not %u", plen, KS_PUBLIC_LEN);
	if (slen != KS_SIGNATURE_LEN)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "signature: %zu bytes, not %u", slen, KS_SIGNATURE_LEN);
	if (!ks_domain_valid(domain, dlen))
		return nx_rpc_incoming_failf(in, -EINVAL,
		        "domain: not 1..%u bytes of [a-z0-9._-] with no empty segment",
		        KS_DOMAIN_MAX);
	r = ksd_payload_read(data, len, keystore_verify_params_has_vmo(params),
	        keystore_verify_params_get_vmo(params), &payload, &why);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "%s", why);
	r = ks_verify(pub, domain, payload.data, payload.len, sig);
	ksd_payload_done(&payload);
	if (r < 0 && r != -EBADMSG)
		return r == -ENOMEM ? r : nx_rpc_incoming_failf(in, r, "verify: %s", strerror(-r));
	return keystore_verify_return(in, r == 0);
}

/* ---- create(): rngd's bytes, then the store ---- */

static void create_unlink(struct create *c)
{
	struct create **p = &c->d->creates;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	c->d->ncreates--;
	free(c);
}

static void created(void *userdata, int error, const char *reason, rng_get_entropy_results res)
{
	struct create *c = userdata;
	uint8_t pub[KS_PUBLIC_LEN];
	const uint8_t *bytes = NULL;
	size_t len = 0;
	int r;

	c->call = NULL; /* freed by nx-rpc after this returns */
	if (error < 0) {
		(void)nx_rpc_incoming_failf(c->in, -EAGAIN, "rngd gave no entropy: %s", reason);
		return create_unlink(c);
	}
	(void)rng_get_entropy_results_get_bytes(res, &bytes, &len);
	if (len != KS_CREATE_ENTROPY) {
		(void)nx_rpc_incoming_failf(
		        c->in, -EIO, "rngd sent %zu bytes, not %u", len, KS_CREATE_ENTROPY);
		return create_unlink(c);
	}
	r = kss_create(c->d->store, c->owner, c->name, bytes, nx_clock_realtime_ns(), pub);
	wipe_received(bytes, len);
	if (r < 0) {
		r = fail_store(c->d, c->in, r, c->name);
		if (r < 0) /* out of memory: no answer could be built */
			(void)nx_rpc_incoming_failf(c->in, -EIO, "out of memory");
	} else {
		nx_log(NX_LOG_INFO, "keys", "%s created key %s", c->owner, c->name);
		(void)keystore_create_return(c->in, pub, sizeof(pub));
	}
	create_unlink(c);
}

/* The caller gave up (or its connection died): no key is made for it. */
static void create_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct create *c = userdata;

	nx_rpc_call_free(c->call); /* before it returned: `created` never runs */
	(void)nx_rpc_incoming_failf(in, -EAGAIN, "canceled");
	create_unlink(c);
}

static int serve_create(void *impl, nx_rpc_incoming *in, keystore_create_params params)
{
	keystored *d = impl;
	rng_get_entropy_params_b p;
	struct create *c;
	struct ks_ref ref;
	const char *name;
	size_t len;
	int answer = 0, r;

	if (!store_or_fail(d, in, &answer))
		return answer;
	(void)keystore_create_params_get_name(params, &name, &len); /* validated */
	if (resolve(d, in, name, len, &ref, &answer) < 0)
		return answer;
	if (ref.device)
		return nx_rpc_incoming_failf(in, -EINVAL, "name: %s is not a name", name);
	if (authorize(d, in, MANAGE_CAP, &answer))
		return answer;
	if (!d->rng)
		return nx_rpc_incoming_failf(in, -EAGAIN, "rngd: not reachable for entropy");
	if (d->ncreates >= KS_CREATES_PENDING_MAX)
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "create: %u creations wait for rngd already", KS_CREATES_PENDING_MAX);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->in = in;
	snprintf(c->owner, sizeof(c->owner), "%s", ref.owner);
	snprintf(c->name, sizeof(c->name), "%s", ref.name);
	r = rng_get_entropy_start(d->rng, &c->call, &p);
	if (r >= 0) {
		rng_get_entropy_params_set_n(p, KS_CREATE_ENTROPY);
		r = rng_get_entropy_send(c->call, created, c); /* frees the call on failure */
	}
	if (r < 0) {
		free(c);
		return nx_rpc_incoming_failf(in, -EAGAIN, "rngd: %s", strerror(-r));
	}
	c->next = d->creates;
	d->creates = c;
	d->ncreates++;
	nx_rpc_incoming_set_cancel_cb(in, create_canceled, c);
	return NX_RPC_ASYNC;
}

static int serve_list(void *impl, nx_rpc_incoming *in, keystore_list_params params)
{
	keystored *d = impl;
	struct kss_key keys[KS_KEYS_PER_SUBJECT];
	const char *subject = nx_svc_subject(d->svc, in);
	keystore_list_results_b res;
	nx_capnp_blist list;
	size_t n = 0;
	int answer = 0, r;
	kss *s = store_or_fail(d, in, &answer);

	(void)params;
	if (!s)
		return answer;
	if (!subject)
		return -EPERM;
	r = kss_list(s, subject, keys, KS_KEYS_PER_SUBJECT, &n);
	if (r < 0)
		return fail_store(d, in, r, "");
	r = keystore_list_results_init(in, &res);
	if (r >= 0)
		r = keystore_list_results_init_keys(res, (uint32_t)n, &list);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		keystore_key_info_b k = keystore_key_info_b_at(&list, (uint32_t)i);

		r = keystore_key_info_set_name(k, keys[i].name, strlen(keys[i].name));
		if (r >= 0)
			r = keystore_key_info_set_public_key(k, keys[i].public, KS_PUBLIC_LEN);
		keystore_key_info_set_created_ns(k, keys[i].created_ns);
	}
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_delete(void *impl, nx_rpc_incoming *in, keystore_delete_params params)
{
	keystored *d = impl;
	struct ks_ref ref;
	const char *name;
	size_t len;
	int answer = 0, r;
	kss *s = store_or_fail(d, in, &answer);

	if (!s)
		return answer;
	(void)keystore_delete_params_get_name(params, &name, &len); /* validated */
	if (resolve(d, in, name, len, &ref, &answer) < 0)
		return answer;
	if (ref.device)
		return nx_rpc_incoming_failf(in, -EPERM, "name: the device key is never deleted");
	if (authorize(d, in, MANAGE_CAP, &answer))
		return answer;
	r = kss_delete(s, ref.owner, ref.name);
	if (r < 0)
		return fail_store(d, in, r, name);
	nx_log(NX_LOG_INFO, "keys", "%s deleted key %s", ref.owner, ref.name);
	return keystore_delete_return(in);
}

static const struct keystore_server keystore_vt = {
        .public_key = serve_public_key,
        .sign = serve_sign,
        .verify = serve_verify,
        .create = serve_create,
        .list = serve_list,
        .delete_ = serve_delete,
};

int keystored_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	return keystore_dispatch(&keystore_vt, impl, in, iface, method);
}

int keystored_new(nx_svc *svc, kss *store, const char *broken, keystored **ret,
        struct keystore **ret_bootstrap)
{
	keystored *d = calloc(1, sizeof(*d));
	int r;

	if (!d) {
		kss_free(store);
		return -ENOMEM;
	}
	d->svc = svc;
	d->store = store;
	snprintf(d->broken, sizeof(d->broken), "%s", broken ? broken : "store unusable");
	r = nx_follow_new(nx_svc_loop(svc), nx_svc_samgr(svc), "rngd", &rng_ops, d, &d->follow);
	if (r >= 0)
		r = keystore_server_new(&keystore_vt, d, NULL, ret_bootstrap);
	if (r < 0)
		return keystored_free(d), r;
	*ret = d;
	return 0;
}

keystored *keystored_free(keystored *d)
{
	if (!d)
		return NULL;
	for (struct create *c = d->creates, *next; c; c = next) {
		next = c->next;
		nx_rpc_call_free(c->call);
		(void)nx_rpc_incoming_failf(c->in, -EAGAIN, "keystored is stopping");
		free(c);
	}
	nx_rpc_call_free(d->provision_call);
	nx_follow_free(d->follow);
	nx_rpc_cap_unref(rng_cap(d->rng));
	kss_free(d->store);
	free(d);
	return NULL;
}
