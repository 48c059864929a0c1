/* SPDX-License-Identifier: MIT */
/*
 * bench-bus: dsoftbusd's session layer across a real link (bench/bench-bus.sh runs the two
 * sides in two network namespaces joined by a veth pair), each figure beside a baseline from
 * the same run on the same link:
 *
 *   bulk       N MiB on one stream of a session (TCP, 2-byte length, Noise_XX ChaChaPoly
 *              records, busmux frames with flow control) vs the same bytes over plain TCP
 *   round trip 64 bytes out and back on a session's stream vs a plain TCP ping-pong of 64
 *   handshake  TCP connected -> XX handshake -> the responder's first record (OPEN_OK), vs
 *              3 x X25519 (measured here) + the 2 round trips it takes (plain TCP p50)
 *
 * The wire is exactly dsoftbusd's, built from the same libraries (userspace/noise,
 * userspace/busmux); the handshake payloads (device key signatures) are left out, so the
 * handshake figure is the protocol's cost, not keystored's.
 *
 * and, on two booted and paired devices, the product itself:
 *
 *   remote call   Echo.echo("") from a through its dsoftbusd to echod on b and back
 *                 (nexus_resolve_peer), vs the plain TCP ping-pong of 64 bytes, and vs the
 *                 same call to the local echod
 *
 *   bench-bus serve PORT
 *   bench-bus run IP PORT [--mib N] [--reps N] [--iters N] [--handshakes N]
 *   bench-bus call IP PORT DEVICE [--iters N]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-util.h"
#include "busmux/mux.h"
#include "echo.capnp.h"
#include "noise/noise.h"
#include <nexus/nexus.h>

#define PROLOGUE    "nexus-bus/1"
#define CALL_BYTES  64u
#define IO_BUF      (256u * 1024u)
#define POLL_MS     10000
#define PATTERN_LEN (1u << 20)

enum mode {
	MODE_PLAIN_BULK = 'B',
	MODE_PLAIN_PING = 'P',
	MODE_SESSION = 'S',
};

/* Stream kinds the server offers (stream_data). */
static char kind_sink, kind_echo;

static uint8_t pattern[PATTERN_LEN];

static _Noreturn void die(const char *what, int err)
{
	fprintf(stderr, "bench-bus: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* ---- plain sockets ---------------------------------------------------------------------- */

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write", n < 0 ? errno : EPIPE);
		p += n;
		len -= (size_t)n;
	}
}

/* Reads exactly len bytes: true, or false at EOF before the first byte. */
static bool read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read", errno);
		if (n == 0) {
			if (got == 0)
				return false;
			die("read", EPIPE);
		}
		got += (size_t)n;
	}
	return true;
}

static void nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int connect_to(const char *ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		die("socket", fd < 0 ? errno : EINVAL);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect", errno);
	nodelay(fd);
	return fd;
}

/* ---- Noise over TCP --------------------------------------------------------------------- */

static void send_msg(int fd, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	write_all(fd, hdr, 2);
	write_all(fd, msg, len);
}

static size_t recv_msg(int fd, uint8_t *buf)
{
	uint8_t hdr[2];
	size_t len;

	if (!read_all(fd, hdr, 2))
		die("handshake", EPIPE);
	len = (size_t)hdr[0] << 8 | hdr[1];
	if (!read_all(fd, buf, len))
		die("handshake", EPIPE);
	return len;
}

static void random_keypair(struct noise_keypair *kp)
{
	uint8_t secret[NOISE_DHLEN];

	do
		randombytes_buf(secret, sizeof(secret));
	while (noise_keypair_from_secret(secret, kp) < 0);
	sodium_memzero(secret, sizeof(secret));
}

/* The XX handshake with empty payloads, blocking: the transport ciphers. */
static void handshake(int fd, enum noise_role role, const struct noise_keypair *s,
        struct noise_cipher *tx, struct noise_cipher *rx)
{
	static uint8_t msg[NOISE_MSG_MAX], payload[NOISE_MSG_MAX];
	struct noise_handshake hs;
	struct noise_keypair e;
	size_t len;
	int r;

