/* SPDX-License-Identifier: MIT */
#include "health.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>

uint32_t ent_health_rct_cutoff(uint32_t milli)
{
	if (milli == 0 || milli > ENT_HEALTH_MIN_ENTROPY_MAX)
		return 0;
	/* 1 + ceil(log2(1/alpha) / H), with H = milli / 1000, in integers. */
	return 1 + (ENT_HEALTH_ALPHA_LOG2 * 1000u + milli - 1) / milli;
}

/* log of the binomial pmf: C(n, k) p^k (1-p)^(n-k). */
static double log_pmf(uint32_t n, uint32_t k, double log_p, double log_q)
{
	return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log_p +
	       (n - k) * log_q;
}

uint32_t ent_health_apt_cutoff(uint32_t milli)
{
	const uint32_t w = ENT_HEALTH_APT_WINDOW;
	const double alpha = ldexp(1.0, -(int)ENT_HEALTH_ALPHA_LOG2);
	double p, log_p, log_q, tail = 0.0;
	uint32_t k = w;

	if (milli == 0 || milli > ENT_HEALTH_MIN_ENTROPY_MAX)
		return 0;
	p = exp2(-(double)milli / 1000.0);
	log_p = log(p);
	log_q = log1p(-p);
	/* CRITBINOM(w, p, 1 - alpha) is the smallest k with P(X > k) <= alpha: walk down from
	 * the top, summing the tail from its small end (no cancellation). */
	while (k > 0) {
		double next = tail + exp(log_pmf(w, k, log_p, log_q));

		if (next > alpha)
			break;
		tail = next;
		k--;
	}
	return k + 1 > w ? w : k + 1;
}

size_t ent_health_bytes_for(uint32_t milli, uint32_t bits)
{
	if (milli == 0 || milli > ENT_HEALTH_MIN_ENTROPY_MAX)
		return 0;
	return ((size_t)bits * 1000u + milli - 1) / milli;
}

int ent_health_init(struct ent_health *h, uint32_t milli)
{
	if (!h || milli == 0 || milli > ENT_HEALTH_MIN_ENTROPY_MAX)
		return -EINVAL;
	*h = (struct ent_health){
	        .min_entropy_milli = milli,
	        .rct_cutoff = ent_health_rct_cutoff(milli),
	        .apt_cutoff = ent_health_apt_cutoff(milli),
	};
	return 0;
}

/* Section 4.4.1: true when this sample makes the run reach the cutoff. */
static bool rct_step(struct ent_health *h, uint8_t s)
{
	if (h->rct_run > 0 && s == h->rct_value) {
		h->rct_run++;
		return h->rct_run == h->rct_cutoff;
	}
	h->rct_value = s;
	h->rct_run = 1;
	return false;
}

/* Section 4.4.2: the first sample of a window is the reference, counted once; true when the
 * count reaches the cutoff within the window. */
static bool apt_step(struct ent_health *h, uint8_t s)
{
	if (h->apt_seen == 0) {
		h->apt_ref = s;
		h->apt_count = 1;
		h->apt_seen = 1;
		return false;
	}
	h->apt_seen++;
	if (h->apt_seen == ENT_HEALTH_APT_WINDOW)
		h->apt_seen = 0; /* the next sample starts a new window */
	if (s != h->apt_ref)
		return false;
	h->apt_count++;
	return h->apt_count == h->apt_cutoff;
}

int ent_health_feed(struct ent_health *h, const uint8_t *samples, size_t n)
{
	bool failed = false;

	if (!h || (!samples && n > 0) || h->rct_cutoff == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (rct_step(h, samples[i])) {
			h->rct_failures++;
			failed = true;
		}
		if (apt_step(h, samples[i])) {
			h->apt_failures++;
			failed = true;
		}
	}
	h->samples += n;
	return failed ? -EIO : 0;
}

int ent_health_startup(struct ent_health *h, const uint8_t *samples, size_t n)
{
	if (!h || n < ENT_HEALTH_STARTUP_SAMPLES)
		return -EINVAL;
	h->rct_run = 0;
	h->apt_seen = 0;
	return ent_health_feed(h, samples, n);
}
