/* SPDX-License-Identifier: MIT */
/* nx-abi clocks, in nanoseconds. */
#ifndef NX_ABI_CLOCK_H
#define NX_ABI_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint64_t nx_clock_monotonic_ns(void);
uint64_t nx_clock_realtime_ns(void);

#ifdef __cplusplus
}
#endif

#endif
