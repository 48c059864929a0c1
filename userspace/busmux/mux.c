/* SPDX-License-Identifier: MIT */
#include "busmux/mux.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busmux/txq.h"

/* Bytes consumed by the adapter that are granted back in one CREDIT at the latest: a quarter
 * window keeps the sender busy without a CREDIT per DATA. */
#define CREDIT_BATCH (BUSMUX_WINDOW_INITIAL / 4u)

enum stream_state {
	ST_OPENING, /* we sent OPEN, no answer yet */
	ST_ASKED,   /* the peer sent OPEN, the adapter has not answered */
	ST_OPEN,
};

struct stream {
	uint32_t id;
	enum stream_state state;
	void *data;
	/* Sending. */
	struct txq txq;
	uint64_t tx_window; /* bytes the peer lets us send */
	bool tx_closed;     /* busmux_close: CLOSE queued */
	bool close_sent;
	bool vmo_writing; /* between busmux_vmo_begin and busmux_vmo_end */
	uint64_t vmo_unwritten;
	/* Receiving. */
	uint64_t rx_window;    /* bytes the peer may still send */
	uint64_t rx_held;      /* received, not consumed yet */
	uint64_t rx_ungranted; /* consumed, not granted back yet */
	bool rx_closed;
	bool rx_vmo;
	uint64_t rx_vmo_left;
};

/* A control frame, encoded when queued. */
struct control {
	size_t len;
	uint8_t frame[BUSMUX_RECORD_MIN];
};

struct busmux {
	enum busmux_role role;
	busmux_event_fn on_event;
	void *userdata;
	struct stream *streams[BUSMUX_STREAMS_MAX];
	uint32_t nstreams;
	unsigned rr;            /* the stream slot the next record starts from */
	uint32_t next_local_id; /* next id we open */
	uint32_t last_peer_id;  /* highest id the peer opened, 0 before */
	struct control *ctl;    /* ring of BUSMUX_CONTROL_QUEUE_MAX */
	unsigned ctl_head, ctl_count;
	uint64_t last_rx_ns;
	bool ping_outstanding;
	uint64_t ping_token;
	uint64_t key_since_ns, key_bytes;
	struct busmux_stats stats;
	char why[160];
};

