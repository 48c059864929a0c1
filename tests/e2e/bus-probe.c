/* SPDX-License-Identifier: MIT */
/*
 * bus-probe: what `nx` never does to dsoftbusd, for tests/e2e/bus.sh.
 *   bus-probe open-many DEVICE SERVICE N
 *       Bus.open(DEVICE, SERVICE) up to N times through the local dsoftbusd, holding every
 *       channel, stopping at the first refusal: prints the refusal's reason, then
 *       "probe: opened <k>"; then drops them all.
 *   bus-probe send-socket DEVICE
 *       opens a channel to echod on DEVICE, sends a Call there with a socket attached (an fd
 *       that is no VMO), prints the answer's exception ("probe: <reason>"), then calls echo
 *       on the same channel ("probe: echo <text> <subject>"): the channel lived on.
 * Exit 0 when everything was as asked, 1 on a refusal (printed), 2 usage.
 * $NEXUS_RUNTIME_DIR: the system to talk to.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.capnp.h"
#include "echo.capnp.h"
#include "nexus/nexus.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-capnp/capnp.h"
#include "nx-rpc/wire.h"

static void print_failure(const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	printf("probe: %s\n", res && res->reason ? res->reason : strerror(-r));
}

/* One Bus.open: 0 with the endpoint in *ret (the caller's), or the failure printed. */
static int open_one(nexus *nx, struct bus *bus, const char *device, const char *service,
        struct nexus_endpoint **ret)
{
	bus_open_results out;
	nx_rpc_call *call = NULL;
	int r = bus_open_wait(bus, device, service, nexus_deadline(nx), &call, &out);

	if (r >= 0)
		r = bus_open_results_get_endpoint(out, ret);
	else
		print_failure(call, r);
	nx_rpc_call_free(call);
	return r;
}

static int open_many(
        nexus *nx, struct bus *bus, const char *device, const char *service, unsigned n)
{
	struct nexus_endpoint **held = calloc(n, sizeof(*held));
	unsigned k = 0;
	int r = 0;

	if (!held)
		return 1;
	for (; k < n; k++)
		if (open_one(nx, bus, device, service, &held[k]) < 0) {
			r = 1;
			break;
		}
	printf("probe: opened %u\n", k);
	for (unsigned i = 0; i < k; i++)
		nx_rpc_cap_unref(nexus_endpoint_cap(held[i]));
	free(held);
	return r;
}

/* A Call (question 1, to the bootstrap question 0's answer: never looked at) with `sock`
 * riding along, straight on the channel fd. */
static int send_call_with_socket(int fd, int sock)
{
	uint8_t frame[256];
	nx_capnp_builder b;
	nx_capnp_bstruct m, call;
	nx_capnp_bptr p;
	size_t len = 0;
	int r;

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	r = nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m);
	if (r == 0) {
		nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, W_MSG_CALL, 0);
		p = nx_capnp_bstruct_ptr(&m, 0);
		r = nx_capnp_bptr_init_struct(&p, W_CALL_DW, W_CALL_NP, &call);
	}
	if (r == 0) {
		nx_capnp_bstruct_set_u32(&call, W_CALL_QID, 1, 0);
		r = nx_capnp_frame_write(&b, frame, sizeof(frame), &len);
	}
	nx_capnp_builder_done(&b);
	if (r == 0 && nx_chan_send(fd, frame, len, &sock, 1) != (ssize_t)len)
		r = -EIO;
	return r;
}

