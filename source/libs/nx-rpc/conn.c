/* SPDX-License-Identifier: MIT */
/*
 * The transport under one RPC connection: reassembles frames from the byte stream (refusing
 * oversized ones from their segment table, before anything is allocated), binds received fds
 * to the message they arrived with, and buffers outgoing frames, flushing them as the socket
 * allows so the loop never blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/sock.h"
#include "rpc-int.h"

/* Outgoing bytes we buffer for a peer that does not read before we give up on it. */
/* Reads per readiness event, so one busy peer cannot starve the others in the loop. */
#define CONN_READS_PER_EVENT 16

int rxmsg_copy(const void *frame, size_t len, const struct nx_capnp_seg *segs, uint32_t nsegs,
        struct rxmsg **ret)
{
	size_t wbytes = len ? (len + 7) & ~(size_t)7 : 8;
	struct rxmsg *m;
	uint32_t i;
	int r;

	/* One block: header, frame, segment table (sizeof is a multiple of 8, so the words and
	 * the table are aligned), and no zeroing: every field is set below. */
	m = malloc(sizeof(*m) + wbytes + (size_t)nsegs * sizeof(*segs));
	if (!m)
		return -ENOMEM;
	m->words = (uint64_t *)(m + 1);
	memcpy(m->words, frame, len);
	m->bytes = len;
	m->segs = (struct nx_capnp_seg *)((uint8_t *)m->words + wbytes);
	/* The same segments, at the same offsets in the copy: parsed once, by the caller. */
	for (i = 0; i < nsegs; i++) {
		m->segs[i].words = m->words + (segs[i].words - (const uint64_t *)frame);
		m->segs[i].nwords = segs[i].nwords;
	}
	m->nsegs = nsegs;
	nx_capnp_reader_init(&m->r, m->segs, m->nsegs);
	m->r.ncaps = 0;
	r = nx_capnp_reader_root_struct(&m->r, &m->root);
	if (r < 0) {
		rxmsg_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

int rxmsg_new(const void *frame, size_t len, struct rxmsg **ret)
{
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs = 0;
	size_t bytes;
	int r;

	r = nx_capnp_frame_parse(
	        frame, len, NX_MSG_MAX_BYTES, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes);
	if (r < 0)
		return r;
	if (bytes != len)
		return -EBADMSG;
	return rxmsg_copy(frame, len, segs, nsegs, ret);
}

struct rxmsg *rxmsg_free(struct rxmsg *m)
{
	free(m); /* the words live in the same block */
	return NULL;
}

void conn_ref(nx_rpc_conn *c)
{
	c->refs++;
}

void conn_unref(nx_rpc_conn *c)
{
	if (--c->refs > 0)
		return;
	free(c->tx);
	free(c->txq);
	free(c->exports);
	free(c->imports);
	free(c->answers);
	free(c->spare);
	free(c);
}

static void close_fds(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		fds[i] = nx_fd_close(fds[i]);
}

/* False while the connection's forwarded calls fill the window (forward.h): its sender
 * then waits in its own socket buffer. */
static bool conn_reading(const nx_rpc_conn *c)
{
	return c->nforwards < NX_RPC_FORWARD_WINDOW;
}

static void conn_update_events(nx_rpc_conn *c)
{
	uint32_t ev = conn_reading(c) ? NX_EV_IN : 0;

	if (c->txlen - c->txoff > c->txheld)
		ev |= NX_EV_OUT;
	if (c->src)
		(void)nx_source_set_events(c->src, ev);
}

/* Writes what the socket takes now. fds go with the first byte of their message, so a send
 * never crosses the start of a message that carries fds; and the send carrying them ends
 * with that message, so the receiver knows their message is the one its read ended in (see
 * conn_read). */
static int conn_flush(nx_rpc_conn *c)
{
	while (c->txoff < c->txlen) {
		size_t end = c->txlen;
		const int *fds = NULL;
		unsigned nfds = 0;
		ssize_t n;

		if (c->ntxq > 0) {
			if (c->txq[0].off == c->txoff) {
				fds = c->txq[0].fds;
				nfds = c->txq[0].n;
				end = c->txq[0].end;
			} else {
				end = c->txq[0].off;
			}
		}
		n = nx_chan_send(c->fd, c->tx + c->txoff, end - c->txoff, fds, nfds);
		if (n == -EAGAIN)
			break;
		if (fds) {
			/* Sent or failed, the channel consumed them. */
			memmove(c->txq, c->txq + 1, (c->ntxq - 1) * sizeof(c->txq[0]));
			c->ntxq--;
		}
		if (n < 0)
			return (int)n;
		c->txoff += (size_t)n;
	}
	if (c->txheld > c->txlen - c->txoff)
		c->txheld = c->txlen - c->txoff;
	if (c->txoff == c->txlen) {
		c->txoff = c->txlen = 0;
	} else if (c->txoff > c->txcap / 2) {
		unsigned i;

		memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
		for (i = 0; i < c->ntxq; i++) {
			c->txq[i].off -= c->txoff;
			c->txq[i].end -= c->txoff;
		}
		c->txlen -= c->txoff;
		c->txoff = 0;
	}
	/* Lazy frames left with this write: their deferred flush would only cost the loop an
	 * iteration (and an extra epoll_wait). */
	if (c->flusher && c->txoff == c->txlen)
		(void)nx_source_disable(c->flusher);
	conn_update_events(c);
	return 0;
}

/* Nothing more can leave: what is queued goes. A peer that closed (EPIPE) may still have
 * said why before it did: the channel reads as readable, and reading it ends the connection
 * with the peer's Abort reason, or at its EOF. */
static void conn_tx_drop(nx_rpc_conn *c)
{
	c->txoff = c->txlen = c->txheld = 0;
	while (c->ntxq > 0) {
		c->ntxq--;
		close_fds(c->txq[c->ntxq].fds, c->txq[c->ntxq].n);
	}
	if (c->flusher)
		(void)nx_source_disable(c->flusher);
	conn_update_events(c);
}

/* A flush from the loop failed: EPIPE is left to the read side (conn_tx_drop), anything else
 * ends the connection now. */
static void conn_flush_failed(nx_rpc_conn *c, int r)
{
	if (r == -EPIPE)
		conn_tx_drop(c);
	else
		conn_die(c, r, true);
}

static void conn_flusher_cb(nx_source *s, void *userdata)
{
	nx_rpc_conn *c = userdata;
	int r;

	conn_ref(c);
	r = conn_flush(c);
	if (r < 0)
		conn_flush_failed(c, r);
	conn_unref(c);
}

static void conn_doom_cb(nx_source *s, void *userdata)
{
	nx_rpc_conn *c = userdata;

	conn_ref(c);
	conn_die(c, c->doom_err, true);
	conn_unref(c);
}

/* Kills the connection from the loop's next iteration: conn_send's callers sit in the middle
 * of protocol work that dying would pull out from under them. */
static void conn_fail_later(nx_rpc_conn *c, int err)
{
	if (c->dead || c->doom_err)
		return;
	c->doom_err = err;
	if (nx_loop_add_defer(c->loop, conn_doom_cb, c, &c->doom) < 0) {
		/* No source: the broken channel still shows up as readable (EOF or error). */
		c->doom = NULL;
	}
}

static int conn_queue(
        nx_rpc_conn *c, const nx_capnp_builder *b, int *fds, unsigned nfds, enum rpc_send_when when)
{
	size_t bytes, len;
	int r;

	if (c->dead) {
		r = -ENOTCONN;
		goto fail;
	}
	if (b->error) {
		r = b->error;
		goto fail;
	}
	bytes = nx_capnp_frame_bytes(b);
	if (bytes > NX_MSG_MAX_BYTES) {
		r = -EMSGSIZE;
		goto fail;
	}
	if (c->txlen - c->txoff + bytes > NX_RPC_TX_QUEUE_MAX) {
		/* A peer that stopped reading: it loses the connection. */
		conn_fail_later(c, -ENOBUFS);
		r = -ENOBUFS;
		goto fail;
	}
	if (c->txlen + bytes > c->txcap) {
		size_t ncap = c->txcap ? c->txcap : 8192;
		uint8_t *t;

		while (ncap < c->txlen + bytes)
			ncap *= 2;
		t = realloc(c->tx, ncap);
		if (!t) {
			r = -ENOMEM;
			goto fail;
		}
		c->tx = t;
		c->txcap = ncap;
	}
	if (nfds > 0) {
		if (c->ntxq == c->txqcap) {
			unsigned ncap = c->txqcap ? c->txqcap * 2 : 8;
			struct txfds *q = realloc(c->txq, ncap * sizeof(*q));

			if (!q) {
				r = -ENOMEM;
				goto fail;
			}
			c->txq = q;
			c->txqcap = ncap;
		}
	}
	r = nx_capnp_frame_write(b, c->tx + c->txlen, c->txcap - c->txlen, &len);
	if (r < 0)
		goto fail;
	if (nfds > 0) {
		struct txfds *q = &c->txq[c->ntxq++];

		q->off = c->txlen;
		q->end = c->txlen + len;
		q->n = nfds;
		memcpy(q->fds, fds, nfds * sizeof(int));
	}
	c->txlen += len;
	if (when == RPC_SEND_HELD) {
		c->txheld += len;
		return 0;
	}
	/* Without a defer source (out of memory) it is written now, like any other. */
	if (when == RPC_SEND_LAZY &&
	        (c->flusher ? nx_source_enable(c->flusher)
	                    : nx_loop_add_defer(c->loop, conn_flusher_cb, c, &c->flusher)) == 0)
		return 0;
	r = conn_flush(c);
	if (r < 0) {
		/* The channel broke; die from the loop, not under our caller's feet (EPIPE: from
		 * the read side, see conn_tx_drop). */
		if (r != -EPIPE)
			conn_fail_later(c, r);
		conn_tx_drop(c);
	}
	return 0;
fail:
	close_fds(fds, nfds);
	return r;
}

int conn_send(nx_rpc_conn *c, const nx_capnp_builder *b, int *fds, unsigned nfds)
{
	return conn_queue(c, b, fds, nfds, RPC_SEND_NOW);
}

int conn_send_lazy(nx_rpc_conn *c, const nx_capnp_builder *b)
{
	return conn_queue(c, b, NULL, 0, RPC_SEND_LAZY);
}

int conn_send_held(nx_rpc_conn *c, const nx_capnp_builder *b)
{
	return conn_queue(c, b, NULL, 0, RPC_SEND_HELD);
}

/* Handles every complete frame at the front of the receive buffer; the received fds go to
 * the one frame they arrived with. */
static int conn_process(nx_rpc_conn *c)
{
	for (;;) {
		struct msgfds none = {.n = 0};
		struct msgfds *fds = &none;
		size_t need = 0;
		int r;

		r = nx_capnp_frame_size(c->rxbuf, c->rxlen, NX_MSG_MAX_BYTES, &need);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
		if (need > c->rxlen)
			return 0;
		if (c->rxfds.n > 0 && c->rxfds_owner == 0)
			fds = &c->rxfds;
		r = rpc_handle_frame(c, c->rxbuf, need, fds);
		close_fds(fds->fds, fds->n);
		fds->n = 0;
		if (r < 0)
			return r;
		if (c->dead)
			return 0;
		memmove(c->rxbuf, (uint8_t *)c->rxbuf + need, c->rxlen - need);
		c->rxlen -= need;
		/* A later frame's fds: it starts past the one just handled. */
		if (c->rxfds.n > 0)
			c->rxfds_owner -= need;
	}
}

/* Where the frame holding the last buffered byte starts. */
static size_t conn_last_frame(const nx_rpc_conn *c)
{
	size_t off = 0;

	for (;;) {
		size_t need = 0;
		int r;

		r = nx_capnp_frame_size(
		        (const uint8_t *)c->rxbuf + off, c->rxlen - off, NX_MSG_MAX_BYTES, &need);
		/* Incomplete or malformed (conn_process refuses it): the bytes from here on. */
		if (r < 0 || need == 0 || off + need >= c->rxlen)
			return off;
		off += need;
	}
}

/*
 * Reads as much as the buffer takes, however many frames that is: one recvmsg per readiness
 * event for small messages, however they were batched. What makes that safe for fds: the
 * kernel hands an fd-carrying send's fds over with the first bytes of that send a read
 * returns, and ends that read at the end of the send's first buffer at the latest; the
 * sender (ours, and libcapnp's one write per message) starts such a send with its
 * message's first byte and ends it with that message's last. So the send began inside this
 * read, and the read ended inside its message: the fds belong to the frame holding the last
 * byte read. While a frame that got fds is incomplete, reads stop at its end, so the next
 * frame's fds can never join them.
 */
static void conn_read(nx_rpc_conn *c, bool hup)
{
	int i, r;

	/* Paused by the forward window, except for a peer that hung up: what it sent before is
	 * bounded by its socket buffer, and a level-triggered hangup would otherwise spin. */
	for (i = 0; i < CONN_READS_PER_EVENT && !c->dead && (hup || conn_reading(c)); i++) {
		int fds[NX_MSG_MAX_FDS];
		unsigned nfds = 0;
		size_t want, need = 0;
		ssize_t n;

		r = nx_capnp_frame_size(c->rxbuf, c->rxlen, NX_MSG_MAX_BYTES, &need);
		if (r < 0 && r != -EAGAIN) {
			rpc_send_abort(c, r == -EMSGSIZE
			                          ? "too_large: message over NX_MSG_MAX_BYTES"
			                          : "invalid_argument: malformed frame");
			conn_die(c, r, true);
			return;
		}
		if (c->rxfds.n == 0) {
			want = sizeof(c->rxbuf) - c->rxlen;
		} else {
			/* The front frame holds fds (conn_process leaves only it): its end at most. */
			if (need <= c->rxlen || need > sizeof(c->rxbuf))
				need = sizeof(c->rxbuf) < c->rxlen + 8 ? sizeof(c->rxbuf)
				                                       : c->rxlen + 8;
			want = need - c->rxlen;
		}
		if (want == 0) {
			/* Cannot happen: frames over the buffer are refused from their table. */
			conn_die(c, -EPROTO, true);
			return;
		}
		n = nx_chan_recv(
		        c->fd, (uint8_t *)c->rxbuf + c->rxlen, want, fds, NX_MSG_MAX_FDS, &nfds);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			close_fds(fds, nfds);
			conn_die(c, -ECONNRESET, true);
			return;
		}
		if (n < 0) {
			conn_die(c, (int)n, true);
			return;
		}
		if (c->rxfds.n + nfds > NX_MSG_MAX_FDS) {
			close_fds(fds, nfds);
			rpc_send_abort(c, "too_large: more than NX_MSG_MAX_FDS fds in one message");
			conn_die(c, -EPROTO, true);
			return;
		}
		c->rxlen += (size_t)n;
		if (nfds > 0) {
			c->peer_sent_fds = true;
			if (c->rxfds.n == 0)
				c->rxfds_owner = conn_last_frame(c);
			memcpy(c->rxfds.fds + c->rxfds.n, fds, nfds * sizeof(int));
			c->rxfds.n += nfds;
		}
		r = conn_process(c);
		if (r < 0 && !c->dead) {
			rpc_send_abort(c, r == -EMSGSIZE
			                          ? "too_large: message over NX_MSG_MAX_BYTES"
			                          : "invalid_argument: malformed message");
			conn_die(c, r, true);
		}
		/* A short read emptied the socket (or stopped at an fd send): the level-triggered
		 * loop calls again when there is more, so no read just to see EAGAIN. */
		if ((size_t)n < want)
			return;
	}
}

static void conn_event(nx_source *s, int fd, uint32_t events, void *userdata)
{
	nx_rpc_conn *c = userdata;

	conn_ref(c);
	if (events & NX_EV_OUT) {
		int r = conn_flush(c);

		if (r < 0)
			conn_flush_failed(c, r);
	}
	if (!c->dead && (events & (NX_EV_IN | NX_EV_HUP)))
		conn_read(c, events & NX_EV_HUP);
	conn_unref(c);
}

int nx_rpc_conn_new(nx_loop *loop, int fd, nx_rpc_cap *bootstrap, nx_rpc_conn **ret)
{
	nx_rpc_conn *c;
	int r;

	if (!loop || fd < 0 || !ret) {
		nx_fd_close(fd);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	c->refs = 1;
	c->loop = loop;
	c->fd = fd;
	/* A blocking channel would stall the whole loop on a full socket. */
	r = nx_fd_set_nonblock(fd, 1);
	if (r == 0)
		r = nx_loop_add_fd(loop, fd, NX_EV_IN, conn_event, c, &c->src);
	if (r < 0) {
		nx_fd_close(fd);
		free(c);
		return r;
	}
	c->bootstrap = bootstrap ? nx_rpc_cap_ref(bootstrap) : NULL;
	*ret = c;
	return 0;
}

void nx_rpc_conn_set_disconnect_cb(nx_rpc_conn *conn, nx_rpc_disconnect_cb cb, void *userdata)
{
	conn->disc_cb = cb;
	conn->disc_ud = userdata;
}

void conn_forwards_add(nx_rpc_conn *c, int delta)
{
	bool was = conn_reading(c);

	c->nforwards = (unsigned)((int)c->nforwards + delta);
	if (conn_reading(c) != was)
		conn_update_events(c);
}

void conn_die(nx_rpc_conn *c, int err, bool notify)
{
	if (c->dead)
		return;
	c->dead = true;
	c->error = err;
	c->src = nx_source_free(c->src);
	c->doom = nx_source_free(c->doom);
	c->flusher = nx_source_free(c->flusher);
	c->fd = nx_fd_close(c->fd);
	close_fds(c->rxfds.fds, c->rxfds.n);
	c->rxfds.n = 0;
	c->rxlen = 0;
	while (c->ntxq > 0) {
		c->ntxq--;
		close_fds(c->txq[c->ntxq].fds, c->txq[c->ntxq].n);
	}
	c->txlen = c->txoff = c->txheld = 0;
	conn_ref(c);
	rpc_teardown(c);
	if (notify && c->disc_cb && !c->user_freed)
		c->disc_cb(c, err, c->disc_ud);
	conn_unref(c);
}

nx_rpc_conn *nx_rpc_conn_free(nx_rpc_conn *conn)
{
	if (!conn || conn->user_freed)
		return NULL;
	conn->user_freed = true;
	/* Best effort, without blocking: a Return queued just before closing still leaves. */
	if (!conn->dead)
		(void)conn_flush(conn);
	conn_die(conn, -ECONNABORTED, false);
	conn_unref(conn); /* NOLINT(clang-analyzer-unix.Malloc): conn_die holds its own reference */
	return NULL;
}

int nx_rpc_conn_error(const nx_rpc_conn *conn)
{
	return conn->dead ? conn->error : 0;
}

nx_loop *nx_rpc_conn_loop(const nx_rpc_conn *conn)
{
	return conn->loop;
}

bool nx_rpc_conn_peer_sent_fds(const nx_rpc_conn *conn)
{
	return conn->peer_sent_fds;
}

unsigned nx_rpc_conn_questions(const nx_rpc_conn *conn)
{
	return conn->nquestions;
}

unsigned nx_rpc_conn_exports(const nx_rpc_conn *conn)
{
	return conn->nexports;
}

unsigned nx_rpc_conn_imports(const nx_rpc_conn *conn)
{
	return conn->nimports;
}
