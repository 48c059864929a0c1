/* SPDX-License-Identifier: MIT */
/*
 * samgr.sock, the one external entry (DESIGN.md section 3): local users connect to
 * $NEXUS_RUNTIME_DIR/samgr.sock and are served Samgr under the subject uid:<n>, from the
 * kernel's word on who connected, never from a payload. The socket is mode 0666 by default:
 * policy decides what each uid may do (as for the D-Bus system bus), not the file mode;
 * $NEXUS_SAMGR_SOCK_MODE (octal, at most 0777) narrows it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "samgrd.h"

/* $NEXUS_SAMGR_SOCK_MODE, or the default; -EINVAL if the variable is not an octal mode. */
static int sock_mode(unsigned *ret)
{
	const char *env = getenv(SAMGRD_SOCK_MODE_ENV);
	unsigned long v;
	char *end;

	if (!env || !*env) {
		*ret = SAMGRD_SOCK_MODE_DEFAULT;
		return 0;
	}
	errno = 0;
	v = strtoul(env, &end, 8);
	if (errno || *end || v > 0777)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static void on_connect(nx_source *s, int fd, uint32_t events, void *userdata)
{
	struct samgrd *d = userdata;
	char subject[32];
	uint32_t uid;
	int cfd, r;

	while (nx_accept(fd, &cfd) == 0) {
		if (nx_chan_peer_cred(cfd, &uid, NULL, NULL) < 0) {
			nx_fd_close(cfd);
			continue;
		}
		snprintf(subject, sizeof(subject), "uid:%u", (unsigned)uid);
		r = samgrd_client_add(d, cfd, subject, strlen(subject)); /* takes cfd */
		/* Past a limit it was told why and logged; anything else is ours. */
		if (r < 0 && r != -EDQUOT)
			samgrd_refusal_log(d, subject,
			        r == -ENOMEM ? "internal: out of memory"
			                     : "internal: the connection could not be set up");
	}
}

int samgrd_external_serve(struct samgrd *d)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR");
	unsigned mode;
	int r;

	if (!dir || !*dir ||
	        (size_t)snprintf(d->sock_path, sizeof(d->sock_path), "%s/samgr.sock", dir) >=
	                sizeof(d->sock_path)) {
		nx_log(NX_LOG_ERROR, NULL, "NEXUS_RUNTIME_DIR is unset or too long");
		d->sock_path[0] = '\0';
		return -EINVAL;
	}
	r = sock_mode(&mode);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "%s=%s is not an octal mode up to 0777",
		        SAMGRD_SOCK_MODE_ENV, getenv(SAMGRD_SOCK_MODE_ENV));
		d->sock_path[0] = '\0';
		return r;
	}
	r = nx_listen_unix(d->sock_path, mode, &d->listen_fd);
	if (r < 0) {
		d->sock_path[0] = '\0'; /* not ours to remove */
		return r;
	}
	return nx_loop_add_fd(d->loop, d->listen_fd, NX_EV_IN, on_connect, d, &d->accept_src);
}

void samgrd_external_stop(struct samgrd *d)
{
	d->accept_src = nx_source_free(d->accept_src);
	d->listen_fd = nx_fd_close(d->listen_fd);
	if (d->sock_path[0])
		unlink(d->sock_path);
	d->sock_path[0] = '\0';
}
