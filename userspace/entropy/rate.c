/* SPDX-License-Identifier: MIT */
#include "rate.h"

#include <errno.h>
#include <string.h>

#define NANO 1000000000ull

void ent_rate_init(struct ent_rate *r, uint32_t rate, uint32_t burst)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
	r->burst = burst;
}

/* The subject's bucket, or a new full one in a free slot or in place of the least recently
 * seen subject. The table is small: a scan costs less than one DRBG block. */
static struct ent_rate_bucket *bucket(
        struct ent_rate *r, const char *subject, size_t len, uint64_t now_ns)
{
	struct ent_rate_bucket *oldest = NULL, *b;

	for (uint32_t i = 0; i < r->used; i++) {
		b = &r->b[i];
		if (strcmp(b->subject, subject) == 0)
			return b;
		if (!oldest || b->last_ns < oldest->last_ns)
			oldest = b;
	}
	b = r->used < ENT_RATE_SUBJECTS_MAX ? &r->b[r->used++] : oldest;
	memcpy(b->subject, subject, len); /* len <= ENT_RATE_SUBJECT_MAX: checked by the caller */
	b->subject[len] = '\0';
	b->nano_tokens = (uint64_t)r->burst * NANO;
	b->last_ns = now_ns;
	return b;
}

static void refill(const struct ent_rate *r, struct ent_rate_bucket *b, uint64_t now_ns)
{
	uint64_t cap = (uint64_t)r->burst * NANO, elapsed;

	if (now_ns <= b->last_ns)
		return;
	elapsed = now_ns - b->last_ns;
	b->last_ns = now_ns;
	/* Past the time a refill from empty takes the bucket is full; below it the product
	 * stays under cap + rate, far from overflow (cap < 2^62). */
	if (elapsed > cap / r->rate || b->nano_tokens + elapsed * r->rate >= cap)
		b->nano_tokens = cap;
	else
		b->nano_tokens += elapsed * r->rate;
}

int ent_rate_take(struct ent_rate *r, const char *subject, uint64_t n, uint64_t now_ns)
{
	struct ent_rate_bucket *b;
	size_t len;

	if (!r || !subject)
		return -EINVAL;
	len = strnlen(subject, ENT_RATE_SUBJECT_MAX + 1);
	if (len == 0 || len > ENT_RATE_SUBJECT_MAX)
		return -EINVAL;
	if (r->rate == 0)
		return 0;
	if (n > r->burst)
		return -E2BIG;
	b = bucket(r, subject, len, now_ns);
	refill(r, b, now_ns);
	if (b->nano_tokens < n * NANO)
		return -EDQUOT;
	b->nano_tokens -= n * NANO;
	return 0;
}
