/* SPDX-License-Identifier: MIT */
/*
 * rngd: the single entropy authority (DESIGN.md section 7). The adapter between nx-svc
 * connections, the raw sources (a device fd, the kernel's getrandom) and userspace/entropy:
 * it reads and health-tests source bytes, seeds the generator, applies the per-subject byte
 * rate with its own clock, and answers inline or with a sealed VMO.
 */
#ifndef RNGD_RNGD_H
#define RNGD_RNGD_H

#include <stdbool.h>
#include <stdint.h>

#include "entropy/gen.h"
#include "entropy/health.h"
#include "entropy/rate.h"
#include "nexus/limits.h" /* RNGD_*, ENT_* */
#include "rng.capnp.h"
#include "svc.h"

/* Environment knobs: the hardware source's path, the sources to use in order (names
 * separated by commas: hwrng, getrandom), and the per-subject byte rate (bytes per second,
 * 0 = off) and burst (bytes). */
#define RNGD_ENV_HWRNG   "NEXUS_RNGD_HWRNG"
#define RNGD_ENV_SOURCES "NEXUS_RNGD_SOURCES"
#define RNGD_ENV_RATE    "NEXUS_RNGD_RATE"
#define RNGD_ENV_BURST   "NEXUS_RNGD_BURST"
#define RNGD_HWRNG_PATH  "/dev/hwrng"
/* Where nexus-init hands over the hardware source: rngd's first open= file in services.conf
 * (fds 3-5 are init's bootstrap, readiness and fd-store channels). rngd runs under a uid of
 * its own, which cannot open the root-only device itself. */
#define RNGD_HWRNG_FD 6
#define RNGD_SOURCES  "hwrng,getrandom"

/* The min-entropy per byte rngd claims for each source (SP 800-90B cutoffs and seed sizes
 * follow from it): 4 bits. A virtio-rng passes on whatever the host gives it, and getrandom's
 * output is already a DRBG's; claiming half keeps false alarms far rarer than alpha for a
 * good source while a stuck or biased one still fails within one startup test. */
#define RNGD_MIN_ENTROPY_MILLI 4000u

enum rngd_source_kind {
	RNGD_SOURCE_FD,     /* a device (or, in tests, a file or FIFO) read with a deadline */
	RNGD_SOURCE_KERNEL, /* getrandom */
};

struct rngd_source {
	char name[RNG_SOURCE_NAME_MAX_LEN + 1];
	enum rngd_source_kind kind;
	int fd;       /* RNGD_SOURCE_FD: owned, -1 once failed */
	bool started; /* passed its startup test */
	bool failed;  /* a startup or continuous test or a read failed: never used again */
	struct ent_health health;
};

struct rngd {
	nx_svc *svc;
	struct ent_gen gen;
	struct ent_rate *rate;
	struct rngd_source sources[RNG_SOURCES_MAX];
	unsigned n_sources;
	int in_use; /* index of the source of the last seed, -1 before */
	uint64_t requests_served;
	uint64_t requests_refused;
};

/* source.c: adds a source reading `fd` (taken: closed by rngd_sources_free, or at once on
 * failure). -E2BIG past RNG_SOURCES_MAX. */
int rngd_source_add_fd(struct rngd *d, const char *name, int fd);
/* Adds getrandom. */
int rngd_source_add_kernel(struct rngd *d);
/* Adds a source that could not be opened: listed, failed, reported once. */
int rngd_source_add_failed(struct rngd *d, const char *name, int err);
/* Seeds (first time) or reseeds the generator from the first source that passes its tests,
 * reporting and skipping each one that fails. 0, or -EAGAIN when no source passes. */
int rngd_reseed(struct rngd *d);
/* Closes the sources' fds. */
void rngd_sources_free(struct rngd *d);

/* config.c: the sources named by RNGD_ENV_SOURCES (default RNGD_SOURCES), opened (the
 * hardware one at RNGD_ENV_HWRNG if set, else taken from RNGD_HWRNG_FD if open, else at
 * RNGD_HWRNG_PATH); the rate from RNGD_ENV_RATE and RNGD_ENV_BURST. A bad knob
 * is logged and returns -EINVAL. */
int rngd_config_sources(struct rngd *d);
int rngd_config_rate(struct rngd *d);
/* The interim rule while policyd cannot be asked: services may take entropy (keystored makes
 * the device key at first boot), nobody else. */
extern const struct pol_grant rngd_interim_rule[];
extern const size_t rngd_interim_rule_len;

/* rngd.c: the Rng object served on every accepted connection, borrowing d. 0 with one
 * reference in *ret, or -ENOMEM. */
int rngd_rng_new(struct rngd *d, nx_rpc_cap **ret);
/* Its dispatch: asks policyd for rng.entropy first; also reruns held calls. */
int rngd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);

#endif
