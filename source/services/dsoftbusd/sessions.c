/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd sessions: one per peer device. Accepts connections (at most BUS_HANDSHAKING_MAX
 * still in their handshake), dials on demand, keeps one session when two crossed (the one the
 * device with the smaller id initiated), checks every established peer against the pins (a
 * pinned device with other keys is refused and reported), runs the pairing steps and hands
 * each stream's events to its relay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busauth/auth.h"
#include "discovery.h"
#include "dsoftbusd.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-abi/tcp.h"
#include "nx-log/log.h"

static const struct bus_session_ops session_ops;

struct bus_peer_session *bus_session_find(struct dsoftbusd *d, const char *device)
{
	for (struct bus_peer_session *ps = d->sessions; ps; ps = ps->next)
		if (bus_session_established(ps->s) &&
		        strcmp(bus_session_device(ps->s), device) == 0)
			return ps;
	return NULL;
}

static struct bus_peer_session *peer_session_new(struct dsoftbusd *d)
{
	struct bus_peer_session *ps = calloc(1, sizeof(*ps));

	if (ps)
		ps->d = d;
	return ps;
}

static void peer_session_link(struct dsoftbusd *d, struct bus_peer_session *ps)
{
	ps->next = d->sessions;
	d->sessions = ps;
}

/* ---- Streams ---------------------------------------------------------------------------- */

struct bus_stream *bus_stream_new(struct bus_peer_session *ps, uint32_t stream)
{
	struct bus_stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->d = ps->d;
	st->ps = ps;
	st->stream = stream;
	st->next = ps->d->streams;
	ps->d->streams = st;
	return st;
}

void bus_stream_free(struct bus_stream *st)
{
	struct bus_stream **pp = &st->d->streams;

	while (*pp && *pp != st)
		pp = &(*pp)->next;
	if (*pp)
		*pp = st->next;
	/* Nothing refers to it any more: busmux must forget it too (-ENOENT if it did). */
	(void)busmux_reset(bus_session_mux(st->ps->s), st->stream, "canceled: the channel closed");
	bus_session_kick(st->ps->s);
	bus_relay_free(st->relay);
	bus_remote_free(st->remote);
	if (st->open_call)
		bus_waiter_done(st->open_call, NULL, -ECONNRESET, "the session ended");
	free(st);
}

void bus_stream_relay_gone(void *userdata, struct bus_relay *r, const char *why)
{
	bus_stream_free(userdata);
}

/* ---- Pairing ---------------------------------------------------------------------------- */

int bus_pairing_begin(struct dsoftbusd *d, struct bus_peer_session *ps)
{
	return buspair_pending_begin(d->pending, bus_session_device(ps->s), bus_session_sas(ps->s),
	        bus_session_handle(ps->s), nx_clock_monotonic_ns());
}

static int pin(struct dsoftbusd *d, struct bus_peer_session *ps)
{
	struct buspair_peer p = {.paired_ns = nx_clock_realtime_ns()};
	int r;

	snprintf(p.device, sizeof(p.device), "%s", bus_session_device(ps->s));
	memcpy(p.device_pub, bus_session_device_pub(ps->s), sizeof(p.device_pub));
	memcpy(p.static_pub, bus_session_static_pub(ps->s), sizeof(p.static_pub));
	r = buspair_pin(d->pins, &p);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "pairing", "cannot pin %s: %s", p.device, strerror(-r));
		return r;
	}
	ps->paired = true;
	nx_log(NX_LOG_INFO, "pairing", "paired with %s", p.device);
	return 0;
}

int bus_pairing_confirm(struct dsoftbusd *d, const char *device, bool local, bool *ret_complete)
{
	struct bus_peer_session *ps = bus_session_find(d, device);
	bool complete = false;
	int r;

	if (!ps)
		return -ENOTCONN;
	r = buspair_pending_confirm(d->pending, device, local, nx_clock_monotonic_ns(), &complete);
	if (r >= 0 && complete)
		r = pin(d, ps);
	if (r >= 0)
		*ret_complete = complete;
	return r;
}

