// SPDX-License-Identifier: MIT
// Compile-only proof that nexus/limits.h stands alone in C++: it comes first.
#include "nexus/limits.h"

int test_nexus_limits_header_cc();

int test_nexus_limits_header_cc()
{
	return NX_MSG_MAX_BYTES > 0 ? 0 : 1;
}
