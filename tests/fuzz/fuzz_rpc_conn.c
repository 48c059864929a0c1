/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: an nx-rpc connection serving a small bootstrap object, fed the fuzzer's
 * bytes through a real socketpair in small chunks, with the loop run between chunks. Whatever
 * arrives, the connection may die but must not leak fds or memory, nor touch freed state.
 *
 * Input layout: byte 0 chooses the chunk size (low 6 bits + 1) and how many memfds ride with
 * the first chunk (high 2 bits: 0..3, bound or not by the frames' attachedFd); the rest is the
 * byte stream.
 * The served object answers method 0 with its params' first word, fails method 1, holds
 * method 2 (answered when the input ends, or canceled), returns a cap for method 3.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-rpc/rpc.h"

#define HELD_MAX 8

struct obj {
	nx_rpc_incoming *held[HELD_MAX];
	int nheld;
};

static const struct nx_rpc_server_ops obj_ops;

static int obj_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	struct obj *o = impl;
	nx_capnp_struct p;
	nx_capnp_bstruct out;
	nx_capnp_bptr bp;
	nx_rpc_cap *cap;
	uint32_t idx;
	int r;

	(void)iface;
	nx_rpc_incoming_params(in, &p);
	switch (method) {
	case 0:
		r = nx_rpc_incoming_results(in, 1, 0, &out);
		if (r < 0)
			return r;
		nx_capnp_bstruct_set_u64(&out, 0, nx_capnp_struct_get_u64(&p, 0, 0), 0);
		/* Touch a param cap too, if any. */
		if (nx_rpc_incoming_cap(in, 0, &cap) == 0)
			nx_rpc_cap_unref(cap);
		nx_rpc_incoming_return(in);
		return 0;
	case 1:
		nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, "invalid_argument: fuzz");
		return 0;
	case 2:
		if (o->nheld >= HELD_MAX)
			return -EBUSY;
		o->held[o->nheld++] = in;
		return NX_RPC_ASYNC;
	case 3:
		/* The new object shares this one's held list: a call to it may be held too. */
		if (nx_rpc_server_new(&obj_ops, o, &cap) < 0)
			return -ENOMEM;
		r = nx_rpc_incoming_results(in, 0, 1, &out);
		if (r == 0)
			r = nx_rpc_incoming_add_cap(in, cap, &idx);
		nx_rpc_cap_unref(cap);
		if (r < 0)
			return r;
		bp = nx_capnp_bstruct_ptr(&out, 0);
		nx_capnp_bptr_set_cap(&bp, idx);
		nx_rpc_incoming_return(in);
		return 0;
	default:
		return -ENOSYS;
	}
}

static const struct nx_rpc_server_ops obj_ops = {
        .dispatch = obj_dispatch,
        .destroy = NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obj o = {.nheld = 0};
	nx_loop *loop = NULL;
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *boot = NULL;
	size_t chunk, off;
	unsigned nsend, k;
	int extra[3];
	int fds[2], i;
	char sink[4096];
	int fds_before;

	if (size < 1)
		return 0;
	fds_before = nx_fd_count();
	chunk = (size_t)(data[0] & 63) + 1;
	nsend = data[0] >> 6;
	data++;
	size--;
	if (nx_loop_new(&loop) < 0)
		abort();
	if (nx_chan_pair(fds) < 0)
		abort();
	if (nx_rpc_server_new(&obj_ops, &o, &boot) < 0)
		abort();
	if (nx_rpc_conn_new(loop, fds[0], boot, &conn) < 0)
		abort();
	boot = nx_rpc_cap_unref(boot);
	for (off = 0; off < size && nx_rpc_conn_error(conn) == 0; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		for (k = 0; k < nsend; k++)
			if (nx_vmo_create("fuzz", 8, &extra[k]) < 0)
				abort();
		/* Sending consumes the fds, sent or not. */
		if (nx_chan_send(fds[1], data + off, n, extra, nsend) < 0) {
			/* -EAGAIN before any byte left the fds with us. */
			for (k = 0; k < nsend; k++)
				nx_fd_close(extra[k]);
			break;
		}
		nsend = 0;
		/* Drain what the server wrote so its socket never fills up. */
		while (read(fds[1], sink, sizeof(sink)) > 0)
			;
		for (i = 0; i < 4; i++)
			if (nx_loop_run_once(loop, 0) <= 0)
				break;
	}
	/* Answer what the handler held: some connections are dead by now, some not. */
	while (o.nheld > 0)
		nx_rpc_incoming_return(o.held[--o.nheld]);
	for (i = 0; i < 4; i++)
		if (nx_loop_run_once(loop, 0) <= 0)
			break;
	conn = nx_rpc_conn_free(conn);
	nx_fd_close(fds[1]);
	nx_loop_free(loop);
	/* Every fd a frame brought or the connection opened must be closed by now. */
	if (nx_fd_count() != fds_before)
		abort();
	return 0;
}
