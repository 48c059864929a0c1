/* SPDX-License-Identifier: MIT */
/* dsoftbusd discovery (discovery.h): busdisc on the loop, over the mDNS socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "discovery.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-abi/udp.h"
#include "nx-log/log.h"
#include "supervise/supervise.h"

#define NS_PER_MS 1000000ull
/* RFC 6762 section 8.3: announce at least twice, one second apart; section 6: never multicast
 * our records again within a second, however many queries ask (no amplification). */
#define ANNOUNCE_COUNT  2u
#define ANNOUNCE_GAP_MS 1000u
/* Datagrams read per wakeup before the loop serves others (the fd stays readable). */
#define RECV_BATCH 16u
#define IFNAME_MAX 64u

/* One outstanding signature; outlives the adapter when it is freed first (d = NULL). */
struct sign_req {
	bus_disc *d;
	struct busdisc_announce a;
};

struct bus_disc {
	nx_loop *loop;
	bus_disc_sign_fn sign;
	void *signer;
	const struct bus_disc_ops *ops;
	void *userdata;

	char ifname[IFNAME_MAX];
	bool all_ifaces;
	uint16_t mdns_port;
	uint8_t device_pub[BUSDISC_KEY_LEN], noise_pub[BUSDISC_KEY_LEN];
	uint16_t port;
	char services[BUSDISC_SERVICES_TEXT_MAX + 1];
	char id[BUSDISC_ID_LEN + 1];

	struct busdisc_announce current; /* the signed one we announce */
	bool have_signed;
	struct sign_req *signing; /* in flight, or NULL */
	bool resign;              /* the services changed while signing */
	struct sup_backoff sign_backoff;

	int fd;
	nx_source *io, *refresh, *announce, *expire, *retry;
	unsigned announces_left;
	uint64_t last_sent_ms; /* monotonic; 0: never */
	busdisc_peers *peers;
};

uint64_t bus_disc_now_ms(void)
{
	return nx_clock_monotonic_ns() / NS_PER_MS;
}

static struct busdisc_clock now(void)
{
	return (struct busdisc_clock){
	        .real_ms = nx_clock_realtime_ns() / NS_PER_MS, .mono_ms = bus_disc_now_ms()};
}

/* Sends a packet to the group: through each of our addresses when announcing on every
 * interface, else through the socket's interface. The A records name the same addresses. */
static void send_to_group(bus_disc *d, const uint8_t *buf, size_t len)
{
	uint32_t addrs[BUSDISC_ADDRS_MAX];
	size_t n = 0;
	ssize_t r;

	(void)nx_ipv4_addrs(d->all_ifaces ? NULL : d->ifname, addrs, BUSDISC_ADDRS_MAX, &n);
	if (!d->all_ifaces || n == 0) {
		r = nx_udp_send(d->fd, buf, len, htonl(NX_MDNS_GROUP), d->mdns_port, 0);
		if (r < 0)
			nx_log(NX_LOG_DEBUG, "discovery", "send: %s", strerror((int)-r));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		r = nx_udp_send(d->fd, buf, len, htonl(NX_MDNS_GROUP), d->mdns_port, addrs[i]);
		if (r < 0)
			nx_log(NX_LOG_DEBUG, "discovery", "send via %08x: %s", addrs[i],
			        strerror((int)-r));
	}
}

static void send_announcement(bus_disc *d, uint32_t ttl_s)
{
	uint32_t addrs[BUSDISC_ADDRS_MAX];
	uint8_t buf[BUSDISC_PACKET_MAX];
	size_t n = 0, len;
	int r;

	if (!d->have_signed)
		return;
	(void)nx_ipv4_addrs(d->all_ifaces ? NULL : d->ifname, addrs, BUSDISC_ADDRS_MAX, &n);
	r = busdisc_encode_response(&d->current, ttl_s, addrs, n, buf, sizeof(buf), &len);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "discovery", "cannot encode the announcement: %s",
		        strerror(-r));
		return;
	}
	send_to_group(d, buf, len);
	d->last_sent_ms = bus_disc_now_ms();
}

static void send_browse(bus_disc *d)
{
	uint8_t buf[64];
	size_t len;

	if (busdisc_encode_query(buf, sizeof(buf), &len) == 0)
		send_to_group(d, buf, len);
}

/* The announcement timer fires as soon as our records may be multicast again (at once if
 * they never were). */
static void arm_announce(bus_disc *d)
{
	uint64_t at_ms = d->last_sent_ms ? d->last_sent_ms + ANNOUNCE_GAP_MS : 0;

	(void)nx_source_set_deadline(d->announce, at_ms * NS_PER_MS);
}

/* Announces now if nothing went out within the last second, else as soon as it may. */
static void announce_soon(bus_disc *d)
{
	if (!d->last_sent_ms || bus_disc_now_ms() - d->last_sent_ms >= ANNOUNCE_GAP_MS)
		send_announcement(d, BUSDISC_TTL_S);
	else
		arm_announce(d);
}

