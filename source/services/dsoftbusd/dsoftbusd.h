/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd: the daemon's state and the parts that share it. main.c starts them in order;
 * sessions.c keeps one session per peer device (accepting, dialling, crossed sessions,
 * pins, pairing); bus.c serves the Bus interface; remote.c answers a paired peer's OPEN by
 * adopting a samgr channel as peer:<device>/<subject> and resolving the service there.
 */
#ifndef DSOFTBUSD_H
#define DSOFTBUSD_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.capnp.h"
#include "busdisc/peers.h"
#include "buspair/pending.h"
#include "buspair/store.h"
#include "identity.h"
#include "relay.h"
#include "session.h"
#include "supervise/supervise.h"
#include "svc.h"

struct bus_disc;

/* The TCP port sessions are accepted on unless $NEXUS_BUS_PORT says otherwise. */
#define BUS_PORT_DEFAULT 7420u

/* Counters status() reports; each refusal under its cause. */
struct bus_counters {
	uint64_t handshakes_ok, handshakes_failed, pin_mismatches, records_rejected;
	uint64_t sessions_killed, opens_refused, rekeys, bytes_in, bytes_out;
	uint64_t reconnects; /* sessions with paired devices back after they dropped */
};

/* A Bus call waiting for a session to a device to be established (pair, open). */
struct bus_waiter {
	struct bus_waiter *next;
	struct dsoftbusd *d;
	nx_rpc_incoming *in;
	char device[BUSPAIR_ID_LEN + 1];
	char service[BUSMUX_SERVICE_MAX + 1]; /* empty: a pairing */
	char subject[BUSMUX_SUBJECT_MAX + 1];
};

/* One session with its list place. */
struct bus_peer_session {
	struct bus_peer_session *next;
	struct dsoftbusd *d;
	struct bus_session *s;
	bool paired;  /* established with a pinned device, keys matching */
	bool counted; /* accepted: counts against BUS_HANDSHAKING_MAX until it ends */
	char dialled[BUSPAIR_ID_LEN + 1]; /* the device we dialled, "" if accepted */
};

/* A relayed stream with its list place. */
struct bus_stream {
	struct bus_stream *next;
	struct dsoftbusd *d;
	struct bus_peer_session *ps;
	uint32_t stream;
	struct bus_relay *relay;      /* NULL until opened */
	struct bus_waiter *open_call; /* a local Bus.open waiting for OPEN_OK */
	struct bus_remote *remote;    /* an incoming OPEN being set up (remote.c) */
};

/* Where a device was last reached (dialled), to reach it again without discovery; a newer
 * announcement wins over it (busdisc_dial_address). */
struct bus_known {
	char device[BUSPAIR_ID_LEN + 1];
	struct busdisc_dialled at;
};

/* A paired device whose session dropped: dialled again with backoff (userspace/supervise)
 * until a session with it is back, it is unpaired, or nowhere is known to reach it. */
struct bus_redial {
	struct dsoftbusd *d;
	char device[BUSPAIR_ID_LEN + 1]; /* empty: a free slot */
	struct sup_backoff backoff;
	nx_source *timer; /* armed while waiting; NULL while its dial is under way */
};

struct dsoftbusd {
	nx_svc *svc;
	nx_loop *loop;
	int state_dirfd;
	struct bus_identity id;
	int listen_fd;
	nx_source *listen_src;
	uint16_t port;
	struct bus_peer_session *sessions;
	struct bus_stream *streams;
	struct bus_waiter *waiters;
	unsigned handshaking;
	buspair_store *pins;
	buspair_pending *pending;
	char exports[BUS_EXPORTS_MAX][BUSMUX_SERVICE_MAX + 1];
	unsigned n_exports;
	struct bus_known known[BUS_PEERS_MAX];
	unsigned n_known;
	struct bus_redial redials[BUS_PEERS_MAX];
	struct bus_disc *disc;       /* NULL when discovery is off */
	struct bus_keysign *keysign; /* signs discovery's announcements */
	struct bus_counters counters;
};

/* sessions.c */
int bus_sessions_listen(struct dsoftbusd *d, uint16_t port);
/* The established session with device, or NULL. */
struct bus_peer_session *bus_session_find(struct dsoftbusd *d, const char *device);
/* Dials device (at addr:port, or where it was last reached or discovered) unless a session
 * is being made already; `w` (taken) is answered once it is established or failed. 0,
 * -ENOENT (nowhere known to reach it), or the dial's error (w not taken then). */
int bus_session_reach(
        struct dsoftbusd *d, const char *device, const char *address, struct bus_waiter *w);
void bus_sessions_free(struct dsoftbusd *d);
/* Pairing steps (bus.c's accept/reject, and the peer's PAIR_* frames). */
int bus_pairing_begin(struct dsoftbusd *d, struct bus_peer_session *ps);
int bus_pairing_confirm(struct dsoftbusd *d, const char *device, bool local, bool *ret_complete);
/* Ends the session with device, if any (unpair). */
void bus_session_drop(struct dsoftbusd *d, const char *device);
/* Frees a stream: its relay or the remote setup, failing a Bus.open still waiting. */
void bus_stream_free(struct bus_stream *st);
/* bus_relay_gone_fn for a stream's relay (userdata: the stream): frees the stream. */
void bus_stream_relay_gone(void *userdata, struct bus_relay *r, const char *why);
struct bus_stream *bus_stream_new(struct bus_peer_session *ps, uint32_t stream);

/* bus.c */
int dsoftbusd_bus_new(struct dsoftbusd *d, struct bus **ret);
int dsoftbusd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method);
/* A session to w->device came up (ps) or failed (ps NULL, error, why): answers w and frees
 * it. */
void bus_waiter_done(struct bus_waiter *w, struct bus_peer_session *ps, int error, const char *why);
/* A stream opened for a local caller: OPEN_OK (reason NULL) or refused. */
void bus_stream_answered(struct bus_stream *st, const char *reason);
bool bus_exported(const struct dsoftbusd *d, const char *service);
/* The exported services separated by sep into buf (cap bytes, NUL-terminated). */
void bus_exports_list(const struct dsoftbusd *d, char sep, char *buf, size_t cap);
int bus_exports_load(struct dsoftbusd *d);

/* remote.c: a paired peer opens `stream` to service for subject. */
int bus_remote_open(struct bus_stream *st, const char *service, const char *subject);
void bus_remote_free(struct bus_remote *rm);

#endif
