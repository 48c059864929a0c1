/* SPDX-License-Identifier: MIT */
/* Limits of userspace/journal (logd's journal), included by limits.h. Text lengths are bytes,
 * NUL excluded. Freestanding: no libc headers. */
#ifndef NEXUS_LIMITS_JOURNAL_H
#define NEXUS_LIMITS_JOURNAL_H

/* Subject, stamped by logd from the connection (svc:, app:, uid:, peer:<dev>/<subject>). */
#define JRN_SUBJECT_MAX 255u
/* Scope (component inside the subject). May be empty. */
#define JRN_SCOPE_MAX 64u
/* Message text. May be empty. */
#define JRN_MESSAGE_MAX 1024u
/* Field key: 1..JRN_KEY_MAX bytes of [A-Za-z0-9_.-]. */
#define JRN_KEY_MAX 64u
/* Field value: any bytes but NUL. May be empty. */
#define JRN_VALUE_MAX 256u
/* key=value fields per record. */
#define JRN_FIELDS_MAX 16u

/* Arena capacity in bytes: smallest and largest accepted by jrn_new(). */
#define JRN_CAPACITY_MIN (128u << 10)
#define JRN_CAPACITY_MAX (1u << 30)
/* Per-subject token bucket: largest records per second and burst jrn_new() accepts. */
#define JRN_RATE_MAX  100000000u
#define JRN_BURST_MAX 100000000u
/* Subjects with a rate-limit bucket at once; past it the least recently used is forgotten
 * (its pending drops are reported first). */
#define JRN_SUBJECTS_MAX 512u
/* Records one jrn_query() call returns at most (max is clamped to this). */
#define JRN_QUERY_MAX 4096u

#endif
