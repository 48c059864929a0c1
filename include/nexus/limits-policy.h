/* SPDX-License-Identifier: MIT */
/* Limits of userspace/policy (the policy language), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_POLICY_H
#define NEXUS_LIMITS_POLICY_H

#define POL_LINE_MAX          1024u    /* bytes in one line, newline excluded */
#define POL_TOKEN_MAX         255u     /* bytes in one pattern (also the longest checked string) */
#define POL_PATH_MAX          255u     /* bytes in a file name after joining with its directory */
#define POL_FILE_MAX          1048576u /* bytes in one file */
#define POL_INCLUDE_DEPTH_MAX 8u       /* nested includes below the root file */
#define POL_FILES_MAX         256u /* file loads per policy, root and repeated includes counted */
#define POL_RULES_MAX         100000u /* (subject, capability) rules after expanding lines */
#define POL_KNOWN_MAX         4096u   /* names in a list of known capabilities (known.h) */
#define POL_CHECK_MANY_MAX    256u    /* queries in one pol_check_many call */
#define POL_ERROR_MAX         4096u   /* bytes of an error text, NUL included (longer: cut) */

/* The decision cache (cache.h): decisions kept, all connections together (past it the oldest
 * is replaced), and the longest subject (nexus-types.capnp subjectMaxLen) and capability a
 * decision is kept for. */
#define POL_CACHE_MAX         256u
#define POL_CACHE_SUBJECT_MAX 128u
#define POL_CACHE_CAP_MAX     128u

#endif
