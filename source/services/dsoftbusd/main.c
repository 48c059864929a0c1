/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd: the distributed device bus (DESIGN.md section 7; bus.capnp). Table of contents:
 *   identity.c  the device key, the Noise static key and its signature (keystored, rngd)
 *   sessions.c  one Noise session per peer device over TCP (session.c), pins and pairing
 *   relay.c     a stream joined to a local channel: Cap'n Proto frames and VMOs
 *   remote.c    a paired peer's call: a samgr channel adopted as peer:<device>/<subject>
 *   bus.c       the Bus interface: peers, status, pair/accept/reject/unpair, open, export
 * State in $NEXUS_STATE_DIR/dsoftbusd: the static key, the pins (SQLite), the exports.
 *   discovery.c signed DNS-SD announcements over mDNS, the peer table (keysign.c signs)
 * $NEXUS_BUS_PORT: the TCP port sessions are accepted on (BUS_PORT_DEFAULT; 0: any free one).
 * $NEXUS_BUS_DISCOVERY=off: no announcements nor browsing (peers are reached by address);
 * $NEXUS_BUS_IFNAME: announce on that interface only.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery.h"
#include "dsoftbusd.h"
#include "keysign.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-abi/udp.h"
#include "nx-log/log.h"

/* While policyd cannot be asked, a service may export itself only. */
static const struct pol_grant interim[] = {{"svc:*", "bus.export." POL_GRANT_NAME}};

static int port_from_env(uint16_t *ret)
{
	const char *env = getenv("NEXUS_BUS_PORT");
	unsigned long v;
	char *end;

	*ret = BUS_PORT_DEFAULT;
	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoul(env, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* The state dir, its handle, the pins and the exports. */
static int open_state(struct dsoftbusd *d)
{
	const char *state = getenv("NEXUS_STATE_DIR");
	char dir[PATH_MAX], pins[PATH_MAX];
	int r;

	if (!state || !*state)
		state = "./.nexus/state";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/dsoftbusd", state) >= sizeof(dir) ||
	        (size_t)snprintf(pins, sizeof(pins), "%s/pins.sqlite", dir) >= sizeof(pins))
		return -ENAMETOOLONG;
	r = nx_dir_open(dir, &d->state_dirfd);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot open %s: %s", dir, strerror(-r));
		return r;
	}
	r = buspair_store_open(pins, &d->pins);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot open the pins in %s: %s", pins, strerror(-r));
		return r;
	}
	r = buspair_pending_new(&d->pending);
	if (r >= 0)
		r = bus_exports_load(d);
	return r;
}

/* Announces this device and browses for others; a machine without a multicast interface
 * runs without (peers are then reached by address). */
static int start_discovery(struct dsoftbusd *d)
{
	const char *env = getenv("NEXUS_BUS_DISCOVERY");
	char services[BUS_EXPORTS_MAX * (BUSMUX_SERVICE_MAX + 1) + 1];
	struct bus_disc_config cfg = {
	        .device_pub = d->id.device_pub,
	        .noise_pub = d->id.noise_static.public_key,
	        .port = d->port,
	        .services = services,
	        .ifname = getenv("NEXUS_BUS_IFNAME"),
	        .mdns_port = NX_MDNS_PORT,
	};
	int r;

	if (env && strcmp(env, "off") == 0)
		return 0;
	bus_exports_list(d, ',', services, sizeof(services));
	r = bus_keysign_new(d->loop, nx_svc_samgr(d->svc), &d->keysign);
	if (r >= 0)
		r = bus_disc_new(
		        d->loop, &cfg, bus_keysign_announce, d->keysign, NULL, d, &d->disc);
	if (r == -ENODEV) {
		nx_log(NX_LOG_WARN, "discovery", "no multicast interface: discovery is off");
		return 0;
	}
	return r;
}

static int start(struct dsoftbusd *d)
{
	uint16_t port;
	int r;

	r = port_from_env(&port);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "NEXUS_BUS_PORT: not a port");
		return r;
	}
	r = open_state(d);
	if (r >= 0)
		r = bus_identity_load(d->svc, d->state_dirfd, &d->id);
	if (r < 0)
		return r;
	r = bus_sessions_listen(d, port);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot listen on TCP port %u: %s", port, strerror(-r));
		return r;
	}
	nx_log(NX_LOG_INFO, NULL, "device %s, sessions on TCP port %u", d->id.device_id, d->port);
	r = start_discovery(d);
	if (r < 0)
		nx_log(NX_LOG_ERROR, "discovery", "cannot start: %s", strerror(-r));
	return r;
}

int main(void)
{
	struct dsoftbusd d = {.state_dirfd = -1, .listen_fd = -1};
	struct bus *bootstrap = NULL;
	int r, code = 1;

	r = nx_svc_new("dsoftbusd", &d.svc); /* nx_log_init("dsoftbusd") first */
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
		return 1;
	}
	d.loop = nx_svc_loop(d.svc);
	r = sodium_init() < 0 ? -EIO : 0;
	if (r >= 0)
		r = start(&d);
	if (r >= 0)
		r = dsoftbusd_bus_new(&d, &bootstrap);
	if (r >= 0)
		r = nx_svc_policy_start(d.svc, interim, 1, dsoftbusd_dispatch, &d);
	if (r >= 0)
		code = nx_svc_run(d.svc, bus_cap(bootstrap));
	else
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
	/* Before the loop goes with nx_svc_free: sessions and relays are its sources. */
	d.disc = bus_disc_free(d.disc); /* first: its goodbye must not be signed again */
	d.keysign = bus_keysign_free(d.keysign);
	bus_sessions_free(&d);
	buspair_pending_free(d.pending);
	buspair_store_close(d.pins);
	bus_identity_wipe(&d.id);
	nx_fd_close(d.state_dirfd);
	nx_svc_free(d.svc);
	nx_rpc_cap_unref(bus_cap(bootstrap));
	return code;
}
