/* SPDX-License-Identifier: MIT */
/* samgrd's interim policy rule (allow.c): deny by default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "samgrd.h"

static const struct samgrd d = {.uid = 1000};

static void svc_subjects(void **state)
{
	int before = fdcheck_count();

	assert_true(samgrd_allowed(&d, "svc:echod", "ipc.register.echod"));
	assert_false(samgrd_allowed(&d, "svc:echod", "ipc.register.logd"));
	assert_false(samgrd_allowed(&d, "svc:echod", "ipc.register.echod2"));
	assert_false(samgrd_allowed(&d, "svc:echo", "ipc.register.echod"));
	assert_false(samgrd_allowed(&d, "svc:", "ipc.register."));
	assert_true(samgrd_allowed(&d, "svc:echod", "ipc.connect.logd"));
	assert_false(samgrd_allowed(&d, "svc:echod", "samgr.list"));
	assert_false(samgrd_allowed(&d, "svc:echod", "policy.reload"));
	fdcheck_assert(before);
}

static void uid_subjects(void **state)
{
	int before = fdcheck_count();

	assert_true(samgrd_allowed(&d, "uid:1000", "samgr.list"));
	assert_true(samgrd_allowed(&d, "uid:1000", "ipc.connect.echod"));
	assert_false(samgrd_allowed(&d, "uid:1000", "ipc.register.echod"));
	assert_false(samgrd_allowed(&d, "uid:1001", "samgr.list"));
	assert_false(samgrd_allowed(&d, "uid:1001", "ipc.connect.echod"));
	assert_false(samgrd_allowed(&d, "uid:10000", "samgr.list"));
	assert_false(samgrd_allowed(&d, "uid:100", "samgr.list"));
	fdcheck_assert(before);
}

static void others_denied(void **state)
{
	int before = fdcheck_count();

	assert_false(samgrd_allowed(&d, "app:com.example", "ipc.connect.echod"));
	assert_false(samgrd_allowed(&d, "peer:dev1/uid:1000", "samgr.list"));
	assert_false(samgrd_allowed(&d, "", "samgr.list"));
	assert_false(samgrd_allowed(&d, "SVC:echod", "ipc.register.echod"));
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(svc_subjects),
	        cmocka_unit_test(uid_subjects),
	        cmocka_unit_test(others_denied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
