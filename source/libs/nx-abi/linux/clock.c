/* SPDX-License-Identifier: MIT */
/* nx-abi clocks on clock_gettime. */
#include <time.h>

#include "nx-abi/clock.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these clock ids on Linux; a zero reading would be the only outcome. */
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t nx_clock_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t nx_clock_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}