static int fail(busmux *m, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(busmux *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
	(void)vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return err;
}

const char *busmux_error(const busmux *m)
{
	return m->why;
}

int busmux_new(enum busmux_role role, uint64_t now_ns, busmux_event_fn on_event, void *userdata,
        busmux **ret)
{
	busmux *m;

	if (!on_event || !ret || (role != BUSMUX_INITIATOR && role != BUSMUX_RESPONDER))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctl = calloc(BUSMUX_CONTROL_QUEUE_MAX, sizeof(*m->ctl));
	if (!m->ctl) {
		free(m);
		return -ENOMEM;
	}
	m->role = role;
	m->on_event = on_event;
	m->userdata = userdata;
	m->next_local_id = role == BUSMUX_INITIATOR ? 1 : 2;
	m->last_rx_ns = now_ns;
	m->key_since_ns = now_ns;
	*ret = m;
	return 0;
}

static void stream_free(struct stream *s)
{
	txq_clear(&s->txq);
	free(s);
}

busmux *busmux_free(busmux *m)
{
	if (!m)
		return NULL;
	for (unsigned i = 0; i < BUSMUX_STREAMS_MAX; i++)
		if (m->streams[i])
			stream_free(m->streams[i]);
	free(m->ctl);
	free(m);
	return NULL;
}

/* Odd ids belong to the initiator, even ones to the responder. */
static bool is_local_id(const busmux *m, uint32_t id)
{
	return (id & 1u) == (m->role == BUSMUX_INITIATOR ? 1u : 0u);
}

static struct stream *find(const busmux *m, uint32_t id)
{
	for (unsigned i = 0; i < BUSMUX_STREAMS_MAX; i++)
		if (m->streams[i] && m->streams[i]->id == id)
			return m->streams[i];
	return NULL;
}

/* Whether id names a stream that existed and is gone (vs one never opened). */
static bool is_stale(const busmux *m, uint32_t id)
{
	return is_local_id(m, id) ? id < m->next_local_id : id <= m->last_peer_id;
}

static int add(busmux *m, uint32_t id, enum stream_state state, void *data, struct stream **ret)
{
	struct stream *s;
	unsigned i;

	for (i = 0; i < BUSMUX_STREAMS_MAX && m->streams[i]; i++)
		;
	if (i == BUSMUX_STREAMS_MAX)
		return -EMFILE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->id = id;
	s->state = state;
	s->data = data;
	s->tx_window = BUSMUX_WINDOW_INITIAL;
	s->rx_window = BUSMUX_WINDOW_INITIAL;
	m->streams[i] = s;
	m->nstreams++;
	*ret = s;
	return 0;
}

static void drop(busmux *m, struct stream *s)
{
	for (unsigned i = 0; i < BUSMUX_STREAMS_MAX; i++)
		if (m->streams[i] == s) {
			m->streams[i] = NULL;
			m->nstreams--;
			stream_free(s);
			return;
		}
}

/* A stream is done once both directions closed and our CLOSE went out. */
static void drop_if_done(busmux *m, struct stream *s)
{
	if (s->close_sent && s->rx_closed)
		drop(m, s);
}

static int control_push(busmux *m, const struct busmux_frame *f)
{
	struct control *c;
	int r;

	if (m->ctl_count == BUSMUX_CONTROL_QUEUE_MAX)
		return fail(m, -ENOBUFS, "%u control frames unsent: the peer does not read",
		        BUSMUX_CONTROL_QUEUE_MAX);
	c = &m->ctl[(m->ctl_head + m->ctl_count) % BUSMUX_CONTROL_QUEUE_MAX];
	r = busmux_frame_encode(f, c->frame, sizeof(c->frame), &c->len);
	if (r < 0)
		return r;
	m->ctl_count++;
	return 0;
}

/* A reason given by the adapter: "code: sentence" within the cap. */
static int reason_text(const char *reason, struct busmux_text *ret)
{
	size_t len;

	if (!reason)
		return -EINVAL;
	len = strlen(reason);
	if (len == 0 || len > BUSMUX_REASON_MAX)
		return -EINVAL;
	*ret = (struct busmux_text){reason, len};
	return 0;
}

static int emit(busmux *m, struct busmux_event *ev)
{
	return m->on_event(m->userdata, ev);
}

static void copy_text(char *dst, const struct busmux_text *t)
{
	memcpy(dst, t->ptr, t->len);
	dst[t->len] = '\0';
}

/* The peer opens a stream: past the cap it is refused here and the session goes on. */
static int recv_open(busmux *m, const struct busmux_frame *f)
{
	struct busmux_event ev = {.type = BUSMUX_EV_OPEN, .stream = f->stream};
	struct stream *s;
	int r;

	if (is_local_id(m, f->stream) || f->stream <= m->last_peer_id)
		return fail(m, -EPROTO, "OPEN of stream %u: not a new id of the peer", f->stream);
	m->last_peer_id = f->stream;
	r = add(m, f->stream, ST_ASKED, NULL, &s);
	if (r == -EMFILE) {
		static const char reason[] = "limit_exceeded: the session has its "
		                             "maximum of open streams";
		struct busmux_frame err = {.type = BUSMUX_OPEN_ERR, .stream = f->stream};

		err.u.reason = (struct busmux_text){reason, sizeof(reason) - 1};
		m->stats.opens_refused++;
		return control_push(m, &err);
	}
	if (r < 0)
		return r;
	copy_text(ev.u.open.service, &f->u.open.service);
	copy_text(ev.u.open.subject, &f->u.open.subject);
	return emit(m, &ev);
}

/* Bytes of DATA or a VMO chunk: inside the window, counted as held until consumed. */
static int take_bytes(busmux *m, struct stream *s, const struct busmux_frame *f)
{
	if (f->u.data.len > s->rx_window)
		return fail(m, -EPROTO, "%s of %zu bytes on stream %u past its window of %llu",
		        busmux_type_name(f->type), f->u.data.len, s->id,
		        (unsigned long long)s->rx_window);
	s->rx_window -= f->u.data.len;
	s->rx_held += f->u.data.len;
	return 0;
}

/* A frame of the stream's receiving direction once open: DATA, CLOSE and the VMO frames. */
static int recv_inbound(busmux *m, struct stream *s, const struct busmux_frame *f)
{
	struct busmux_event ev = {.stream = s->id, .stream_data = s->data};
	bool in_vmo = s->rx_vmo;
	int r;

	if (s->state != ST_OPEN || s->rx_closed)
		return fail(m, -EPROTO, "%s on stream %u, %s", busmux_type_name(f->type), s->id,
		        s->rx_closed ? "closed by the peer" : "not open");
	if (in_vmo != (f->type == BUSMUX_VMO_CHUNK || f->type == BUSMUX_VMO_END))
		return fail(m, -EPROTO, "%s on stream %u %s a VMO", busmux_type_name(f->type),
		        s->id, in_vmo ? "inside" : "outside");
	switch (f->type) {
	case BUSMUX_DATA:
	case BUSMUX_VMO_CHUNK:
		if (f->type == BUSMUX_VMO_CHUNK && f->u.data.len > s->rx_vmo_left)
			return fail(m, -EPROTO, "VMO_CHUNK on stream %u runs past the VMO's size",
			        s->id);
		r = take_bytes(m, s, f);
		if (r < 0)
			return r;
		if (f->type == BUSMUX_VMO_CHUNK)
			s->rx_vmo_left -= f->u.data.len;
		ev.type = f->type == BUSMUX_DATA ? BUSMUX_EV_DATA : BUSMUX_EV_VMO_CHUNK;
		ev.u.data.ptr = f->u.data.ptr;
		ev.u.data.len = f->u.data.len;
		break;
	case BUSMUX_VMO_BEGIN:
		s->rx_vmo = true;
		s->rx_vmo_left = f->u.vmo_size;
		ev.type = BUSMUX_EV_VMO_BEGIN;
		ev.u.vmo_size = f->u.vmo_size;
		break;
	case BUSMUX_VMO_END:
		if (s->rx_vmo_left > 0)
			return fail(m, -EPROTO, "VMO_END on stream %u with %llu bytes missing",
			        s->id, (unsigned long long)s->rx_vmo_left);
		s->rx_vmo = false;
		ev.type = BUSMUX_EV_VMO_END;
		break;
	default: /* CLOSE */
		s->rx_closed = true;
		ev.type = BUSMUX_EV_CLOSED;
		r = emit(m, &ev);
		s = find(m, ev.stream); /* the callback may have reset it */
		if (s)
			drop_if_done(m, s);
		return r;
	}
	return emit(m, &ev);
}

static int recv_credit(busmux *m, struct stream *s, uint32_t credit)
{
	if (s->state != ST_OPEN)
		return fail(m, -EPROTO, "CREDIT on stream %u before it is open", s->id);
	if (credit > BUSMUX_WINDOW_MAX - s->tx_window)
		return fail(m, -EPROTO, "CREDIT on stream %u takes its window past %u bytes", s->id,
		        BUSMUX_WINDOW_MAX);
	s->tx_window += credit;
	return 0;
}

/* The answer to an OPEN of ours. */
static int recv_answer(busmux *m, struct stream *s, const struct busmux_frame *f)
{
	struct busmux_event ev = {.stream = s->id, .stream_data = s->data};

	if (s->state != ST_OPENING)
		return fail(m, -EPROTO, "%s on stream %u, which awaits no answer",
		        busmux_type_name(f->type), s->id);
	if (f->type == BUSMUX_OPEN_OK) {
		s->state = ST_OPEN;
		ev.type = BUSMUX_EV_OPENED;
		return emit(m, &ev);
	}
	ev.type = BUSMUX_EV_REFUSED;
	copy_text(ev.u.reason, &f->u.reason);
	drop(m, s);
	return emit(m, &ev);
}

static int recv_stream_frame(busmux *m, const struct busmux_frame *f)
{
	struct stream *s;

	if (f->type == BUSMUX_OPEN)
		return recv_open(m, f);
	s = find(m, f->stream);
	if (!s) {
		if (!is_stale(m, f->stream))
			return fail(m, -EPROTO, "%s on stream %u, which was never opened",
			        busmux_type_name(f->type), f->stream);
		m->stats.stale_frames++;
		return 0;
	}
	switch (f->type) {
	case BUSMUX_OPEN_OK:
	case BUSMUX_OPEN_ERR:
		return recv_answer(m, s, f);
	case BUSMUX_CREDIT:
		return recv_credit(m, s, f->u.credit);
	case BUSMUX_RESET: {
		struct busmux_event ev = {
		        .type = BUSMUX_EV_RESET, .stream = s->id, .stream_data = s->data};

		copy_text(ev.u.reason, &f->u.reason);
		drop(m, s);
		return emit(m, &ev);
	}
	default:
		return recv_inbound(m, s, f);
	}
}

static int recv_session_frame(busmux *m, const struct busmux_frame *f)
{
	struct busmux_event ev = {0};

	switch (f->type) {
	case BUSMUX_PING: {
		struct busmux_frame pong = {.type = BUSMUX_PONG, .u.token = f->u.token};

		return control_push(m, &pong);
	}
	case BUSMUX_PONG:
		if (!m->ping_outstanding || f->u.token != m->ping_token)
			return fail(m, -EPROTO, "PONG %llu answers no PING",
			        (unsigned long long)f->u.token);
		m->ping_outstanding = false;
		return 0;
	case BUSMUX_REKEY:
		m->stats.rekeys_in++;
		ev.type = BUSMUX_EV_REKEY;
		break;
	case BUSMUX_PAIR_REQUEST:
		ev.type = BUSMUX_EV_PAIR_REQUEST;
		break;
	case BUSMUX_PAIR_CONFIRM:
		ev.type = BUSMUX_EV_PAIR_CONFIRM;
		break;
	default: /* PAIR_REJECT */
		ev.type = BUSMUX_EV_PAIR_REJECT;
		copy_text(ev.u.reason, &f->u.reason);
		break;
	}
	return emit(m, &ev);
}

int busmux_receive(busmux *m, const uint8_t *rec, size_t len, uint64_t now_ns)
{
	size_t off = 0;

	if (!m || !rec)
		return -EINVAL;
	if (len == 0 || len > BUSMUX_RECORD_MAX)
		return fail(m, -EBADMSG, "a record of %zu bytes (1..%u)", len, BUSMUX_RECORD_MAX);
	m->last_rx_ns = now_ns;
	m->stats.records_in++;
	m->stats.bytes_in += len;
	while (off < len) {
		struct busmux_frame f;
		size_t used;
		int r = busmux_frame_decode(rec + off, len - off, &f, &used);

		if (r < 0)
			return fail(m, r, "a malformed frame (type %u) at byte %zu of a record",
			        rec[off], off);
		r = f.stream == 0 ? recv_session_frame(m, &f) : recv_stream_frame(m, &f);
		if (r < 0)
			return r;
		off += used;
	}
	return 0;
}

/* Text the adapter gives: 1..max bytes (NUL-terminated, so no inner NUL). */
static int local_text(const char *s, size_t max, struct busmux_text *ret)
{
	size_t len = s ? strnlen(s, max + 1) : 0;

	if (len == 0 || len > max)
		return -EINVAL;
	*ret = (struct busmux_text){s, len};
	return 0;
}

int busmux_open(busmux *m, const char *service, const char *subject, void *stream_data,
        uint32_t *ret_stream)
{
	struct busmux_frame f = {.type = BUSMUX_OPEN};
	struct stream *s;
	int r;

	if (!m || !ret_stream || local_text(service, BUSMUX_SERVICE_MAX, &f.u.open.service) < 0 ||
	        local_text(subject, BUSMUX_SUBJECT_MAX, &f.u.open.subject) < 0)
		return -EINVAL;
	if (m->next_local_id > UINT32_MAX - 2)
		return -EMFILE; /* ids never wrap: the session has used them all */
	f.stream = m->next_local_id;
	r = add(m, f.stream, ST_OPENING, stream_data, &s);
	if (r < 0)
		return r;
	r = control_push(m, &f);
	if (r < 0) {
		drop(m, s);
		return r;
	}
	m->next_local_id += 2;
	*ret_stream = f.stream;
	return 0;
}

static struct stream *find_asked(busmux *m, uint32_t stream)
{
	struct stream *s = m ? find(m, stream) : NULL;

	return s && s->state == ST_ASKED ? s : NULL;
}

int busmux_accept(busmux *m, uint32_t stream, void *stream_data)
{
	struct busmux_frame f = {.type = BUSMUX_OPEN_OK, .stream = stream};
	struct stream *s = find_asked(m, stream);
	int r;

	if (!s)
		return -ENOENT;
	r = control_push(m, &f);
	if (r < 0)
		return r;
	s->state = ST_OPEN;
	s->data = stream_data;
	return 0;
}

int busmux_refuse(busmux *m, uint32_t stream, const char *reason)
{
	struct busmux_frame f = {.type = BUSMUX_OPEN_ERR, .stream = stream};
	struct stream *s = find_asked(m, stream);
	int r;

	if (!s)
		return -ENOENT;
	if (reason_text(reason, &f.u.reason) < 0)
		return -EINVAL;
	r = control_push(m, &f);
	if (r >= 0)
		drop(m, s);
	return r;
}

/* The stream the local side may write to: 0 with *ret, or why not. */
static int writable(busmux *m, uint32_t stream, bool vmo, struct stream **ret)
{
	struct stream *s = m ? find(m, stream) : NULL;

	if (!s || s->state == ST_ASKED)
		return -ENOENT;
	if (s->tx_closed)
		return -EPIPE;
	if (s->vmo_writing != vmo)
		return -EBUSY;
	*ret = s;
	return 0;
}

size_t busmux_write_room(const busmux *m, uint32_t stream)
{
	const struct stream *s = m ? find(m, stream) : NULL;

	if (!s || s->state == ST_ASKED || s->tx_closed || s->txq.bytes >= BUSMUX_STREAM_TXBUF_MAX)
		return 0;
	return BUSMUX_STREAM_TXBUF_MAX - s->txq.bytes;
}

static int queue_bytes(busmux *m, struct stream *s, enum busmux_type type, const void *buf,
        size_t len, size_t *ret_taken)
{
	size_t n = busmux_write_room(m, s->id);
	int r;

	if (n > len)
		n = len;
	r = n ? txq_push_bytes(&s->txq, type, buf, n) : 0;
	if (r < 0)
		return r;
	*ret_taken = n;
	return 0;
}

int busmux_write(busmux *m, uint32_t stream, const void *buf, size_t len, size_t *ret_taken)
{
	struct stream *s;
	int r = writable(m, stream, false, &s);

	if (r < 0)
		return r;
	if (!ret_taken || (!buf && len))
		return -EINVAL;
	return queue_bytes(m, s, BUSMUX_DATA, buf, len, ret_taken);
}

int busmux_vmo_begin(busmux *m, uint32_t stream, uint64_t size)
{
	struct stream *s;
	int r = writable(m, stream, false, &s);

	if (r < 0)
		return r;
	if (size == 0 || size > BUSMUX_VMO_MAX)
		return -EMSGSIZE;
	r = txq_push_marker(&s->txq, BUSMUX_VMO_BEGIN, size);
	if (r < 0)
		return r;
	s->vmo_writing = true;
	s->vmo_unwritten = size;
	return 0;
}

int busmux_vmo_write(busmux *m, uint32_t stream, const void *buf, size_t len, size_t *ret_taken)
{
	struct stream *s;
	int r = writable(m, stream, true, &s);

	if (r < 0)
		return r == -EBUSY ? -ENOENT : r; /* no VMO under way */
	if (!ret_taken || (!buf && len))
		return -EINVAL;
	if (len > s->vmo_unwritten)
		return -EMSGSIZE;
	r = queue_bytes(m, s, BUSMUX_VMO_CHUNK, buf, len, ret_taken);
	if (r >= 0)
		s->vmo_unwritten -= *ret_taken;
	return r;
}

int busmux_vmo_end(busmux *m, uint32_t stream)
{
	struct stream *s;
	int r = writable(m, stream, true, &s);

	if (r < 0)
		return r == -EBUSY ? -ENOENT : r;
	if (s->vmo_unwritten > 0)
		return -EPROTO;
	r = txq_push_marker(&s->txq, BUSMUX_VMO_END, 0);
	if (r >= 0)
		s->vmo_writing = false;
	return r;
}

int busmux_consumed(busmux *m, uint32_t stream, size_t n)
{
	struct stream *s = m ? find(m, stream) : NULL;

	if (!s)
		return -ENOENT;
	if (n > s->rx_held)
		return -EINVAL;
	s->rx_held -= n;
	s->rx_ungranted += n;
	if (s->rx_ungranted >= CREDIT_BATCH && !s->rx_closed) {
		struct busmux_frame f = {.type = BUSMUX_CREDIT, .stream = stream};
		int r;

		f.u.credit = (uint32_t)s->rx_ungranted;
		r = control_push(m, &f);
		if (r < 0)
			return r;
		s->rx_window += s->rx_ungranted;
		s->rx_ungranted = 0;
	}
	return 0;
}

int busmux_close(busmux *m, uint32_t stream)
{
	struct stream *s;
	int r = writable(m, stream, false, &s);

	if (r < 0)
		return r;
	r = txq_push_marker(&s->txq, BUSMUX_CLOSE, 0);
	if (r >= 0)
		s->tx_closed = true;
	return r;
}

int busmux_reset(busmux *m, uint32_t stream, const char *reason)
{
	struct busmux_frame f = {.type = BUSMUX_RESET, .stream = stream};
	struct stream *s = m ? find(m, stream) : NULL;
	int r;

	if (!s)
		return -ENOENT;
	if (reason_text(reason, &f.u.reason) < 0)
		return -EINVAL;
	r = control_push(m, &f);
	if (r >= 0)
		drop(m, s);
	return r;
}

int busmux_send_pair(busmux *m, enum busmux_type type, const char *reason)
{
	struct busmux_frame f = {.type = type};

	if (!m || (type != BUSMUX_PAIR_REQUEST && type != BUSMUX_PAIR_CONFIRM &&
	                  type != BUSMUX_PAIR_REJECT))
		return -EINVAL;
	if (type == BUSMUX_PAIR_REJECT && reason_text(reason, &f.u.reason) < 0)
		return -EINVAL;
	return control_push(m, &f);
}

/* Whether the head of s's queue can go out now. */
static bool sendable(const struct stream *s)
{
	const struct txq_block *b = s->txq.head;

	if (!b || s->state != ST_OPEN)
		return false;
	return (b->type != BUSMUX_DATA && b->type != BUSMUX_VMO_CHUNK) || s->tx_window > 0;
}

bool busmux_pending(const busmux *m)
{
	if (!m)
		return false;
	if (m->ctl_count > 0)
		return true;
	for (unsigned i = 0; i < BUSMUX_STREAMS_MAX; i++)
		if (m->streams[i] && sendable(m->streams[i]))
			return true;
	return false;
}

/* Packs s's queue into buf[*pos..room) while it has window and bytes; frames are encoded in
 * place. */
static void pack_stream(busmux *m, struct stream *s, uint8_t *buf, size_t room, size_t *pos)
{
	while (sendable(s) && room - *pos > BUSMUX_FRAME_HEADER + 8) {
		const struct txq_block *b = s->txq.head;
		struct busmux_frame f = {.type = b->type, .stream = s->id};
		size_t n = 0, len;

		if (b->type == BUSMUX_DATA || b->type == BUSMUX_VMO_CHUNK) {
			n = b->len - b->sent;
			if (n > s->tx_window)
				n = (size_t)s->tx_window;
			if (n > room - *pos - BUSMUX_FRAME_HEADER)
				n = room - *pos - BUSMUX_FRAME_HEADER;
			f.u.data.ptr = b->bytes + b->sent;
			f.u.data.len = n;
			s->tx_window -= n;
		} else if (b->type == BUSMUX_VMO_BEGIN) {
			f.u.vmo_size = b->vmo_size;
		}
		/* Cannot fail: the frame is well formed and room was checked. */
		(void)busmux_frame_encode(&f, buf + *pos, room - *pos, &len);
		*pos += len;
		if (b->type == BUSMUX_CLOSE)
			s->close_sent = true;
		txq_advance(&s->txq, n);
	}
}

int busmux_next_record(
        busmux *m, uint64_t now_ns, uint8_t *buf, size_t cap, size_t *ret_len, bool *ret_rekey)
{
	struct busmux_frame rekey = {.type = BUSMUX_REKEY};
	size_t pos = 0, room, len;
	bool due;

	if (!m || !buf || !ret_len || !ret_rekey || cap < BUSMUX_RECORD_MIN)
		return -EINVAL;
	/* Room for a REKEY frame is always kept at the end. */
	room = (cap > BUSMUX_RECORD_MAX ? BUSMUX_RECORD_MAX : cap) - BUSMUX_FRAME_HEADER;
	while (m->ctl_count > 0 && m->ctl[m->ctl_head].len <= room - pos) {
		const struct control *c = &m->ctl[m->ctl_head];

		memcpy(buf + pos, c->frame, c->len);
		pos += c->len;
		m->ctl_head = (m->ctl_head + 1) % BUSMUX_CONTROL_QUEUE_MAX;
		m->ctl_count--;
	}
	for (unsigned k = 0; k < BUSMUX_STREAMS_MAX; k++) {
		struct stream *s = m->streams[(m->rr + k) % BUSMUX_STREAMS_MAX];

		if (s) {
			pack_stream(m, s, buf, room, &pos);
			drop_if_done(m, s);
		}
	}
	m->rr = (m->rr + 1) % BUSMUX_STREAMS_MAX;
	*ret_rekey = false;
	*ret_len = pos;
	if (pos == 0)
		return 0;
	m->key_bytes += pos;
	due = m->key_bytes >= BUSMUX_REKEY_BYTES || now_ns - m->key_since_ns >= BUSMUX_REKEY_NS;
	if (due) {
		(void)busmux_frame_encode(&rekey, buf + pos, BUSMUX_FRAME_HEADER, &len);
		pos += len;
		m->key_bytes = 0;
		m->key_since_ns = now_ns;
		m->stats.rekeys_out++;
		*ret_rekey = true;
		*ret_len = pos;
	}
	m->stats.records_out++;
	m->stats.bytes_out += pos;
	return 0;
}

int busmux_tick(busmux *m, uint64_t now_ns, uint64_t *ret_next_ns)
{
	uint64_t quiet;

	if (!m || !ret_next_ns)
		return -EINVAL;
	quiet = now_ns > m->last_rx_ns ? now_ns - m->last_rx_ns : 0;
	if (quiet >= BUSMUX_IDLE_TIMEOUT_NS)
		return fail(m, -ETIMEDOUT, "nothing received for %llu ms",
		        (unsigned long long)(quiet / 1000000u));
	if (quiet >= BUSMUX_PING_AFTER_NS && !m->ping_outstanding) {
		struct busmux_frame ping = {.type = BUSMUX_PING, .u.token = m->ping_token + 1};
		int r = control_push(m, &ping);

		if (r < 0)
			return r;
		m->ping_token++;
		m->ping_outstanding = true;
	}
	*ret_next_ns = m->last_rx_ns +
	               (m->ping_outstanding ? BUSMUX_IDLE_TIMEOUT_NS : BUSMUX_PING_AFTER_NS);
	return 0;
}

void busmux_stats(const busmux *m, struct busmux_stats *ret)
{
	*ret = m->stats;
	ret->streams = m->nstreams;
}
