# SPDX-License-Identifier: MIT
#
# keystored, the keys that never leave (DESIGN.md section 7). It holds the device identity key
# (Ed25519, made once at first boot from rngd entropy, owned by svc:keystored and usable by
# whoever policy lets sign in a domain) and, per subject, named Ed25519 keys that only that
# subject sees, uses and deletes: the subject is the connection's (samgrd's word), never a
# field. No method returns private key material.
#
# A key reference `key` is either "@device" (the device key) or the name of one of the
# caller's own keys: 1..64 bytes of [A-Za-z0-9._-], not starting with '.' or '-'.
# Signatures are Ed25519 over "nexus-sign-v1" NUL domain NUL data, so a signature made for one
# domain never verifies for another. A domain is 1..64 bytes of [a-z0-9._-]; signing in domain
# D needs `crypto.sign.D`.
#
# Data to sign or verify: up to 2048 bytes inline in `data`, larger (up to 1 MiB) as a sealed
# VMO in `vmo` with `data` empty; never both.
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
@0xc9de3c47bee75c84;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("keystore");

const keystoreNameMaxLen :UInt32 = 64;        # KS_NAME_MAX
const keystoreDomainMaxLen :UInt32 = 64;      # KS_DOMAIN_MAX
const keystoreDataInlineMax :UInt32 = 2048;   # KS_INLINE_DATA_MAX
const keystoreDataVmoMax :UInt32 = 1048576;   # KS_VMO_DATA_MAX
const keystoreKeysMax :UInt32 = 32;           # KS_KEYS_PER_SUBJECT
const keystorePublicKeyLen :UInt32 = 32;      # crypto_sign_PUBLICKEYBYTES
const keystoreSignatureLen :UInt32 = 64;      # crypto_sign_BYTES

# One of the caller's keys, as list() shows it.
struct KeyInfo {
  name @0 :Text $N.maxLen(.keystoreNameMaxLen);
  publicKey @1 :Data $N.maxLen(.keystorePublicKeyLen);
  createdNs @2 :UInt64;          # realtime, when create() stored it
}

# The bootstrap object of every channel to keystored.
interface Keystore {
  # The Ed25519 public key of `key` ("@device" or one of the caller's own).
  # Errors: invalid_argument (key not a valid reference), not_found, integrity (the store or
  # the key's record is damaged), unavailable (the device key is not made yet: rngd).
  publicKey @0 (key :Text $N.maxLen(.keystoreNameMaxLen) $N.nonEmpty)
      -> (publicKey :Data $N.maxLen(.keystorePublicKeyLen));

  # Signs `data` (or the VMO's bytes) in `domain` with `key`. Needs `crypto.sign.<domain>`.
  # Errors: invalid_argument (key, domain, data and vmo both given), too_large (data or vmo),
  # denied, not_found, integrity, unavailable.
  sign @1 (key :Text $N.maxLen(.keystoreNameMaxLen) $N.nonEmpty,
      domain :Text $N.maxLen(.keystoreDomainMaxLen) $N.nonEmpty,
      data :Data $N.maxLen(.keystoreDataInlineMax), vmo :T.VmoRef)
      -> (signature :Data $N.maxLen(.keystoreSignatureLen));

  # Whether `signature` is `publicKey`'s over `data` (or the VMO's bytes) in `domain`. Open
  # to every caller that reaches keystored; no key of the store is involved.
  # Errors: invalid_argument (lengths of publicKey and signature, domain, data and vmo both
  # given), too_large (data or vmo).
  verify @2 (publicKey :Data $N.maxLen(.keystorePublicKeyLen) $N.nonEmpty,
      domain :Text $N.maxLen(.keystoreDomainMaxLen) $N.nonEmpty,
      data :Data $N.maxLen(.keystoreDataInlineMax), vmo :T.VmoRef,
      signature :Data $N.maxLen(.keystoreSignatureLen) $N.nonEmpty) -> (valid :Bool);

  # Makes a new Ed25519 key `name` for the caller from rngd entropy and stores it (sealed).
  # Needs `crypto.key.manage`.
  # Errors: invalid_argument (name), denied, already_exists, limit_exceeded (type overloaded:
  # keystoreKeysMax keys held, or too many creations waiting for rngd), integrity,
  # unavailable (rngd not reachable).
  create @3 (name :Text $N.maxLen(.keystoreNameMaxLen) $N.nonEmpty)
      -> (publicKey :Data $N.maxLen(.keystorePublicKeyLen));

  # The caller's own keys, by name.
  # Errors: integrity.
  list @4 () -> (keys :List(KeyInfo) $N.maxCount(.keystoreKeysMax));

  # Deletes the caller's key `name` (its sealed record is gone once this returns).
  # Needs `crypto.key.manage`.
  # Errors: invalid_argument (name), denied, not_found, integrity.
  delete @5 (name :Text $N.maxLen(.keystoreNameMaxLen) $N.nonEmpty) -> ();
}
