/* SPDX-License-Identifier: MIT */
/* dsoftbusd identity: device key, Noise static key and its signature, the ephemeral DRBG. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "keystore.capnp.h"
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "rng.capnp.h"
#include "samgr.capnp.h"

/* Entropy drawn from rngd to seed the DRBG: the seed and the nonce. */
#define SEED_BYTES (ENT_DRBG_SEED_MIN + ENT_DRBG_NONCE_MIN)

/* A channel to `name` through samgrd, and its bootstrap: both the caller's. */
static int connect_service(
        nx_svc *svc, const char *name, nx_rpc_conn **ret_conn, nx_rpc_cap **ret_cap)
{
	uint64_t deadline = nx_clock_monotonic_ns() + BUS_STARTUP_CALL_NS;
	struct nexus_endpoint *endpoint = NULL;
	samgr_resolve_results res;
	nx_rpc_call *call = NULL;
	int fd, r;

	r = samgr_resolve_wait(nx_svc_samgr(svc), name, deadline, &call, &res);
	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(res, &endpoint);
	fd = r >= 0 ? nx_rpc_cap_take_fd(nexus_endpoint_cap(endpoint)) : r;
	nx_rpc_cap_unref(nexus_endpoint_cap(endpoint));
	nx_rpc_call_free(call);
	if (fd < 0)
		return fd;
	r = nx_rpc_conn_new(nx_svc_loop(svc), fd, NULL, ret_conn); /* takes fd */
	if (r < 0)
		return r;
	r = nx_rpc_conn_bootstrap(*ret_conn, ret_cap);
	if (r < 0)
		*ret_conn = nx_rpc_conn_free(*ret_conn);
	return r;
}

static int entropy(struct rng *rng, uint8_t *out, uint32_t n)
{
	uint64_t deadline = nx_clock_monotonic_ns() + BUS_STARTUP_CALL_NS;
	rng_get_entropy_results res;
	nx_rpc_call *call = NULL;
	const uint8_t *bytes;
	size_t len = 0;
	int r;

	r = rng_get_entropy_wait(rng, n, deadline, &call, &res);
	if (r >= 0)
		r = rng_get_entropy_results_get_bytes(res, &bytes, &len);
	if (r >= 0 && len != n)
		r = -EPROTO;
	if (r >= 0)
		memcpy(out, bytes, n);
	nx_rpc_call_free(call);
	return r;
}

/* The static secret from the state dir, or a new one from rngd kept there (first start). */
static int static_secret(struct rng *rng, int dirfd, uint8_t secret[NOISE_DHLEN])
{
	void *buf = NULL;
	size_t len = 0;
	int r;

	r = nx_file_read_beneath(dirfd, BUS_STATIC_KEY_FILE, NOISE_DHLEN, &buf, &len);
	if (r >= 0 && len != NOISE_DHLEN)
		r = -EBADMSG;
	if (r >= 0)
		memcpy(secret, buf, NOISE_DHLEN);
	if (buf)
		sodium_memzero(buf, len);
	free(buf);
	if (r != -ENOENT)
		return r;
	r = entropy(rng, secret, NOISE_DHLEN);
	if (r >= 0)
		r = nx_file_create_atomic(dirfd, BUS_STATIC_KEY_FILE, secret, NOISE_DHLEN, 0600);
	if (r >= 0)
		nx_log(NX_LOG_INFO, "identity", "made a new Noise static key");
	return r;
}

static int device_key(struct keystore *ks, uint8_t pub[BUSAUTH_KEY_LEN])
{
	uint64_t deadline = nx_clock_monotonic_ns() + BUS_STARTUP_CALL_NS;
	keystore_public_key_results res;
	nx_rpc_call *call = NULL;
	const uint8_t *key;
	size_t len = 0;
	int r;

	r = keystore_public_key_wait(ks, "@device", deadline, &call, &res);
	if (r >= 0)
		r = keystore_public_key_results_get_public_key(res, &key, &len);
	if (r >= 0 && len != BUSAUTH_KEY_LEN)
		r = -EPROTO;
	if (r >= 0)
		memcpy(pub, key, BUSAUTH_KEY_LEN);
	nx_rpc_call_free(call);
	return r;
}

