/* SPDX-License-Identifier: MIT */
/* userspace/busmux sessions: two muxes (initiator A, responder B) joined by a pump that moves
 * records between them; hostile records are written by hand. Open/accept/refuse, data both
 * ways, close, reset, the stream cap, flow control (a sender stops at the window, a peer past
 * it loses the session, credit past the maximum), ids never opened vs gone, VMO transfer and
 * its over- and under-runs, liveness, rekey by time and by bytes, the control queue bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busmux/mux.h"
#include "fdcheck.h"

#define EVENTS_MAX 4096

/* One side: its mux, what it heard, and how it answers. */
struct side {
	busmux *m;
	struct busmux_event ev[EVENTS_MAX];
	size_t nev;
	bool auto_accept;
	bool auto_consume;
	uint64_t rx_bytes; /* DATA and VMO chunk bytes heard */
	uint8_t *sink;     /* when set, DATA/VMO bytes are copied here at rx_bytes */
	size_t sink_cap;
	unsigned rekeys;
};

struct pair {
	struct side a, b;
	uint64_t now;
};

static int on_event(void *userdata, const struct busmux_event *ev)
{
	struct side *s = userdata;

	if (s->nev < EVENTS_MAX)
		s->ev[s->nev++] = *ev;
	if (ev->type == BUSMUX_EV_OPEN && s->auto_accept)
		return busmux_accept(s->m, ev->stream, s);
	if (ev->type == BUSMUX_EV_DATA || ev->type == BUSMUX_EV_VMO_CHUNK) {
		if (s->sink && s->rx_bytes + ev->u.data.len <= s->sink_cap)
			memcpy(s->sink + s->rx_bytes, ev->u.data.ptr, ev->u.data.len);
		s->rx_bytes += ev->u.data.len;
		if (s->auto_consume)
			return busmux_consumed(s->m, ev->stream, ev->u.data.len);
	}
	if (ev->type == BUSMUX_EV_REKEY)
		s->rekeys++;
	return 0;
}

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->now = 1000;
	p->a.auto_accept = p->b.auto_accept = true;
	p->a.auto_consume = p->b.auto_consume = true;
	if (busmux_new(BUSMUX_INITIATOR, p->now, on_event, &p->a, &p->a.m) < 0 ||
	        busmux_new(BUSMUX_RESPONDER, p->now, on_event, &p->b, &p->b.m) < 0)
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	busmux_free(p->a.m);
	busmux_free(p->b.m);
	free(p);
	return 0;
}

/* Moves one record from `from` to `to`: 1 if one moved, 0 if none pending, or to's error. */
static int pump_one(struct pair *p, struct side *from, struct side *to)
{
	static uint8_t rec[BUSMUX_RECORD_MAX];
	size_t len;
	bool rekey;
	int r = busmux_next_record(from->m, p->now, rec, sizeof(rec), &len, &rekey);

	assert_int_equal(r, 0);
	if (len == 0)
		return 0;
	assert_true(len <= BUSMUX_RECORD_MAX);
	r = busmux_receive(to->m, rec, len, p->now);
	return r < 0 ? r : 1;
}

/* Pumps both ways until neither has anything to send; both must stay healthy. */
static void pump(struct pair *p)
{
	for (int rounds = 0; rounds < 100000; rounds++) {
		int ra = pump_one(p, &p->a, &p->b), rb = pump_one(p, &p->b, &p->a);

		assert_true(ra >= 0);
		assert_true(rb >= 0);
		if (ra == 0 && rb == 0)
			return;
	}
	fail_msg("the muxes never went quiet");
}

static const struct busmux_event *last_event(const struct side *s, enum busmux_event_type type)
{
	for (size_t i = s->nev; i > 0; i--)
		if (s->ev[i - 1].type == type)
			return &s->ev[i - 1];
	return NULL;
}

/* Sends one hand-made record of frames to `to`. */
static int inject(struct pair *p, struct side *to, const struct busmux_frame *frames, size_t n)
{
	uint8_t rec[BUSMUX_RECORD_MAX];
	size_t pos = 0, len;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(
		        busmux_frame_encode(&frames[i], rec + pos, sizeof(rec) - pos, &len), 0);
		pos += len;
	}
	return busmux_receive(to->m, rec, pos, p->now);
}

static uint32_t open_stream(struct pair *p)
{
	uint32_t id;

	assert_int_equal(busmux_open(p->a.m, "echod", "uid:1000", &p->a, &id), 0);
	pump(p);
	return id;
}

