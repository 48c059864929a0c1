/* SPDX-License-Identifier: MIT */
/* dsoftbusd session: the TCP connection, the Noise handshake and the transport records. */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busdisc/announce.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "session.h"

#define LEN_PREFIX 2u

enum state {
	CONNECTING, /* dialled, waiting for the socket to be writable */
	HANDSHAKE,
	ESTABLISHED,
};

struct bus_session {
	nx_loop *loop;
	struct bus_identity *id;
	const struct bus_session_ops *ops;
	void *userdata;
	uint64_t handle;
	int fd;
	nx_source *io, *timer, *pump;
	enum state state;
	bool initiator;
	struct noise_handshake hs;
	struct noise_cipher tx, rx;
	busmux *mux;
	bool rekey_rx;       /* the record being received ended with REKEY */
	bool decrypt_failed; /* the last record did not decrypt */
	/* Received bytes: a length prefix and at most one message, then the next. */
	uint8_t rbuf[LEN_PREFIX + NOISE_MSG_MAX];
	size_t rlen;
	/* Framed messages waiting for the socket: wbuf[woff..wlen). */
	uint8_t *wbuf;
	size_t woff, wlen, wcap;
	char expect[BUSDISC_ID_LEN + 1];
	char device[BUSDISC_ID_LEN + 1];
	uint8_t device_pub[BUSAUTH_KEY_LEN];
	uint8_t static_pub[NOISE_DHLEN];
	char sas[BUSPAIR_SAS_LEN + 1];
	char address[NX_IPV4_ADDRSTR_MAX];
};

static uint64_t next_handle = 1;

/* Ends the session: the owner frees it from `closed`. Callers return at once. */
static void fail(struct bus_session *s, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void fail(struct bus_session *s, int error, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): started just above */
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	s->ops->closed(s->userdata, s, error, why);
}

/* Room for n more bytes at the end of wbuf (moving what is left to the front first). */
static int reserve(struct bus_session *s, size_t n)
{
	if (s->woff > 0) {
		memmove(s->wbuf, s->wbuf + s->woff, s->wlen - s->woff);
		s->wlen -= s->woff;
		s->woff = 0;
	}
	if (s->wcap - s->wlen >= n)
		return 0;
	size_t cap = s->wlen + n;
	uint8_t *p = realloc(s->wbuf, cap);
	if (!p)
		return -ENOMEM;
	s->wbuf = p;
	s->wcap = cap;
	return 0;
}

static void put_len(uint8_t *p, size_t len)
{
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
}

/* Writes what waits; asks for NX_EV_OUT while the socket is full. 0 or the socket's error. */
static int flush(struct bus_session *s)
{
	while (s->woff < s->wlen) {
		ssize_t n = nx_tcp_send(s->fd, s->wbuf + s->woff, s->wlen - s->woff);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return (int)n;
		s->woff += (size_t)n;
	}
	return nx_source_set_events(s->io, NX_EV_IN | (s->woff < s->wlen ? NX_EV_OUT : 0));
}

/* The next handshake message, with our payload in messages 2 and 3. */
static int write_handshake(struct bus_session *s)
{
	/* Message 1 carries nothing: an empty buffer rather than NULL (it may be memcpy'd). */
	static const uint8_t nothing[1];
	bool with_payload = s->hs.step > 0;
	size_t len;
	int r = reserve(s, LEN_PREFIX + NOISE_MSG_MAX);

	if (r >= 0)
		r = noise_hs_write(&s->hs, with_payload ? s->id->payload : nothing,
		        with_payload ? BUSAUTH_PAYLOAD_LEN : 0, s->wbuf + s->wlen + LEN_PREFIX,
		        NOISE_MSG_MAX, &len);
	if (r < 0)
		return r;
	put_len(s->wbuf + s->wlen, len);
	s->wlen += LEN_PREFIX + len;
	return 0;
}

/* Records while busmux has something and the socket queue has room; rekeys the send key
 * after a record that ends with REKEY. */
