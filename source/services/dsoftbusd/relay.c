/* SPDX-License-Identifier: MIT */
/* dsoftbusd relay: Cap'n Proto frames and their VMOs between a local channel and a stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-capnp/capnp.h"
#include "nx-rpc/refusal.h"
#include "relay.h"

/* Bytes of a VMO read and written per step. */
#define VMO_STEP (64u << 10)

/* fds that came with one read of the channel: they rode with the first byte of the last
 * frame that starts within [start, end) of the channel's byte stream. */
struct fd_batch {
	int fds[NX_MSG_MAX_FDS];
	unsigned n;
	uint64_t start, end;
	bool used;
};

/* A VMO being sent: the memfd, its size, how much went. */
struct vmo_out {
	int fd;
	uint64_t size, sent;
	bool begun;
};

struct bus_relay {
	nx_loop *loop;
	struct bus_session *s;
	uint32_t stream;
	bus_relay_gone_fn gone;
	void *userdata;
	int fd;
	nx_source *io;
	bool local_eof;
	/* Channel -> stream: bytes read (out[0..olen) starts at channel offset opos), the fds
	 * that came with them, and the frame at the front being sent (its VMOs first). */
	uint8_t out[NX_MSG_MAX_BYTES];
	size_t olen;
	uint64_t opos;
	struct fd_batch batch;
	struct vmo_out vmos[NX_MSG_MAX_FDS];
	unsigned nvmos, vmo_next;
	size_t frame_len, frame_sent; /* frame_len 0: none being sent */
	size_t frame_chan;            /* its length on the channel (a refusal may replace it) */
	/* Answers to the local side in place of a Call whose fds cannot cross (refusal.h). */
	uint8_t reply[NX_MSG_MAX_BYTES];
	size_t reply_len, reply_sent;
	/* Stream -> channel: bytes received (in[0..ilen)), the front frame's bytes written, the
	 * VMOs received for the next frame. */
	uint8_t *in;
	size_t ilen, icap, isent;
	int vmo_in[NX_MSG_MAX_FDS];
	uint64_t vmo_in_size[NX_MSG_MAX_FDS], vmo_in_off;
	unsigned nvmo_in, vmo_in_done;
	bool in_closed; /* CLOSE came: done once everything is written */
};

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fds[i] = nx_fd_close(fds[i]);
}

static void gone(struct bus_relay *r, const char *why)
{
	r->gone(r->userdata, r, why);
}

/* Ends the stream with `reason` and the relay with it. */
static void reset(struct bus_relay *r, const char *reason)
{
	(void)busmux_reset(bus_session_mux(r->s), r->stream, reason);
	bus_session_kick(r->s);
	gone(r, reason);
}

/* ---- Channel -> stream ------------------------------------------------------------------ */

/* Which fds ride with the frame at [opos, opos + len): 0, or "unsupported" for one that is
 * not a memfd (the reason in why). */
static int take_vmos(struct bus_relay *r, size_t len, char *why, size_t why_cap)
{
	struct fd_batch *b = &r->batch;

	r->nvmos = 0;
	r->vmo_next = 0;
	if (!b->n || b->used || r->opos < b->start || r->opos >= b->end || r->opos + len < b->end)
		return 0;
	b->used = true;
	for (unsigned i = 0; i < b->n; i++) {
		unsigned seals;
		size_t size;

		if (nx_vmo_get_seals(b->fds[i], &seals) < 0 || nx_vmo_size(b->fds[i], &size) < 0 ||
		        size == 0 || size > BUSMUX_VMO_MAX) {
			snprintf(why, why_cap,
			        "unsupported: capability %u of a relayed message is not a memfd VMO "
			        "of 1..%llu bytes: only VMOs cross the bus",
			        i, (unsigned long long)BUSMUX_VMO_MAX);
			close_fds(b->fds, b->n);
			b->n = 0;
			return -EOPNOTSUPP;
		}
		r->vmos[r->nvmos++] = (struct vmo_out){.fd = b->fds[i], .size = size};
		b->fds[i] = -1;
	}
	b->n = 0;
	return 0;
}

/* Sends as much of the front VMO as the stream takes: 1 when it is all sent, 0 when the
 * stream is full, or a negative errno. */