static void open_write_close_both_ways(void **state)
{
	struct pair *p = *state;
	const struct busmux_event *ev;
	struct busmux_stats st;
	uint32_t id;
	size_t taken;

	assert_int_equal(busmux_open(p->a.m, "echod", "uid:1000", &p->a, &id), 0);
	assert_int_equal(id, 1); /* the initiator's ids are odd */
	/* Written before the answer: held until OPEN_OK. */
	assert_int_equal(busmux_write(p->a.m, id, "hello", 5, &taken), 0);
	assert_int_equal(taken, 5);
	pump(p);
	ev = last_event(&p->b, BUSMUX_EV_OPEN);
	assert_non_null(ev);
	assert_int_equal(ev->stream, id);
	assert_string_equal(ev->u.open.service, "echod");
	assert_string_equal(ev->u.open.subject, "uid:1000");
	assert_non_null(last_event(&p->a, BUSMUX_EV_OPENED));
	ev = last_event(&p->b, BUSMUX_EV_DATA);
	assert_non_null(ev);
	assert_ptr_equal(ev->stream_data, &p->b);
	assert_int_equal(p->b.rx_bytes, 5);
	assert_int_equal(busmux_write(p->b.m, id, "world!", 6, &taken), 0);
	assert_int_equal(busmux_close(p->b.m, id), 0);
	assert_int_equal(busmux_write(p->b.m, id, "x", 1, &taken), -EPIPE);
	pump(p);
	assert_int_equal(p->a.rx_bytes, 6);
	assert_non_null(last_event(&p->a, BUSMUX_EV_CLOSED));
	busmux_stats(p->a.m, &st);
	assert_int_equal(st.streams, 1); /* A still may write */
	assert_int_equal(busmux_close(p->a.m, id), 0);
	pump(p);
	busmux_stats(p->a.m, &st);
	assert_int_equal(st.streams, 0);
	busmux_stats(p->b.m, &st);
	assert_int_equal(st.streams, 0);
	assert_int_equal(busmux_write(p->a.m, id, "x", 1, &taken), -ENOENT);
	/* B opens one too: even ids. */
	assert_int_equal(busmux_open(p->b.m, "logd", "svc:x", NULL, &id), 0);
	assert_int_equal(id, 2);
	pump(p);
	assert_non_null(last_event(&p->b, BUSMUX_EV_OPENED));
}

static void refused_and_reset(void **state)
{
	struct pair *p = *state;
	const struct busmux_event *ev;
	uint32_t id;
	size_t taken;

	p->b.auto_accept = false;
	assert_int_equal(busmux_open(p->a.m, "secret", "uid:1", NULL, &id), 0);
	pump(p);
	ev = last_event(&p->b, BUSMUX_EV_OPEN);
	assert_non_null(ev);
	assert_int_equal(busmux_write(p->b.m, id, "x", 1, &taken), -ENOENT); /* not accepted */
	assert_int_equal(busmux_refuse(p->b.m, id, ""), -EINVAL);
	assert_int_equal(busmux_refuse(p->b.m, id, "denied: peer:x/uid:1 lacks ipc.connect"), 0);
	assert_int_equal(busmux_refuse(p->b.m, id, "denied: twice"), -ENOENT);
	pump(p);
	ev = last_event(&p->a, BUSMUX_EV_REFUSED);
	assert_non_null(ev);
	assert_string_equal(ev->u.reason, "denied: peer:x/uid:1 lacks ipc.connect");
	assert_int_equal(busmux_write(p->a.m, id, "x", 1, &taken), -ENOENT);
	/* Reset: queued bytes dropped, the other side hears the reason. */
	p->b.auto_accept = true;
	id = open_stream(p);
	assert_int_equal(busmux_write(p->a.m, id, "lost", 4, &taken), 0);
	assert_int_equal(busmux_reset(p->a.m, id, "cancelled: the caller went away"), 0);
	pump(p);
	ev = last_event(&p->b, BUSMUX_EV_RESET);
	assert_non_null(ev);
	assert_string_equal(ev->u.reason, "cancelled: the caller went away");
	assert_int_equal(p->b.rx_bytes, 0);
}

/* Frames for a stream that is gone are dropped and counted; for one never opened they end the
 * session, as does an OPEN reusing an id. */
