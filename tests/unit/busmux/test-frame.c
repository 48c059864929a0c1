/* SPDX-License-Identifier: MIT */
/* userspace/busmux frames: every type round-trips; the decoder refuses, table-driven,
 * truncation, lengths past the end, unknown types, a type on the wrong stream, malformed OPEN
 * texts, empty data, zero credit, sizes over their caps; the encoder refuses what the decoder
 * would and reports a full buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "busmux/frame.h"
#include "fdcheck.h"

static struct busmux_text text(const char *s)
{
	return (struct busmux_text){s, strlen(s)};
}

static void roundtrip(const struct busmux_frame *f)
{
	uint8_t buf[BUSMUX_RECORD_MAX];
	struct busmux_frame g;
	size_t len = 0, used = 0;

	assert_int_equal(busmux_frame_encode(f, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, busmux_frame_size(f));
	assert_int_equal(busmux_frame_decode(buf, len, &g, &used), 0);
	assert_int_equal(used, len);
	assert_int_equal(g.type, f->type);
	assert_int_equal(g.stream, f->stream);
	/* Re-encoding the decoded view gives the same bytes. */
	{
		uint8_t again[BUSMUX_RECORD_MAX];
		size_t len2 = 0;

		assert_int_equal(busmux_frame_encode(&g, again, sizeof(again), &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(again, buf, len);
	}
}

static void every_type_roundtrips(void **state)
{
	static const uint8_t bytes[] = {1, 2, 3};
	struct busmux_frame f;

	(void)state;
	f = (struct busmux_frame){.type = BUSMUX_OPEN, .stream = 7};
	f.u.open.service = text("echod");
	f.u.open.subject = text("uid:1000");
	roundtrip(&f);
	roundtrip(&(struct busmux_frame){.type = BUSMUX_OPEN_OK, .stream = 7});
	f = (struct busmux_frame){.type = BUSMUX_OPEN_ERR, .stream = 7};
	f.u.reason = text("denied: no");
	roundtrip(&f);
	f.type = BUSMUX_RESET;
	roundtrip(&f);
	f = (struct busmux_frame){.type = BUSMUX_PAIR_REJECT};
	f.u.reason = text("denied: the operator said no");
	roundtrip(&f);
	f = (struct busmux_frame){.type = BUSMUX_DATA, .stream = 0xfffffffe};
	f.u.data.ptr = bytes;
	f.u.data.len = sizeof(bytes);
	roundtrip(&f);
	f.type = BUSMUX_VMO_CHUNK;
	roundtrip(&f);
	roundtrip(
	        &(struct busmux_frame){.type = BUSMUX_CREDIT, .stream = 2, .u.credit = 0xffffffff});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_CLOSE, .stream = 2});
	roundtrip(&(struct busmux_frame){
	        .type = BUSMUX_VMO_BEGIN, .stream = 2, .u.vmo_size = BUSMUX_VMO_MAX});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_VMO_END, .stream = 2});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_PING, .u.token = UINT64_MAX});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_PONG, .u.token = 1});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_REKEY});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_PAIR_REQUEST});
	roundtrip(&(struct busmux_frame){.type = BUSMUX_PAIR_CONFIRM});
	assert_string_equal(busmux_type_name(BUSMUX_VMO_BEGIN), "VMO_BEGIN");
	assert_string_equal(busmux_type_name(0), "?");
	assert_string_equal(busmux_type_name(17), "?");
}

/* The largest DATA frame fills a record exactly; one byte more does not encode. */
static void data_fills_a_record(void **state)
{
	static uint8_t big[BUSMUX_FRAME_PAYLOAD_MAX + 1];
	uint8_t buf[BUSMUX_RECORD_MAX];
	struct busmux_frame f = {.type = BUSMUX_DATA, .stream = 1};
	size_t len;

	(void)state;
	f.u.data.ptr = big;
	f.u.data.len = BUSMUX_FRAME_PAYLOAD_MAX;
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, BUSMUX_RECORD_MAX);
	f.u.data.len++;
	assert_int_equal(busmux_frame_size(&f), 0);
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), -EINVAL);
	f.u.data.len = 10;
	assert_int_equal(busmux_frame_encode(&f, buf, 16, &len), -ENOBUFS);
	assert_int_equal(busmux_frame_encode(&f, buf, 17, &len), 0);
}