static int send_vmo(struct bus_relay *r, struct vmo_out *v)
{
	busmux *m = bus_session_mux(r->s);
	uint8_t chunk[VMO_STEP];
	int e;

	if (!v->begun) {
		e = busmux_vmo_begin(m, r->stream, v->size);
		if (e < 0)
			return e;
		v->begun = true;
	}
	while (v->sent < v->size) {
		size_t room = busmux_write_room(m, r->stream), n, taken;
		if (room == 0)
			return 0;
		n = v->size - v->sent < VMO_STEP ? (size_t)(v->size - v->sent) : VMO_STEP;
		n = n < room ? n : room;
		e = nx_vmo_read(v->fd, v->sent, chunk, n);
		if (e >= 0)
			e = busmux_vmo_write(m, r->stream, chunk, n, &taken);
		if (e < 0)
			return e;
		v->sent += taken;
		if (taken < n)
			return 0;
	}
	e = busmux_vmo_end(m, r->stream);
	if (e == -EBUSY)
		return 0;
	return e < 0 ? e : 1;
}

/* Sends the front frame (its VMOs, then its bytes): 1 when sent, 0 when the stream is
 * full, or a negative errno. */
static int send_frame(struct bus_relay *r)
{
	busmux *m = bus_session_mux(r->s);
	int e;

	while (r->vmo_next < r->nvmos) {
		struct vmo_out *v = &r->vmos[r->vmo_next];
		e = send_vmo(r, v);
		if (e <= 0)
			return e;
		v->fd = nx_fd_close(v->fd);
		r->vmo_next++;
	}
	while (r->frame_sent < r->frame_len) {
		size_t taken;
		e = busmux_write(
		        m, r->stream, r->out + r->frame_sent, r->frame_len - r->frame_sent, &taken);
		if (e < 0)
			return e;
		if (taken == 0)
			return 0;
		r->frame_sent += taken;
	}
	memmove(r->out, r->out + r->frame_len, r->olen - r->frame_len);
	r->olen -= r->frame_len;
	r->opos += r->frame_chan;
	r->frame_len = r->frame_sent = 0;
	return 1;
}

static int write_channel(struct bus_relay *r);

/* The front frame (len bytes) carries an fd that cannot cross (why): a Call is answered back
 * to the local side with the exception, a Return is replaced by one for the remote side.
 * 0 (the frame is handled: dropped, or replaced and ready to send), -1 when the relay is gone
 * (another message, or no room: the stream is reset with why). */
static int refuse_frame(struct bus_relay *r, size_t len, const char *why)
{
	uint8_t ans[NX_MSG_MAX_BYTES];
	size_t alen;
	bool to_sender;

	if (nx_rpc_refusal(r->out, len, why, ans, sizeof(ans), &alen, &to_sender) < 0 ||
	        (to_sender && r->reply_len) ||
	        (!to_sender && r->olen - len + alen > sizeof(r->out))) {
		reset(r, why);
		return -1;
	}
	memmove(r->out + (to_sender ? 0 : alen), r->out + len, r->olen - len);
	r->olen = r->olen - len + (to_sender ? 0 : alen);
	if (!to_sender) {
		memcpy(r->out, ans, alen);
		r->frame_len = alen;
		r->frame_chan = len;
		return 0;
	}
	r->opos += len;
	memcpy(r->reply, ans, alen);
	r->reply_len = alen;
	r->reply_sent = 0;
	return write_channel(r);
}

/* Frames out of the bytes read, each sent in turn. 0 (blocked or all sent), -1 when the
 * relay is gone. */
static int send_frames(struct bus_relay *r)
{
	char why[200];
	int e;

	for (;;) {
		if (r->frame_len == 0) {
			size_t len;
			e = nx_capnp_frame_size(r->out, r->olen, NX_MSG_MAX_BYTES, &len);
			if (e == -EAGAIN)
				return 0;
			if (e < 0) {
				reset(r, e == -EMSGSIZE
				                 ? "too_large: a relayed message is over 4096 "
				                   "bytes (send large payloads as a VMO)"
				                 : "invalid_argument: a relayed message is not a "
				                   "Cap'n Proto frame");
				return -1;
			}
			e = take_vmos(r, len, why, sizeof(why));
			if (e < 0) {
				if (refuse_frame(r, len, why) < 0)
					return -1;
				if (r->frame_len == 0)
					continue; /* answered back: the next frame */
			} else {
				r->frame_len = r->frame_chan = len;
			}
		}
		e = send_frame(r);
		if (e < 0) {
			reset(r, "internal: cannot queue a relayed message");
			return -1;
		}
		bus_session_kick(r->s);
		if (e == 0)
			return 0;
	}
}

