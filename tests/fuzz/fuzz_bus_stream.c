/* SPDX-License-Identifier: MIT */
/*
 * Reads the input as a peer's side of a dsoftbusd session after the handshake: records, each
 * a 2-byte big-endian length and that many bytes (as they come off the wire once decrypted).
 * Every record's frames are decoded on their own and must re-encode to the same bytes; then
 * the record goes to a responder mux whose adapter accepts or refuses OPENs, consumes what it
 * gets and echoes some of it back. After each record the mux's output is drained, and every
 * record it produces must be within BUSMUX_RECORD_MAX and decode frame by frame; the stream
 * count never passes BUSMUX_STREAMS_MAX. A failed busmux_receive ends the session (as
 * dsoftbusd closes it), never a crash or a leak.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busmux/mux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broke: name the line, then crash so libFuzzer keeps the input. */
#define check(ok)                                                                   \
	do {                                                                        \
		if (!(ok)) {                                                        \
			fprintf(stderr, "invariant failed at line %d\n", __LINE__); \
			abort();                                                    \
		}                                                                   \
	} while (0)

struct adapter {
	busmux *m;
};

static int on_event(void *userdata, const struct busmux_event *ev)
{
	struct adapter *a = userdata;
	size_t taken;

	switch (ev->type) {
	case BUSMUX_EV_OPEN:
		/* Refuse every other stream, to reach both answers. */
		if (ev->stream % 4 == 3)
			return busmux_refuse(a->m, ev->stream, "denied: not exported");
		return busmux_accept(a->m, ev->stream, a);
	case BUSMUX_EV_DATA:
		check(ev->u.data.len > 0 && ev->u.data.len <= BUSMUX_FRAME_PAYLOAD_MAX);
		/* Echo a little back; a full queue is fine. */
		(void)busmux_write(a->m, ev->stream, ev->u.data.ptr, ev->u.data.len % 64, &taken);
		return busmux_consumed(a->m, ev->stream, ev->u.data.len);
	case BUSMUX_EV_VMO_CHUNK:
		return busmux_consumed(a->m, ev->stream, ev->u.data.len);
	case BUSMUX_EV_CLOSED:
		(void)busmux_close(a->m, ev->stream);
		return 0;
	case BUSMUX_EV_VMO_BEGIN:
		check(ev->u.vmo_size > 0 && ev->u.vmo_size <= BUSMUX_VMO_MAX);
		return 0;
	default:
		return 0;
	}
}

/* Each frame of rec decodes on its own and re-encodes to the same bytes. */
static void check_roundtrip(const uint8_t *rec, size_t len)
{
	static uint8_t again[BUSMUX_RECORD_MAX];
	size_t off = 0;

	while (off < len) {
		struct busmux_frame f;
		size_t used, n;

		if (busmux_frame_decode(rec + off, len - off, &f, &used) < 0)
			return;
		check(used >= BUSMUX_FRAME_HEADER && used <= len - off);
		check(busmux_frame_encode(&f, again, sizeof(again), &n) == 0);
		check(n == used && memcmp(again, rec + off, n) == 0);
		off += used;
	}
}

/* What the mux sends is well formed. */
static void drain(busmux *m, uint64_t now)
{
	static uint8_t out[BUSMUX_RECORD_MAX];

	for (int i = 0; i < 1024; i++) {
		size_t len, off = 0;
		bool rekey;

		check(busmux_next_record(m, now, out, sizeof(out), &len, &rekey) == 0);
		if (len == 0)
			return;
		check(len <= BUSMUX_RECORD_MAX);
		while (off < len) {
			struct busmux_frame f;
			size_t used;

			check(busmux_frame_decode(out + off, len - off, &f, &used) == 0);
			off += used;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adapter a = {0};
	struct busmux_stats st;
	uint64_t now = 1, next;
	size_t off = 0;

	if (busmux_new(BUSMUX_RESPONDER, now, on_event, &a, &a.m) < 0)
		return 0;
	while (size - off >= 2) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		check_roundtrip(data + off, len);
		now += (uint64_t)(len & 0xf) * 1000000000ull; /* seconds pass now and then */
		if (busmux_receive(a.m, data + off, len, now) < 0)
			break;
		busmux_stats(a.m, &st);
		check(st.streams <= BUSMUX_STREAMS_MAX);
		if (busmux_tick(a.m, now, &next) < 0)
			break;
		drain(a.m, now);
		off += len;
	}
	busmux_free(a.m);
	return 0;
}
