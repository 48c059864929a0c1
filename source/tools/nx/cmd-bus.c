/* SPDX-License-Identifier: MIT */
/*
 * nx bus: the device bus (dsoftbusd, bus.capnp) through samgrd, as uid:<your uid>.
 *
 *   nx bus peers [--json]             devices discovered, paired or in session
 *   nx bus status [--json]            this device, its port, exports and counters
 *   nx bus pair DEVICE [--address A:P] [--yes | --sas NNNNNN]
 *                                     starts pairing, shows the code both devices show, and
 *                                     confirms it (asks, unless --yes; --sas checks it)
 *   nx bus accept DEVICE [--sas NNNNNN]   confirms a pairing the other device started
 *   nx bus pending [--json]           pairings waiting for a confirmation
 *   nx bus reject DEVICE              drops a pending pairing
 *   nx bus unpair DEVICE              forgets a paired device
 *   nx bus export SERVICE [--off]     makes SERVICE reachable from paired devices (or not)
 *
 * Exit codes: 0 success, 1 refused or unreachable, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.capnp.h"
#include "common.h"

int nx_cmd_bus(int argc, char **argv);
extern const struct nxt_group nx_group_bus;

static int open_bus(struct nxt_session *s)
{
	return nxt_session_open(s, "dsoftbusd");
}

/* A device id argument: 32 lowercase hex digits. */
static bool device_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != BUS_DEVICE_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool sas_ok(const char *s)
{
	if (strlen(s) != BUS_SAS_LEN)
		return false;
	for (size_t i = 0; i < BUS_SAS_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Options shared by the sub-commands; each accepts the ones its help names. */
struct opts {
	bool json, yes, off;
	const char *sas, *address;
	const char *arg; /* the one positional argument, if any */
};

static int parse(
        const char *cmd, const char *allowed, bool want_arg, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"yes", no_argument, NULL, 'y'},
	        {"off", no_argument, NULL, 'o'},
	        {"sas", required_argument, NULL, 's'},
	        {"address", required_argument, NULL, 'a'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return nxt_getopt_error(cmd, argv, c);
		if (!strchr(allowed, c))
			return nxt_usage_error(cmd, "%s does not apply here", argv[optind - 1]);
		if (c == 'j')
			o->json = true;
		else if (c == 'y')
			o->yes = true;
		else if (c == 'o')
			o->off = true;
		else if (c == 's')
			o->sas = optarg;
		else
			o->address = optarg;
	}
	if (want_arg && optind >= argc)
		return nxt_usage_error(cmd, "missing argument");
	if (optind + (want_arg ? 1 : 0) < argc)
		return nxt_usage_error(
		        cmd, "unexpected argument '%s'", argv[optind + (want_arg ? 1 : 0)]);
	o->arg = want_arg ? argv[optind] : NULL;
	if (o->sas && !sas_ok(o->sas))
		return nxt_usage_error(cmd, "--sas: '%s' is not %u digits", o->sas, BUS_SAS_LEN);
	if (o->yes && o->sas)
		return nxt_usage_error(cmd, "--yes and --sas exclude each other");
	return 0;
}

/* parse() for a DEVICE argument. */
static int parse_device(const char *cmd, const char *allowed, int argc, char **argv, struct opts *o)
{
	int r = parse(cmd, allowed, true, argc, argv, o);

	if (r == 0 && !device_ok(o->arg))
		return nxt_usage_error(cmd,
		        "DEVICE: '%s' is not a device id (%u lowercase hex digits)", o->arg,
		        BUS_DEVICE_ID_LEN);
	return r;
}

static void print_text_list(nx_capnp_list l, bool json)
{
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_ptr p = nx_capnp_list_ptr(&l, i);
		const char *t = "";
		size_t n = 0;
		(void)nx_capnp_ptr_read_text(&p, &t, &n);
		if (json) {
			printf("%s", i ? "," : "");
			nxt_json_string(t, n);
		} else {
			printf("%s%.*s", i ? "," : "", (int)n, t);
		}
	}
}

/* ---- peers, status, pending ---- */