/* Reads the channel while there is room for a frame and none is waiting for the stream. */
static int read_channel(struct bus_relay *r)
{
	while (r->frame_len == 0 && !r->reply_len && r->olen < sizeof(r->out) && !r->local_eof) {
		int fds[NX_MSG_MAX_FDS];
		unsigned nfds = 0;
		ssize_t n = nx_chan_recv(r->fd, r->out + r->olen, sizeof(r->out) - r->olen, fds,
		        NX_MSG_MAX_FDS, &nfds);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			r->local_eof = true;
			break;
		}
		if (nfds > 0) {
			/* One batch at a time: the frame it belongs to must be sent before another. */
			if (r->batch.n > 0) {
				close_fds(fds, nfds);
				reset(r,
				        "invalid_argument: capabilities for a relayed message came "
				        "before the previous one was sent");
				return -1;
			}
			memcpy(r->batch.fds, fds, nfds * sizeof(int));
			r->batch.n = nfds;
			r->batch.used = false;
			r->batch.start = r->opos + r->olen;
			r->batch.end = r->batch.start + (uint64_t)n;
		}
		r->olen += (size_t)n;
		if (send_frames(r) < 0)
			return -1;
	}
	return 0;
}

/* ---- Stream -> channel ------------------------------------------------------------------ */

/* Writes whole frames out to the channel, the received VMOs with the first byte of the next
 * one; grants the bytes written back as credit. 0, or -1 when the relay is gone. */
static int write_channel(struct bus_relay *r)
{
	busmux *m = bus_session_mux(r->s);
	size_t written = 0;

	/* A refusal goes between two frames of the stream's. */
	while (r->reply_len && r->isent == 0) {
		ssize_t n = nx_chan_send(
		        r->fd, r->reply + r->reply_sent, r->reply_len - r->reply_sent, NULL, 0);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			gone(r, "the local end closed");
			return -1;
		}
		r->reply_sent += (size_t)n;
		if (r->reply_sent == r->reply_len)
			r->reply_len = r->reply_sent = 0;
	}
	while (r->ilen > 0 && !r->reply_len) {
		size_t len;
		int e = nx_capnp_frame_size(r->in, r->ilen, NX_MSG_MAX_BYTES, &len);
		if (e == -EAGAIN)
			break;
		if (e < 0) {
			reset(r, "invalid_argument: the peer relayed something that is not a Cap'n "
			         "Proto frame of at most 4096 bytes");
			return -1;
		}
		bool first = r->isent == 0;
		unsigned nfds = first ? r->vmo_in_done : 0;
		ssize_t n = nx_chan_send(r->fd, r->in + r->isent, len - r->isent, r->vmo_in, nfds);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			for (unsigned i = 0; i < nfds; i++)
				r->vmo_in[i] = -1; /* the failed send closed them */
			gone(r, "the local end closed");
			return -1;
		}
		if (nfds) { /* consumed by the send, whatever it did */
			for (unsigned i = 0; i < nfds; i++)
				r->vmo_in[i] = -1;
			memmove(r->vmo_in, r->vmo_in + nfds, (r->nvmo_in - nfds) * sizeof(int));
			r->nvmo_in -= nfds;
			r->vmo_in_done = 0;
		}
		r->isent += (size_t)n;
		written += (size_t)n;
		if (r->isent < len)
			break;
		memmove(r->in, r->in + len, r->ilen - len);
		r->ilen -= len;
		r->isent = 0;
	}
	nx_source_set_events(r->io, (r->frame_len == 0 && !r->reply_len ? NX_EV_IN : 0) |
	                                    (r->ilen || r->reply_len ? NX_EV_OUT : 0));
	if (written) {
		(void)busmux_consumed(m, r->stream, written);
		bus_session_kick(r->s);
	}
	if (r->in_closed && r->ilen == 0) {
		gone(r, "the peer closed the stream");
		return -1;
	}
	return 0;
}

static int receive_data(struct bus_relay *r, const uint8_t *p, size_t len)
{
	if (r->icap - r->ilen < len) {
		size_t cap = r->ilen + len;
		uint8_t *in;
		if (cap > BUSMUX_WINDOW_MAX)
			return -EPROTO; /* past any window it could have had */
		in = realloc(r->in, cap);
		if (!in)
			return -ENOMEM;
		r->in = in;
		r->icap = cap;
	}
	memcpy(r->in + r->ilen, p, len);
	r->ilen += len;
	return write_channel(r) < 0 ? 1 : 0;
}

