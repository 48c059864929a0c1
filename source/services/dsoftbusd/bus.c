/* SPDX-License-Identifier: MIT */
/* dsoftbusd's Bus interface (bus.capnp): peers, status, pairing, remote channels, exports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busdisc/peers.h"
#include "discovery.h"
#include "dsoftbusd.h"
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "registry/registry.h"

/* The exported services, one name a line, in the state dir. */
#define EXPORTS_FILE "exports"
#define EXPORTS_TMP  "exports.new"

/* The longest capability asked: "bus.export." or "bus.open." and a name or device id. */
#define CAP_SIZE (sizeof("bus.export.") + BUSMUX_SERVICE_MAX)

static const struct nexus_endpoint_server endpoint_vt;

static void copy_text(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* check() answered the call with a denial (apart from NX_RPC_ASYNC, which is 1). */
#define DENIED_ANSWERED 2

/* Asks policyd whether the caller holds cap: 0 (allowed), NX_RPC_ASYNC (the handler runs
 * again once policyd answered), or DENIED_ANSWERED. */
static int check(struct dsoftbusd *d, nx_rpc_incoming *in, const char *cap)
{
	bool allowed;
	int r = nx_svc_allowed(d->svc, in, cap, &allowed);

	if (r != 0)
		return r;
	if (allowed)
		return 0;
	nx_rpc_incoming_failf(in, -EPERM, "%s lacks %s", nx_svc_subject(d->svc, in), cap);
	return DENIED_ANSWERED;
}

static int fail_device(nx_rpc_incoming *in)
{
	return nx_rpc_incoming_failf(
	        in, -EINVAL, "device: not %u lowercase hex digits", BUS_DEVICE_ID_LEN);
}

/* ---- Exports ---------------------------------------------------------------------------- */

bool bus_exported(const struct dsoftbusd *d, const char *service)
{
	for (unsigned i = 0; i < d->n_exports; i++)
		if (strcmp(d->exports[i], service) == 0)
			return true;
	return false;
}

void bus_exports_list(const struct dsoftbusd *d, char sep, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_exports && off < cap; i++)
		off += (size_t)snprintf(
		        buf + off, cap - off, "%s%s", i ? (char[]){sep, 0} : "", d->exports[i]);
}

static int exports_save(struct dsoftbusd *d)
{
	char buf[BUS_EXPORTS_MAX * (BUSMUX_SERVICE_MAX + 1) + 2];
	int r;

	bus_exports_list(d, '\n', buf, sizeof(buf));
	(void)nx_remove_at(d->state_dirfd, EXPORTS_TMP, false); /* a crash's leftover */
	r = nx_file_create_atomic(d->state_dirfd, EXPORTS_TMP, buf, strlen(buf), 0600);
	if (r >= 0)
		r = nx_rename_at(d->state_dirfd, EXPORTS_TMP, d->state_dirfd, EXPORTS_FILE, false);
	return r;
}

static void exports_announce(struct dsoftbusd *d)
{
	char list[BUS_EXPORTS_MAX * (BUSMUX_SERVICE_MAX + 1) + 2];

	bus_exports_list(d, ',', list, sizeof(list));
	if (d->disc)
		(void)bus_disc_set_services(d->disc, list);
}