/* The peer's operator asked to pair (which is its confirmation) or confirmed. */
static int pair_frame(struct bus_peer_session *ps, enum busmux_event_type type)
{
	struct dsoftbusd *d = ps->d;
	const char *dev = bus_session_device(ps->s);
	struct buspair_request req;
	bool complete;
	int r;

	if (buspair_pending_get(d->pending, dev, nx_clock_monotonic_ns(), &req) == -ENOENT) {
		if (type != BUSMUX_EV_PAIR_REQUEST)
			return 0; /* a confirmation of nothing we know: it expired */
		r = bus_pairing_begin(d, ps);
		if (r < 0) {
			(void)busmux_send_pair(bus_session_mux(ps->s), BUSMUX_PAIR_REJECT,
			        "limit_exceeded: too many pairings under way");
			bus_session_kick(ps->s);
			return 0;
		}
		nx_log(NX_LOG_NOTICE, "pairing",
		        "%s asks to pair; code %s: confirm with `nx bus accept %s`", dev,
		        bus_session_sas(ps->s), dev);
	}
	r = bus_pairing_confirm(d, dev, false, &complete);
	if (r < 0 && r != -ENOENT)
		return r;
	return 0;
}

/* ---- Reconnecting ----------------------------------------------------------------------- */

static int dial(struct dsoftbusd *d, const char *device, const char *address);
static struct bus_peer_session *dialling(struct dsoftbusd *d, const char *device);

static struct bus_redial *redial_find(struct dsoftbusd *d, const char *device)
{
	for (unsigned i = 0; i < BUS_PEERS_MAX; i++)
		if (d->redials[i].device[0] && strcmp(d->redials[i].device, device) == 0)
			return &d->redials[i];
	return NULL;
}

static void redial_stop(struct bus_redial *rd)
{
	nx_source_free(rd->timer);
	*rd = (struct bus_redial){0};
}

static void redial_arm(struct bus_redial *rd);

static void on_redial(nx_source *src, void *userdata)
{
	struct bus_redial *rd = userdata;
	int r;

	rd->timer = nx_source_free(rd->timer);
	if (dialling(rd->d, rd->device))
		return; /* an open dials already: its outcome decides */
	r = dial(rd->d, rd->device, NULL);
	if (r == -ENOENT) {
		nx_log(NX_LOG_WARN, "session", "cannot reconnect to %s: nowhere known to reach it",
		        rd->device);
		redial_stop(rd);
	} else if (r < 0) {
		redial_arm(rd);
	}
}

/* Waits the next backoff step, then dials again. */
static void redial_arm(struct bus_redial *rd)
{
	uint64_t delay = sup_backoff_next(&rd->backoff);
	int r = nx_loop_add_timer(
	        rd->d->loop, nx_clock_monotonic_ns() + delay, on_redial, rd, &rd->timer);

	if (r < 0) {
		nx_log(NX_LOG_ERROR, "session", "cannot reconnect to %s: %s", rd->device,
		        strerror(-r));
		redial_stop(rd);
	}
}

/* The session with a paired device ended by no one's choice (peer restart, link cut, a
 * broken record): dial it again, if this side dials (it initiated the session, or has the
 * smaller id: the session that stays when two cross). */
static void redial_begin(struct dsoftbusd *d, struct bus_peer_session *ps, int error)
{
	const char *dev = bus_session_device(ps->s);
	struct bus_redial *rd = NULL;

	if (!ps->paired || error == -EALREADY || error == -ECONNABORTED || error == -EKEYREJECTED ||
	        (!bus_session_initiator(ps->s) && strcmp(d->id.device_id, dev) > 0) ||
	        redial_find(d, dev))
		return;
	for (unsigned i = 0; !rd && i < BUS_PEERS_MAX; i++)
		if (!d->redials[i].device[0])
			rd = &d->redials[i];
	if (!rd)
		return; /* BUS_PEERS_MAX devices reconnecting already */
	rd->d = d;
	snprintf(rd->device, sizeof(rd->device), "%s", dev);
	redial_arm(rd);
}

/* ---- Session callbacks ------------------------------------------------------------------ */

/* The device id of whoever initiated ps. */
static const char *initiator_of(struct dsoftbusd *d, struct bus_peer_session *ps)
{
	return bus_session_initiator(ps->s) ? d->id.device_id : bus_session_device(ps->s);
}

static struct bus_known *known_find(struct dsoftbusd *d, const char *device)
{
	for (unsigned i = 0; i < d->n_known; i++)
		if (strcmp(d->known[i].device, device) == 0)
			return &d->known[i];
	return NULL;
}

