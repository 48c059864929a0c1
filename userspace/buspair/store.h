/* SPDX-License-Identifier: MIT */
/*
 * buspair store: the devices this device is paired with (pinned peers), in one SQLite file
 * whose path the adapter gives (inside dsoftbusd's state dir). A pin binds a device id to the
 * device's Ed25519 public key and its Noise static X25519 public key, as WireGuard binds a
 * peer to its key: a session whose keys differ from the pin for its id is refused, and that
 * is reported as its own error (-EKEYREJECTED), never as "not paired".
 *
 * Every change is one SQLite transaction (synchronous=FULL): a crash leaves the old or the new
 * pins, never a mix. A damaged file is -EBADMSG (DESIGN.md section 9 `integrity`) from open on.
 * Single-threaded.
 */
#ifndef BUSPAIR_STORE_H
#define BUSPAIR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h" /* BUSPAIR_*: nexus/limits-busmux.h */

/* A device id: 32 lowercase hex digits (busdisc_device_id: SHA-256 of the device key, cut). */
#define BUSPAIR_ID_LEN  32u
#define BUSPAIR_KEY_LEN 32u

typedef struct buspair_store buspair_store;

struct buspair_peer {
	char device[BUSPAIR_ID_LEN + 1];
	uint8_t device_pub[BUSPAIR_KEY_LEN]; /* Ed25519 */
	uint8_t static_pub[BUSPAIR_KEY_LEN]; /* X25519, the Noise static key */
	uint64_t paired_ns;                  /* realtime, when it was pinned */
};

/* 0 if `device` is a device id (NUL-terminated, BUSPAIR_ID_LEN lowercase hex), else -EINVAL. */
int buspair_id_check(const char *device);

/* Opens (or makes) the store at path (borrowed). 0 with *ret; -EBADMSG (damaged: not a
 * database, failed quick_check, a foreign schema), -EIO, -ENOMEM. */
int buspair_store_open(const char *path, buspair_store **ret);

/* Closes. Takes NULL; returns NULL. */
buspair_store *buspair_store_close(buspair_store *s);

/* Pins p. 0 (pinned now, or already pinned with the same keys); -EKEYREJECTED (pinned with
 * other keys: unpin first), -EDQUOT (BUSPAIR_PINS_MAX pins), -EINVAL (device id), -EBADMSG,
 * -EIO. */
int buspair_pin(buspair_store *s, const struct buspair_peer *p);

/* Unpins. 0, -ENOENT (not pinned), -EINVAL, -EBADMSG, -EIO. */
int buspair_unpin(buspair_store *s, const char *device);

/* The pin for device: 0 with *ret, -ENOENT, -EINVAL, -EBADMSG, -EIO. */
int buspair_lookup(buspair_store *s, const char *device, struct buspair_peer *ret);

/* Whether a session with these keys may speak for device: 0 (pinned with exactly these keys),
 * -ENOENT (not paired), -EKEYREJECTED (pinned with other keys), -EINVAL, -EBADMSG, -EIO. */
int buspair_check(buspair_store *s, const char *device, const uint8_t device_pub[BUSPAIR_KEY_LEN],
        const uint8_t static_pub[BUSPAIR_KEY_LEN]);

/* The pins by device id, at most cap into out: 0 with *ret_n; -EBADMSG, -EIO. */
int buspair_list(buspair_store *s, struct buspair_peer *out, size_t cap, size_t *ret_n);

#endif
