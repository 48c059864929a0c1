/* SPDX-License-Identifier: MIT */
/*
 * bus-announce: dsoftbusd's discovery adapter (discovery.c) alone, for the interop tests.
 * It announces a device whose Ed25519 key comes from a seed given on the command line (the
 * signer signs locally with userspace/keystore's construction instead of asking keystored),
 * answers queries, browses and fills its peer table like dsoftbusd does.
 *
 * usage: bus-announce SEED-BYTE IFNAME SESSION-PORT SERVICES
 * Prints "id <device id> dk <hex> nk <hex>" once started, "peer <verdict> <id> <addr>
 * <port> <services>" for each peer event, and on SIGUSR1 one line "counts <verdict>=<n>..."
 * with every verdict of the table and "peers=<n>". SIGUSR2: the services become
 * SERVICES,more (signed anew and announced, as when dsoftbusd exports another service).
 * SIGTERM: goodbye, exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery.h"
#include "keystore/sign.h"
#include "nx-abi/loop.h"
#include "nx-abi/udp.h"
#include "nx-log/log.h"

/* The signer: ks_sign now, the answer from the loop as keystored's would come. */
struct signer {
	uint8_t secret[KS_SECRET_LEN];
	nx_source *defer;
	uint8_t sig[BUSDISC_SIG_LEN];
	int error;
	bus_disc_signed_fn done;
	void *ctx;
};

static int sign_locally(
        void *userdata, const uint8_t *data, size_t len, bus_disc_signed_fn done, void *ctx)
{
	struct signer *s = userdata;

	if (s->done)
		return -EBUSY;
	s->error = ks_sign(s->secret, BUSDISC_SIGN_DOMAIN, data, len, s->sig);
	s->done = done;
	s->ctx = ctx;
	return nx_source_enable(s->defer);
}

static void answer(nx_source *src, void *userdata)
{
	struct signer *s = userdata;
	bus_disc_signed_fn done = s->done;

	(void)src;
	s->done = NULL;
	done(s->ctx, s->error, s->error < 0 ? NULL : s->sig);
}

static void print_peer(void *userdata, enum busdisc_verdict v, const struct busdisc_peer *peer)
{
	char addr[INET_ADDRSTRLEN] = "";

	(void)userdata;
	(void)inet_ntop(AF_INET, &peer->addr, addr, sizeof(addr));
	printf("peer %s %s %s %u %s\n", busdisc_verdict_name(v), peer->announce.id, addr,
	        (unsigned)peer->announce.port, peer->announce.services);
	fflush(stdout);
}

static void print_gone(void *userdata, const struct busdisc_peer *peer)
{
	(void)userdata;
	printf("gone %s\n", peer->announce.id);
	fflush(stdout);
}

static const struct bus_disc_ops ops = {.peer = print_peer, .gone = print_gone};

static void on_usr1(nx_source *s, int signo, void *userdata)
{
	const busdisc_peers *t = bus_disc_peers(userdata);

	(void)s;
	(void)signo;
	printf("counts");
	for (int v = 0; v < BUSDISC_VERDICTS; v++)
		printf(" %s=%llu", busdisc_verdict_name((enum busdisc_verdict)v),
		        (unsigned long long)busdisc_peers_counted(t, (enum busdisc_verdict)v));
	printf(" peers=%zu\n", busdisc_peers_count(t));
	fflush(stdout);
}

/* The services given on the command line. */
static const char *services;

static void on_usr2(nx_source *s, int signo, void *userdata)
{
	char more[BUSDISC_SERVICES_TEXT_MAX + 1];
	bus_disc *disc = userdata;
	int n = snprintf(more, sizeof(more), "%s%smore", services, *services ? "," : "");

	(void)s;
	(void)signo;
	if (n < 0 || (size_t)n >= sizeof(more) || bus_disc_set_services(disc, more) < 0)
		fprintf(stderr, "bus-announce: cannot add a service to %s\n", services);
}

static void on_term(nx_source *s, int signo, void *userdata)
{
	(void)s;
	(void)signo;
	nx_loop_quit(userdata, 0);
}

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
	printf(" %s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
	uint8_t seed[KS_SEED_LEN], pub[KS_PUBLIC_LEN], noise_secret[32], noise_pub[32];
	struct signer signer = {0};
	nx_source *usr1 = NULL, *usr2 = NULL, *term = NULL;
	bus_disc *disc = NULL;
	nx_loop *loop = NULL;
	int r, code = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: bus-announce SEED-BYTE IFNAME SESSION-PORT SERVICES\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	nx_log_init("bus-announce");
	services = argv[4];
	memset(seed, atoi(argv[1]), sizeof(seed));
	crypto_sign_seed_keypair(pub, signer.secret, seed);
	memset(noise_secret, atoi(argv[1]) ^ 0x5a, sizeof(noise_secret));
	crypto_scalarmult_base(noise_pub, noise_secret);

	struct bus_disc_config cfg = {.device_pub = pub,
	        .noise_pub = noise_pub,
	        .port = (uint16_t)atoi(argv[3]),
	        .services = argv[4],
	        .ifname = argv[2],
	        .mdns_port = NX_MDNS_PORT};

	r = nx_loop_new(&loop);
	if (r == 0)
		r = nx_loop_add_defer(loop, answer, &signer, &signer.defer);
	if (r == 0)
		r = nx_source_disable(signer.defer);
	if (r == 0)
		r = bus_disc_new(loop, &cfg, sign_locally, &signer, &ops, NULL, &disc);
	if (r == 0)
		r = nx_loop_add_signal(loop, SIGUSR1, on_usr1, disc, &usr1);
	if (r == 0)
		r = nx_loop_add_signal(loop, SIGUSR2, on_usr2, disc, &usr2);
	if (r == 0)
		r = nx_loop_add_signal(loop, SIGTERM, on_term, loop, &term);
	if (r < 0) {
		fprintf(stderr, "bus-announce: %s\n", strerror(-r));
	} else {
		printf("id %s", bus_disc_device_id(disc));
		print_hex("dk", pub, sizeof(pub));
		print_hex("nk", noise_pub, sizeof(noise_pub));
		printf("\n");
		fflush(stdout);
		code = nx_loop_run(loop);
	}
	bus_disc_free(disc);
	nx_source_free(usr1);
	nx_source_free(usr2);
	nx_source_free(term);
	nx_source_free(signer.defer);
	nx_loop_free(loop);
	sodium_memzero(signer.secret, sizeof(signer.secret));
	return code;
}