/* The encoder refuses what the decoder would refuse. */
static void encoder_refuses_bad_frames(void **state)
{
	char long_service[BUSMUX_SERVICE_MAX + 2], long_subject[BUSMUX_SUBJECT_MAX + 2];
	char long_reason[BUSMUX_REASON_MAX + 2];
	uint8_t buf[512];
	struct busmux_frame f;
	size_t len;

	(void)state;
	memset(long_service, 'a', sizeof(long_service) - 1);
	long_service[sizeof(long_service) - 1] = '\0';
	memset(long_subject, 'u', sizeof(long_subject) - 1);
	long_subject[sizeof(long_subject) - 1] = '\0';
	memset(long_reason, 'r', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	f = (struct busmux_frame){.type = BUSMUX_OPEN, .stream = 1};
	f.u.open.service = text(long_service);
	f.u.open.subject = text("uid:1");
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), -EINVAL);
	f.u.open.service.len = BUSMUX_SERVICE_MAX;
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), 0);
	f.u.open.subject = text(long_subject);
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), -EINVAL);
	f.u.open.subject.len = BUSMUX_SUBJECT_MAX;
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), 0);
	f = (struct busmux_frame){.type = BUSMUX_RESET, .stream = 1};
	f.u.reason = text(long_reason);
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), -EINVAL);
	f.u.reason.len = BUSMUX_REASON_MAX;
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), 0);
	f.u.reason = text("");
	assert_int_equal(busmux_frame_encode(&f, buf, sizeof(buf), &len), -EINVAL);
	/* Session frames on a stream, stream frames on the session. */
	assert_int_equal(
	        busmux_frame_encode(&(struct busmux_frame){.type = BUSMUX_PING, .stream = 1}, buf,
	                sizeof(buf), &len),
	        -EINVAL);
	assert_int_equal(busmux_frame_encode(&(struct busmux_frame){.type = BUSMUX_CLOSE}, buf,
	                         sizeof(buf), &len),
	        -EINVAL);
	assert_int_equal(
	        busmux_frame_encode(&(struct busmux_frame){.type = BUSMUX_CREDIT, .stream = 1}, buf,
	                sizeof(buf), &len),
	        -EINVAL);
	assert_int_equal(busmux_frame_encode(&(struct busmux_frame){.type = 99, .stream = 1}, buf,
	                         sizeof(buf), &len),
	        -EINVAL);
}

struct bad {
	const char *what;
	uint8_t bytes[40];
	size_t len;
	int err;
};

/* type | stream(4) | len(2) | payload */
static const struct bad bad_frames[] = {
        {"empty", {0}, 0, -EBADMSG},
        {"short header", {BUSMUX_DATA, 0, 0, 0, 1, 0}, 6, -EBADMSG},
        {"type 0", {0, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"type 17", {17, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"type 255", {255, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"length past the end", {BUSMUX_DATA, 0, 0, 0, 1, 0, 2, 'x'}, 8, -EBADMSG},
        {"length 0xffff past the end", {BUSMUX_DATA, 0, 0, 0, 1, 0xff, 0xff, 'x'}, 8, -EBADMSG},
        {"empty DATA", {BUSMUX_DATA, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"empty VMO_CHUNK", {BUSMUX_VMO_CHUNK, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"DATA on stream 0", {BUSMUX_DATA, 0, 0, 0, 0, 0, 1, 'x'}, 8, -EBADMSG},
        {"PING on stream 1", {BUSMUX_PING, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1}, 15, -EBADMSG},
        {"PING of 7 bytes", {BUSMUX_PING, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 1}, 14, -EBADMSG},
        {"REKEY with payload", {BUSMUX_REKEY, 0, 0, 0, 0, 0, 1, 0}, 8, -EBADMSG},
        {"OPEN_OK with payload", {BUSMUX_OPEN_OK, 0, 0, 0, 1, 0, 1, 0}, 8, -EBADMSG},
        {"CREDIT 0", {BUSMUX_CREDIT, 0, 0, 0, 1, 0, 4, 0, 0, 0, 0}, 11, -EBADMSG},
        {"CREDIT of 3 bytes", {BUSMUX_CREDIT, 0, 0, 0, 1, 0, 3, 0, 0, 1}, 10, -EBADMSG},
        {"VMO_BEGIN size 0", {BUSMUX_VMO_BEGIN, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0}, 15,
                -EBADMSG},
        {"VMO_BEGIN past BUSMUX_VMO_MAX",
                {BUSMUX_VMO_BEGIN, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0x40, 0, 0, 1}, 15, -EMSGSIZE},
        {"VMO_BEGIN size UINT64_MAX",
                {BUSMUX_VMO_BEGIN, 0, 0, 0, 1, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0xff},
                15, -EMSGSIZE},
        {"OPEN empty", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"OPEN service past payload", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 3, 9, 'a', 'b'}, 10, -EBADMSG},
        {"OPEN without subject", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 2, 1, 'a'}, 9, -EBADMSG},
        {"OPEN subject short", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 4, 1, 'a', 2, 'u'}, 11, -EBADMSG},
        {"OPEN trailing byte", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 5, 1, 'a', 1, 'u', 'x'}, 12, -EBADMSG},
        {"OPEN empty service", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 3, 0, 1, 'u'}, 10, -EBADMSG},
        {"OPEN empty subject", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 3, 1, 'a', 0}, 10, -EBADMSG},
        {"OPEN NUL in service", {BUSMUX_OPEN, 0, 0, 0, 1, 0, 5, 2, 'a', 0, 1, 'u'}, 12, -EBADMSG},
        {"RESET empty reason", {BUSMUX_RESET, 0, 0, 0, 1, 0, 0}, 7, -EBADMSG},
        {"RESET NUL in reason", {BUSMUX_RESET, 0, 0, 0, 1, 0, 2, 'x', 0}, 9, -EBADMSG},
};

