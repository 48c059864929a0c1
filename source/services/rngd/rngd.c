/* SPDX-License-Identifier: MIT */
/*
 * rngd's Rng server: rngd_dispatch asks policyd for rng.entropy first (nx_svc_allowed), then
 * the handlers check the request, reseed when the policy says so, charge the subject's byte
 * rate and answer: inline up to RNG_INLINE_MAX, else a sealed memfd of exactly n bytes that
 * the DRBG wrote in place.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-util/macro.h"
#include "rngd.h"

/* ---- getEntropy ---------------------------------------------------------------------------- */

/* The generator ready to serve: reseeded first when due. 0, or -EAGAIN (no source passes). */
static int ready(struct rngd *d)
{
	if (!ent_gen_reseed_due(&d->gen, nx_clock_monotonic_ns()))
		return 0;
	return rngd_reseed(d);
}

static int answer_inline(struct rngd *d, nx_rpc_incoming *in, uint32_t n)
{
	uint8_t buf[RNG_INLINE_MAX];
	rng_get_entropy_results_b res;
	int r;

	r = ent_gen_fill(&d->gen, buf, n, nx_clock_monotonic_ns());
	if (r >= 0)
		r = rng_get_entropy_results_init(in, &res);
	if (r >= 0)
		r = rng_get_entropy_results_set_bytes(res, buf, n);
	sodium_memzero(buf, sizeof(buf));
	return r;
}

/* n bytes written by the DRBG straight into a fresh memfd, sealed (FROZEN), then sent. */
static int answer_vmo(struct rngd *d, nx_rpc_incoming *in, uint32_t n)
{
	static const struct nexus_vmo_server vmo_server = {0};
	struct nx_vmo_map map = {0};
	struct nexus_vmo *vmo = NULL;
	rng_get_entropy_results_b res;
	nexus_vmo_ref_b ref;
	int fd = -1, r;

	r = nx_vmo_create("rngd-entropy", n, &fd);
	if (r >= 0)
		r = nx_vmo_map_rw(fd, true, &map);
	if (r >= 0)
		r = ent_gen_fill(&d->gen, map.addr, n, nx_clock_monotonic_ns());
	nx_vmo_unmap(&map);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r >= 0) {
		r = nexus_vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, &vmo); /* takes fd */
		fd = -1;
	}
	if (r >= 0)
		r = rng_get_entropy_results_init(in, &res);
	if (r >= 0)
		r = rng_get_entropy_results_init_vmo(res, &ref);
	if (r >= 0) {
		r = nexus_vmo_ref_set_vmo(ref, vmo); /* the results hold their own reference */
		nexus_vmo_ref_set_size(ref, n);
	}
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	nx_fd_close(fd);
	return r;
}

static int serve_get_entropy(void *impl, nx_rpc_incoming *in, rng_get_entropy_params params)
{
	struct rngd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	uint32_t n = rng_get_entropy_params_get_n(params);
	int r;

	if (n == 0)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "n: 0 bytes asked (1..%u)", RNG_REQUEST_MAX);
	if (n > RNG_REQUEST_MAX)
		return nx_rpc_incoming_failf(
		        in, -EMSGSIZE, "n: %u bytes is over %u", n, RNG_REQUEST_MAX);
	/* Refusals the report counts: no healthy source, over the rate. */
	if (ready(d) < 0) {
		d->requests_refused++;
		return nx_rpc_incoming_failf(
		        in, -EAGAIN, "no entropy source passes its health tests");
	}
	r = ent_rate_take(d->rate, subject, n, nx_clock_monotonic_ns());
	if (r == -EDQUOT || r == -E2BIG) {
		d->requests_refused++;
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "%s is over its entropy rate of %u bytes/s (burst %u bytes)%s", subject,
		        d->rate->rate, d->rate->burst,
		        r == -E2BIG ? ": n is over the burst" : "; try again later");
	}
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "subject %s cannot be rate limited", subject);
	r = n <= RNG_INLINE_MAX ? answer_inline(d, in, n) : answer_vmo(d, in, n);
	if (r < 0)
		return nx_rpc_incoming_failf(in, -EIO, "answering failed: %s", strerror(-r));
	d->requests_served++;
	return nx_rpc_incoming_return(in);
}

/* ---- status -------------------------------------------------------------------------------- */

static int serve_status(void *impl, nx_rpc_incoming *in, rng_status_params params)
{
	struct rngd *d = impl;
	rng_status_results_b res;
	nx_capnp_blist list;
	rng_report_b rep;
	int r;

	r = rng_status_results_init(in, &res);
	if (r >= 0)
		r = rng_status_results_init_report(res, &rep);
	if (r >= 0)
		r = rng_report_init_sources(rep, d->n_sources, &list);
	for (unsigned i = 0; r >= 0 && i < d->n_sources; i++) {
		const struct rngd_source *s = &d->sources[i];
		rng_source_b b = rng_source_b_at(&list, i);

		r = rng_source_set_name(b, s->name, strlen(s->name));
		rng_source_set_in_use(b, d->in_use == (int)i);
		rng_source_set_healthy(b, !s->failed);
		rng_source_set_samples(b, s->health.samples);
		rng_source_set_repetition_failures(b, s->health.rct_failures);
		rng_source_set_proportion_failures(b, s->health.apt_failures);
		rng_source_set_min_entropy_milli_bits(b, s->health.min_entropy_milli);
	}
	if (r < 0)
		return r;
	rng_report_set_reseeds(rep, d->gen.reseeds);
	rng_report_set_bytes_served(rep, d->gen.bytes_served);
	rng_report_set_requests_served(rep, d->requests_served);
	rng_report_set_requests_refused(rep, d->requests_refused);
	return nx_rpc_incoming_return(in);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static const struct rng_server rng_server = {
        .get_entropy = serve_get_entropy,
        .status = serve_status,
};

int rngd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	struct rngd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	bool allowed = false;
	int r;

	if (interface_id != RNG_INTERFACE_ID || !rng_method_name(method_id))
		return rng_dispatch(&rng_server, d, in, interface_id, method_id); /* -ENOSYS */
	if (!subject) /* not through a connection samgrd vouched for */
		return nx_rpc_incoming_failf(in, -EPERM, "no subject for this connection");
	r = nx_svc_allowed(d->svc, in, "rng.entropy", &allowed);
	if (r != 0)
		return r; /* NX_RPC_ASYNC: held; this runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks rng.entropy", subject);
	return rng_dispatch(&rng_server, d, in, interface_id, method_id);
}

static const struct nx_rpc_server_ops rng_ops = {
        .dispatch = rngd_dispatch,
};

int rngd_rng_new(struct rngd *d, nx_rpc_cap **ret)
{
	return nx_rpc_server_new(&rng_ops, d, ret);
}
