/* SPDX-License-Identifier: MIT */
/*
 * busauth: what binds a bus session to a device (DESIGN.md section 7, dsoftbusd). Each side
 * of the Noise XX handshake carries, as its handshake payload (message 2 for the responder,
 * message 3 for the initiator), its device's Ed25519 public key and that key's signature
 * over its Noise static public key in domain BUSAUTH_SIGN_DOMAIN (keystored signs it; the
 * construction is keystore/sign.h's, never another):
 *
 *     device_pub[32] | signature[64]
 *
 * The receiver checks the signature against the static key the handshake itself showed, so a
 * session speaks for exactly the device whose key signed the static key it ran with. Whether
 * that device is paired, and with these keys, is buspair's question (buspair_check).
 *
 * Pure: libsodium's Ed25519 through keystore/sign.h, no I/O. Call sodium_init() once before.
 */
#ifndef BUSAUTH_AUTH_H
#define BUSAUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUSAUTH_PROLOGUE    "nexus-bus/1" /* the Noise prologue: protocol and its version */
#define BUSAUTH_SIGN_DOMAIN "bus.static"
#define BUSAUTH_KEY_LEN     32u
#define BUSAUTH_SIG_LEN     64u
#define BUSAUTH_PAYLOAD_LEN (BUSAUTH_KEY_LEN + BUSAUTH_SIG_LEN)

/* The handshake payload of a device with key device_pub whose static key keystored signed
 * as sig, into out. */
void busauth_payload(const uint8_t device_pub[BUSAUTH_KEY_LEN], const uint8_t sig[BUSAUTH_SIG_LEN],
        uint8_t out[BUSAUTH_PAYLOAD_LEN]);

/* Checks the peer's handshake payload (len bytes, borrowed) against remote_static, the Noise
 * static key the handshake showed: 0 with ret_device_pub set (its device id is
 * busdisc_device_id of it); -EBADMSG (not BUSAUTH_PAYLOAD_LEN bytes), -EKEYREJECTED (the
 * signature is not the device key's over remote_static in BUSAUTH_SIGN_DOMAIN), -ENOMEM.
 * ret_device_pub is untouched on failure. */
int busauth_check(const uint8_t *payload, size_t len, const uint8_t remote_static[BUSAUTH_KEY_LEN],
        uint8_t ret_device_pub[BUSAUTH_KEY_LEN]);

/* Whether this side keeps its own dialled session when two devices dialled each other at
 * once: the device with the smaller id keeps the session it initiated, so both end with the
 * same one. self_id and peer_id are NUL-terminated device ids. */
bool busauth_keep_initiated(const char *self_id, const char *peer_id);

#endif