int bus_exports_load(struct dsoftbusd *d)
{
	void *buf = NULL;
	size_t len;
	char *line, *save = NULL;
	int r;

	r = nx_file_read_beneath(d->state_dirfd, EXPORTS_FILE,
	        BUS_EXPORTS_MAX * (BUSMUX_SERVICE_MAX + 1), &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (reg_name_check(line) == 0 && !bus_exported(d, line) &&
		        d->n_exports < BUS_EXPORTS_MAX)
			snprintf(d->exports[d->n_exports++], sizeof(d->exports[0]), "%s", line);
	free(buf);
	return 0;
}

static int serve_export(void *impl, nx_rpc_incoming *in, bus_export_params params)
{
	struct dsoftbusd *d = impl;
	char service[BUSMUX_SERVICE_MAX + 1], cap[CAP_SIZE];
	bool on = bus_export_params_get_on(params);
	const char *text;
	size_t len;
	unsigned i;
	int r;

	(void)bus_export_params_get_service(params, &text, &len); /* validated already */
	copy_text(service, text, len);
	if (reg_name_check(service) == -EINVAL)
		return nx_rpc_incoming_failf(in, -EINVAL, "service: not a service name");
	snprintf(cap, sizeof(cap), "bus.export.%s", service);
	r = check(d, in, cap);
	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	for (i = 0; i < d->n_exports && strcmp(d->exports[i], service) != 0; i++)
		;
	if (on && i == d->n_exports) {
		if (d->n_exports == BUS_EXPORTS_MAX)
			return nx_rpc_incoming_failf(
			        in, -EDQUOT, "%u services are exported already", BUS_EXPORTS_MAX);
		snprintf(d->exports[d->n_exports++], sizeof(d->exports[0]), "%s", service);
	} else if (!on && i < d->n_exports) {
		memmove(&d->exports[i], &d->exports[i + 1],
		        (d->n_exports - i - 1) * sizeof(d->exports[0]));
		d->n_exports--;
	} else {
		return bus_export_return(in); /* nothing changes */
	}
	r = exports_save(d);
	if (r < 0)
		nx_log(NX_LOG_ERROR, "exports", "cannot keep the exports: %s", strerror(-r));
	exports_announce(d);
	nx_log(NX_LOG_INFO, "exports", "%s %s", on ? "exported" : "no longer exported", service);
	return bus_export_return(in);
}

/* ---- Peers and status ------------------------------------------------------------------- */

struct peer_row {
	uint64_t last_seen_ms;
	const char *services; /* borrowed from the discovery table, "" if none */
	uint32_t streams;
	bool paired, connected;
	char device[BUSPAIR_ID_LEN + 1];
	char address[BUS_ADDRESS_MAX_LEN + 1];
};

static struct peer_row *row_for(struct peer_row *rows, size_t *n, const char *device)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(rows[i].device, device) == 0)
			return &rows[i];
	if (*n == BUS_PEERS_MAX)
		return NULL;
	memset(&rows[*n], 0, sizeof(rows[0]));
	snprintf(rows[*n].device, sizeof(rows[0].device), "%s", device);
	rows[*n].services = "";
	return &rows[(*n)++];
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct peer_row *)a)->device, ((const struct peer_row *)b)->device);
}

/* Every device discovered, paired or in session, sorted by id. */
static size_t collect_peers(struct dsoftbusd *d, struct peer_row *rows)
{
	struct buspair_peer pins[BUS_PEERS_MAX];
	uint64_t now_ms = nx_clock_monotonic_ns() / 1000000u;
	struct peer_row *row;
	size_t n = 0, npins = 0;

	if (d->disc) {
		const busdisc_peers *t = bus_disc_peers(d->disc);
		for (size_t i = 0; i < busdisc_peers_count(t); i++) {
			const struct busdisc_peer *p = busdisc_peers_at(t, i);
			if (!(row = row_for(rows, &n, p->announce.id)))
				break;
			nx_ipv4_format(p->addr, p->announce.port, row->address);
			row->services = p->announce.services;
			row->last_seen_ms = now_ms - p->last_seen_ms;
		}
	}
	(void)buspair_list(d->pins, pins, BUS_PEERS_MAX, &npins);
	for (size_t i = 0; i < npins; i++)
		if ((row = row_for(rows, &n, pins[i].device)))
			row->paired = true;
	for (struct bus_peer_session *ps = d->sessions; ps; ps = ps->next) {
		if (!bus_session_established(ps->s) ||
		        !(row = row_for(rows, &n, bus_session_device(ps->s))))
			continue;
		row->connected = true;
		if (!row->address[0])
			snprintf(row->address, sizeof(row->address), "%s",
			        bus_session_address(ps->s));
		struct busmux_stats st;
		busmux_stats(bus_session_mux(ps->s), &st);
		row->streams = st.streams;
	}
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	return n;
}

/* The services of a comma separated list into a List(Text). */
static int set_services(bus_peer_b b, const char *list)
{
	char copy[BUSDISC_SERVICES_TEXT_MAX + 1], *tok, *save = NULL;
	nx_capnp_blist l;
	uint32_t n = 0, i = 0;
	int r;

	snprintf(copy, sizeof(copy), "%s", list);
	for (const char *p = copy; *p; p++)
		n += *p == ',';
	n = copy[0] ? n + 1 : 0;
	if (n > BUS_EXPORTS_MAX)
		n = BUS_EXPORTS_MAX;
	r = bus_peer_init_services(b, n, &l);
	for (tok = strtok_r(copy, ",", &save); r >= 0 && tok && i < n;
	        tok = strtok_r(NULL, ",", &save)) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&l, i++);
		r = nx_capnp_bptr_set_text(&p, tok, strlen(tok));
	}
	return r;
}

