/* SPDX-License-Identifier: MIT */
/*
 * Trust anchors: the publisher keys the operator trusts, one file per key in the trust dir,
 * named <key id>.pub (the key id: rules.h bnd_key_id) and holding the Ed25519 public key as 64
 * hex digits (what `nx bundle keygen` writes to KEY.pub). Read at each install, so adding or
 * removing a file takes effect without a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundlemgrd.h"
#include "nx-abi/dirfile.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"

int bmd_trust_open(struct bundlemgrd *d, const char *state_dir)
{
	const char *env = getenv(BMD_TRUST_ENV);
	int state = -1, fd = -1, r;

	if (env && *env)
		return nx_dir_open(env, &d->trust_dirfd);
	r = nx_dir_open_at(-1, state_dir, false, &state);
	if (r >= 0)
		r = nx_dir_open_at(state, BMD_TRUST_SUBDIR, true, &fd);
	nx_fd_close(state);
	if (r >= 0)
		d->trust_dirfd = fd;
	return r;
}

int bmd_trust_lookup(void *ctx, const char *key_id, const uint8_t claimed[BND_KEY_LEN],
        uint8_t ret_key[BND_KEY_LEN])
{
	struct bundlemgrd *d = ctx;
	char name[BND_KEY_ID_LEN + 8];
	void *buf = NULL;
	size_t len = 0;
	int r;

	snprintf(name, sizeof(name), "%s.pub", key_id);
	r = nx_file_read_beneath(d->trust_dirfd, name, BMD_TRUST_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	while (len > 0 && (((char *)buf)[len - 1] == '\n' || ((char *)buf)[len - 1] == ' '))
		len--;
	r = bnd_unhex(buf, len, ret_key, BND_KEY_LEN) < 0 ? -EBADMSG : 0;
	free(buf);
	return r;
}