static void on_announce_timer(nx_source *s, void *userdata)
{
	bus_disc *d = userdata;

	(void)s;
	send_announcement(d, BUSDISC_TTL_S);
	if (d->announces_left > 0 && --d->announces_left > 0)
		(void)nx_source_set_deadline(
		        d->announce, (bus_disc_now_ms() + ANNOUNCE_GAP_MS) * NS_PER_MS);
}

static void request_signature(bus_disc *d);

/* Signing failed: asks again after a backoff (100 ms doubling to 5 s, as init restarts). */
static void retry_later(bus_disc *d)
{
	(void)nx_source_set_deadline(
	        d->retry, nx_clock_monotonic_ns() + sup_backoff_next(&d->sign_backoff));
}

static void on_signed(void *ctx, int error, const uint8_t *sig)
{
	struct sign_req *req = ctx;
	bus_disc *d = req->d;

	if (!d) { /* the adapter went first */
		free(req);
		return;
	}
	d->signing = NULL;
	if (error < 0) {
		nx_log(NX_LOG_WARN, "discovery", "announcement not signed: %s", strerror(-error));
		retry_later(d);
		free(req);
		return;
	}
	sup_backoff_reset(&d->sign_backoff);
	busdisc_announce_set_sig(&req->a, sig);
	d->current = req->a;
	d->have_signed = true;
	free(req);
	if (d->resign) {
		request_signature(d);
		return;
	}
	/* A new announcement: the burst of RFC 6762 section 8.3 again. */
	d->announces_left = ANNOUNCE_COUNT;
	arm_announce(d);
}

/* Asks for a signature over the announcement as it is now (timestamp now). */
static void request_signature(bus_disc *d)
{
	uint8_t data[BUSDISC_SIGNED_MAX];
	struct sign_req *req;
	size_t len;
	int r;

	d->resign = false;
	if (d->signing) {
		d->resign = true; /* once the one in flight is back */
		return;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		retry_later(d);
		return;
	}
	req->d = d;
	r = busdisc_announce_init(
	        &req->a, d->device_pub, d->noise_pub, d->port, d->services, now().real_ms);
	if (r == 0)
		r = busdisc_signed_data(&req->a, data, sizeof(data), &len);
	if (r == 0) {
		d->signing = req;
		r = d->sign(d->signer, data, len, on_signed, req);
	}
	if (r < 0) {
		d->signing = NULL;
		free(req);
		nx_log(NX_LOG_WARN, "discovery", "cannot ask for a signature: %s", strerror(-r));
		retry_later(d);
	}
}

static void on_retry(nx_source *s, void *userdata)
{
	(void)s;
	request_signature(userdata);
}

/* Every refresh: browse, and announce again (signed anew when the timestamp got old). */
static void on_refresh(nx_source *s, void *userdata)
{
	bus_disc *d = userdata;

	send_browse(d);
	if (d->have_signed && now().real_ms - d->current.ts_ms >= BUS_DISC_RESIGN_MS)
		request_signature(d);
	else
		announce_soon(d);
	(void)nx_source_set_deadline(s, (bus_disc_now_ms() + BUS_DISC_REFRESH_MS) * NS_PER_MS);
}

static void rearm_expiry(bus_disc *d)
{
	uint64_t next = busdisc_peers_next_expiry(d->peers);

	(void)nx_source_set_deadline(d->expire, next == UINT64_MAX ? UINT64_MAX : next * NS_PER_MS);
}

static void on_gone(void *userdata, const struct busdisc_peer *peer)
{
	bus_disc *d = userdata;

	nx_log(NX_LOG_INFO, "discovery", "peer %s expired", peer->announce.id);
	if (d->ops && d->ops->gone)
		d->ops->gone(d->userdata, peer);
}

static void on_expire(nx_source *s, void *userdata)
{
	bus_disc *d = userdata;

	(void)s;
	(void)busdisc_peers_expire(d->peers, bus_disc_now_ms(), on_gone, d);
	rearm_expiry(d);
}

static void on_verdict(void *userdata, enum busdisc_verdict v, const struct busdisc_peer *peer)
{
	bus_disc *d = userdata;
	char addr[INET_ADDRSTRLEN] = "";

	if (!peer || (v != BUSDISC_NEW && v != BUSDISC_CHANGED && v != BUSDISC_GOODBYE))
		return; /* rejections are counted by the table (bus status) */
	(void)inet_ntop(AF_INET, &peer->addr, addr, sizeof(addr));
	nx_log(NX_LOG_INFO, "discovery", "peer %s %s at %s:%u services=%s", peer->announce.id,
	        busdisc_verdict_name(v), addr, (unsigned)peer->announce.port,
	        peer->announce.services);
	if (d->ops && d->ops->peer)
		d->ops->peer(d->userdata, v, peer);
}