static void remember_address(struct dsoftbusd *d, struct bus_peer_session *ps)
{
	struct bus_known k = {.at.reached_ms = bus_disc_now_ms()}, *slot;

	if (!bus_session_initiator(ps->s) ||
	        nx_ipv4_parse(bus_session_address(ps->s), &k.at.addr, &k.at.port) < 0)
		return;
	snprintf(k.device, sizeof(k.device), "%s", bus_session_device(ps->s));
	slot = known_find(d, k.device);
	if (!slot && d->n_known < BUS_PEERS_MAX)
		slot = &d->known[d->n_known++];
	if (slot)
		*slot = k;
}

/* A dial to where device was last reached failed: any announcement of it is preferred from
 * now on (the device may have restarted on another port); without one, the address stays the
 * only lead. */
static void forget_reached(struct dsoftbusd *d, const char *device)
{
	struct bus_known *k = known_find(d, device);

	if (k)
		k->at.reached_ms = 0;
}

static void session_end(struct bus_peer_session *ps, int error, const char *why);

static int on_established(void *userdata, struct bus_session *s)
{
	struct bus_peer_session *ps = userdata, *old;
	struct dsoftbusd *d = ps->d;
	const char *dev = bus_session_device(s);
	struct bus_redial *rd;
	int r;

	r = buspair_check(d->pins, dev, bus_session_device_pub(s), bus_session_static_pub(s));
	if (r == -EKEYREJECTED) {
		d->counters.pin_mismatches++;
		nx_log(NX_LOG_ERROR, "pairing",
		        "refused %s at %s: its keys differ from the pinned ones (unpair it to pair "
		        "again)",
		        dev, bus_session_address(s));
		return r;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	ps->paired = r == 0;
	d->counters.handshakes_ok++;
	if (ps->counted) {
		ps->counted = false;
		d->handshaking--;
	}
	/* Two sessions with one device: keep the one its smaller-id side initiated; a second
	 * from the same initiator replaces the first (the peer restarted). */
	for (old = d->sessions; old; old = old->next)
		if (old != ps && bus_session_established(old->s) &&
		        strcmp(bus_session_device(old->s), dev) == 0)
			break;
	if (old) {
		bool keep_new = strcmp(initiator_of(d, old), initiator_of(d, ps)) == 0 ||
		                strcmp(initiator_of(d, ps), initiator_of(d, old)) < 0;
		if (!keep_new)
			return -EALREADY;
		session_end(old, -EALREADY, "replaced by a newer session");
	}
	remember_address(d, ps);
	rd = redial_find(d, dev);
	if (rd) {
		d->counters.reconnects++;
		redial_stop(rd);
	}
	nx_log(NX_LOG_INFO, "session", "session with %s%s at %s", dev,
	        ps->paired ? "" : " (not paired)", bus_session_address(s));
	for (struct bus_waiter **pp = &d->waiters; *pp;) {
		struct bus_waiter *w = *pp;
		if (strcmp(w->device, dev) != 0) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		bus_waiter_done(w, ps, 0, NULL);
	}
	return 0;
}

static int on_open(struct bus_peer_session *ps, const struct busmux_event *ev)
{
	struct dsoftbusd *d = ps->d;
	busmux *m = bus_session_mux(ps->s);
	char reason[2 * BUSMUX_REASON_MAX] = "";
	struct bus_stream *st;

	if (!ps->paired)
		snprintf(reason, sizeof(reason), "denied: device %s is not paired with %s",
		        bus_session_device(ps->s), d->id.device_id);
	else if (!bus_exported(d, ev->u.open.service))
		snprintf(reason, sizeof(reason), "not_found: %s is not exported by %s",
		        ev->u.open.service, d->id.device_id);
	st = reason[0] ? NULL : bus_stream_new(ps, ev->stream);
	if (!reason[0] &&
	        (!st || bus_remote_open(st, ev->u.open.service, ev->u.open.subject) < 0)) {
		if (st)
			bus_stream_free(st);
		snprintf(reason, sizeof(reason), "unavailable: %s cannot reach %s now",
		        d->id.device_id, ev->u.open.service);
	}
	if (reason[0]) {
		reason[BUSMUX_REASON_MAX] = '\0'; /* what a frame carries */
		d->counters.opens_refused++;
		(void)busmux_refuse(m, ev->stream, reason);
		bus_session_kick(ps->s);
	}
	return 0;
}

static int on_event(void *userdata, struct bus_session *s, const struct busmux_event *ev)
{
	struct bus_peer_session *ps = userdata;
	struct bus_stream *st = ev->stream_data;

	switch (ev->type) {
	case BUSMUX_EV_OPEN:
		return on_open(ps, ev);
	case BUSMUX_EV_OPENED:
		if (st)
			bus_stream_answered(st, NULL);
		return 0;
	case BUSMUX_EV_REFUSED:
		if (st)
			bus_stream_answered(st, ev->u.reason);
		return 0;
	case BUSMUX_EV_PAIR_REQUEST:
	case BUSMUX_EV_PAIR_CONFIRM:
		return pair_frame(ps, ev->type);
	case BUSMUX_EV_PAIR_REJECT:
		if (buspair_pending_cancel(ps->d->pending, bus_session_device(s)) == 0)
			nx_log(NX_LOG_NOTICE, "pairing", "%s rejected pairing: %s",
			        bus_session_device(s), ev->u.reason);
		return 0;
	default:
		break;
	}
	if (!st)
		return 0;
	if (st->relay)
		return bus_relay_event(st->relay, ev);
	if (ev->type == BUSMUX_EV_RESET)
		bus_stream_free(st); /* reset while the service was being reached */
	return 0;
}

static void on_drained(void *userdata, struct bus_session *s)
{
	struct bus_peer_session *ps = userdata;

	for (struct bus_stream *st = ps->d->streams, *next; st; st = next) {
		next = st->next;
		if (st->ps == ps && st->relay)
			bus_relay_drained(st->relay);
	}
}

static void count_end(struct dsoftbusd *d, struct bus_peer_session *ps, int error)
{
	struct busmux_stats stats;
	busmux *m = bus_session_mux(ps->s);

	if (m) {
		busmux_stats(m, &stats);
		d->counters.bytes_in += stats.bytes_in;
		d->counters.bytes_out += stats.bytes_out;
		d->counters.rekeys += stats.rekeys_in + stats.rekeys_out;
	}
	if (!bus_session_established(ps->s))
		d->counters.handshakes_failed++;
	else if (error == BUS_SESSION_EDECRYPT)
		d->counters.records_rejected++;
	else if (error != -ECONNRESET && error != -EKEYREJECTED && error != -EALREADY &&
	         error != -ECONNABORTED)
		d->counters.sessions_killed++;
}

static void session_end(struct bus_peer_session *ps, int error, const char *why)
{
	struct dsoftbusd *d = ps->d;
	bool established = bus_session_established(ps->s);
	const char *dev = established ? bus_session_device(ps->s) : bus_session_address(ps->s);

	count_end(d, ps, error);
	nx_log(established ? NX_LOG_INFO : NX_LOG_WARN, "session", "session with %s ended: %s", dev,
	        why);
	for (struct bus_stream *st = d->streams, *next; st; st = next) {
		next = st->next;
		if (st->ps == ps)
			bus_stream_free(st);
	}
	if (established)
		redial_begin(d, ps, error);
	if (!established && bus_session_initiator(ps->s)) {
		struct bus_redial *rd = redial_find(d, ps->dialled);

		if (rd && !rd->timer)
			redial_arm(rd); /* a reconnect's dial failed: the next step */
		forget_reached(d, ps->dialled);
		/* Everyone waiting for the device this dial was for. */
		for (struct bus_waiter **pp = &d->waiters; *pp;) {
			struct bus_waiter *w = *pp;
			if (strcmp(w->device, ps->dialled) != 0) {
				pp = &w->next;
				continue;
			}
			*pp = w->next;
			bus_waiter_done(w, NULL, error, why);
		}
	}
	(void)buspair_pending_drop_session(d->pending, bus_session_handle(ps->s));
	if (ps->counted)
		d->handshaking--;
	for (struct bus_peer_session **pp = &d->sessions; *pp; pp = &(*pp)->next)
		if (*pp == ps) {
			*pp = ps->next;
			break;
		}
	bus_session_free(ps->s);
	free(ps);
}

static void on_closed(void *userdata, struct bus_session *s, int error, const char *why)
{
	session_end(userdata, error, why);
}

static const struct bus_session_ops session_ops = {
        .established = on_established,
        .event = on_event,
        .drained = on_drained,
        .closed = on_closed,
};

/* ---- Accepting and dialling ------------------------------------------------------------- */

static void on_accept(nx_source *src, int fd, uint32_t events, void *userdata)
{
	struct dsoftbusd *d = userdata;
	struct bus_peer_session *ps;
	uint32_t addr;
	int cfd, r;

	while (nx_tcp_accept(d->listen_fd, &cfd, &addr, NULL) >= 0) {
		if (d->handshaking >= BUS_HANDSHAKING_MAX) {
			d->counters.handshakes_failed++;
			nx_fd_close(cfd);
			continue;
		}
		ps = peer_session_new(d);
		r = ps ? bus_session_accept(d->loop, &d->id, cfd, addr, &session_ops, ps, &ps->s)
		       : (nx_fd_close(cfd), -ENOMEM);
		if (r < 0) {
			free(ps);
			continue;
		}
		ps->counted = true;
		d->handshaking++;
		peer_session_link(d, ps);
	}
}

int bus_sessions_listen(struct dsoftbusd *d, uint16_t port)
{
	int r = nx_tcp_listen(0, port, &d->listen_fd, &d->port);

	if (r < 0)
		return r;
	return nx_loop_add_fd(d->loop, d->listen_fd, NX_EV_IN, on_accept, d, &d->listen_src);
}

/* Where device can be reached: addr:port given, else its newest announcement or where it was
 * last dialled, whichever is fresher. 0 or -ENOENT. */
static int address_of(struct dsoftbusd *d, const char *device, const char *address,
        uint32_t *ret_addr, uint16_t *ret_port)
{
	const struct busdisc_peer *p;
	const struct bus_known *k;

	if (address && address[0])
		return nx_ipv4_parse(address, ret_addr, ret_port);
	k = known_find(d, device);
	p = d->disc ? busdisc_peers_find(bus_disc_peers(d->disc), device) : NULL;
	return busdisc_dial_address(p, k ? &k->at : NULL, ret_addr, ret_port);
}

/* The session being dialled to device (not established yet), or NULL. */
static struct bus_peer_session *dialling(struct dsoftbusd *d, const char *device)
{
	for (struct bus_peer_session *ps = d->sessions; ps; ps = ps->next)
		if (!bus_session_established(ps->s) && strcmp(ps->dialled, device) == 0)
			return ps;
	return NULL;
}

/* Dials device at address, or address_of's choice. 0, -ENOENT, -EINVAL, or the dial's
 * error. */
static int dial(struct dsoftbusd *d, const char *device, const char *address)
{
	struct bus_peer_session *ps;
	uint32_t addr;
	uint16_t port;
	int r;

	r = address_of(d, device, address, &addr, &port);
	if (r < 0)
		return r == -EINVAL ? r : -ENOENT;
	ps = peer_session_new(d);
	if (!ps)
		return -ENOMEM;
	r = bus_session_dial(d->loop, &d->id, addr, port, device, &session_ops, ps, &ps->s);
	if (r < 0) {
		free(ps);
		return r;
	}
	snprintf(ps->dialled, sizeof(ps->dialled), "%s", device);
	peer_session_link(d, ps);
	return 0;
}

int bus_session_reach(
        struct dsoftbusd *d, const char *device, const char *address, struct bus_waiter *w)
{
	int r;

	if (!dialling(d, device)) {
		r = dial(d, device, address);
		if (r < 0)
			return r;
	}
	w->next = d->waiters;
	d->waiters = w;
	return 0;
}

void bus_session_drop(struct dsoftbusd *d, const char *device)
{
	struct bus_peer_session *ps = bus_session_find(d, device);
	struct bus_redial *rd = redial_find(d, device);

	if (rd)
		redial_stop(rd);

	if (ps)
		session_end(ps, -ECONNABORTED, "unpaired");
}

void bus_sessions_free(struct dsoftbusd *d)
{
	for (struct bus_peer_session *ps = d->sessions, *next; ps; ps = next) {
		next = ps->next; /* session_end frees ps alone */
		session_end(ps, -ECONNABORTED, "dsoftbusd stops");
	}
	while (d->waiters) {
		struct bus_waiter *w = d->waiters;
		d->waiters = w->next;
		bus_waiter_done(w, NULL, -ECONNABORTED, "dsoftbusd stops");
	}
	for (unsigned i = 0; i < BUS_PEERS_MAX; i++)
		if (d->redials[i].device[0])
			redial_stop(&d->redials[i]);
	d->listen_src = nx_source_free(d->listen_src);
	d->listen_fd = nx_fd_close(d->listen_fd);
}
