# SPDX-License-Identifier: MIT
#
# The signed bundle file format (DESIGN.md section 7, bundlemgrd), apart from bundlemgrd's
# interface (bundle.capnp) so that userspace/bundle, which reads and writes it, needs nothing
# but nx-capnp.
#
# A bundle file (`.nxb`) is one Cap'n Proto message (standard framing) whose root is
# BundleFile: a Manifest, an Ed25519 signature, and the files' contents in the manifest's
# order. The signature is over the bytes "nexus-bundle-v1\0" (16 bytes) followed by the
# canonical form of the manifest (nx-capnp's, byte-equal to `capnp convert
# binary:canonical`). The manifest carries every file's SHA-256, so the signature covers every
# byte installed.
#
# Rules userspace/bundle enforces (rules.h), beyond the limits annotated here:
#   id         reverse-DNS: 2..idMaxLabels labels joined by '.', each 1..63 bytes of
#              [a-z0-9_], starting with a letter ("org.nexus.hello")
#   version    >= 1; an installed bundle is replaced only by a higher version unless the
#              operator forces it (Bundles.install force, capability bundle.downgrade)
#   publisher  keyLen bytes; signature signatureLen bytes; sha256 hashLen bytes
#   paths      relative, '/'-separated, normalised: no empty, "." or ".." segment, no leading
#              or trailing '/', bytes 0x21..0x7e except '\' (no NUL, no space); no two files
#              with the same path and no file that is also a directory of another
#   modes      permission bits only (no setuid/setgid/sticky, no file type: symlinks and
#              devices cannot be expressed), owner-readable
#   size       equal to the length of the file's contents
#   entry      the path of a file with its owner-execute bit set
#   caps       capability names of the policy language, without '*', no duplicates
@0xce01a66f333e5b5c;

using N = import "/nexus.capnp";
$N.prefix("nxb");

const idMaxLen :UInt32 = 128;       # BND_ID_MAX
const idMaxLabels :UInt32 = 16;     # BND_ID_LABELS_MAX
const pathMaxLen :UInt32 = 255;     # BND_PATH_MAX
const filesMax :UInt32 = 4096;      # BND_FILES_MAX
const capsMax :UInt32 = 16;         # BND_CAPS_MAX
const capMaxLen :UInt32 = 128;      # BND_CAP_MAX
const keyLen :UInt32 = 32;          # Ed25519 public key
const signatureLen :UInt32 = 64;    # Ed25519 signature
const hashLen :UInt32 = 32;         # SHA-256
# Largest bundle file (BND_PAYLOAD_MAX, 256 MiB).
const payloadMaxBytes :UInt64 = 268435456;

enum Restart {
  never @0;
  onFailure @1;
  always @2;
}

# Resource limits execd applies to the bundle's processes; 0 = the system default.
struct Limits {
  memoryBytes @0 :UInt64;
  tasks @1 :UInt32;
  openFiles @2 :UInt32;
}

# One file of a bundle.
struct Entry {
  path @0 :Text $N.nonEmpty $N.maxLen(.pathMaxLen);
  mode @1 :UInt32;
  size @2 :UInt64;
  sha256 @3 :Data $N.maxLen(.hashLen);
}

struct Manifest {
  id @0 :Text $N.nonEmpty $N.maxLen(.idMaxLen);
  version @1 :UInt64;
  publisher @2 :Data $N.maxLen(.keyLen);
  entry @3 :Text $N.nonEmpty $N.maxLen(.pathMaxLen);
  caps @4 :List(Text) $N.maxCount(.capsMax) $N.maxLen(.capMaxLen);
  restart @5 :Restart $N.closed;
  limits @6 :Limits;
  files @7 :List(Entry) $N.nonEmpty $N.maxCount(.filesMax);
}

# The root of a bundle file. contents[i] holds the bytes of manifest.files[i].
struct BundleFile {
  manifest @0 :Manifest;
  signature @1 :Data $N.maxLen(.signatureLen);
  contents @2 :List(Data) $N.maxCount(.filesMax);
}