static void stale_and_unknown_ids(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f = {.type = BUSMUX_DATA};
	struct busmux_stats st;
	uint32_t id = open_stream(p);

	assert_int_equal(busmux_reset(p->b.m, id, "internal: gone"), 0);
	/* A's data crosses B's RESET. */
	f.stream = id;
	f.u.data.ptr = (const uint8_t *)"late";
	f.u.data.len = 4;
	assert_int_equal(inject(p, &p->b, &f, 1), 0);
	busmux_stats(p->b.m, &st);
	assert_int_equal(st.stale_frames, 1);
	f.stream = 3; /* A's next id, never opened */
	assert_int_equal(inject(p, &p->b, &f, 1), -EPROTO);
	assert_non_null(strstr(busmux_error(p->b.m), "never opened"));
}

static void reused_open_id_ends_session(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f = {.type = BUSMUX_OPEN, .stream = 5};

	f.u.open.service = (struct busmux_text){"echod", 5};
	f.u.open.subject = (struct busmux_text){"uid:1", 5};
	assert_int_equal(inject(p, &p->b, &f, 1), 0);
	f.stream = 3; /* below the last */
	assert_int_equal(inject(p, &p->b, &f, 1), -EPROTO);
	f.stream = 7; /* A's own parity, sent to A */
	assert_int_equal(inject(p, &p->a, &f, 1), -EPROTO);
}

/* BUSMUX_STREAMS_MAX streams at once: the local open past it fails, a peer's OPEN past it is
 * answered OPEN_ERR limit_exceeded and the session goes on. */
static void stream_cap(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f = {.type = BUSMUX_OPEN};
	const struct busmux_event *ev;
	struct busmux_stats st;
	uint32_t id;

	for (unsigned i = 0; i < BUSMUX_STREAMS_MAX; i++)
		assert_int_equal(busmux_open(p->a.m, "echod", "uid:1", NULL, &id), 0);
	assert_int_equal(busmux_open(p->a.m, "echod", "uid:1", NULL, &id), -EMFILE);
	pump(p);
	busmux_stats(p->b.m, &st);
	assert_int_equal(st.streams, BUSMUX_STREAMS_MAX);
	/* A hostile A ignores its own cap. */
	f.stream = id + 2;
	f.u.open.service = (struct busmux_text){"echod", 5};
	f.u.open.subject = (struct busmux_text){"uid:1", 5};
	assert_int_equal(inject(p, &p->b, &f, 1), 0);
	busmux_stats(p->b.m, &st);
	assert_int_equal(st.opens_refused, 1);
	assert_int_equal(st.streams, BUSMUX_STREAMS_MAX);
	/* B answers it; A (which did not open it) treats the id as never opened. */
	{
		uint8_t rec[BUSMUX_RECORD_MAX];
		struct busmux_frame g;
		size_t len, used;
		bool rekey;

		assert_int_equal(
		        busmux_next_record(p->b.m, p->now, rec, sizeof(rec), &len, &rekey), 0);
		assert_int_equal(busmux_frame_decode(rec, len, &g, &used), 0);
		assert_int_equal(g.type, BUSMUX_OPEN_ERR);
		assert_int_equal(g.stream, f.stream);
		assert_memory_equal(g.u.reason.ptr, "limit_exceeded:", 15);
	}
	/* The cap counts both directions: B cannot open either, until one stream goes. */
	assert_int_equal(busmux_open(p->b.m, "echod", "uid:1", NULL, &id), -EMFILE);
	assert_int_equal(busmux_reset(p->a.m, 1, "cancelled: done"), 0);
	pump(p);
	assert_int_equal(busmux_open(p->b.m, "echod", "uid:1", NULL, &id), 0);
	pump(p);
	ev = last_event(&p->b, BUSMUX_EV_OPENED);
	assert_non_null(ev);
	assert_int_equal(ev->stream, id);
}