static int pump(struct bus_session *s)
{
	uint64_t now = nx_clock_monotonic_ns();
	int r = 0;

	while (s->wlen - s->woff < BUS_SESSION_QUEUE_BYTES && busmux_pending(s->mux)) {
		uint8_t rec[BUSMUX_RECORD_MAX];
		size_t len, clen;
		bool rekey;

		r = busmux_next_record(s->mux, now, rec, sizeof(rec), &len, &rekey);
		if (r < 0 || len == 0)
			break;
		r = reserve(s, LEN_PREFIX + len + NOISE_TAGLEN);
		if (r >= 0)
			r = noise_cipher_encrypt(&s->tx, NULL, 0, rec, len,
			        s->wbuf + s->wlen + LEN_PREFIX, s->wcap - s->wlen - LEN_PREFIX,
			        &clen);
		if (r >= 0 && rekey)
			r = noise_cipher_rekey(&s->tx);
		sodium_memzero(rec, len);
		if (r < 0)
			break;
		put_len(s->wbuf + s->wlen, clen);
		s->wlen += LEN_PREFIX + clen;
	}
	if (r >= 0)
		r = flush(s);
	return r;
}

static void on_pump(nx_source *src, void *userdata)
{
	struct bus_session *s = userdata;
	int r = pump(s);

	if (r < 0) {
		fail(s, r, "cannot send: %s", strerror(-r));
		return;
	}
	s->ops->drained(s->userdata, s);
}

void bus_session_kick(struct bus_session *s)
{
	if (s && s->state == ESTABLISHED)
		nx_source_enable(s->pump);
}

static int mux_event(void *userdata, const struct busmux_event *ev)
{
	struct bus_session *s = userdata;

	if (ev->type == BUSMUX_EV_REKEY) {
		s->rekey_rx = true;
		return 0;
	}
	return s->ops->event(s->userdata, s, ev);
}

/* The peer's payload names its device; the static key the handshake showed must be the one
 * that device signed, and the device the one we dialled. */
static int bind_identity(struct bus_session *s, const uint8_t *payload, size_t len)
{
	int r = noise_hs_remote_static(&s->hs, s->static_pub);

	if (r >= 0)
		r = busauth_check(payload, len, s->static_pub, s->device_pub);
	if (r >= 0)
		r = busdisc_device_id(s->device_pub, s->device);
	if (r >= 0 && s->expect[0] && strcmp(s->expect, s->device) != 0)
		r = -EKEYREJECTED;
	return r;
}

/* From now on the timer is busmux's: pings and the idle timeout. */
static int on_established_timer(struct bus_session *s)
{
	uint64_t next;
	int r = busmux_tick(s->mux, nx_clock_monotonic_ns(), &next);

	if (r >= 0)
		r = nx_source_set_deadline(s->timer, next);
	return r;
}

static int establish(struct bus_session *s)
{
	uint8_t hash[NOISE_HASHLEN];
	int r;

	r = noise_hs_split(&s->hs, &s->tx, &s->rx, hash); /* this side's, whichever role */
	if (r >= 0)
		r = buspair_sas(hash, sizeof(hash), s->sas);
	if (r >= 0)
		r = busmux_new(s->initiator ? BUSMUX_INITIATOR : BUSMUX_RESPONDER,
		        nx_clock_monotonic_ns(), mux_event, s, &s->mux);
	sodium_memzero(hash, sizeof(hash));
	if (r < 0)
		return r;
	s->state = ESTABLISHED;
	r = on_established_timer(s);
	if (r < 0)
		return r;
	return s->ops->established(s->userdata, s);
}

/* One handshake message: read it, check the peer when its payload came, answer, split. */
static int handshake_message(struct bus_session *s, const uint8_t *msg, size_t len)
{
	uint8_t payload[NOISE_MSG_MAX];
	size_t plen;
	int r;

	r = noise_hs_read(&s->hs, msg, len, payload, sizeof(payload), &plen);
	if (r < 0)
		return r;
	/* Message 2 (read by the initiator) and 3 (by the responder) carry the peer's payload. */
	if (s->hs.step >= 2) {
		r = bind_identity(s, payload, plen);
		if (r < 0)
			return r;
	} else if (plen != 0) {
		return -EBADMSG; /* message 1 carries nothing: it is not authenticated */
	}
	if (noise_hs_action(&s->hs) == NOISE_HS_WRITE) {
		r = write_handshake(s);
		if (r < 0)
			return r;
	}
	if (noise_hs_action(&s->hs) == NOISE_HS_SPLIT) {
		r = flush(s); /* message 3 goes before any record */
		if (r >= 0)
			r = establish(s);
		return r;
	}
	return flush(s);
}

