/* SPDX-License-Identifier: MIT */
/* Compile-only proof that nexus/limits.h stands alone in C. */
#include "nexus/limits.h"

int test_nexus_limits_header_c(void);

int test_nexus_limits_header_c(void)
{
	return 0;
}