/* A sender stops at BUSMUX_WINDOW_INITIAL until the receiver consumes; then the rest flows. */
static void sender_stops_at_window(void **state)
{
	struct pair *p = *state;
	static uint8_t buf[2 * BUSMUX_WINDOW_INITIAL];
	size_t taken, total = 0;
	uint32_t id = open_stream(p);

	p->b.auto_consume = false;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(busmux_write_room(p->a.m, id), BUSMUX_STREAM_TXBUF_MAX);
	while (total < sizeof(buf)) {
		assert_int_equal(
		        busmux_write(p->a.m, id, buf + total, sizeof(buf) - total, &taken), 0);
		total += taken;
		if (taken == 0) {
			assert_int_equal(busmux_write_room(p->a.m, id), 0);
			pump(p);
			if (p->b.rx_bytes == BUSMUX_WINDOW_INITIAL && !busmux_pending(p->a.m))
				break;
		}
	}
	pump(p);
	assert_int_equal(p->b.rx_bytes, BUSMUX_WINDOW_INITIAL);
	assert_false(busmux_pending(p->a.m));
	/* B's adapter wrote out everything: credit flows back, and so does the rest. */
	assert_int_equal(busmux_consumed(p->b.m, id, BUSMUX_WINDOW_INITIAL + 1), -EINVAL);
	assert_int_equal(busmux_consumed(p->b.m, id, BUSMUX_WINDOW_INITIAL), 0);
	p->b.auto_consume = true;
	pump(p);
	while (total < sizeof(buf)) {
		assert_int_equal(
		        busmux_write(p->a.m, id, buf + total, sizeof(buf) - total, &taken), 0);
		total += taken;
		pump(p);
	}
	pump(p);
	assert_int_equal(p->b.rx_bytes, sizeof(buf));
}

/* The local queue holds BUSMUX_STREAM_TXBUF_MAX bytes per stream. */
static void write_queue_bound(void **state)
{
	struct pair *p = *state;
	static uint8_t buf[BUSMUX_STREAM_TXBUF_MAX + 100];
	size_t taken;
	uint32_t id;

	assert_int_equal(busmux_open(p->a.m, "echod", "uid:1", NULL, &id), 0);
	assert_int_equal(busmux_write(p->a.m, id, buf, sizeof(buf), &taken), 0);
	assert_int_equal(taken, BUSMUX_STREAM_TXBUF_MAX);
	assert_int_equal(busmux_write(p->a.m, id, buf, 1, &taken), 0);
	assert_int_equal(taken, 0);
}

/* A peer that sends past the window it was given loses the session. */
static void peer_past_window(void **state)
{
	struct pair *p = *state;
	static uint8_t chunk[BUSMUX_FRAME_PAYLOAD_MAX];
	struct busmux_frame f = {.type = BUSMUX_DATA};
	size_t sent = 0;
	uint32_t id = open_stream(p);
	int r = 0;

	p->b.auto_consume = false;
	f.stream = id;
	f.u.data.ptr = chunk;
	while (r == 0) {
		f.u.data.len = sizeof(chunk);
		r = inject(p, &p->b, &f, 1);
		if (r == 0)
			sent += sizeof(chunk);
	}
	assert_int_equal(r, -EPROTO);
	assert_true(sent <= BUSMUX_WINDOW_INITIAL);
	assert_true(sent + sizeof(chunk) > BUSMUX_WINDOW_INITIAL);
	assert_non_null(strstr(busmux_error(p->b.m), "past its window"));
}

/* Credit that takes a window past BUSMUX_WINDOW_MAX ends the session; up to it is fine. */
static void credit_past_max(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f = {.type = BUSMUX_CREDIT};
	uint32_t id = open_stream(p);

	f.stream = id;
	f.u.credit = BUSMUX_WINDOW_MAX - BUSMUX_WINDOW_INITIAL;
	assert_int_equal(inject(p, &p->a, &f, 1), 0);
	f.u.credit = 1;
	assert_int_equal(inject(p, &p->a, &f, 1), -EPROTO);
}