	random_keypair(&e);
	r = noise_hs_init(&hs, role, PROLOGUE, strlen(PROLOGUE), s, &e);
	noise_keypair_wipe(&e);
	while (r >= 0 && noise_hs_action(&hs) != NOISE_HS_SPLIT) {
		if (noise_hs_action(&hs) == NOISE_HS_WRITE) {
			r = noise_hs_write(&hs, payload, 0, msg, sizeof(msg), &len);
			if (r >= 0)
				send_msg(fd, msg, len);
		} else if (noise_hs_action(&hs) == NOISE_HS_READ) {
			len = recv_msg(fd, msg);
			r = noise_hs_read(&hs, msg, len, payload, sizeof(payload), &len);
		} else {
			r = -EPROTO;
		}
	}
	if (r >= 0)
		r = noise_hs_split(&hs, tx, rx, NULL);
	if (r < 0)
		die("handshake", r);
}

/* ---- one session: records in and out around a mux ----------------------------------------- */

struct sess {
	int fd;
	struct noise_cipher tx, rx;
	busmux *m;
	bool rekey_rx;
	bool eof;
	/* What the client waits for. */
	bool opened;
	uint64_t rx_bytes;
	uint8_t in[IO_BUF];
	size_t in_len;
	uint8_t out[IO_BUF];
	size_t out_len, out_off;
	uint8_t plain[BUSMUX_RECORD_MAX];
};

static int server_event(struct sess *s, const struct busmux_event *ev)
{
	size_t taken;

	switch (ev->type) {
	case BUSMUX_EV_OPEN:
		if (!strcmp(ev->u.open.service, "sink"))
			return busmux_accept(s->m, ev->stream, &kind_sink);
		if (!strcmp(ev->u.open.service, "echo"))
			return busmux_accept(s->m, ev->stream, &kind_echo);
		return busmux_refuse(s->m, ev->stream, "not_found: no such service");
	case BUSMUX_EV_DATA:
		if (ev->stream_data == &kind_echo) {
			int r = busmux_write(
			        s->m, ev->stream, ev->u.data.ptr, ev->u.data.len, &taken);

			if (r < 0 || taken != ev->u.data.len)
				return r < 0 ? r : -ENOBUFS;
		}
		return busmux_consumed(s->m, ev->stream, ev->u.data.len);
	case BUSMUX_EV_CLOSED:
		/* A sink acknowledges all it got with one byte. */
		if (ev->stream_data == &kind_sink) {
			int r = busmux_write(s->m, ev->stream, "k", 1, &taken);

			if (r < 0)
				return r;
		}
		return busmux_close(s->m, ev->stream);
	default:
		return 0;
	}
}

static int client_event(struct sess *s, const struct busmux_event *ev)
{
	switch (ev->type) {
	case BUSMUX_EV_OPENED:
		s->opened = true;
		return 0;
	case BUSMUX_EV_REFUSED:
		fprintf(stderr, "bench-bus: refused: %s\n", ev->u.reason);
		return -ECONNREFUSED;
	case BUSMUX_EV_DATA:
		s->rx_bytes += ev->u.data.len;
		return busmux_consumed(s->m, ev->stream, ev->u.data.len);
	default: /* the client closes its side itself, when it is done */
		return 0;
	}
}

static bool is_server;

static int on_event(void *userdata, const struct busmux_event *ev)
{
	struct sess *s = userdata;

	if (ev->type == BUSMUX_EV_REKEY) {
		s->rekey_rx = true;
		return 0;
	}
	return is_server ? server_event(s, ev) : client_event(s, ev);
}

static void sess_start(struct sess *s, int fd, enum noise_role role, const struct noise_keypair *k)
{
	int r;

	memset(s, 0, offsetof(struct sess, in));
	s->in_len = s->out_len = s->out_off = 0;
	s->fd = fd;
	handshake(fd, role, k, &s->tx, &s->rx);
	r = busmux_new(role == NOISE_ROLE_INITIATOR ? BUSMUX_INITIATOR : BUSMUX_RESPONDER,
	        bench_now_ns(), on_event, s, &s->m);
	if (r < 0)
		die("busmux_new", r);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl", errno);
}