static void on_readable(nx_source *s, int fd, uint32_t events, void *userdata)
{
	bus_disc *d = userdata;
	uint8_t buf[BUSDISC_PACKET_MAX];

	(void)s;
	(void)events;
	for (unsigned i = 0; i < RECV_BATCH; i++) {
		bool asks = false;
		uint32_t from;
		ssize_t n = nx_udp_recv(fd, buf, sizeof(buf), &from, NULL);

		if (n == -EAGAIN)
			break;
		if (n == -EMSGSIZE) {
			busdisc_peers_count_oversized(d->peers);
			continue;
		}
		if (n < 0) {
			nx_log(NX_LOG_WARN, "discovery", "receive: %s", strerror((int)-n));
			break;
		}
		if (busdisc_peers_feed(
		            d->peers, buf, (size_t)n, from, now(), on_verdict, d, &asks) == 0 &&
		        asks)
			announce_soon(d);
	}
	rearm_expiry(d);
}

static int config_valid(const struct bus_disc_config *cfg)
{
	if (!cfg || !cfg->device_pub || !cfg->noise_pub || cfg->port == 0 || cfg->mdns_port == 0 ||
	        !busdisc_services_valid(cfg->services))
		return -EINVAL;
	if (cfg->ifname && (!*cfg->ifname || strlen(cfg->ifname) >= IFNAME_MAX))
		return -EINVAL;
	return 0;
}

static int start(bus_disc *d)
{
	int r = busdisc_peers_new(d->id, &d->peers);

	if (r == 0)
		r = nx_mdns_open(d->all_ifaces ? NULL : d->ifname, d->mdns_port, &d->fd);
	if (r == 0)
		r = nx_loop_add_fd(d->loop, d->fd, NX_EV_IN, on_readable, d, &d->io);
	if (r == 0)
		r = nx_loop_add_timer(d->loop,
		        (bus_disc_now_ms() + BUS_DISC_REFRESH_MS) * NS_PER_MS, on_refresh, d,
		        &d->refresh);
	if (r == 0)
		r = nx_loop_add_timer(d->loop, UINT64_MAX, on_announce_timer, d, &d->announce);
	if (r == 0)
		r = nx_loop_add_timer(d->loop, UINT64_MAX, on_expire, d, &d->expire);
	if (r == 0)
		r = nx_loop_add_timer(d->loop, UINT64_MAX, on_retry, d, &d->retry);
	return r;
}

int bus_disc_new(nx_loop *loop, const struct bus_disc_config *cfg, bus_disc_sign_fn sign,
        void *signer, const struct bus_disc_ops *ops, void *userdata, bus_disc **ret)
{
	bus_disc *d;
	int r = config_valid(cfg);

	if (r < 0 || !loop || !sign || !ret)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = (struct bus_disc){.loop = loop,
	        .sign = sign,
	        .signer = signer,
	        .ops = ops,
	        .userdata = userdata,
	        .all_ifaces = !cfg->ifname,
	        .mdns_port = cfg->mdns_port,
	        .port = cfg->port,
	        .fd = -1};
	if (cfg->ifname)
		memcpy(d->ifname, cfg->ifname, strlen(cfg->ifname) + 1);
	memcpy(d->device_pub, cfg->device_pub, BUSDISC_KEY_LEN);
	memcpy(d->noise_pub, cfg->noise_pub, BUSDISC_KEY_LEN);
	memcpy(d->services, cfg->services, strlen(cfg->services) + 1);
	(void)busdisc_device_id(d->device_pub, d->id);
	r = start(d);
	if (r < 0) {
		bus_disc_free(d);
		return r;
	}
	send_browse(d);
	request_signature(d);
	*ret = d;
	return 0;
}

int bus_disc_set_services(bus_disc *d, const char *services)
{
	if (!d || !busdisc_services_valid(services))
		return -EINVAL;
	if (strcmp(services, d->services) == 0)
		return 0;
	memcpy(d->services, services, strlen(services) + 1);
	request_signature(d);
	return 0;
}

const busdisc_peers *bus_disc_peers(const bus_disc *d)
{
	return d->peers;
}

const char *bus_disc_device_id(const bus_disc *d)
{
	return d->id;
}

bus_disc *bus_disc_free(bus_disc *d)
{
	if (!d)
		return NULL;
	if (d->fd >= 0)
		send_announcement(d, 0); /* goodbye (RFC 6762 section 10.1) */
	if (d->signing)
		d->signing->d = NULL; /* its answer frees it */
	nx_source_free(d->io);
	nx_source_free(d->refresh);
	nx_source_free(d->announce);
	nx_source_free(d->expire);
	nx_source_free(d->retry);
	nx_fd_close(d->fd);
	busdisc_peers_free(d->peers);
	free(d);
	return NULL;
}