/* Reads one framed message from fd (blocking) and prints its Return's exception reason. */
static int print_answer(int fd)
{
	uint64_t words[NX_MSG_MAX_BYTES / 8];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	size_t have = 0, len = 0;
	nx_capnp_struct msg, ret;
	nx_capnp_reader rd;
	nx_capnp_ptr p;
	uint32_t nsegs;
	uint16_t type;
	char reason[NX_RPC_REASON_MAX + 1];

	while (nx_capnp_frame_size(words, have, NX_MSG_MAX_BYTES, &len) == -EAGAIN) {
		ssize_t n = nx_chan_recv(
		        fd, (uint8_t *)words + have, sizeof(words) - have, NULL, 0, NULL);
		if (n <= 0)
			return -EIO;
		have += (size_t)n;
	}
	if (nx_capnp_frame_parse(
	            words, have, NX_MSG_MAX_BYTES, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &len) < 0 ||
	        len != have)
		return -EBADMSG;
	nx_capnp_reader_init(&rd, segs, nsegs);
	if (nx_capnp_reader_root_struct(&rd, &msg) < 0 ||
	        nx_capnp_struct_get_u16(&msg, W_MSG_TAG, 0) != W_MSG_RETURN)
		return -EBADMSG;
	p = nx_capnp_struct_ptr(&msg, 0);
	if (nx_capnp_ptr_read_struct(&p, &ret) < 0 ||
	        nx_capnp_struct_get_u16(&ret, W_RET_TAG, 0) != W_RET_EXCEPTION)
		return -EBADMSG;
	p = nx_capnp_struct_ptr(&ret, W_RET_P);
	w_read_exception(&p, &type, reason, sizeof(reason));
	printf("probe: %s\n", reason);
	return 0;
}

static int send_socket(nexus *nx, struct bus *bus, const char *device)
{
	struct nexus_endpoint *ep = NULL;
	int fd, pair[2] = {-1, -1}, r;
	nx_rpc_conn *conn = NULL;
	nx_rpc_cap *echod = NULL;
	echo_echo_results out;
	nx_rpc_call *call = NULL;

	if (open_one(nx, bus, device, "echod", &ep) < 0)
		return 1;
	fd = nx_rpc_cap_take_fd(nexus_endpoint_cap(ep));
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	r = fd >= 0 ? nx_chan_pair_blocking(pair) : fd;
	if (r >= 0)
		r = nx_fd_set_nonblock(fd, 0);
	if (r >= 0)
		r = send_call_with_socket(fd, pair[0]); /* takes pair[0] */
	nx_fd_close(pair[1]);
	if (r >= 0)
		r = print_answer(fd);
	/* The same channel still reaches echod. */
	if (r >= 0)
		r = nx_fd_set_nonblock(fd, 1);
	if (r >= 0) {
		r = nx_rpc_conn_new(nexus_loop(nx), fd, NULL, &conn); /* takes fd */
		fd = -1;
	}
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &echod);
	if (r >= 0)
		r = echo_echo_wait(echo_from_cap(echod), "alive", nexus_deadline(nx), &call, &out);
	if (r >= 0) {
		const char *t, *subj;
		size_t tl, sl;
		(void)echo_echo_results_get_text(out, &t, &tl);
		(void)echo_echo_results_get_subject(out, &subj, &sl);
		printf("probe: echo %.*s %.*s\n", (int)tl, t, (int)sl, subj);
	} else {
		print_failure(call, r);
	}
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(echod);
	nx_rpc_conn_free(conn);
	nx_fd_close(fd);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	nx_rpc_cap *cap = NULL;
	nexus *nx = NULL;
	int r;

	bool many = argc == 5 && strcmp(argv[1], "open-many") == 0 && atoi(argv[4]) > 0;

	if (!many && !(argc == 3 && strcmp(argv[1], "send-socket") == 0)) {
		fprintf(stderr,
		        "usage: bus-probe open-many DEVICE SERVICE N | send-socket DEVICE\n");
		return 2;
	}
	r = nexus_connect(&nx);
	if (r >= 0)
		r = nexus_resolve(nx, "dsoftbusd", &cap);
	if (r < 0) {
		printf("probe: %s\n", nx ? nexus_last_error(nx) : strerror(-r));
		nexus_free(nx);
		return 1;
	}
	r = many ? open_many(nx, bus_from_cap(cap), argv[2], argv[3], (unsigned)atoi(argv[4]))
	         : send_socket(nx, bus_from_cap(cap), argv[2]);
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r;
}