static void sess_end(struct sess *s)
{
	busmux_free(s->m);
	noise_cipher_wipe(&s->tx);
	noise_cipher_wipe(&s->rx);
	close(s->fd);
}

/* Packs what the mux has to send straight into s->out and encrypts it there, while a whole
 * record fits. */
static void produce(struct sess *s)
{
	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	while (busmux_pending(s->m) && sizeof(s->out) - s->out_len >= 2 + NOISE_MSG_MAX) {
		uint8_t *rec = s->out + s->out_len + 2;
		size_t len, clen;
		bool rekey;
		int r = busmux_next_record(
		        s->m, bench_now_ns(), rec, BUSMUX_RECORD_MAX, &len, &rekey);

		if (r < 0 || len == 0)
			break;
		r = noise_cipher_encrypt(&s->tx, NULL, 0, rec, len, rec, NOISE_MSG_MAX, &clen);
		if (r < 0)
			die("encrypt", r);
		s->out[s->out_len] = (uint8_t)(clen >> 8);
		s->out[s->out_len + 1] = (uint8_t)clen;
		s->out_len += 2 + clen;
		if (rekey && noise_cipher_rekey(&s->tx) < 0)
			die("rekey", EPROTO);
	}
}

/* Decrypts and hands the mux every whole record in s->in. */
static void consume(struct sess *s)
{
	size_t off = 0;

	while (s->in_len - off >= 2) {
		size_t clen = (size_t)s->in[off] << 8 | s->in[off + 1], plen;
		int r;

		if (s->in_len - off - 2 < clen)
			break;
		r = noise_cipher_decrypt(
		        &s->rx, NULL, 0, s->in + off + 2, clen, s->plain, sizeof(s->plain), &plen);
		if (r < 0)
			die("decrypt", r);
		r = busmux_receive(s->m, s->plain, plen, bench_now_ns());
		if (r < 0) {
			fprintf(stderr, "bench-bus: %s\n", busmux_error(s->m));
			die("busmux_receive", r);
		}
		if (s->rekey_rx && noise_cipher_rekey(&s->rx) < 0)
			die("rekey", EPROTO);
		s->rekey_rx = false;
		off += 2 + clen;
	}
	memmove(s->in, s->in + off, s->in_len - off);
	s->in_len -= off;
}

/* Sends what the socket takes now. */
static void flush(struct sess *s)
{
	ssize_t w;

	if (s->out_off == s->out_len)
		return;
	w = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);
	/* The client hangs up once it has what it waited for: the server's end. */
	if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
		s->eof = true;
	else if (w < 0 && errno != EAGAIN)
		die("send", errno);
	if (w > 0)
		s->out_off += (size_t)w;
}

/* One round: send what can go, read what came, process it. */
static void sess_io(struct sess *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	int n;

	produce(s);
	if (s->out_off < s->out_len)
		p.events |= POLLOUT;
	n = poll(&p, 1, POLL_MS);
	if (n == 0)
		die("poll", ETIMEDOUT);
	if (n < 0)
		die("poll", errno);
	if (p.revents & POLLOUT)
		flush(s);
	if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
		ssize_t r = read(s->fd, s->in + s->in_len, sizeof(s->in) - s->in_len);

		if (r == 0 || (r < 0 && errno == ECONNRESET))
			s->eof = true;
		else if (r < 0 && errno != EAGAIN)
			die("read", errno);
		if (r > 0) {
			s->in_len += (size_t)r;
			consume(s);
			/* An answer goes out now, not after another poll. */
			produce(s);
			flush(s);
		}
	}
}

/* ---- server ----------------------------------------------------------------------------- */