static int transport_message(struct bus_session *s, const uint8_t *msg, size_t len)
{
	uint8_t rec[NOISE_MSG_MAX];
	size_t rlen;
	int r;

	r = noise_cipher_decrypt(&s->rx, NULL, 0, msg, len, rec, sizeof(rec), &rlen);
	s->decrypt_failed = r == -EBADMSG;
	if (r < 0)
		return r;
	s->rekey_rx = false;
	r = busmux_receive(s->mux, rec, rlen, nx_clock_monotonic_ns());
	sodium_memzero(rec, rlen);
	if (r >= 0 && s->rekey_rx)
		r = noise_cipher_rekey(&s->rx);
	if (r >= 0)
		nx_source_enable(s->pump); /* credits, pongs, answers */
	return r;
}

/* Says why a message ended the session, in the words status counts by. */
static void message_failed(struct bus_session *s, int r)
{
	if (s->state != ESTABLISHED)
		fail(s, r, "handshake failed: %s", strerror(-r));
	else if (r == -EBADMSG && s->decrypt_failed)
		fail(s, BUS_SESSION_EDECRYPT,
		        "a record failed to decrypt (replayed, reordered or forged)");
	else
		fail(s, r, "%s", busmux_error(s->mux)[0] ? busmux_error(s->mux) : strerror(-r));
}

/* Reads what the socket has and handles every whole message. 0, or the session is over
 * (-1: already failed; s is gone). */
static int receive(struct bus_session *s)
{
	for (;;) {
		size_t want = s->rlen < LEN_PREFIX ? LEN_PREFIX - s->rlen : 0;
		if (!want) {
			size_t mlen = ((size_t)s->rbuf[0] << 8) | s->rbuf[1];
			want = LEN_PREFIX + mlen - s->rlen;
		}
		if (want) {
			ssize_t n = nx_tcp_recv(s->fd, s->rbuf + s->rlen, want);
			if (n == -EAGAIN)
				return 0;
			if (n <= 0) {
				fail(s, n == 0 ? -ECONNRESET : (int)n,
				        "the peer closed the connection");
				return -1;
			}
			s->rlen += (size_t)n;
			if ((size_t)n < want)
				continue;
			if (s->rlen == LEN_PREFIX)
				continue; /* the length is in: read the message */
		}
		size_t mlen = s->rlen - LEN_PREFIX;
		int r = s->state == ESTABLISHED ? transport_message(s, s->rbuf + LEN_PREFIX, mlen)
		                                : handshake_message(s, s->rbuf + LEN_PREFIX, mlen);
		s->rlen = 0;
		if (r < 0) {
			message_failed(s, r);
			return -1;
		}
	}
}

/* The dialled socket became writable: connected or refused. */
static int connected(struct bus_session *s)
{
	int r = nx_tcp_connected(s->fd);

	if (r < 0)
		return r;
	s->state = HANDSHAKE;
	r = write_handshake(s);
	if (r >= 0)
		r = flush(s);
	return r;
}

static void on_io(nx_source *src, int fd, uint32_t events, void *userdata)
{
	struct bus_session *s = userdata;
	int r;

	if (s->state == CONNECTING) {
		if (!(events & (NX_EV_OUT | NX_EV_HUP)))
			return;
		r = connected(s);
		if (r < 0)
			fail(s, r, "cannot connect to %s: %s", s->address, strerror(-r));
		return;
	}
	if (events & NX_EV_OUT) {
		r = flush(s);
		if (r < 0) {
			fail(s, r, "cannot send: %s", strerror(-r));
			return;
		}
		if (s->state == ESTABLISHED)
			nx_source_enable(s->pump);
	}
	if (events & (NX_EV_IN | NX_EV_HUP))
		(void)receive(s);
}

static void on_timer(nx_source *src, void *userdata)
{
	struct bus_session *s = userdata;
	uint64_t next;
	int r;

	if (s->state != ESTABLISHED) {
		fail(s, -ETIMEDOUT, "handshake not complete after %llu s",
		        (unsigned long long)(BUS_HANDSHAKE_TIMEOUT_NS / 1000000000ull));
		return;
	}
	r = busmux_tick(s->mux, nx_clock_monotonic_ns(), &next);
	if (r < 0) {
		fail(s, r, "the peer went quiet (idle timeout)");
		return;
	}
	nx_source_set_deadline(s->timer, next);
	nx_source_enable(s->pump);
}

