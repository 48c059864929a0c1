/* SPDX-License-Identifier: MIT */
/*
 * Hand-written layout of /usr/include/capnp/rpc.capnp (as `capnp compile -ocapnp` reports it).
 * Offsets are in units of the field's own size, as nx-capnp's accessors take them; the
 * generator cannot be relied on for the RPC envelope itself.
 */
#ifndef NX_RPC_WIRE_H
#define NX_RPC_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "nexus/limits.h"
#include "nx-capnp/capnp.h"

/* struct Message: 1 data word, 1 pointer; union tag u16 @0, member in ptr 0. */
#define W_MSG_DW  1
#define W_MSG_NP  1
#define W_MSG_TAG 0
enum w_msg_which {
	W_MSG_UNIMPLEMENTED = 0,
	W_MSG_ABORT = 1,
	W_MSG_CALL = 2,
	W_MSG_RETURN = 3,
	W_MSG_FINISH = 4,
	W_MSG_RESOLVE = 5,
	W_MSG_RELEASE = 6,
	W_MSG_OBSOLETE_SAVE = 7,
	W_MSG_BOOTSTRAP = 8,
	W_MSG_OBSOLETE_DELETE = 9,
	W_MSG_PROVIDE = 10,
	W_MSG_ACCEPT = 11,
	W_MSG_JOIN = 12,
	W_MSG_DISEMBARGO = 13,
};

/* struct Bootstrap: questionId u32 @0. */
#define W_BOOT_DW  1
#define W_BOOT_NP  1
#define W_BOOT_QID 0

/* struct Call. */
#define W_CALL_DW       3
#define W_CALL_NP       3
#define W_CALL_QID      0 /* u32 */
#define W_CALL_METHOD   2 /* u16 */
#define W_CALL_SEND_TO  3 /* u16 union tag of sendResultsTo: 0 caller */
#define W_CALL_IFACE    1 /* u64 */
#define W_CALL_P_TARGET 0
#define W_CALL_P_PARAMS 1

/* struct Return. */
#define W_RET_DW             2
#define W_RET_NP             1
#define W_RET_AID            0  /* u32 */
#define W_RET_RELEASE_PARAMS 32 /* bit, default true */
#define W_RET_TAG            3  /* u16 */
#define W_RET_TAKE_FROM      2  /* u32 */
#define W_RET_P              0
enum w_ret_which {
	W_RET_RESULTS = 0,
	W_RET_EXCEPTION = 1,
	W_RET_CANCELED = 2,
	W_RET_SENT_ELSEWHERE = 3,
	W_RET_TAKE_FROM_OTHER = 4,
	W_RET_ACCEPT_THIRD = 5,
};

/* struct Finish. */
#define W_FIN_DW              1
#define W_FIN_NP              0
#define W_FIN_QID             0
#define W_FIN_RELEASE_RESULTS 32 /* bit, default true */

/* struct Resolve. */
#define W_RES_DW  1
#define W_RES_NP  1
#define W_RES_PID 0 /* u32 */
#define W_RES_TAG 2 /* u16: 0 cap, 1 exception */
#define W_RES_P   0

/* struct Release. */
#define W_REL_DW    1
#define W_REL_NP    0
#define W_REL_ID    0 /* u32 */
#define W_REL_COUNT 1 /* u32 */

/* struct Disembargo. */
#define W_DIS_DW       1
#define W_DIS_NP       1
#define W_DIS_P_TARGET 0
#define W_DIS_TAG      2 /* u16 */
#define W_DIS_ID       0 /* u32 */
enum w_dis_which {
	W_DIS_SENDER_LOOPBACK = 0,
	W_DIS_RECEIVER_LOOPBACK = 1,
	W_DIS_ACCEPT = 2,
	W_DIS_PROVIDE = 3,
};

/* struct MessageTarget. */
#define W_TGT_DW       1
#define W_TGT_NP       1
#define W_TGT_IMPORTED 0 /* u32 */
#define W_TGT_TAG      2 /* u16: 0 importedCap, 1 promisedAnswer (ptr 0) */

/* struct Payload: content ptr 0, capTable ptr 1. */
#define W_PAY_DW 0
#define W_PAY_NP 2

/* struct CapDescriptor. */
#define W_CAPD_DW  1
#define W_CAPD_NP  1
#define W_CAPD_TAG 0 /* u16 */
#define W_CAPD_ID  1 /* u32 */
#define W_CAPD_FD  2 /* u8, default 255 */
enum w_capd_which {
	W_CAPD_NONE = 0,
	W_CAPD_SENDER_HOSTED = 1,
	W_CAPD_SENDER_PROMISE = 2,
	W_CAPD_RECEIVER_HOSTED = 3,
	W_CAPD_RECEIVER_ANSWER = 4,
	W_CAPD_THIRD_PARTY = 5,
};

/* struct PromisedAnswer / PromisedAnswer.Op. */
#define W_PA_DW    1
#define W_PA_NP    1
#define W_PA_QID   0
#define W_OP_DW    1
#define W_OP_NP    0
#define W_OP_TAG   0 /* u16: 0 noop, 1 getPointerField */
#define W_OP_FIELD 1 /* u16 */

/* struct Exception: reason ptr 0, type u16 @2. */
#define W_EXC_DW   1
#define W_EXC_NP   2
#define W_EXC_TYPE 2

/* Longest pipelining transform we follow or build. */
#define W_MAX_TRANSFORM NX_RPC_PIPELINE_DEPTH_MAX

/* A decoded MessageTarget. */
struct w_target {
	bool promised;
	uint32_t id; /* importedCap, or promisedAnswer.questionId */
	uint16_t path[W_MAX_TRANSFORM];
	uint32_t depth;
};

/* Reads a MessageTarget; -EBADMSG for an unknown union member or a transform too long. */
int w_read_target(const nx_capnp_ptr *p, struct w_target *ret);
int w_write_target(const nx_capnp_bptr *p, const struct w_target *t);
/* PromisedAnswer alone (inside CapDescriptor.receiverAnswer, MessageTarget). */
int w_read_promised(const nx_capnp_ptr *p, struct w_target *ret);
int w_write_promised(const nx_capnp_bptr *p, uint32_t qid, const uint16_t *path, uint32_t depth);
/* Exception: reason copied into `reason` (cut to cap - 1, NUL-terminated). */
void w_read_exception(const nx_capnp_ptr *p, uint16_t *ret_type, char *reason, size_t cap);
int w_write_exception(const nx_capnp_bptr *p, uint16_t type, const char *reason);
/* Follows `path` of pointer fields from `root` (a struct pointer). */
nx_capnp_ptr w_follow_path(const nx_capnp_ptr *root, const uint16_t *path, uint32_t depth);

#endif