static void vmo_roundtrip(void **state)
{
	struct pair *p = *state;
	const size_t size = 3 * BUSMUX_RECORD_MAX + 123;
	uint8_t *src = malloc(size), *dst = calloc(1, size);
	const struct busmux_event *ev;
	size_t taken, done = 0;
	uint32_t id = open_stream(p);

	assert_non_null(src);
	assert_non_null(dst);
	for (size_t i = 0; i < size; i++)
		src[i] = (uint8_t)(i ^ (i >> 8));
	p->b.sink = dst;
	p->b.sink_cap = size;
	assert_int_equal(busmux_vmo_begin(p->a.m, id, 0), -EMSGSIZE);
	assert_int_equal(busmux_vmo_begin(p->a.m, id, (uint64_t)BUSMUX_VMO_MAX + 1), -EMSGSIZE);
	assert_int_equal(busmux_vmo_write(p->a.m, id, src, 1, &taken), -ENOENT);
	assert_int_equal(busmux_vmo_begin(p->a.m, id, size), 0);
	assert_int_equal(busmux_vmo_begin(p->a.m, id, size), -EBUSY);
	assert_int_equal(busmux_write(p->a.m, id, "x", 1, &taken), -EBUSY);
	assert_int_equal(busmux_close(p->a.m, id), -EBUSY);
	assert_int_equal(busmux_vmo_end(p->a.m, id), -EPROTO); /* nothing written yet */
	while (done < size) {
		assert_int_equal(busmux_vmo_write(p->a.m, id, src + done, size - done, &taken), 0);
		done += taken;
		pump(p);
	}
	assert_int_equal(busmux_vmo_write(p->a.m, id, src, 1, &taken), -EMSGSIZE);
	assert_int_equal(busmux_vmo_end(p->a.m, id), 0);
	assert_int_equal(busmux_write(p->a.m, id, "after", 5, &taken), 0);
	pump(p);
	ev = last_event(&p->b, BUSMUX_EV_VMO_BEGIN);
	assert_non_null(ev);
	assert_int_equal(ev->u.vmo_size, size);
	assert_non_null(last_event(&p->b, BUSMUX_EV_VMO_END));
	assert_int_equal(p->b.rx_bytes, size + 5);
	assert_memory_equal(dst, src, size);
	/* The VMO came before the DATA written after it. */
	assert_true(last_event(&p->b, BUSMUX_EV_VMO_END) < last_event(&p->b, BUSMUX_EV_DATA));
	free(src);
	free(dst);
}

/* A peer's VMO: more bytes than declared, VMO_END early, DATA inside, a chunk outside. */
static void vmo_overrun_underrun(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f[3] = {
	        {.type = BUSMUX_VMO_BEGIN}, {.type = BUSMUX_VMO_CHUNK}, {.type = BUSMUX_VMO_END}};
	uint32_t id = open_stream(p);

	for (int i = 0; i < 3; i++)
		f[i].stream = id;
	f[0].u.vmo_size = 4;
	f[1].u.data.ptr = (const uint8_t *)"12345";
	f[1].u.data.len = 5;
	assert_int_equal(inject(p, &p->b, f, 2), -EPROTO);
	assert_non_null(strstr(busmux_error(p->b.m), "past the VMO's size"));
}

static void vmo_underrun(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f[3] = {
	        {.type = BUSMUX_VMO_BEGIN}, {.type = BUSMUX_VMO_CHUNK}, {.type = BUSMUX_VMO_END}};
	uint32_t id = open_stream(p);

	for (int i = 0; i < 3; i++)
		f[i].stream = id;
	f[0].u.vmo_size = 4;
	f[1].u.data.ptr = (const uint8_t *)"123";
	f[1].u.data.len = 3;
	assert_int_equal(inject(p, &p->b, f, 3), -EPROTO);
	assert_non_null(strstr(busmux_error(p->b.m), "1 bytes missing"));
}

static void vmo_interleaving(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f[2] = {{.type = BUSMUX_VMO_BEGIN}, {.type = BUSMUX_DATA}};
	uint32_t id = open_stream(p);

	f[0].stream = f[1].stream = id;
	f[0].u.vmo_size = 4;
	f[1].u.data.ptr = (const uint8_t *)"x";
	f[1].u.data.len = 1;
	assert_int_equal(inject(p, &p->b, f, 2), -EPROTO);
	assert_non_null(strstr(busmux_error(p->b.m), "inside a VMO"));
	/* On a fresh session: a chunk with no VMO begun. */
	teardown(state);
	assert_int_equal(setup(state), 0);
	p = *state;
	id = open_stream(p);
	f[0] = (struct busmux_frame){.type = BUSMUX_VMO_CHUNK, .stream = id};
	f[0].u.data.ptr = (const uint8_t *)"x";
	f[0].u.data.len = 1;
	assert_int_equal(inject(p, &p->b, f, 1), -EPROTO);
	assert_non_null(strstr(busmux_error(p->b.m), "outside a VMO"));
}

