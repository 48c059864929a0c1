/* SPDX-License-Identifier: MIT */
/* keystore crash steps (crash.h). */
#include <errno.h>
#include <string.h>

#include "crash.h"

static const char *const names[KS_STEP_COUNT] = {
        [KS_STEP_NONE] = "",
        [KS_STEP_CREATE_BEGUN] = "create-begun",
        [KS_STEP_CREATE_INSERTED] = "create-inserted",
        [KS_STEP_CREATE_COMMITTED] = "create-committed",
        [KS_STEP_DELETE_BEGUN] = "delete-begun",
        [KS_STEP_DELETE_REMOVED] = "delete-removed",
        [KS_STEP_DELETE_COMMITTED] = "delete-committed",
        [KS_STEP_PROVISION_KEK] = "provision-kek",
        [KS_STEP_PROVISION_INSERTED] = "provision-inserted",
};

int ks_step_parse(const char *text, enum ks_step *ret)
{
	if (!ret)
		return -EINVAL;
	for (int s = KS_STEP_NONE; s < KS_STEP_COUNT; s++)
		if (strcmp(text ? text : "", names[s]) == 0) {
			*ret = (enum ks_step)s;
			return 0;
		}
	return -EINVAL;
}

const char *ks_step_name(enum ks_step step)
{
	return (unsigned)step < KS_STEP_COUNT ? names[step] : NULL;
}