static int serve_peers(void *impl, nx_rpc_incoming *in, bus_peers_params params)
{
	struct dsoftbusd *d = impl;
	struct peer_row rows[BUS_PEERS_MAX];
	bus_peers_results_b out;
	nx_capnp_blist list;
	size_t n;
	int r = check(d, in, "bus.peers");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	n = collect_peers(d, rows);
	r = bus_peers_results_init(in, &out);
	if (r >= 0)
		r = bus_peers_results_init_peers(out, (uint32_t)n, &list);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		bus_peer_b b = bus_peer_b_at(&list, (uint32_t)i);
		r = bus_peer_set_device(b, rows[i].device, strlen(rows[i].device));
		if (r >= 0)
			r = bus_peer_set_address(b, rows[i].address, strlen(rows[i].address));
		if (r >= 0)
			r = set_services(b, rows[i].services);
		bus_peer_set_last_seen_ms(b, rows[i].last_seen_ms);
		bus_peer_set_paired(b, rows[i].paired);
		bus_peer_set_connected(b, rows[i].connected);
		bus_peer_set_streams(b, rows[i].streams);
	}
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_status(void *impl, nx_rpc_incoming *in, bus_status_params params)
{
	struct dsoftbusd *d = impl;
	struct bus_counters c = d->counters;
	bus_status_results_b out;
	bus_report_b rep;
	nx_capnp_blist list;
	uint32_t sessions = 0;
	uint64_t ignored = 0;
	int r = check(d, in, "bus.peers");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	/* Live sessions' bytes and rekeys on top of those that ended. */
	for (struct bus_peer_session *ps = d->sessions; ps; ps = ps->next) {
		struct busmux_stats st;
		if (!bus_session_established(ps->s))
			continue;
		sessions++;
		busmux_stats(bus_session_mux(ps->s), &st);
		c.bytes_in += st.bytes_in;
		c.bytes_out += st.bytes_out;
		c.rekeys += st.rekeys_in + st.rekeys_out;
	}
	for (int v = BUSDISC_REJECT_MALFORMED; d->disc && v < BUSDISC_VERDICTS; v++)
		ignored += busdisc_peers_counted(bus_disc_peers(d->disc), (enum busdisc_verdict)v);
	r = bus_status_results_init(in, &out);
	if (r >= 0)
		r = bus_status_results_init_report(out, &rep);
	if (r >= 0)
		r = bus_report_set_device(rep, d->id.device_id, strlen(d->id.device_id));
	if (r >= 0)
		r = bus_report_set_noise_static(rep, d->id.noise_static.public_key, NOISE_DHLEN);
	if (r >= 0)
		r = bus_report_init_exported(rep, d->n_exports, &list);
	for (unsigned i = 0; r >= 0 && i < d->n_exports; i++) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&list, i);
		r = nx_capnp_bptr_set_text(&p, d->exports[i], strlen(d->exports[i]));
	}
	if (r >= 0) {
		bus_report_set_port(rep, d->port);
		bus_report_set_sessions(rep, sessions);
		bus_report_set_handshakes_ok(rep, c.handshakes_ok);
		bus_report_set_handshakes_failed(rep, c.handshakes_failed);
		bus_report_set_pin_mismatches(rep, c.pin_mismatches);
		bus_report_set_records_rejected(rep, c.records_rejected);
		bus_report_set_sessions_killed(rep, c.sessions_killed);
		bus_report_set_opens_refused(rep, c.opens_refused);
		bus_report_set_rekeys(rep, c.rekeys);
		bus_report_set_bytes_in(rep, c.bytes_in);
		bus_report_set_bytes_out(rep, c.bytes_out);
		bus_report_set_announcements_ignored(rep, ignored);
		bus_report_set_reconnects(rep, c.reconnects);
	}
	return nx_rpc_incoming_return_built(in, r);
}

/* ---- Waiting for a session -------------------------------------------------------------- */