static int session_new(nx_loop *loop, struct bus_identity *id, int fd, bool initiator,
        const struct bus_session_ops *ops, void *userdata, struct bus_session **ret)
{
	struct bus_session *s = calloc(1, sizeof(*s));
	struct noise_keypair e;
	int r;

	if (!s) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	s->loop = loop;
	s->id = id;
	s->ops = ops;
	s->userdata = userdata;
	s->fd = fd;
	s->initiator = initiator;
	s->handle = next_handle++;
	r = bus_identity_ephemeral(id, &e);
	if (r >= 0)
		r = noise_hs_init(&s->hs, initiator ? NOISE_ROLE_INITIATOR : NOISE_ROLE_RESPONDER,
		        BUSAUTH_PROLOGUE, strlen(BUSAUTH_PROLOGUE), &id->noise_static, &e);
	noise_keypair_wipe(&e);
	if (r >= 0)
		r = nx_loop_add_fd(loop, fd, NX_EV_IN, on_io, s, &s->io);
	if (r >= 0)
		r = nx_loop_add_timer(loop, nx_clock_monotonic_ns() + BUS_HANDSHAKE_TIMEOUT_NS,
		        on_timer, s, &s->timer);
	if (r >= 0)
		r = nx_loop_add_defer(loop, on_pump, s, &s->pump);
	if (r >= 0)
		r = nx_source_disable(s->pump);
	if (r < 0) {
		bus_session_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int bus_session_accept(nx_loop *loop, struct bus_identity *id, int fd, uint32_t addr,
        const struct bus_session_ops *ops, void *userdata, struct bus_session **ret)
{
	int r = session_new(loop, id, fd, false, ops, userdata, ret);

	if (r >= 0) {
		(*ret)->state = HANDSHAKE;
		nx_ipv4_format(addr, 0, (*ret)->address);
		*strrchr((*ret)->address, ':') = '\0'; /* its port says nothing: it dialled */
	}
	return r;
}

int bus_session_dial(nx_loop *loop, struct bus_identity *id, uint32_t addr, uint16_t port,
        const char *expect, const struct bus_session_ops *ops, void *userdata,
        struct bus_session **ret)
{
	struct bus_session *s;
	int fd, r;

	r = nx_tcp_connect(addr, port, &fd);
	if (r < 0 && r != -EINPROGRESS)
		return r;
	r = session_new(loop, id, fd, true, ops, userdata, &s);
	if (r < 0)
		return r;
	s->state = CONNECTING;
	snprintf(s->expect, sizeof(s->expect), "%s", expect);
	nx_ipv4_format(addr, port, s->address);
	r = nx_source_set_events(s->io, NX_EV_OUT);
	if (r < 0) {
		bus_session_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct bus_session *bus_session_free(struct bus_session *s)
{
	if (!s)
		return NULL;
	nx_source_free(s->io);
	nx_source_free(s->timer);
	nx_source_free(s->pump);
	nx_fd_close(s->fd);
	busmux_free(s->mux);
	noise_hs_wipe(&s->hs);
	noise_cipher_wipe(&s->tx);
	noise_cipher_wipe(&s->rx);
	free(s->wbuf);
	free(s);
	return NULL;
}

busmux *bus_session_mux(struct bus_session *s)
{
	return s->mux;
}

bool bus_session_established(const struct bus_session *s)
{
	return s->state == ESTABLISHED;
}

bool bus_session_initiator(const struct bus_session *s)
{
	return s->initiator;
}

const char *bus_session_device(const struct bus_session *s)
{
	return s->device;
}

const uint8_t *bus_session_device_pub(const struct bus_session *s)
{
	return s->device_pub;
}

const uint8_t *bus_session_static_pub(const struct bus_session *s)
{
	return s->static_pub;
}

const char *bus_session_sas(const struct bus_session *s)
{
	return s->sas;
}

const char *bus_session_address(const struct bus_session *s)
{
	return s->address;
}

uint64_t bus_session_handle(const struct bus_session *s)
{
	return s->handle;
}