static int sign_static(
        struct keystore *ks, const uint8_t static_pub[NOISE_DHLEN], uint8_t sig[BUSAUTH_SIG_LEN])
{
	uint64_t deadline = nx_clock_monotonic_ns() + BUS_STARTUP_CALL_NS;
	keystore_sign_results res;
	keystore_sign_params_b p;
	nx_rpc_call *call = NULL;
	const uint8_t *got;
	size_t len = 0;
	int r;

	r = keystore_sign_start(ks, &call, &p);
	if (r >= 0)
		r = keystore_sign_params_set_key(p, "@device", strlen("@device"));
	if (r >= 0)
		r = keystore_sign_params_set_domain(
		        p, BUSAUTH_SIGN_DOMAIN, strlen(BUSAUTH_SIGN_DOMAIN));
	if (r >= 0)
		r = keystore_sign_params_set_data(p, static_pub, NOISE_DHLEN);
	if (r >= 0)
		r = keystore_sign_send_wait(call, deadline, &res);
	if (r >= 0)
		r = keystore_sign_results_get_signature(res, &got, &len);
	if (r >= 0 && len != BUSAUTH_SIG_LEN)
		r = -EPROTO;
	if (r >= 0)
		memcpy(sig, got, BUSAUTH_SIG_LEN);
	nx_rpc_call_free(call);
	return r;
}

/* A step failed: says which, once. */
static int failed(const char *step, int r)
{
	nx_log(NX_LOG_ERROR, "identity", "%s: %s", step, strerror(-r));
	return r;
}

int bus_identity_load(nx_svc *svc, int state_dirfd, struct bus_identity *id)
{
	nx_rpc_conn *rng_conn = NULL, *ks_conn = NULL;
	nx_rpc_cap *rng = NULL, *ks = NULL;
	uint8_t secret[NOISE_DHLEN], seed[SEED_BYTES], sig[BUSAUTH_SIG_LEN];
	int r;

	memset(id, 0, sizeof(*id));
	r = connect_service(svc, "rngd", &rng_conn, &rng);
	if (r < 0)
		return failed("cannot reach rngd", r);
	r = static_secret(rng_from_cap(rng), state_dirfd, secret);
	if (r < 0) {
		failed("no Noise static key", r);
		goto out;
	}
	r = noise_keypair_from_secret(secret, &id->noise_static);
	if (r >= 0)
		r = entropy(rng_from_cap(rng), seed, sizeof(seed));
	if (r >= 0)
		r = ent_drbg_instantiate(&id->drbg, seed, ENT_DRBG_SEED_MIN,
		        seed + ENT_DRBG_SEED_MIN, ENT_DRBG_NONCE_MIN, "dsoftbusd", 9);
	if (r < 0) {
		failed("cannot seed the ephemeral key generator", r);
		goto out;
	}
	r = connect_service(svc, "keystored", &ks_conn, &ks);
	if (r < 0) {
		failed("cannot reach keystored", r);
		goto out;
	}
	r = device_key(keystore_from_cap(ks), id->device_pub);
	if (r >= 0)
		r = busdisc_device_id(id->device_pub, id->device_id);
	if (r < 0) {
		failed("no device key", r);
		goto out;
	}
	r = sign_static(keystore_from_cap(ks), id->noise_static.public_key, sig);
	if (r < 0) {
		failed("keystored did not sign the static key (crypto.sign.bus.static)", r);
		goto out;
	}
	busauth_payload(id->device_pub, sig, id->payload);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(seed, sizeof(seed));
	nx_rpc_cap_unref(ks);
	nx_rpc_cap_unref(rng);
	nx_rpc_conn_free(ks_conn);
	nx_rpc_conn_free(rng_conn);
	if (r < 0)
		bus_identity_wipe(id);
	return r;
}

int bus_identity_ephemeral(struct bus_identity *id, struct noise_keypair *ret)
{
	uint8_t secret[NOISE_DHLEN];
	int r;

	r = ent_drbg_generate(&id->drbg, secret, sizeof(secret), NULL, 0);
	if (r >= 0)
		r = noise_keypair_from_secret(secret, ret);
	sodium_memzero(secret, sizeof(secret));
	return r;
}

void bus_identity_wipe(struct bus_identity *id)
{
	noise_keypair_wipe(&id->noise_static);
	ent_drbg_wipe(&id->drbg);
}