static struct bus_waiter *waiter_new(struct dsoftbusd *d, nx_rpc_incoming *in, const char *device)
{
	struct bus_waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->d = d;
	w->in = in;
	snprintf(w->device, sizeof(w->device), "%s", device);
	return w;
}

/* Starts a pairing on ps and answers with its code. */
static int pair_on(struct dsoftbusd *d, struct bus_peer_session *ps, nx_rpc_incoming *in)
{
	int r = bus_pairing_begin(d, ps);

	if (r == -EBUSY)
		return nx_rpc_incoming_failf(
		        in, -EDQUOT, "%u pairings are under way already", BUS_PENDING_MAX);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "cannot start the pairing");
	nx_log(NX_LOG_NOTICE, "pairing", "pairing with %s; code %s", bus_session_device(ps->s),
	        bus_session_sas(ps->s));
	return bus_pair_return(in, bus_session_sas(ps->s));
}

/* Opens a stream on ps for w (taken: kept until OPEN_OK or the refusal): NX_RPC_ASYNC, or 0
 * when w->in was answered at once (no stream could be opened). */
static int open_on(struct bus_peer_session *ps, struct bus_waiter *w)
{
	struct bus_stream *st = bus_stream_new(ps, 0);
	int r = st ? busmux_open(bus_session_mux(ps->s), w->service, w->subject, st, &st->stream)
	           : -ENOMEM;

	if (r < 0) {
		if (st)
			bus_stream_free(st);
		nx_rpc_incoming_failf(w->in, r == -EMFILE ? -EDQUOT : r,
		        "cannot open a stream to %s on %s", w->service, w->device);
		free(w);
		return 0;
	}
	st->open_call = w;
	bus_session_kick(ps->s);
	return NX_RPC_ASYNC;
}

void bus_waiter_done(struct bus_waiter *w, struct bus_peer_session *ps, int error, const char *why)
{
	if (!ps) {
		nx_rpc_incoming_failf(w->in, -EAGAIN, "cannot reach %s: %s", w->device, why);
		free(w);
	} else if (w->service[0]) {
		(void)open_on(ps, w);
	} else {
		pair_on(w->d, ps, w->in);
		free(w);
	}
}

void bus_stream_answered(struct bus_stream *st, const char *reason)
{
	struct bus_waiter *w = st->open_call;
	struct nexus_endpoint *ep = NULL;
	int fds[2], r;

	st->open_call = NULL;
	if (!w)
		return;
	if (reason) {
		int err = nx_rpc_errno_from_exception(NX_RPC_EXC_FAILED, reason, strlen(reason));
		nx_rpc_incoming_fail(w->in, nx_rpc_exc_type_for_errno(err), reason);
		free(w);
		bus_stream_free(st);
		return;
	}
	r = nx_chan_pair(fds);
	if (r >= 0)
		r = nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, fds[1], &ep);
	else
		fds[0] = -1;
	if (r >= 0)
		r = bus_relay_new(st->d->loop, fds[0], st->ps->s, st->stream, bus_stream_relay_gone,
		        st, &st->relay);
	if (r < 0) {
		nx_rpc_cap_unref(nexus_endpoint_cap(ep));
		nx_rpc_incoming_failf(w->in, r, "cannot relay the stream");
		(void)busmux_reset(bus_session_mux(st->ps->s), st->stream, "internal: no relay");
		bus_session_kick(st->ps->s);
		free(w);
		bus_stream_free(st);
		return;
	}
	(void)bus_open_return(w->in, ep);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	free(w);
}

/* ---- Pairing ---------------------------------------------------------------------------- */

static int serve_pair(void *impl, nx_rpc_incoming *in, bus_pair_params params)
{
	struct dsoftbusd *d = impl;
	char device[BUS_DEVICE_ID_LEN + 1], address[BUS_ADDRESS_MAX_LEN + 1];
	struct buspair_peer pin;
	struct bus_peer_session *ps;
	struct bus_waiter *w;
	const char *text;
	size_t len;
	int r = check(d, in, "bus.pair");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	(void)bus_pair_params_get_device(params, &text, &len);
	copy_text(device, text, len);
	(void)bus_pair_params_get_address(params, &text, &len);
	copy_text(address, text, len);
	if (buspair_id_check(device) < 0)
		return fail_device(in);
	if (strcmp(device, d->id.device_id) == 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "device: that is this device");
	if (buspair_lookup(d->pins, device, &pin) == 0)
		return nx_rpc_incoming_failf(
		        in, -EEXIST, "%s is paired already (unpair it first)", device);
	ps = bus_session_find(d, device);
	if (ps)
		return pair_on(d, ps, in);
	w = waiter_new(d, in, device);
	if (!w)
		return -ENOMEM;
	r = bus_session_reach(d, device, address, w);
	if (r < 0)
		free(w);
	if (r == -EINVAL)
		return nx_rpc_incoming_failf(in, r, "address: not a.b.c.d:port");
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(
		        in, r, "%s was not discovered: give its address", device);
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, -EAGAIN, "cannot reach %s: %s", device, strerror(-r));
	return NX_RPC_ASYNC;
}

