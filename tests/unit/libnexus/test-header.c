/* SPDX-License-Identifier: MIT */
/* Compile-only proof that each public header stands alone in C: it comes first. */
#include "nexus/nexus.h"

int test_nexus_header_c(void);

int test_nexus_header_c(void)
{
	nexus *nx = 0;

	return (int)(NEXUS_DEFAULT_TIMEOUT_NS > 0) + (nx == 0);
}
