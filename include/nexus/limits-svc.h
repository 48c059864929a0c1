/* SPDX-License-Identifier: MIT */
/* Limits of nx-svc (the daemon skeleton), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_SVC_H
#define NEXUS_LIMITS_SVC_H

/* Longest service name (samgr.capnp samgrNameMaxLen) and subject (nexus-types.capnp). */
#define NX_SVC_NAME_MAX    64u
#define NX_SVC_SUBJECT_MAX 128u

/* Calls the policy client holds at once waiting for policyd; past it a call needing a check
 * gets -EBUSY (overloaded: limit_exceeded). Reached while policyd is being resolved: once it
 * is asked, its one channel's NX_RPC_MAX_QUESTIONS bounds the checks in flight first (a check
 * that cannot be sent is decided by the interim rule). */
#define NX_POLICY_HELD_MAX 256u

/* Bytes of entries one Log.appendBatch from the log sink carries: the rest of a control
 * message is left for the RPC envelope (Message, Call, Payload, the params struct and the
 * list tag). Its entry count is the schema's (log.capnp logBatchMax). */
#define NX_LOGSINK_BATCH_BYTES_MAX (NX_MSG_MAX_BYTES - 384u)

#endif
