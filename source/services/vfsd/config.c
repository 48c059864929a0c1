/* SPDX-License-Identifier: MIT */
/* vfsd's interim policy rule (vfsd.h). */
#include "vfsd.h"

const struct pol_grant vfsd_interim_rule[] = {
        {"svc:*", "fs.read"},
        {"svc:*", "fs.write"},
};
const size_t vfsd_interim_rule_len = sizeof(vfsd_interim_rule) / sizeof(vfsd_interim_rule[0]);
