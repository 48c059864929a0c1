# SPDX-License-Identifier: MIT
#
# rngd, the single entropy authority (DESIGN.md section 7): one source (/dev/hwrng, else the
# kernel's getrandom), health-tested as SP 800-90B section 4.4 asks, feeding an SP 800-90A
# HMAC_DRBG (SHA-256) that every entropy request is served from. No other service reads a
# hardware or kernel source for key material: keystored, identityd and dsoftbusd ask here.
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
@0xd3a61f0c9b2e4a57;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("rng");

# Bytes getEntropy() returns inline; larger requests come as a sealed VMO.
const rngInlineMax :UInt32 = 256;
# Largest getEntropy() request (1 MiB).
const rngRequestMax :UInt32 = 1048576;
# Longest source name in RngStatus ("hwrng", "getrandom").
const rngSourceNameMaxLen :UInt32 = 32;
# Sources RngStatus lists at most.
const rngSourcesMax :UInt32 = 4;

# One entropy source and its SP 800-90B continuous health tests.
struct RngSource {
  name @0 :Text $N.maxLen(.rngSourceNameMaxLen);
  inUse @1 :Bool;
  healthy @2 :Bool;              # false once a startup or continuous test failed
  samples @3 :UInt64;            # raw bytes read from it and tested
  repetitionFailures @4 :UInt64; # repetition count test (section 4.4.1) failures
  proportionFailures @5 :UInt64; # adaptive proportion test (section 4.4.2) failures
  minEntropyMilliBits @6 :UInt32; # the min-entropy per 8-bit sample the cutoffs assume, x1000
}

# Named apart from Rng.status: both would be `rng_status` in C.
struct RngReport {
  sources @0 :List(RngSource) $N.maxCount(.rngSourcesMax);
  reseeds @1 :UInt64;            # DRBG reseeds since rngd started (instantiation excluded)
  bytesServed @2 :UInt64;
  requestsServed @3 :UInt64;
  requestsRefused @4 :UInt64;    # rate limit, no healthy source
}

# The bootstrap object of every channel to rngd.
interface Rng {
  # `n` bytes from the DRBG. n <= rngInlineMax: in `bytes`, `vmo` null; larger (up to
  # rngRequestMax): `bytes` empty and `vmo` a sealed memfd of exactly n bytes.
  # Needs `rng.entropy`.
  # Errors: invalid_argument (n = 0), too_large (n over rngRequestMax), denied,
  # limit_exceeded (type overloaded: the subject is over its byte rate; the reason names the
  # rate), unavailable (no source passes its health tests).
  getEntropy @0 (n :UInt32) -> (bytes :Data $N.maxLen(.rngInlineMax), vmo :T.VmoRef);

  # Sources, health-test counters, reseeds and bytes served.
  # Needs `rng.entropy`.
  # Errors: denied.
  status @1 () -> (report :RngReport);
}
