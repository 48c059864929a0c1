/* SPDX-License-Identifier: MIT */
/* nx-rpc refusal: a Call is answered back with the exception, a Return is replaced by one;
 * other messages have no answer, and malformed ones are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nexus/limits.h"
#include "nx-capnp/capnp.h"
#include "nx-rpc/refusal.h"
#include "nx-rpc/rpc.h"
#include "nx-rpc/wire.h"

/* A message of kind `which` whose inner struct (dw data words, 1 pointer) has `id` first. */
static size_t message(uint16_t which, uint32_t id, uint8_t *out, size_t cap)
{
	nx_capnp_builder b;
	nx_capnp_bstruct m, s;
	nx_capnp_bptr p;
	size_t len = 0;

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	assert_int_equal(nx_capnp_builder_init_root(&b, W_MSG_DW, W_MSG_NP, &m), 0);
	nx_capnp_bstruct_set_u16(&m, W_MSG_TAG, which, 0);
	p = nx_capnp_bstruct_ptr(&m, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 3, 3, &s), 0);
	nx_capnp_bstruct_set_u32(&s, 0, id, 0);
	assert_int_equal(nx_capnp_frame_write(&b, out, cap, &len), 0);
	nx_capnp_builder_done(&b);
	return len;
}

/* Checks that out[0..len) is Return{answerId id, exception reason}. */
static void assert_return_exception(const uint8_t *out, size_t len, uint32_t id, const char *why)
{
	uint64_t words[NX_MSG_MAX_BYTES / 8];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_struct msg, ret;
	nx_capnp_reader rd;
	nx_capnp_ptr p;
	uint32_t nsegs;
	size_t bytes;
	uint16_t type;
	char reason[NX_RPC_REASON_MAX + 1];

	memcpy(words, out, len);
	assert_int_equal(nx_capnp_frame_parse(words, len, NX_MSG_MAX_BYTES, segs,
	                         NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes),
	        0);
	assert_int_equal(bytes, len);
	nx_capnp_reader_init(&rd, segs, nsegs);
	assert_int_equal(nx_capnp_reader_root_struct(&rd, &msg), 0);
	assert_int_equal(nx_capnp_struct_get_u16(&msg, W_MSG_TAG, 0), W_MSG_RETURN);
	p = nx_capnp_struct_ptr(&msg, 0);
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &ret), 0);
	assert_int_equal(nx_capnp_struct_get_u32(&ret, W_RET_AID, 0), id);
	assert_int_equal(nx_capnp_struct_get_u16(&ret, W_RET_TAG, 0), W_RET_EXCEPTION);
	p = nx_capnp_struct_ptr(&ret, W_RET_P);
	w_read_exception(&p, &type, reason, sizeof(reason));
	assert_string_equal(reason, why);
	assert_int_equal(type, NX_RPC_EXC_FAILED);
}

static void test_call_answered_to_sender(void **state)
{
	uint8_t in[256], out[512];
	size_t len = message(W_MSG_CALL, 7, in, sizeof(in)), olen = 0;
	bool to_sender = false;

	assert_int_equal(nx_rpc_refusal(in, len, "unsupported: a socket", out, sizeof(out), &olen,
	                         &to_sender),
	        0);
	assert_true(to_sender);
	assert_return_exception(out, olen, 7, "unsupported: a socket");
}

static void test_return_replaced_for_receiver(void **state)
{
	uint8_t in[256], out[512];
	size_t len = message(W_MSG_RETURN, 9, in, sizeof(in)), olen = 0;
	bool to_sender = true;

	assert_int_equal(
	        nx_rpc_refusal(in, len, "unsupported: x", out, sizeof(out), &olen, &to_sender), 0);
	assert_false(to_sender);
	assert_return_exception(out, olen, 9, "unsupported: x");
}

static void test_no_answer_or_malformed(void **state)
{
	uint8_t in[256], out[512];
	size_t len = message(W_MSG_BOOTSTRAP, 1, in, sizeof(in)), olen = 0;
	bool to_sender;

	assert_int_equal(
	        nx_rpc_refusal(in, len, "r", out, sizeof(out), &olen, &to_sender), -EOPNOTSUPP);
	len = message(W_MSG_CALL, 1, in, sizeof(in));
	assert_int_equal(
	        nx_rpc_refusal(in, len - 8, "r", out, sizeof(out), &olen, &to_sender), -EBADMSG);
	assert_int_equal(
	        nx_rpc_refusal(in, NX_MSG_MAX_BYTES + 8, "r", out, sizeof(out), &olen, &to_sender),
	        -EBADMSG);
	memset(in, 0xff, 16);
	assert_int_equal(
	        nx_rpc_refusal(in, 16, "r", out, sizeof(out), &olen, &to_sender), -EBADMSG);
	len = message(W_MSG_CALL, 1, in, sizeof(in));
	assert_int_equal(nx_rpc_refusal(in, len, "r", out, 8, &olen, &to_sender), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_call_answered_to_sender),
	        cmocka_unit_test(test_return_replaced_for_receiver),
	        cmocka_unit_test(test_no_answer_or_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