static void serve_plain_bulk(int fd)
{
	static uint8_t buf[IO_BUF];
	uint64_t n;

	if (!read_all(fd, &n, sizeof(n)))
		return;
	while (n > 0) {
		ssize_t r = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (r <= 0)
			die("read", r < 0 ? errno : EPIPE);
		n -= (uint64_t)r;
	}
	write_all(fd, "k", 1);
}

static void serve_plain_ping(int fd)
{
	uint8_t buf[CALL_BYTES];

	while (read_all(fd, buf, sizeof(buf)))
		write_all(fd, buf, sizeof(buf));
}

/* Serves one connection at a time until killed. */
static _Noreturn void serve(uint16_t port, const struct noise_keypair *k)
{
	static struct sess s;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	is_server = true;
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	        bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0)
		die("listen", errno);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		uint8_t mode;

		if (fd < 0)
			die("accept", errno);
		nodelay(fd);
		if (!read_all(fd, &mode, 1)) {
			close(fd);
			continue;
		}
		if (mode == MODE_PLAIN_BULK) {
			serve_plain_bulk(fd);
		} else if (mode == MODE_PLAIN_PING) {
			serve_plain_ping(fd);
		} else if (mode == MODE_SESSION) {
			sess_start(&s, fd, NOISE_ROLE_RESPONDER, k);
			while (!s.eof)
				sess_io(&s);
			sess_end(&s);
			continue;
		}
		close(fd);
	}
}

/* ---- client ----------------------------------------------------------------------------- */

struct opts {
	const char *ip;
	uint16_t port;
	unsigned mib, reps, iters, handshakes;
};

static int open_session(const struct opts *o, const struct noise_keypair *k, struct sess *s)
{
	int fd = connect_to(o->ip, o->port);
	uint8_t mode = MODE_SESSION;

	write_all(fd, &mode, 1);
	sess_start(s, fd, NOISE_ROLE_INITIATOR, k);
	return fd;
}

static uint32_t open_stream(struct sess *s, const char *service)
{
	uint32_t id;
	int r = busmux_open(s->m, service, "uid:0", NULL, &id);

	if (r < 0)
		die("busmux_open", r);
	s->opened = false;
	while (!s->opened)
		sess_io(s);
	return id;
}

static uint64_t plain_bulk(const struct opts *o, uint64_t bytes)
{
	int fd = connect_to(o->ip, o->port);
	uint8_t mode = MODE_PLAIN_BULK, ack;
	uint64_t t0 = bench_now_ns(), left = bytes;

	write_all(fd, &mode, 1);
	write_all(fd, &bytes, sizeof(bytes));
	while (left > 0) {
		size_t n = left < PATTERN_LEN ? (size_t)left : PATTERN_LEN;

		write_all(fd, pattern, n);
		left -= n;
	}
	if (!read_all(fd, &ack, 1))
		die("plain bulk", EPIPE);
	t0 = bench_now_ns() - t0;
	close(fd);
	return t0;
}

static uint64_t session_bulk(const struct opts *o, const struct noise_keypair *k, uint64_t bytes)
{
	static struct sess s;
	uint64_t t0, sent = 0;
	uint32_t id;

	open_session(o, k, &s);
	t0 = bench_now_ns();
	id = open_stream(&s, "sink");
	while (sent < bytes) {
		size_t room = busmux_write_room(s.m, id), n = room, taken;
		size_t at = (size_t)(sent % PATTERN_LEN);
		int r;

		if (n > bytes - sent)
			n = (size_t)(bytes - sent);
		if (n > PATTERN_LEN - at)
			n = PATTERN_LEN - at;
		if (n > 0) {
			r = busmux_write(s.m, id, pattern + at, n, &taken);
			if (r < 0)
				die("busmux_write", r);
			sent += taken;
		}
		sess_io(&s);
	}
	if (busmux_close(s.m, id) < 0)
		die("busmux_close", EPROTO);
	while (s.rx_bytes < 1)
		sess_io(&s);
	t0 = bench_now_ns() - t0;
	sess_end(&s);
	return t0;
}

