/* SPDX-License-Identifier: MIT */
/*
 * rngd's sources: raw bytes from a device fd (read with a deadline) or getrandom, each run
 * through SP 800-90B's startup test once and the continuous tests always, in a fixed order
 * of preference. A source that fails anything is reported (nx-log: the console and logd),
 * closed and skipped for good; the next one takes over.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "nx-abi/clock.h"
#include "nx-abi/dev.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "rngd.h"

/* "nexus rngd": the DRBG's personalization string, so its states differ from any other
 * HMAC_DRBG seeded from the same bytes. */
static const char personalization[] = "nexus rngd";

static int source_add(struct rngd *d, const char *name, enum rngd_source_kind kind, int fd,
        struct rngd_source **ret)
{
	struct rngd_source *s;
	int r;

	if (d->n_sources >= RNG_SOURCES_MAX)
		return -E2BIG;
	s = &d->sources[d->n_sources];
	memset(s, 0, sizeof(*s));
	r = ent_health_init(&s->health, RNGD_MIN_ENTROPY_MILLI);
	if (r < 0)
		return r;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = kind;
	s->fd = fd;
	d->n_sources++;
	*ret = s;
	return 0;
}

int rngd_source_add_fd(struct rngd *d, const char *name, int fd)
{
	struct rngd_source *s;
	int r = source_add(d, name, RNGD_SOURCE_FD, fd, &s);

	if (r < 0)
		nx_fd_close(fd);
	return r;
}

int rngd_source_add_kernel(struct rngd *d)
{
	struct rngd_source *s;

	return source_add(d, "getrandom", RNGD_SOURCE_KERNEL, -1, &s);
}

int rngd_source_add_failed(struct rngd *d, const char *name, int err)
{
	struct rngd_source *s;
	int r = source_add(d, name, RNGD_SOURCE_FD, -1, &s);

	if (r < 0)
		return r;
	s->failed = true;
	nx_log(NX_LOG_WARN, "source", "%s: cannot open: %s; not used", name, strerror(-err));
	return 0;
}

static int source_read(struct rngd_source *s, uint8_t *buf, size_t n)
{
	if (s->kind == RNGD_SOURCE_KERNEL)
		return nx_random_kernel(buf, n);
	return nx_dev_read_timeout(s->fd, buf, n, RNGD_HWRNG_TIMEOUT_MS);
}

/* Raw bytes that passed the tests (the startup test first, on its own samples, discarded). */
static int source_take(struct rngd_source *s, uint8_t *buf, size_t n)
{
	uint8_t startup[ENT_HEALTH_STARTUP_SAMPLES];
	int r;

	if (!s->started) {
		r = source_read(s, startup, sizeof(startup));
		if (r >= 0)
			r = ent_health_startup(&s->health, startup, sizeof(startup));
		sodium_memzero(startup, sizeof(startup));
		if (r < 0)
			return r;
		s->started = true;
	}
	r = source_read(s, buf, n);
	if (r >= 0)
		r = ent_health_feed(&s->health, buf, n);
	return r;
}

/* Says why s failed, once, where the operator looks (console and journal). */
static void source_fail(struct rngd_source *s, int err)
{
	const struct ent_health *h = &s->health;

	s->failed = true;
	if (s->fd >= 0)
		nx_fd_close(s->fd);
	s->fd = -1;
	if (err == -EIO)
		nx_log(NX_LOG_ERROR, "source",
		        "%s: %s health test failed (repetition count failures %llu, adaptive "
		        "proportion failures %llu, %llu samples); not used again",
		        s->name, s->started ? "continuous" : "startup",
		        (unsigned long long)h->rct_failures, (unsigned long long)h->apt_failures,
		        (unsigned long long)h->samples);
	else if (err == -ETIMEDOUT)
		nx_log(NX_LOG_ERROR, "source", "%s: no data within %d ms; not used again", s->name,
		        RNGD_HWRNG_TIMEOUT_MS);
	else if (err == -ENODATA)
		nx_log(NX_LOG_ERROR, "source", "%s: the source ended; not used again", s->name);
	else
		nx_log(NX_LOG_ERROR, "source", "%s: read failed: %s; not used again", s->name,
		        strerror(-err));
}

/* n tested bytes from the first source that gives them. 0, or -EAGAIN if none does. */
static int collect(struct rngd *d, uint8_t *buf, size_t n)
{
	for (unsigned i = 0; i < d->n_sources; i++) {
		struct rngd_source *s = &d->sources[i];
		int r;

		if (s->failed)
			continue;
		r = source_take(s, buf, n);
		if (r == 0) {
			if (d->in_use != (int)i)
				nx_log(NX_LOG_INFO, "source", "seeding from %s", s->name);
			d->in_use = (int)i;
			return 0;
		}
		source_fail(s, r);
	}
	d->in_use = -1;
	return -EAGAIN;
}

int rngd_reseed(struct rngd *d)
{
	/* Security strength 256 bits of entropy, and a 128-bit nonce on instantiation, at the
	 * claimed min-entropy per byte. */
	size_t entropy = ent_health_bytes_for(RNGD_MIN_ENTROPY_MILLI, 256);
	size_t nonce = ent_health_bytes_for(RNGD_MIN_ENTROPY_MILLI, 128);
	uint8_t buf[ENT_DRBG_INPUT_MAX];
	uint64_t now = nx_clock_monotonic_ns();
	int r;

	if (!d->gen.drbg.instantiated) {
		r = collect(d, buf, entropy + nonce);
		if (r == 0)
			r = ent_gen_instantiate(&d->gen, buf, entropy, buf + entropy, nonce,
			        personalization, sizeof(personalization) - 1, now);
	} else {
		r = collect(d, buf, entropy);
		if (r == 0)
			r = ent_gen_reseed(&d->gen, buf, entropy, now);
	}
	sodium_memzero(buf, sizeof(buf));
	return r;
}

void rngd_sources_free(struct rngd *d)
{
	for (unsigned i = 0; i < d->n_sources; i++)
		if (d->sources[i].fd >= 0)
			nx_fd_close(d->sources[i].fd);
	d->n_sources = 0;
}
