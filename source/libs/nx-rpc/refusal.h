/* SPDX-License-Identifier: MIT */
/*
 * nx-rpc refusal: for a relay that passes whole RPC messages between two channels (dsoftbusd
 * between a local channel and a remote device) and cannot pass the fds riding with one. The
 * message is replaced by the answer it would have got had its capabilities been refused: a
 * Call becomes a Return to its sender carrying the exception; a Return carrying results
 * becomes a Return with the exception for its receiver instead. The other party's call fails
 * with the reason; the channel lives on.
 */
#ifndef NX_RPC_REFUSAL_H
#define NX_RPC_REFUSAL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* `frame` (len bytes, borrowed; one whole framed message of at most NX_MSG_MAX_BYTES) is
 * answered instead by the message written to out (cap bytes) and *ret_len; *ret_to_sender is
 * true when it goes back to the frame's sender (a Call), false when on to its receiver (a
 * Return). `reason` ("unsupported: ...") is copied, cut at NX_RPC_REASON_MAX. 0, -EOPNOTSUPP
 * (neither a Call nor a Return: the relay has no answer to give), -EBADMSG (not a message),
 * -ENOBUFS (out too small). */
int nx_rpc_refusal(const void *frame, size_t len, const char *reason, void *out, size_t cap,
        size_t *ret_len, bool *ret_to_sender);

#ifdef __cplusplus
}
#endif

#endif