static void plain_ping(const struct opts *o, uint64_t *samples)
{
	uint8_t buf[CALL_BYTES] = {0}, mode = MODE_PLAIN_PING;
	int fd = connect_to(o->ip, o->port);

	write_all(fd, &mode, 1);
	for (unsigned i = 0; i < o->iters; i++) {
		uint64_t t0 = bench_now_ns();

		write_all(fd, buf, sizeof(buf));
		if (!read_all(fd, buf, sizeof(buf)))
			die("ping", EPIPE);
		samples[i] = bench_now_ns() - t0;
	}
	close(fd);
}

static void session_ping(const struct opts *o, const struct noise_keypair *k, uint64_t *samples)
{
	static struct sess s;
	uint8_t buf[CALL_BYTES] = {0};
	uint32_t id;

	open_session(o, k, &s);
	id = open_stream(&s, "echo");
	for (unsigned i = 0; i < o->iters; i++) {
		uint64_t t0 = bench_now_ns(), want = s.rx_bytes + sizeof(buf);
		size_t taken;
		int r = busmux_write(s.m, id, buf, sizeof(buf), &taken);

		if (r < 0 || taken != sizeof(buf))
			die("busmux_write", r < 0 ? r : ENOBUFS);
		while (s.rx_bytes < want)
			sess_io(&s);
		samples[i] = bench_now_ns() - t0;
	}
	sess_end(&s);
}

/* TCP connected -> handshake -> OPEN_OK back: the session is usable. */
static void handshakes(const struct opts *o, const struct noise_keypair *k, uint64_t *samples)
{
	static struct sess s;

	for (unsigned i = 0; i < o->handshakes; i++) {
		int fd = connect_to(o->ip, o->port);
		uint8_t mode = MODE_SESSION;
		uint64_t t0 = bench_now_ns();

		write_all(fd, &mode, 1);
		sess_start(&s, fd, NOISE_ROLE_INITIATOR, k);
		(void)open_stream(&s, "echo");
		samples[i] = bench_now_ns() - t0;
		sess_end(&s);
	}
}

/* One X25519 (crypto_scalarmult) in ns, the median of many. */
static uint64_t x25519_ns(void)
{
	enum { N = 2000 };
	static uint64_t t[N];
	uint8_t sk[32], pk[32], out[32];

	randombytes_buf(sk, sizeof(sk));
	crypto_scalarmult_base(pk, sk);
	for (int i = 0; i < N; i++) {
		uint64_t t0 = bench_now_ns();

		if (crypto_scalarmult(out, sk, pk) < 0)
			die("x25519", EINVAL);
		t[i] = bench_now_ns() - t0;
		pk[0] ^= out[0] & 1; /* a dependency, so no call is hoisted */
	}
	return bench_quantile(t, N, 0.5);
}

/* The cipher alone: MiB/s of ChaCha20-Poly1305 over full records in this process, the most
 * one side of a session could do on one CPU. */
static double aead_mib_s(void)
{
	static uint8_t rec[NOISE_MSG_MAX];
	struct noise_cipher c;
	uint8_t key[NOISE_KEYLEN];
	const unsigned n = 2048;
	uint64_t t0;
	size_t len;

	randombytes_buf(key, sizeof(key));
	noise_cipher_init(&c, key);
	t0 = bench_now_ns();
	for (unsigned i = 0; i < n; i++)
		if (noise_cipher_encrypt(
		            &c, NULL, 0, rec, BUSMUX_RECORD_MAX, rec, sizeof(rec), &len) < 0)
			die("encrypt", EIO);
	t0 = bench_now_ns() - t0;
	noise_cipher_wipe(&c);
	return (double)n * BUSMUX_RECORD_MAX / (double)(1u << 20) * 1e9 / (double)t0;
}

static const char *meets(bool ok)
{
	return ok ? "meets" : "MISSES";
}

