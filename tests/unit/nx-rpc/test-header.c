/* SPDX-License-Identifier: MIT */
/* Compile-only proof that the public header stands alone: it comes first, before anything. */
#include "nx-rpc/rpc.h"

int test_rpc_header_standalone(void);

int test_rpc_header_standalone(void)
{
	return NX_RPC_ASYNC + (int)sizeof(nx_rpc_result) + (int)NX_RPC_EXC_NONE;
}