static int serve_pending(void *impl, nx_rpc_incoming *in, bus_pending_params params)
{
	struct dsoftbusd *d = impl;
	struct buspair_request reqs[BUS_PENDING_MAX];
	bus_pending_results_b out;
	nx_capnp_blist list;
	size_t n;
	int r = check(d, in, "bus.pair");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	n = buspair_pending_list(d->pending, nx_clock_monotonic_ns(), reqs, BUS_PENDING_MAX);
	r = bus_pending_results_init(in, &out);
	if (r >= 0)
		r = bus_pending_results_init_pending(out, (uint32_t)n, &list);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		bus_pending_pairing_b b = bus_pending_pairing_b_at(&list, (uint32_t)i);
		r = bus_pending_pairing_set_device(b, reqs[i].device, strlen(reqs[i].device));
		if (r >= 0)
			r = bus_pending_pairing_set_sas(b, reqs[i].sas, strlen(reqs[i].sas));
		bus_pending_pairing_set_confirmed_here(b, reqs[i].local_confirmed);
		bus_pending_pairing_set_confirmed_there(b, reqs[i].remote_confirmed);
	}
	return nx_rpc_incoming_return_built(in, r);
}

/* Tells the peer (if there is a session) a pairing frame. */
static void send_pair(
        struct dsoftbusd *d, const char *device, enum busmux_type type, const char *reason)
{
	struct bus_peer_session *ps = bus_session_find(d, device);

	if (!ps)
		return;
	(void)busmux_send_pair(bus_session_mux(ps->s), type, reason);
	bus_session_kick(ps->s);
}

static int serve_accept(void *impl, nx_rpc_incoming *in, bus_accept_params params)
{
	struct dsoftbusd *d = impl;
	char device[BUS_DEVICE_ID_LEN + 1], sas[BUS_SAS_LEN + 1];
	struct buspair_request req;
	const char *text;
	bool complete;
	size_t len;
	int r = check(d, in, "bus.pair");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	(void)bus_accept_params_get_device(params, &text, &len);
	copy_text(device, text, len);
	(void)bus_accept_params_get_sas(params, &text, &len);
	copy_text(sas, text, len);
	if (buspair_id_check(device) < 0)
		return fail_device(in);
	if (sas[0] && buspair_sas_check(sas) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "sas: not %u digits", BUS_SAS_LEN);
	if (buspair_pending_get(d->pending, device, nx_clock_monotonic_ns(), &req) < 0)
		return nx_rpc_incoming_failf(
		        in, -ENOENT, "no pairing with %s is under way", device);
	if (sas[0] && strcmp(sas, req.sas) != 0) {
		(void)buspair_pending_cancel(d->pending, device);
		send_pair(d, device, BUSMUX_PAIR_REJECT, "integrity: the codes differ");
		nx_log(NX_LOG_WARN, "pairing", "pairing with %s dropped: the codes differ", device);
		return nx_rpc_incoming_failf(in, -EBADMSG,
		        "sas: %s is not this pairing's code: the pairing is dropped (someone may "
		        "sit between the devices)",
		        sas);
	}
	r = bus_pairing_confirm(d, device, true, &complete);
	if (r == -ENOTCONN)
		return nx_rpc_incoming_failf(in, -EAGAIN, "the session with %s ended", device);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "cannot confirm the pairing with %s", device);
	/* Our confirmation: a request when the peer has not confirmed yet, else the answer. */
	send_pair(d, device, complete ? BUSMUX_PAIR_CONFIRM : BUSMUX_PAIR_REQUEST, NULL);
	return bus_accept_return(in);
}