static int run(const struct opts *o, const struct noise_keypair *k)
{
	uint64_t bytes = (uint64_t)o->mib << 20, *plain_t, *sess_t, *a, *b;
	uint64_t ones[1] = {0}, rtt, x, hs, base;
	size_t n = o->iters > o->handshakes ? o->iters : o->handshakes;

	plain_t = calloc(o->reps, sizeof(*plain_t));
	sess_t = calloc(o->reps, sizeof(*sess_t));
	a = calloc(n, sizeof(*a));
	b = calloc(n, sizeof(*b));
	if (!plain_t || !sess_t || !a || !b)
		die("calloc", ENOMEM);
	/* Alternate, so drift of a shared machine hits both sides alike. */
	for (unsigned i = 0; i < o->reps; i++) {
		plain_t[i] = plain_bulk(o, bytes);
		sess_t[i] = session_bulk(o, k, bytes);
	}
	bench_report_transfer("bus-bulk", "plain-tcp", plain_t, o->reps, bytes);
	bench_report_transfer("bus-bulk", "noise-mux", sess_t, o->reps, bytes);
	{
		uint64_t pm = bench_quantile(plain_t, o->reps, 0.5);
		uint64_t sm = bench_quantile(sess_t, o->reps, 0.5);
		double frac = sm ? (double)pm / (double)sm : 0;

		double aead = aead_mib_s(), mibs = (double)o->mib * 1e9 / (double)sm;

		printf("SUMMARY bulk %u MiB: session %.0f MiB/s vs plain TCP %.0f MiB/s = %.2f "
		       "(target >= 0.80: %s)\n",
		        o->mib, mibs, (double)o->mib * 1e9 / (double)pm, frac, meets(frac >= 0.80));
		printf("RESULT bench=bus-bulk mode=aead-in-process mib_s=%.0f\n", aead);
		printf("SUMMARY bulk ceiling: ChaCha20-Poly1305 alone, in process, %.0f MiB/s: the "
		       "session reaches %.2f of it\n",
		        aead, mibs / aead);
	}
	plain_ping(o, a);
	bench_report_latency("bus-rtt", "plain-tcp-64", a, o->iters, ones, 1);
	rtt = bench_quantile(a, o->iters, 0.5);
	session_ping(o, k, b);
	bench_report_latency("bus-rtt", "noise-mux-64", b, o->iters, ones, 1);
	printf("SUMMARY round trip 64 B p50: session %.1f us vs plain TCP %.1f us = %.2fx\n",
	        (double)bench_quantile(b, o->iters, 0.5) / 1e3, (double)rtt / 1e3,
	        (double)bench_quantile(b, o->iters, 0.5) / (double)rtt);
	handshakes(o, k, a);
	bench_report_latency("bus-handshake", "noise-xx", a, o->handshakes, ones, 1);
	hs = bench_quantile(a, o->handshakes, 0.5);
	x = x25519_ns();
	base = 3 * x + 2 * rtt;
	printf("RESULT bench=bus-handshake mode=baseline x25519_ns=%llu rtt_ns=%llu p50_ns=%llu\n",
	        (unsigned long long)x, (unsigned long long)rtt, (unsigned long long)base);
	printf("SUMMARY handshake p50: %.1f us vs 3 x X25519 (%.1f us) + 2 round trips (%.1f us) "
	       "= %.1f us: %.2fx\n",
	        (double)hs / 1e3, 3.0 * (double)x / 1e3, 2.0 * (double)rtt / 1e3,
	        (double)base / 1e3, (double)hs / (double)base);
	free(plain_t);
	free(sess_t);
	free(a);
	free(b);
	return 0;
}