static void decoder_refuses_bad_frames(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_frames) / sizeof(bad_frames[0]); i++) {
		const struct bad *b = &bad_frames[i];
		struct busmux_frame f;
		size_t used = 12345;

		print_message("%s\n", b->what);
		assert_int_equal(busmux_frame_decode(b->bytes, b->len, &f, &used), b->err);
		assert_int_equal(used, 12345); /* untouched on failure */
	}
}

/* Texts over their caps are -EMSGSIZE, at the cap they decode. */
static void decoder_text_caps(void **state)
{
	uint8_t buf[600];
	struct busmux_frame f;
	size_t used, slen = BUSMUX_SERVICE_MAX + 1, ulen = BUSMUX_SUBJECT_MAX;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	buf[0] = BUSMUX_OPEN;
	memcpy(buf + 1, "\0\0\0\1", 4);
	buf[5] = 0;
	buf[6] = (uint8_t)(2 + slen + ulen);
	buf[7] = (uint8_t)slen;
	buf[8 + slen] = (uint8_t)ulen;
	assert_int_equal(busmux_frame_decode(buf, 7 + 2 + slen + ulen, &f, &used), -EMSGSIZE);
	slen = BUSMUX_SERVICE_MAX;
	ulen = BUSMUX_SUBJECT_MAX + 1;
	memset(buf + 7, 'a', sizeof(buf) - 7);
	buf[6] = (uint8_t)(2 + slen + ulen);
	buf[7] = (uint8_t)slen;
	buf[8 + slen] = (uint8_t)ulen;
	assert_int_equal(busmux_frame_decode(buf, 7 + 2 + slen + ulen, &f, &used), -EMSGSIZE);
	ulen = BUSMUX_SUBJECT_MAX;
	buf[6] = (uint8_t)(2 + slen + ulen);
	buf[8 + slen] = (uint8_t)ulen;
	assert_int_equal(busmux_frame_decode(buf, 7 + 2 + slen + ulen, &f, &used), 0);
	assert_int_equal(f.u.open.service.len, BUSMUX_SERVICE_MAX);
	assert_int_equal(f.u.open.subject.len, BUSMUX_SUBJECT_MAX);
	/* A reason one byte over BUSMUX_REASON_MAX. */
	memset(buf, 'r', sizeof(buf));
	buf[0] = BUSMUX_OPEN_ERR;
	memcpy(buf + 1, "\0\0\0\1", 4);
	buf[5] = 0;
	buf[6] = BUSMUX_REASON_MAX + 1;
	assert_int_equal(busmux_frame_decode(buf, 7 + BUSMUX_REASON_MAX + 1, &f, &used), -EMSGSIZE);
	buf[6] = BUSMUX_REASON_MAX;
	assert_int_equal(busmux_frame_decode(buf, 7 + BUSMUX_REASON_MAX + 1, &f, &used), 0);
	assert_int_equal(used, 7 + BUSMUX_REASON_MAX); /* the byte after is the next frame's */
}

FDCHECK_GROUP("busmux frame tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(every_type_roundtrips),
	        cmocka_unit_test(data_fills_a_record),
	        cmocka_unit_test(encoder_refuses_bad_frames),
	        cmocka_unit_test(decoder_refuses_bad_frames),
	        cmocka_unit_test(decoder_text_caps),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
