/* SPDX-License-Identifier: MIT */
/*
 * bus-probe: what `nx` never does to dsoftbusd, for tests/e2e/bus.sh.
 *   bus-probe open-many DEVICE SERVICE N
 *       Bus.open(DEVICE, SERVICE) up to N times through the local dsoftbusd, holding every
 *       channel, stopping at the first refusal: prints the refusal's reason, then
 *       "probe: opened <k>"; then drops them all.
 * Exit 0 when everything was as asked, 1 on a refusal (printed), 2 usage.
 * $NEXUS_RUNTIME_DIR: the system to talk to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.capnp.h"
#include "nexus/nexus.h"

static void print_failure(const nx_rpc_call *call, int r)
{
	const nx_rpc_result *res = call ? nx_rpc_call_result(call) : NULL;

	printf("probe: %s\n", res && res->reason ? res->reason : strerror(-r));
}

/* One Bus.open: 0 with the endpoint in *ret (the caller's), or the failure printed. */
static int open_one(nexus *nx, struct bus *bus, const char *device, const char *service,
        struct nexus_endpoint **ret)
{
	bus_open_results out;
	nx_rpc_call *call = NULL;
	int r = bus_open_wait(bus, device, service, nexus_deadline(nx), &call, &out);

	if (r >= 0)
		r = bus_open_results_get_endpoint(out, ret);
	else
		print_failure(call, r);
	nx_rpc_call_free(call);
	return r;
}

static int open_many(
        nexus *nx, struct bus *bus, const char *device, const char *service, unsigned n)
{
	struct nexus_endpoint **held = calloc(n, sizeof(*held));
	unsigned k = 0;
	int r = 0;

	if (!held)
		return 1;
	for (; k < n; k++)
		if (open_one(nx, bus, device, service, &held[k]) < 0) {
			r = 1;
			break;
		}
	printf("probe: opened %u\n", k);
	for (unsigned i = 0; i < k; i++)
		nx_rpc_cap_unref(nexus_endpoint_cap(held[i]));
	free(held);
	return r;
}

int main(int argc, char **argv)
{
	nx_rpc_cap *cap = NULL;
	nexus *nx = NULL;
	int r;

	if (argc != 5 || strcmp(argv[1], "open-many") != 0 || atoi(argv[4]) <= 0) {
		fprintf(stderr, "usage: bus-probe open-many DEVICE SERVICE N\n");
		return 2;
	}
	r = nexus_connect(&nx);
	if (r >= 0)
		r = nexus_resolve(nx, "dsoftbusd", &cap);
	if (r < 0) {
		printf("probe: %s\n", nx ? nexus_last_error(nx) : strerror(-r));
		nexus_free(nx);
		return 1;
	}
	r = open_many(nx, bus_from_cap(cap), argv[2], argv[3], (unsigned)atoi(argv[4]));
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r;
}