/* iters null calls on echod (a peer's when device is given) into samples. */
static void echo_calls(nexus *nx, const char *device, unsigned iters, uint64_t *samples)
{
	nx_rpc_cap *echod = NULL;
	int r = device ? nexus_resolve_peer(nx, device, "echod", &echod)
	               : nexus_resolve(nx, "echod", &echod);

	if (r < 0) {
		fprintf(stderr, "bench-bus: resolve echod: %s\n", nexus_last_error(nx));
		die("resolve", r);
	}
	for (unsigned i = 0; i < iters + 100; i++) {
		uint64_t t0 = bench_now_ns();
		echo_echo_results out;
		nx_rpc_call *call = NULL;

		r = echo_echo_wait(echo_from_cap(echod), "", nexus_deadline(nx), &call, &out);
		if (r < 0) {
			nexus_call_failed(nx, call, r, "echo");
			fprintf(stderr, "bench-bus: %s\n", nexus_last_error(nx));
			die("echo", r);
		}
		nx_rpc_call_free(call);
		if (i >= 100) /* the first hundred warm up */
			samples[i - 100] = bench_now_ns() - t0;
	}
	nx_rpc_cap_unref(echod);
}

static int remote_calls(const struct opts *o, const char *device)
{
	uint64_t *tcp = calloc(o->iters, sizeof(*tcp)), *remote = calloc(o->iters, sizeof(*remote));
	uint64_t *local = calloc(o->iters, sizeof(*local)), ones[1] = {0}, pt, pr, pl;
	nexus *nx;

	if (!tcp || !remote || !local)
		die("calloc", ENOMEM);
	if (nexus_connect(&nx) < 0)
		die("nexus_connect", ENOTCONN);
	echo_calls(nx, NULL, o->iters, local);
	echo_calls(nx, device, o->iters, remote);
	plain_ping(o, tcp);
	nexus_free(nx);
	bench_report_latency("bus-call", "remote-echo", remote, o->iters, ones, 1);
	bench_report_latency("bus-call", "local-echo", local, o->iters, ones, 1);
	bench_report_latency("bus-call", "plain-tcp-64", tcp, o->iters, ones, 1);
	pr = bench_quantile(remote, o->iters, 0.5);
	pl = bench_quantile(local, o->iters, 0.5);
	pt = bench_quantile(tcp, o->iters, 0.5);
	printf("SUMMARY remote null call p50 (a -> dsoftbusd -> b's dsoftbusd -> echod): %.1f us vs "
	       "plain TCP ping-pong of 64 B %.1f us = %.2fx (the local echod call: %.1f us)\n",
	        (double)pr / 1e3, (double)pt / 1e3, (double)pr / (double)pt, (double)pl / 1e3);
	free(tcp);
	free(remote);
	free(local);
	return 0;
}

static unsigned arg_num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 1000000)
		die(s, EINVAL);
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	struct noise_keypair k;
	struct opts o = {.mib = 256, .reps = 3, .iters = 2000, .handshakes = 100};

	if (sodium_init() < 0)
		die("sodium_init", ENOSYS);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 131);
	random_keypair(&k);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve((uint16_t)arg_num(argv[2]), &k);
	if (argc >= 5 && !strcmp(argv[1], "call")) {
		o.ip = argv[2];
		o.port = (uint16_t)arg_num(argv[3]);
		if (argc == 7 && !strcmp(argv[5], "--iters"))
			o.iters = arg_num(argv[6]);
		else if (argc != 5)
			die(argv[5], EINVAL);
		return remote_calls(&o, argv[4]);
	}
	if (argc >= 4 && !strcmp(argv[1], "run")) {
		o.ip = argv[2];
		o.port = (uint16_t)arg_num(argv[3]);
		for (int i = 4; i + 1 < argc; i += 2) {
			unsigned v = arg_num(argv[i + 1]);

			if (!strcmp(argv[i], "--mib"))
				o.mib = v;
			else if (!strcmp(argv[i], "--reps"))
				o.reps = v;
			else if (!strcmp(argv[i], "--iters"))
				o.iters = v;
			else if (!strcmp(argv[i], "--handshakes"))
				o.handshakes = v;
			else
				die(argv[i], EINVAL);
		}
		return run(&o, &k);
	}
	fprintf(stderr,
	        "usage: bench-bus serve PORT | bench-bus run IP PORT [--mib N] [--reps N] "
	        "[--iters N] [--handshakes N] | bench-bus call IP PORT DEVICE [--iters N]\n");
	return 2;
}
