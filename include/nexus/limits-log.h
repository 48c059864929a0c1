/* SPDX-License-Identifier: MIT */
/* Limits of nx-log (the logging facade), included by limits.h. Its text limits are the
 * journal's (nx-log/log.h names them NX_LOG_*_MAX). Freestanding. */
#ifndef NEXUS_LIMITS_LOG_H
#define NEXUS_LIMITS_LOG_H

/* Program name given to nx_log_init (longer names are cut). */
#define NX_LOG_NAME_MAX 64u
/* The pre-logd queue: at most this many records and this many bytes (record overhead
 * included, see nx_log_stats.queued_bytes); past either, the oldest record is dropped. */
#define NX_LOG_QUEUE_RECORDS 512u
#define NX_LOG_QUEUE_BYTES   (256u << 10)
/* Records offered to the sink per call. */
#define NX_LOG_SINK_BATCH 32u

#endif
