# SPDX-License-Identifier: MIT
#
# bundlemgrd, the package authority (DESIGN.md section 7): installs signed bundles (the file
# format is bundle-format.capnp), keeps their files content-addressed and their records in
# SQLite, serves their files, and tells policyd what installed bundles grant.
# Errors are exceptions whose reason starts with a section 9 code.
@0x84a2212902ad1389;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
using F = import "bundle-format.capnp";
$N.prefix("bundle");

# A publisher key id: 16 lowercase hex digits, the first 8 bytes of SHA-256(public key).
const bundleKeyIdLen :UInt32 = 16;
# Summaries one list() answers at most (one 4 KiB message).
const bundleListMax :UInt32 = 16;
# Most watchers bundlemgrd keeps, over all connections, and per connection.
const bundleWatchersMax :UInt32 = 64;
const bundleWatchersPerConnMax :UInt32 = 4;

# An installed bundle, as list() shows it.
struct Summary {
  id @0 :Text $N.maxLen(F.idMaxLen);
  version @1 :UInt64;
  publisher @2 :Text $N.maxLen(.bundleKeyIdLen);
  files @3 :UInt32;
  bytes @4 :UInt64;        # the files' sizes added up
}

# An installed bundle, as info() shows it.
struct Info {
  summary @0 :Summary;
  entry @1 :Text $N.maxLen(F.pathMaxLen);
  caps @2 :List(Text) $N.maxCount(F.capsMax) $N.maxLen(F.capMaxLen);
  restart @3 :F.Restart;
  limits @4 :F.Limits;
}

enum Event {
  installed @0;
  upgraded @1;
  removed @2;
}

# Told about installs and removals.
interface BundleWatcher {
  changed @0 (event :Event, id :Text $N.maxLen(F.idMaxLen), version :UInt64) -> ();
}

# The bootstrap object of every channel to bundlemgrd.
interface Bundles {
  # Installs the bundle file in `payload` (a sealed memfd of at most F.payloadMaxBytes).
  # Checks, in this order, each failing with its own code: the size (too_large), the
  # structure (invalid_argument: "structure: ..."), the signature against the trust anchors
  # (denied: "signature: ..."), every file's hash (integrity: "files[N]: ..."), the manifest
  # rules (invalid_argument: "manifest.<field>: ..."; a downgrade or the same version is
  # already_exists unless `force`), the requested capabilities against what policy lets the
  # publisher grant (`publisher:<key id>` must hold `grant.<cap>`; denied: "caps: ...").
  # Nothing is visible until everything passed; then the files, the record and the grants
  # of `app:<id>` change at once. An unsealed VMO or one that is not a memfd:
  # invalid_argument.
  # Needs `bundle.install`, and `bundle.downgrade` for force.
  # Errors: as above, unavailable (policyd cannot be asked), internal (storage).
  install @0 (payload :T.VmoRef, force :Bool) -> (id :Text, version :UInt64, previous :UInt64);

  # Removes an installed bundle: its record, its grants and the files no other bundle uses.
  # Returns the version removed. Needs `bundle.remove`.
  # Errors: not_found, invalid_argument (not a bundle id), denied.
  remove @1 (id :Text $N.nonEmpty $N.maxLen(F.idMaxLen)) -> (version :UInt64);

  # Installed bundles in id order, after `after` ("" for the first page), at most
  # bundleListMax; `more` when another follows the last one returned.
  # Needs `bundle.list`.
  list @2 (after :Text $N.maxLen(F.idMaxLen))
      -> (bundles :List(Summary) $N.maxCount(.bundleListMax), more :Bool);

  # One installed bundle, and its signed manifest (`manifest`: a sealed memfd holding the
  # canonical form of the Manifest, one segment without a segment table: what was signed,
  # after the 16-byte prefix). Needs `bundle.list`.
  # Errors: not_found, invalid_argument, denied.
  info @3 (id :Text $N.nonEmpty $N.maxLen(F.idMaxLen)) -> (info :Info, manifest :T.VmoRef);

  # The contents of `path` in the installed bundle `bundle`, as a sealed read-only memfd,
  # and its mode. Needs `bundle.read`.
  # Errors: not_found (no such bundle or file), invalid_argument (not a bundle id or a bundle
  # path), denied, integrity (the stored blob no longer matches its size).
  openFile @4 (bundle :Text $N.nonEmpty $N.maxLen(F.idMaxLen),
      path :Text $N.nonEmpty $N.maxLen(F.pathMaxLen)) -> (file :T.VmoRef, mode :UInt32);

  # Calls cb.changed() on every install, upgrade and removal until the caller drops `cb` or
  # its connection ends. Needs `bundle.watch`.
  # Errors: invalid_argument (no cb), limit_exceeded (bundleWatchersPerConnMax through this
  # connection, or bundleWatchersMax in all), denied.
  watch @5 (cb :BundleWatcher) -> ();
}