static int serve_reject(void *impl, nx_rpc_incoming *in, bus_reject_params params)
{
	struct dsoftbusd *d = impl;
	char device[BUS_DEVICE_ID_LEN + 1];
	const char *text;
	size_t len;
	int r = check(d, in, "bus.pair");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	(void)bus_reject_params_get_device(params, &text, &len);
	copy_text(device, text, len);
	if (buspair_id_check(device) < 0)
		return fail_device(in);
	if (buspair_pending_cancel(d->pending, device) < 0)
		return nx_rpc_incoming_failf(
		        in, -ENOENT, "no pairing with %s is under way", device);
	send_pair(d, device, BUSMUX_PAIR_REJECT, "denied: the operator rejected the pairing");
	return bus_reject_return(in);
}

static int serve_unpair(void *impl, nx_rpc_incoming *in, bus_unpair_params params)
{
	struct dsoftbusd *d = impl;
	char device[BUS_DEVICE_ID_LEN + 1];
	const char *text;
	size_t len;
	int r = check(d, in, "bus.pair");

	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	(void)bus_unpair_params_get_device(params, &text, &len);
	copy_text(device, text, len);
	if (buspair_id_check(device) < 0)
		return fail_device(in);
	r = buspair_unpin(d->pins, device);
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(in, r, "%s is not paired", device);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "cannot unpin %s", device);
	nx_log(NX_LOG_INFO, "pairing", "unpaired %s", device);
	bus_session_drop(d, device);
	return bus_unpair_return(in);
}

/* ---- Remote channels -------------------------------------------------------------------- */

static int serve_open(void *impl, nx_rpc_incoming *in, bus_open_params params)
{
	struct dsoftbusd *d = impl;
	char device[BUS_DEVICE_ID_LEN + 1], service[BUSMUX_SERVICE_MAX + 1], cap[CAP_SIZE];
	const char *text, *subject = nx_svc_subject(d->svc, in);
	struct buspair_peer pin;
	struct bus_peer_session *ps;
	struct bus_waiter *w;
	size_t len;
	int r;

	(void)bus_open_params_get_device(params, &text, &len);
	copy_text(device, text, len);
	(void)bus_open_params_get_service(params, &text, &len);
	copy_text(service, text, len);
	if (buspair_id_check(device) < 0)
		return fail_device(in);
	if (reg_name_check(service) == -EINVAL)
		return nx_rpc_incoming_failf(in, -EINVAL, "service: not a service name");
	snprintf(cap, sizeof(cap), "bus.open.%s", device);
	r = check(d, in, cap);
	if (r != 0)
		return r == DENIED_ANSWERED ? 0 : r;
	if (!subject || strlen(subject) > BUSMUX_SUBJECT_MAX)
		return nx_rpc_incoming_failf(in, -EINVAL,
		        "subject: yours is over the %u bytes a remote subject may have",
		        BUSMUX_SUBJECT_MAX);
	if (buspair_lookup(d->pins, device, &pin) < 0)
		return nx_rpc_incoming_failf(
		        in, -EAGAIN, "%s is not paired with this device (nx bus pair)", device);
	w = waiter_new(d, in, device);
	if (!w)
		return -ENOMEM;
	snprintf(w->service, sizeof(w->service), "%s", service);
	snprintf(w->subject, sizeof(w->subject), "%s", subject);
	ps = bus_session_find(d, device);
	if (ps)
		return open_on(ps, w);
	r = bus_session_reach(d, device, NULL, w);
	if (r < 0) {
		free(w);
		return nx_rpc_incoming_failf(in, -EAGAIN, "cannot reach %s: %s", device,
		        r == -ENOENT ? "not discovered, and never reached before" : strerror(-r));
	}
	return NX_RPC_ASYNC;
}

static const struct bus_server bus_vt = {
        .peers = serve_peers,
        .status = serve_status,
        .pair = serve_pair,
        .pending = serve_pending,
        .accept = serve_accept,
        .reject = serve_reject,
        .unpair = serve_unpair,
        .open = serve_open,
        .export_ = serve_export,
};

int dsoftbusd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	return bus_dispatch(&bus_vt, impl, in, iface, method);
}

int dsoftbusd_bus_new(struct dsoftbusd *d, struct bus **ret)
{
	return bus_server_new(&bus_vt, d, NULL, ret);
}
