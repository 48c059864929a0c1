/* SPDX-License-Identifier: MIT */
/*
 * example-server: serves Greeter (greeter.capnp) on $NEXUS_RUNTIME_DIR/example.sock, one
 * nx-rpc connection per client, until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "greeter.capnp.h"
#include "nx-abi/loop.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

/* The largest VMO this interface accepts (DESIGN.md section 5: per-interface caps). */
#define EXAMPLE_BLOB_MAX (64u << 20)

struct client {
	struct client *next;
	struct server *srv;
	nx_rpc_conn *conn;
};

struct server {
	nx_loop *loop;
	struct greeter *greeter;
	int listen_fd;
	struct client *clients;
};

static void client_free(struct client *c)
{
	struct client **p = &c->srv->clients;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	nx_rpc_conn_free(c->conn);
	free(c);
}

/* Handlers get params the schema already checked (greet's name: 1..64 bytes, no NUL). A
 * generated _return builds the results and answers, or fails the call saying why: either way
 * `in` is answered, so the handler returns 0. */

/* ---- Counter: one per newCounter call, freed when the client drops it ---- */

struct counter {
	int64_t value;
};

static int serve_increment(void *impl, nx_rpc_incoming *in, greeter_counter_increment_params params)
{
	struct counter *c = impl;

	c->value += greeter_counter_increment_params_get_by(params);
	return greeter_counter_increment_return(in, c->value);
}

static const struct greeter_counter_server counter_vt = {
        .increment = serve_increment,
};

/* ---- Greeter ---- */

static int serve_greet(void *impl, nx_rpc_incoming *in, greeter_greet_params params)
{
	const char *name;
	size_t len;
	char msg[128];

	(void)greeter_greet_params_get_name(params, &name, &len);
	snprintf(msg, sizeof(msg), "hello, %s, from example-server (pid %d)", name, (int)getpid());
	return greeter_greet_return(in, msg);
}

static int serve_new_counter(void *impl, nx_rpc_incoming *in, greeter_new_counter_params params)
{
	struct greeter_counter *counter;
	struct counter *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->value = greeter_new_counter_params_get_start(params);
	if (greeter_counter_server_new(&counter_vt, c, free, &counter) < 0) {
		free(c);
		return -ENOMEM;
	}
	(void)greeter_new_counter_return(in, counter); /* the results hold their own reference */
	nx_rpc_cap_unref(greeter_counter_cap(counter));
	return 0;
}

static int serve_checksum(void *impl, nx_rpc_incoming *in, greeter_checksum_params params)
{
	struct greeter_blob *blob = NULL;
	struct nx_vmo_map map;
	uint64_t sum = 0, size;
	int r;

	if (greeter_checksum_params_get_blob(params, &blob) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "blob: no capability given");
	/* The receiver's checks: a regular memfd, within this interface's cap, sealed. */
	r = nx_vmo_map_ro(
	        nx_rpc_cap_peek_fd(greeter_blob_cap(blob)), EXAMPLE_BLOB_MAX, false, &map);
	nx_rpc_cap_unref(greeter_blob_cap(blob)); /* the map stays valid without the fd */
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, r, "blob: not a sealed memfd of at most %u bytes", EXAMPLE_BLOB_MAX);
	for (size_t i = 0; i < map.size; i++)
		sum += ((const uint8_t *)map.addr)[i];
	size = map.size;
	nx_vmo_unmap(&map);
	return greeter_checksum_return(in, size, sum);
}

static const struct greeter_server greeter_vt = {
        .greet = serve_greet,
        .new_counter = serve_new_counter,
        .checksum = serve_checksum,
};

/* ---- Connections ---- */

static void on_disconnect(nx_rpc_conn *conn, int error, void *userdata)
{
	printf("example-server: client left (%s)\n",
	        error == -ECONNRESET ? "closed" : strerror(-error));
	client_free(userdata);
}

static void on_accept(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct server *srv = userdata;
	struct client *c;
	int cfd;

	while (nx_accept(fd, &cfd) == 0) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			nx_fd_close(cfd);
			continue;
		}
		/* On failure the fd was taken and closed: this client alone is lost. */
		if (nx_rpc_conn_new(srv->loop, cfd, greeter_cap(srv->greeter), &c->conn) < 0) {
			free(c);
			continue;
		}
		c->srv = srv;
		c->next = srv->clients;
		srv->clients = c;
		nx_rpc_conn_set_disconnect_cb(c->conn, on_disconnect, c);
		printf("example-server: client connected\n");
	}
}

static void on_signal(nx_source *s, int signo, void *userdata)
{
	struct server *srv = userdata;

	printf("example-server: %s, stopping\n", strsignal(signo));
	nx_loop_quit(srv->loop, 0);
}

int main(void)
{
	struct server srv = {.listen_fd = -1};
	nx_source *accept_src = NULL, *term = NULL, *intr = NULL;
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	char path[256];
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir || !*dir) {
		fprintf(stderr, "example-server: NEXUS_RUNTIME_DIR is not set\n");
		return 2;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/example.sock", dir) >= sizeof(path)) {
		fprintf(stderr, "example-server: NEXUS_RUNTIME_DIR is too long\n");
		return 2;
	}

	r = nx_loop_new(&srv.loop);
	if (r >= 0)
		r = greeter_server_new(&greeter_vt, &srv, NULL, &srv.greeter);
	if (r >= 0)
		r = nx_listen_unix(path, 0600, &srv.listen_fd);
	if (r >= 0)
		r = nx_loop_add_fd(srv.loop, srv.listen_fd, NX_EV_IN, on_accept, &srv, &accept_src);
	if (r >= 0)
		r = nx_loop_add_signal(srv.loop, SIGTERM, on_signal, &srv, &term);
	if (r >= 0)
		r = nx_loop_add_signal(srv.loop, SIGINT, on_signal, &srv, &intr);
	if (r < 0) {
		fprintf(stderr, "example-server: cannot serve on %s: %s\n", path, strerror(-r));
		return 1;
	}

	printf("example-server: ready on %s\n", path);
	r = nx_loop_run(srv.loop);

	for (struct client *c = srv.clients, *next; c; c = next) {
		next = c->next;
		nx_rpc_conn_free(c->conn);
		free(c);
	}
	nx_source_free(accept_src);
	nx_source_free(term);
	nx_source_free(intr);
	nx_fd_close(srv.listen_fd);
	unlink(path);
	nx_rpc_cap_unref(greeter_cap(srv.greeter));
	nx_loop_free(srv.loop);
	return r == 0 ? 0 : 1;
}
