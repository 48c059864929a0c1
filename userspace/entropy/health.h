/* SPDX-License-Identifier: MIT */
/*
 * SP 800-90B section 4.4 continuous health tests on 8-bit raw samples, and the startup test
 * (section 4.3 item 12) built from them.
 *
 * Cutoffs follow from the min-entropy H the source is claimed to have per sample and the
 * false-positive probability alpha = 2^-ENT_HEALTH_ALPHA_LOG2:
 *   repetition count (4.4.1)     C = 1 + ceil(-log2(alpha) / H)
 *                                fails when one value repeats C times in a row
 *   adaptive proportion (4.4.2)  W = ENT_HEALTH_APT_WINDOW, C = 1 + CRITBINOM(W, 2^-H, 1 - alpha)
 *                                fails when the first sample of a window recurs C times in it
 * CRITBINOM is computed from the binomial tail in log space (lgamma), so any H in
 * (0, 8] bits works; for W = 512 it gives SP 800-90B Table 2's cutoffs (H = 1: 311, H = 4: 62,
 * H = 8: 13). A claimed H below the source's real min-entropy makes false alarms rarer than
 * alpha; above it, more frequent.
 */
#ifndef USERSPACE_ENTROPY_HEALTH_H
#define USERSPACE_ENTROPY_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* ENT_HEALTH_* */

struct ent_health {
	uint32_t min_entropy_milli; /* claimed H per sample, thousandths of a bit */
	uint32_t rct_cutoff;
	uint32_t apt_cutoff;
	uint32_t rct_run;   /* length of the current run of rct_value */
	uint32_t apt_seen;  /* samples of the current window seen, 0 = none yet */
	uint32_t apt_count; /* occurrences of apt_ref in the window */
	uint8_t rct_value;
	uint8_t apt_ref;
	uint64_t samples;
	uint64_t rct_failures;
	uint64_t apt_failures;
};

/* Cutoffs for a claimed min-entropy of `milli` thousandths of a bit per 8-bit sample, 1 ..
 * ENT_HEALTH_MIN_ENTROPY_MAX (0 outside). The APT cutoff is capped at the window: a claim so
 * low that no window can fail. */
uint32_t ent_health_rct_cutoff(uint32_t milli);
uint32_t ent_health_apt_cutoff(uint32_t milli);

/* Bytes of samples that carry `bits` of min-entropy at `milli` per sample (rounded up); 0 for
 * a milli out of range. */
size_t ent_health_bytes_for(uint32_t milli, uint32_t bits);

/* Fresh tests for a source claimed at `milli` per sample. -EINVAL outside 1 ..
 * ENT_HEALTH_MIN_ENTROPY_MAX. */
int ent_health_init(struct ent_health *h, uint32_t milli);

/* Runs n samples through both tests, counting them. 0 if none failed, -EIO if a test failed
 * (each failure counted once: when a run or a window count reaches its cutoff). */
int ent_health_feed(struct ent_health *h, const uint8_t *samples, size_t n);

/* The startup test: both tests restarted (counters kept) over n >= ENT_HEALTH_STARTUP_SAMPLES
 * samples (-EINVAL if fewer), which the caller then discards. 0 or -EIO. */
int ent_health_startup(struct ent_health *h, const uint8_t *samples, size_t n);

#endif
