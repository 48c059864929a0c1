/* SPDX-License-Identifier: MIT */
/*
 * samgrd: the service registry (DESIGN.md sections 3 and 7).
 *
 *   fd 3   the admin channel from nexus-init: SamgrAdmin, adopter subject svc:init
 *   fd 4   the readiness pipe: one line once both entries below serve
 *   $NEXUS_RUNTIME_DIR/samgr.sock (0600): Samgr for local users, subject uid:<n>
 *
 * samgr.c serves the interfaces over userspace/registry (names, owners, watchers, adoption
 * rules); allow.c is the one policy seam (the interim rule until policyd).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "samgrd.h"

static void on_external(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct samgrd *d = userdata;
	char subject[32];
	uint32_t uid;
	int cfd, r;

	while (nx_accept(fd, &cfd) == 0) {
		/* The kernel's word on who connected is the subject; nothing in a payload is. */
		if (nx_chan_peer_cred(cfd, &uid, NULL, NULL) < 0) {
			nx_fd_close(cfd);
			continue;
		}
		snprintf(subject, sizeof(subject), "uid:%u", (unsigned)uid);
		r = samgrd_client_add(d, cfd, subject, strlen(subject)); /* takes cfd */
		if (r < 0)
			nx_log(NX_LOG_WARN, NULL, "refused a connection from %s: %s", subject,
			        strerror(-r));
	}
}

static void on_signal(nx_source *s, int signo, void *userdata)
{
	struct samgrd *d = userdata;

	nx_loop_quit(d->loop, 0);
}

static int ready(void)
{
	static const char line[] = "ready\n";
	ssize_t n;

	nx_log_ready(); /* before init can print "init: up samgrd" */
	n = write(NX_SVC_READY_FD, line, sizeof(line) - 1);
	nx_fd_close(NX_SVC_READY_FD);
	return n < 0 ? -errno : 0;
}

int main(void)
{
	struct samgrd d = {.listen_fd = -1, .uid = (uint32_t)getuid()};
	nx_source *term = NULL, *intr = NULL;
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	char path[256];
	int r, code;

	nx_log_init("samgrd");
	if (!dir || !*dir ||
	        (size_t)snprintf(path, sizeof(path), "%s/samgr.sock", dir) >= sizeof(path)) {
		nx_log(NX_LOG_ERROR, NULL, "NEXUS_RUNTIME_DIR is unset or too long");
		return 2;
	}
	r = nx_loop_new(&d.loop);
	if (r >= 0)
		r = nx_loop_add_signal(d.loop, SIGTERM, on_signal, &d, &term);
	if (r >= 0)
		r = nx_loop_add_signal(d.loop, SIGINT, on_signal, &d, &intr);
	if (r >= 0)
		r = samgrd_registry_new(&d);
	if (r >= 0)
		r = samgrd_admin_serve(&d, NX_SVC_BOOTSTRAP_FD); /* takes fd 3 */
	if (r >= 0)
		r = nx_listen_unix(path, 0600, &d.listen_fd);
	if (r >= 0)
		r = nx_loop_add_fd(d.loop, d.listen_fd, NX_EV_IN, on_external, &d, &d.accept_src);
	if (r >= 0)
		r = ready();
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
		code = 1;
	} else {
		code = nx_loop_run(d.loop) == 0 ? 0 : 1;
	}

	nx_source_free(d.accept_src);
	if (d.listen_fd >= 0) {
		nx_fd_close(d.listen_fd);
		unlink(path);
	}
	samgrd_logd_down(&d); /* nx-log's sink, before the loop goes */
	samgrd_free_all(&d);
	nx_source_free(term);
	nx_source_free(intr);
	nx_loop_free(d.loop);
	return code;
}
