// SPDX-License-Identifier: MIT
// Compile-only proof that the public headers stand alone in C++ (and link with C linkage).
#include "nexus/nexus.h"
#include "nexus/limits.h"

extern "C" int test_nexus_header_c(void);
extern "C" int test_nexus_limits_header_c(void);
int test_nexus_limits_header_cc();

int main()
{
	nexus *nx = nullptr;
	nexus_gone_cb cb = nullptr;

	/* Real calls with C linkage: a wrong extern "C" would fail to link. */
	nexus_free(nx);
	nexus_set_gone_cb(nx, cb, nullptr);
	return test_nexus_header_c() == 2 && nexus_deadline(nx) > NEXUS_DEFAULT_TIMEOUT_NS &&
	                       nexus_call_failed(nx, nullptr, -5, "x") == -5 &&
	                       test_nexus_limits_header_c() == 0 &&
	                       test_nexus_limits_header_cc() == 0 &&
	                       nexus_last_error(nullptr) != nullptr
	               ? 0
	               : 1;
}