/* DATA after the peer's CLOSE, and DATA before OPEN_OK, end the session. */
static void data_out_of_state(void **state)
{
	struct pair *p = *state;
	struct busmux_frame f[2] = {{.type = BUSMUX_CLOSE}, {.type = BUSMUX_DATA}};
	uint32_t id = open_stream(p);

	f[0].stream = f[1].stream = id;
	f[1].u.data.ptr = (const uint8_t *)"x";
	f[1].u.data.len = 1;
	assert_int_equal(inject(p, &p->b, f, 2), -EPROTO);
	teardown(state);
	assert_int_equal(setup(state), 0);
	p = *state;
	p->b.auto_accept = false;
	id = open_stream(p);
	f[1].stream = id;
	assert_int_equal(inject(p, &p->b, &f[1], 1), -EPROTO);
}

/* Quiet for BUSMUX_PING_AFTER_NS: a PING, answered; silent for BUSMUX_IDLE_TIMEOUT_NS: dead. */
static void liveness(void **state)
{
	struct pair *p = *state;
	struct busmux_frame pong = {.type = BUSMUX_PONG, .u.token = 99};
	uint64_t next;

	assert_int_equal(busmux_tick(p->a.m, p->now, &next), 0);
	assert_int_equal(next, p->now + BUSMUX_PING_AFTER_NS);
	assert_false(busmux_pending(p->a.m));
	p->now += BUSMUX_PING_AFTER_NS;
	assert_int_equal(busmux_tick(p->a.m, p->now, &next), 0);
	assert_true(busmux_pending(p->a.m));
	assert_int_equal(next, p->now - BUSMUX_PING_AFTER_NS + BUSMUX_IDLE_TIMEOUT_NS);
	pump(p); /* PING, then PONG: A heard from B now */
	assert_int_equal(busmux_tick(p->a.m, p->now, &next), 0);
	assert_int_equal(next, p->now + BUSMUX_PING_AFTER_NS);
	assert_int_equal(inject(p, &p->a, &pong, 1), -EPROTO); /* answers no PING */
	p->now += BUSMUX_IDLE_TIMEOUT_NS - 1;
	assert_int_equal(busmux_tick(p->b.m, p->now, &next), 0);
	p->now += 1;
	assert_int_equal(busmux_tick(p->b.m, p->now, &next), -ETIMEDOUT);
}

/* After BUSMUX_REKEY_NS on one key, the next record ends with REKEY. */
static void rekey_by_time(void **state)
{
	struct pair *p = *state;
	uint8_t rec[BUSMUX_RECORD_MAX];
	size_t len, taken;
	bool rekey;
	uint32_t id = open_stream(p);

	assert_int_equal(busmux_write(p->a.m, id, "x", 1, &taken), 0);
	p->now += BUSMUX_REKEY_NS - 1;
	assert_int_equal(busmux_next_record(p->a.m, p->now, rec, sizeof(rec), &len, &rekey), 0);
	assert_false(rekey);
	assert_int_equal(busmux_write(p->a.m, id, "y", 1, &taken), 0);
	p->now += 1;
	assert_int_equal(busmux_next_record(p->a.m, p->now, rec, sizeof(rec), &len, &rekey), 0);
	assert_true(rekey);
	assert_int_equal(rec[len - BUSMUX_FRAME_HEADER], BUSMUX_REKEY);
	assert_int_equal(busmux_receive(p->b.m, rec, len, p->now), 0);
	assert_int_equal(p->b.rekeys, 1);
	/* The clock starts over with the new key. */
	assert_int_equal(busmux_write(p->a.m, id, "z", 1, &taken), 0);
	assert_int_equal(busmux_next_record(p->a.m, p->now, rec, sizeof(rec), &len, &rekey), 0);
	assert_false(rekey);
}

/* After BUSMUX_REKEY_BYTES on one key, too. */
static void rekey_by_bytes(void **state)
{
	struct pair *p = *state;
	static uint8_t buf[BUSMUX_STREAM_TXBUF_MAX];
	uint64_t total = 0;
	size_t taken;
	uint32_t id = open_stream(p);
	struct busmux_stats st;

	while (total < BUSMUX_REKEY_BYTES) {
		assert_int_equal(busmux_write(p->a.m, id, buf, sizeof(buf), &taken), 0);
		total += taken;
		pump(p);
	}
	busmux_stats(p->a.m, &st);
	assert_int_equal(st.rekeys_out, 1);
	assert_int_equal(p->b.rekeys, 1);
	assert_true(st.bytes_out >= BUSMUX_REKEY_BYTES);
}

/* A peer that makes us answer (PINGs) without reading loses the session at
 * BUSMUX_CONTROL_QUEUE_MAX unsent answers. */
