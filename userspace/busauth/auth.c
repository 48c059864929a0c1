/* SPDX-License-Identifier: MIT */
/* busauth: the handshake payload binding a Noise static key to a device key. */
#include <errno.h>
#include <string.h>

#include "busauth/auth.h"
#include "keystore/sign.h"

_Static_assert(BUSAUTH_KEY_LEN == KS_PUBLIC_LEN, "device keys are keystore's Ed25519 keys");
_Static_assert(BUSAUTH_SIG_LEN == KS_SIGNATURE_LEN, "signatures are keystore's");

void busauth_payload(const uint8_t device_pub[BUSAUTH_KEY_LEN], const uint8_t sig[BUSAUTH_SIG_LEN],
        uint8_t out[BUSAUTH_PAYLOAD_LEN])
{
	memcpy(out, device_pub, BUSAUTH_KEY_LEN);
	memcpy(out + BUSAUTH_KEY_LEN, sig, BUSAUTH_SIG_LEN);
}

int busauth_check(const uint8_t *payload, size_t len, const uint8_t remote_static[BUSAUTH_KEY_LEN],
        uint8_t ret_device_pub[BUSAUTH_KEY_LEN])
{
	int r;

	if (!payload || len != BUSAUTH_PAYLOAD_LEN)
		return -EBADMSG;
	r = ks_verify(payload, BUSAUTH_SIGN_DOMAIN, remote_static, BUSAUTH_KEY_LEN,
	        payload + BUSAUTH_KEY_LEN);
	if (r == -EBADMSG)
		return -EKEYREJECTED;
	if (r < 0)
		return r;
	memcpy(ret_device_pub, payload, BUSAUTH_KEY_LEN);
	return 0;
}

bool busauth_keep_initiated(const char *self_id, const char *peer_id)
{
	return strcmp(self_id, peer_id) < 0;
}