static int vmo_begin(struct bus_relay *r, uint64_t size)
{
	int fd, e;

	if (r->nvmo_in == NX_MSG_MAX_FDS) {
		reset(r, "limit_exceeded: more VMOs than one message may carry");
		return 1;
	}
	e = nx_vmo_create("dsoftbusd-relay", (size_t)size, &fd);
	if (e < 0) {
		reset(r, "unavailable: cannot make a VMO for a relayed message");
		return 1;
	}
	r->vmo_in[r->nvmo_in] = fd;
	r->vmo_in_size[r->nvmo_in] = size;
	r->nvmo_in++;
	r->vmo_in_off = 0;
	return 0;
}

static int vmo_chunk(struct bus_relay *r, const uint8_t *p, size_t len)
{
	int fd = r->vmo_in[r->nvmo_in - 1];
	int e = nx_vmo_write(fd, r->vmo_in_off, p, len);

	if (e < 0)
		return e; /* busmux checked the sizes: a write past the end is ours */
	r->vmo_in_off += len;
	(void)busmux_consumed(bus_session_mux(r->s), r->stream, len);
	bus_session_kick(r->s);
	return 0;
}

int bus_relay_event(struct bus_relay *r, const struct busmux_event *ev)
{
	int e;

	switch (ev->type) {
	case BUSMUX_EV_DATA:
		e = receive_data(r, ev->u.data.ptr, ev->u.data.len);
		return e < 0 ? e : 0;
	case BUSMUX_EV_VMO_BEGIN:
		(void)vmo_begin(r, ev->u.vmo_size);
		return 0;
	case BUSMUX_EV_VMO_CHUNK:
		return vmo_chunk(r, ev->u.data.ptr, ev->u.data.len);
	case BUSMUX_EV_VMO_END:
		e = nx_vmo_seal(r->vmo_in[r->nvmo_in - 1], NX_VMO_SEAL_FROZEN);
		if (e < 0)
			return e;
		r->vmo_in_done = r->nvmo_in;
		return 0;
	case BUSMUX_EV_CLOSED:
		r->in_closed = true;
		(void)write_channel(r);
		return 0;
	case BUSMUX_EV_RESET:
		gone(r, ev->u.reason);
		return 0;
	default:
		return 0;
	}
}

/* ---- The channel ------------------------------------------------------------------------ */

static void on_io(nx_source *src, int fd, uint32_t events, void *userdata)
{
	struct bus_relay *r = userdata;

	if ((events & NX_EV_OUT) && write_channel(r) < 0)
		return;
	if ((events & (NX_EV_IN | NX_EV_HUP)) && read_channel(r) < 0)
		return;
	if (r->local_eof && r->frame_len == 0)
		gone(r, "the local end closed"); /* nobody is left to answer: the stream ends */
}

void bus_relay_drained(struct bus_relay *r)
{
	if (r->frame_len == 0 || send_frames(r) < 0)
		return;
	if (r->frame_len == 0)
		(void)read_channel(r);
}

int bus_relay_new(nx_loop *loop, int fd, struct bus_session *s, uint32_t stream,
        bus_relay_gone_fn gone_fn, void *userdata, struct bus_relay **ret)
{
	struct bus_relay *r = calloc(1, sizeof(*r));
	int e;

	if (!r) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	r->loop = loop;
	r->s = s;
	r->stream = stream;
	r->gone = gone_fn;
	r->userdata = userdata;
	r->fd = fd;
	for (unsigned i = 0; i < NX_MSG_MAX_FDS; i++)
		r->vmo_in[i] = r->vmos[i].fd = r->batch.fds[i] = -1;
	e = nx_loop_add_fd(loop, fd, NX_EV_IN, on_io, r, &r->io);
	if (e < 0) {
		bus_relay_free(r);
		return e;
	}
	*ret = r;
	return 0;
}

struct bus_session *bus_relay_session(const struct bus_relay *r)
{
	return r->s;
}

uint32_t bus_relay_stream(const struct bus_relay *r)
{
	return r->stream;
}

struct bus_relay *bus_relay_free(struct bus_relay *r)
{
	if (!r)
		return NULL;
	nx_source_free(r->io);
	nx_fd_close(r->fd);
	close_fds(r->batch.fds, NX_MSG_MAX_FDS);
	close_fds(r->vmo_in, NX_MSG_MAX_FDS);
	for (unsigned i = 0; i < NX_MSG_MAX_FDS; i++)
		r->vmos[i].fd = nx_fd_close(r->vmos[i].fd);
	free(r->in);
	free(r);
	return NULL;
}