static void control_queue_bound(void **state)
{
	struct pair *p = *state;
	struct busmux_frame ping = {.type = BUSMUX_PING};
	int r = 0;
	unsigned n = 0;

	while (r == 0 && n <= BUSMUX_CONTROL_QUEUE_MAX) {
		ping.u.token = n++;
		r = inject(p, &p->b, &ping, 1);
	}
	assert_int_equal(r, -ENOBUFS);
	assert_int_equal(n, BUSMUX_CONTROL_QUEUE_MAX + 1);
}

static void pairing_frames(void **state)
{
	struct pair *p = *state;
	const struct busmux_event *ev;

	assert_int_equal(busmux_send_pair(p->a.m, BUSMUX_PAIR_REQUEST, NULL), 0);
	assert_int_equal(busmux_send_pair(p->b.m, BUSMUX_PAIR_CONFIRM, NULL), 0);
	assert_int_equal(busmux_send_pair(p->b.m, BUSMUX_PAIR_REJECT, NULL), -EINVAL);
	assert_int_equal(busmux_send_pair(p->b.m, BUSMUX_PING, NULL), -EINVAL);
	assert_int_equal(busmux_send_pair(p->b.m, BUSMUX_PAIR_REJECT, "denied: sas differs"), 0);
	pump(p);
	assert_non_null(last_event(&p->b, BUSMUX_EV_PAIR_REQUEST));
	assert_non_null(last_event(&p->a, BUSMUX_EV_PAIR_CONFIRM));
	ev = last_event(&p->a, BUSMUX_EV_PAIR_REJECT);
	assert_non_null(ev);
	assert_string_equal(ev->u.reason, "denied: sas differs");
}

/* Records that are no records, and texts the local side gets wrong. */
static void bad_input(void **state)
{
	struct pair *p = *state;
	static uint8_t big[BUSMUX_RECORD_MAX + 1];
	char service[BUSMUX_SERVICE_MAX + 2], subject[BUSMUX_SUBJECT_MAX + 2];
	char reason[BUSMUX_REASON_MAX + 2];
	uint8_t garbage[] = {0x42, 0, 0, 0, 1, 0, 0};
	uint8_t rec[64];
	uint32_t id;
	size_t len;
	bool rekey;

	assert_int_equal(busmux_receive(p->a.m, big, sizeof(big), p->now), -EBADMSG);
	assert_int_equal(busmux_receive(p->a.m, big, 0, p->now), -EBADMSG);
	assert_int_equal(busmux_receive(p->a.m, garbage, sizeof(garbage), p->now), -EBADMSG);
	assert_int_equal(
	        busmux_next_record(p->a.m, p->now, rec, sizeof(rec), &len, &rekey), -EINVAL);
	memset(service, 'a', sizeof(service) - 1);
	service[sizeof(service) - 1] = '\0';
	memset(subject, 'u', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(busmux_open(p->a.m, service, "uid:1", NULL, &id), -EINVAL);
	assert_int_equal(busmux_open(p->a.m, "echod", subject, NULL, &id), -EINVAL);
	assert_int_equal(busmux_open(p->a.m, "", "uid:1", NULL, &id), -EINVAL);
	service[BUSMUX_SERVICE_MAX] = '\0';
	subject[BUSMUX_SUBJECT_MAX] = '\0';
	assert_int_equal(busmux_open(p->a.m, service, subject, NULL, &id), 0);
	assert_int_equal(busmux_reset(p->a.m, id, reason), -EINVAL);
	reason[BUSMUX_REASON_MAX] = '\0';
	assert_int_equal(busmux_reset(p->a.m, id, reason), 0);
	assert_int_equal(busmux_consumed(p->a.m, id, 1), -ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

FDCHECK_GROUP("busmux mux tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(open_write_close_both_ways),
	        T(refused_and_reset),
	        T(stale_and_unknown_ids),
	        T(reused_open_id_ends_session),
	        T(stream_cap),
	        T(sender_stops_at_window),
	        T(write_queue_bound),
	        T(peer_past_window),
	        T(credit_past_max),
	        T(vmo_roundtrip),
	        T(vmo_overrun_underrun),
	        T(vmo_underrun),
	        T(vmo_interleaving),
	        T(data_out_of_state),
	        T(liveness),
	        T(rekey_by_time),
	        T(rekey_by_bytes),
	        T(control_queue_bound),
	        T(pairing_frames),
	        T(bad_input),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