static int bus_peers_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_peers_results out;
	nx_rpc_call *call = NULL;
	nx_capnp_list list = {0};
	struct opts o;
	int r = parse("bus peers", "j", false, argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 &&
	        (r = bus_peers_wait(bus_from_cap(s.svc), nexus_deadline(s.nx), &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "peers");
	if (r == 0) {
		(void)bus_peers_results_get_peers(out, &list);
		if (!o.json)
			printf("%-32s  %-21s  %-6s  %-9s  %7s  %s\n", "DEVICE", "ADDRESS", "PAIRED",
			        "SESSION", "STREAMS", "SERVICES");
		for (uint32_t i = 0; i < list.count; i++) {
			bus_peer p;
			const char *dev = "", *addr = "";
			size_t dn = 0, an = 0;
			nx_capnp_list svcs = {0};
			nx_capnp_list_get_struct(&list, i, &p.s);
			(void)bus_peer_get_device(p, &dev, &dn);
			(void)bus_peer_get_address(p, &addr, &an);
			(void)bus_peer_get_services(p, &svcs);
			if (o.json) {
				printf("{\"device\":");
				nxt_json_string(dev, dn);
				printf(",\"address\":");
				nxt_json_string(addr, an);
				printf(",\"lastSeenMs\":%" PRIu64 ",\"paired\":%s,\"connected\":%s,"
				       "\"streams\":%" PRIu32 ",\"services\":[",
				        bus_peer_get_last_seen_ms(p),
				        bus_peer_get_paired(p) ? "true" : "false",
				        bus_peer_get_connected(p) ? "true" : "false",
				        bus_peer_get_streams(p));
				print_text_list(svcs, true);
				printf("]}\n");
			} else {
				printf("%-32.*s  %-21.*s  %-6s  %-9s  %7" PRIu32 "  ", (int)dn, dev,
				        (int)an, addr, bus_peer_get_paired(p) ? "yes" : "no",
				        bus_peer_get_connected(p) ? "up" : "-",
				        bus_peer_get_streams(p));
				print_text_list(svcs, false);
				printf("\n");
			}
		}
	}
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

static int bus_status_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_status_results out;
	nx_rpc_call *call = NULL;
	struct opts o;
	int r = parse("bus status", "j", false, argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 &&
	        (r = bus_status_wait(bus_from_cap(s.svc), nexus_deadline(s.nx), &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "status");
	if (r == 0) {
		bus_report rep = bus_status_results_get_report(out);
		const char *dev = "";
		size_t dn = 0;
		nx_capnp_list ex = {0};
		const struct {
			const char *name;
			uint64_t v;
		} counters[] = {
		        {"sessions", bus_report_get_sessions(rep)},
		        {"handshakesOk", bus_report_get_handshakes_ok(rep)},
		        {"handshakesFailed", bus_report_get_handshakes_failed(rep)},
		        {"pinMismatches", bus_report_get_pin_mismatches(rep)},
		        {"recordsRejected", bus_report_get_records_rejected(rep)},
		        {"sessionsKilled", bus_report_get_sessions_killed(rep)},
		        {"opensRefused", bus_report_get_opens_refused(rep)},
		        {"rekeys", bus_report_get_rekeys(rep)},
		        {"bytesIn", bus_report_get_bytes_in(rep)},
		        {"bytesOut", bus_report_get_bytes_out(rep)},
		        {"announcementsIgnored", bus_report_get_announcements_ignored(rep)},
		        {"reconnects", bus_report_get_reconnects(rep)},
		};
		(void)bus_report_get_device(rep, &dev, &dn);
		(void)bus_report_get_exported(rep, &ex);
		if (o.json) {
			printf("{\"device\":");
			nxt_json_string(dev, dn);
			printf(",\"port\":%u,\"exported\":[", bus_report_get_port(rep));
			print_text_list(ex, true);
			printf("]");
			for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
				printf(",\"%s\":%" PRIu64, counters[i].name, counters[i].v);
			printf("}\n");
		} else {
			printf("device    %.*s\nport      %u\nexported  ", (int)dn, dev,
			        bus_report_get_port(rep));
			print_text_list(ex, false);
			printf("\n");
			for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
				printf("%-21s %" PRIu64 "\n", counters[i].name, counters[i].v);
		}
	}
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

static int bus_pending_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_pending_results out;
	nx_rpc_call *call = NULL;
	nx_capnp_list list = {0};
	struct opts o;
	int r = parse("bus pending", "j", false, argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 &&
	        (r = bus_pending_wait(bus_from_cap(s.svc), nexus_deadline(s.nx), &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "pending");
	if (r == 0) {
		(void)bus_pending_results_get_pending(out, &list);
		if (!o.json)
			printf("%-32s  %-6s  %-4s  %s\n", "DEVICE", "CODE", "HERE", "THERE");
		for (uint32_t i = 0; i < list.count; i++) {
			bus_pending_pairing p;
			const char *dev = "", *sas = "";
			size_t dn = 0, sn = 0;
			nx_capnp_list_get_struct(&list, i, &p.s);
			(void)bus_pending_pairing_get_device(p, &dev, &dn);
			(void)bus_pending_pairing_get_sas(p, &sas, &sn);
			if (o.json)
				printf("{\"device\":\"%.*s\",\"sas\":\"%.*s\",\"confirmedHere\":%s,"
				       "\"confirmedThere\":%s}\n",
				        (int)dn, dev, (int)sn, sas,
				        bus_pending_pairing_get_confirmed_here(p) ? "true"
				                                                  : "false",
				        bus_pending_pairing_get_confirmed_there(p) ? "true"
				                                                   : "false");
			else
				printf("%-32.*s  %-6.*s  %-4s  %s\n", (int)dn, dev, (int)sn, sas,
				        bus_pending_pairing_get_confirmed_here(p) ? "yes" : "no",
				        bus_pending_pairing_get_confirmed_there(p) ? "yes" : "no");
		}
	}
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

/* ---- pairing ---- */

static int confirm(struct nxt_session *s, const char *device, const char *sas)
{
	bus_accept_results out;
	nx_rpc_call *call = NULL;
	int r = bus_accept_wait(
	        bus_from_cap(s->svc), device, sas ? sas : "", nexus_deadline(s->nx), &call, &out);

	if (r < 0)
		r = nxt_report_call(s, call, r, "accept");
	else
		printf("confirmed; %s is paired once it confirms too (nx bus peers)\n", device);
	nx_rpc_call_free(call);
	return r;
}

/* Asks the operator on the terminal whether the other device shows the same code. */
static bool operator_agrees(const char *device, const char *sas)
{
	char line[16];

	printf("Does %s show %s? [y/N] ", device, sas);
	fflush(stdout);
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

static int bus_pair_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_pair_results out;
	nx_rpc_call *call = NULL;
	const char *sas = "";
	size_t n = 0;
	struct opts o;
	int r = parse_device("bus pair", "ysa", argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 && (r = bus_pair_wait(bus_from_cap(s.svc), o.arg, o.address ? o.address : "",
	                       nexus_deadline(s.nx), &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "pair");
	if (r == 0) {
		char code[BUS_SAS_LEN + 1];
		(void)bus_pair_results_get_sas(out, &sas, &n);
		snprintf(code, sizeof(code), "%.*s", (int)n, sas);
		printf("code %s\n", code);
		if (o.sas || o.yes || operator_agrees(o.arg, code))
			r = confirm(&s, o.arg, o.sas);
		else
			printf("not confirmed (nx bus accept %s, or nx bus reject %s)\n", o.arg,
			        o.arg);
	}
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

static int bus_accept_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	struct opts o;
	int r = parse_device("bus accept", "s", argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0)
		r = confirm(&s, o.arg, o.sas);
	nxt_session_close(&s);
	return r;
}

static int bus_reject_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_reject_results out;
	nx_rpc_call *call = NULL;
	struct opts o;
	int r = parse_device("bus reject", "", argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 && (r = bus_reject_wait(
	                       bus_from_cap(s.svc), o.arg, nexus_deadline(s.nx), &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "reject");
	else if (r == 0)
		printf("rejected %s\n", o.arg);
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

static int bus_unpair_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_unpair_results out;
	nx_rpc_call *call = NULL;
	struct opts o;
	int r = parse_device("bus unpair", "", argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 && (r = bus_unpair_wait(
	                       bus_from_cap(s.svc), o.arg, nexus_deadline(s.nx), &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "unpair");
	else if (r == 0)
		printf("unpaired %s\n", o.arg);
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

static int bus_export_cmd(int argc, char **argv)
{
	struct nxt_session s = {0};
	bus_export_results out;
	nx_rpc_call *call = NULL;
	struct opts o;
	int r = parse("bus export", "o", true, argc, argv, &o);

	if (r)
		return r;
	r = open_bus(&s);
	if (r == 0 && (r = bus_export_wait(bus_from_cap(s.svc), o.arg, !o.off, nexus_deadline(s.nx),
	                       &call, &out)) < 0)
		r = nxt_report_call(&s, call, r, "export");
	else if (r == 0)
		printf("%s %s\n", o.arg, o.off ? "no longer exported" : "exported");
	nx_rpc_call_free(call);
	nxt_session_close(&s);
	return r;
}

static const struct nxt_sub subs[] = {
        {"peers", "[--json]", "devices discovered, paired or in session (bus.peers)", "", "--json",
                bus_peers_cmd},
        {"status", "[--json]", "this device, its port, exports and counters (bus.peers)", "",
                "--json", bus_status_cmd},
        {"pair", "DEVICE [--address A.B.C.D:PORT] [--yes | --sas NNNNNN]",
                "pair with DEVICE: shows the code both devices show and confirms it (bus.pair)",
                "  --address  where DEVICE listens, when it was not discovered\n"
                "  --yes      confirm without asking\n"
                "  --sas      confirm only if this is the code (read off the other device)\n",
                "--address --yes --sas", bus_pair_cmd},
        {"accept", "DEVICE [--sas NNNNNN]", "confirm the pairing DEVICE started (bus.pair)",
                "  --sas  confirm only if this is the code\n", "--sas", bus_accept_cmd},
        {"pending", "[--json]", "pairings waiting for a confirmation (bus.pair)", "", "--json",
                bus_pending_cmd},
        {"reject", "DEVICE", "drop the pending pairing with DEVICE (bus.pair)", "", "",
                bus_reject_cmd},
        {"unpair", "DEVICE", "forget DEVICE: it can no longer call or be called (bus.pair)", "", "",
                bus_unpair_cmd},
        {"export", "SERVICE [--off]",
                "make SERVICE reachable from paired devices, or not with --off "
                "(bus.export.SERVICE)",
                "", "--off", bus_export_cmd},
};

const struct nxt_group nx_group_bus = {
        .name = "bus",
        .about = "The device bus (dsoftbusd): peers, pairing, exported services.",
        .footer = "A paired device's services: nx --peer DEVICE COMMAND ... (e.g. nx --peer "
                  "DEVICE echo hello).\n",
        .subs = subs,
        .n_subs = sizeof(subs) / sizeof(subs[0]),
};

int nx_cmd_bus(int argc, char **argv)
{
	return nxt_group_run(&nx_group_bus, argc, argv);
}
