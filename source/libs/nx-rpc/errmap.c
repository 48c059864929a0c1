/* SPDX-License-Identifier: MIT */
/* DESIGN.md section 9: exception reason codes <-> errno, in one table. */
#include <errno.h>
#include <string.h>

#include "nx-util/macro.h"
#include "rpc.h"

static const struct {
	const char *code;
	int err; /* positive */
} codes[] = {
        {"invalid_argument", EINVAL},
        {"denied", EPERM},
        {"not_found", ENOENT},
        {"already_exists", EEXIST},
        {"too_large", EMSGSIZE},
        {"limit_exceeded", EDQUOT},
        {"integrity", EBADMSG},
        {"unavailable", EAGAIN},
        {"timeout", ETIMEDOUT},
        {"unsupported", EOPNOTSUPP},
        {"internal", EIO},
};

int nx_rpc_errno_from_exception(enum nx_rpc_exc type, const char *reason, size_t reason_len)
{
	size_t i, n;

	/* A lost connection is the same condition whatever the reason text says. */
	if (type == NX_RPC_EXC_DISCONNECTED)
		return -ECONNRESET;
	if (reason) {
		for (i = 0; i < ELEMENTSOF(codes); i++) {
			n = strlen(codes[i].code);
			if (reason_len > n && memcmp(reason, codes[i].code, n) == 0 &&
			        reason[n] == ':')
				return -codes[i].err;
		}
	}
	switch (type) {
	case NX_RPC_EXC_NONE:
		return 0;
	case NX_RPC_EXC_OVERLOADED:
		return -EBUSY;
	case NX_RPC_EXC_DISCONNECTED:
		return -ECONNRESET;
	case NX_RPC_EXC_UNIMPLEMENTED:
		return -ENOSYS;
	case NX_RPC_EXC_FAILED:
	default:
		return -EIO;
	}
}

const char *nx_rpc_reason_code(int err)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(codes); i++)
		if (-codes[i].err == err)
			return codes[i].code;
	if (err == -EBUSY)
		return "limit_exceeded";
	if (err == -ENOSYS)
		return "unsupported";
	/* ECONNREFUSED: nobody listens on the socket now (samgrd restarting). */
	if (err == -ECONNRESET || err == -EPIPE || err == -ENOTCONN || err == -ECONNREFUSED)
		return "unavailable";
	return "internal";
}

enum nx_rpc_exc nx_rpc_exc_type_for_errno(int err)
{
	switch (err) {
	case -EBUSY:
	case -EDQUOT:
		return NX_RPC_EXC_OVERLOADED;
	case -ENOSYS:
		return NX_RPC_EXC_UNIMPLEMENTED;
	case -ECONNRESET:
	case -EPIPE:
	case -ENOTCONN:
		return NX_RPC_EXC_DISCONNECTED;
	default:
		return NX_RPC_EXC_FAILED;
	}
}
