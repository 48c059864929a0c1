/* SPDX-License-Identifier: MIT */
/* Limits of nx-abi's sandbox and cgroup modules, included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_SANDBOX_H
#define NEXUS_LIMITS_SANDBOX_H

/* Bytes of nx_sandbox_report_format's one-line summary with every mechanism and namespace
 * applied, NUL included, rounded up. */
#define NX_SANDBOX_SUMMARY_MAX 128u

/* Longest name of a cgroup nx_cgroup_create makes beneath the base (a path component). */
#define NX_CGROUP_NAME_MAX 64u

#endif
