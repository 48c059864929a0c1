# SPDX-License-Identifier: MIT
#
# dsoftbusd, the distributed device bus (DESIGN.md section 7). Devices find each other by
# signed DNS-SD announcements, talk over TCP sessions secured by
# Noise_XX_25519_ChaChaPoly_BLAKE2b whose static key the device key signed, and call each
# other's exported services once an operator paired them on both sides (a short
# authentication string shown by both, then the peer's device key pinned).
#
# A device id is the first 16 bytes of SHA-256(the device's Ed25519 public key) as 32 lowercase
# hex digits. On the device that serves a remote call the caller is
# `peer:<caller's device id>/<caller's subject there>`, and that device's policy decides.
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
@0xcf34c47fec2d2cb0;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("bus");

# A device id: 32 lowercase hex digits (BUSDISC_ID_LEN).
const busDeviceIdLen :UInt32 = 32;
# Service names, as samgrd's: 1..64 bytes of [a-z0-9._-].
const busServiceNameMaxLen :UInt32 = 64;
# Longest "host:port" a peer is reached at (an IPv6 address in brackets, a port).
const busAddressMaxLen :UInt32 = 64;
# The short authentication string: 6 decimal digits.
const busSasLen :UInt32 = 6;
# Peers peers() lists at most (BUS_PEERS_MAX).
const busPeersMax :UInt32 = 32;
# Services a device exports at most (BUS_EXPORTS_MAX).
const busExportsMax :UInt32 = 16;
# Pairings waiting for a confirmation at most (BUS_PENDING_MAX).
const busPendingMax :UInt32 = 8;

# A device this one knows: discovered, paired, or both.
struct Peer {
  device @0 :Text $N.maxLen(.busDeviceIdLen);
  # Where it was last seen ("address:port"), empty if only its pin is known.
  address @1 :Text $N.maxLen(.busAddressMaxLen);
  # Milliseconds since its last valid announcement or session record; 0 if never seen.
  lastSeenMs @2 :UInt64;
  paired @3 :Bool;
  # A session is established (handshake done, identity bound).
  connected @4 :Bool;
  # The services its announcement lists.
  services @5 :List(Text) $N.maxCount(.busExportsMax) $N.maxLen(.busServiceNameMaxLen);
  # Streams open on its session now.
  streams @6 :UInt32;
}

# What status() reports (named apart from Bus.status: both would be bus_status in C): this device and the counters a test or an operator watches. Every
# refusal is counted under the cause that made it.
struct BusReport {
  device @0 :Text $N.maxLen(.busDeviceIdLen);
  # The TCP port sessions are accepted on.
  port @1 :UInt16;
  # This device's Noise static public key (32 bytes), signed by the device key.
  noiseStatic @2 :Data $N.maxLen(32);
  exported @3 :List(Text) $N.maxCount(.busExportsMax) $N.maxLen(.busServiceNameMaxLen);
  sessions @4 :UInt32;
  handshakesOk @5 :UInt64;
  # Handshakes that failed: malformed, truncated, bad signature, timed out.
  handshakesFailed @6 :UInt64;
  # A pinned device presented another device key: refused and reported.
  pinMismatches @7 :UInt64;
  # Transport records that failed to decrypt (replayed, reordered, forged): session killed.
  recordsRejected @8 :UInt64;
  # Sessions ended because the peer broke the stream protocol (bad frame, too many streams,
  # flooding past its credit) or stalled (slowloris, idle past the timeout).
  sessionsKilled @9 :UInt64;
  # OPEN requests refused: unpaired, not exported, over the per-peer stream cap, denied.
  opensRefused @10 :UInt64;
  rekeys @11 :UInt64;
  bytesIn @12 :UInt64;
  bytesOut @13 :UInt64;
  # Announcements ignored (unsigned, bad signature, stale, replayed, malformed).
  announcementsIgnored @14 :UInt64;
  # Sessions with paired devices back after they dropped (re-dialled with backoff, or the
  # peer dialled back first).
  reconnects @15 :UInt64;
}

# A pairing one side started and not both confirmed yet.
struct PendingPairing {
  device @0 :Text $N.maxLen(.busDeviceIdLen);
  # The short authentication string both devices show.
  sas @1 :Text $N.maxLen(.busSasLen);
  # This side confirmed (accept) already.
  confirmedHere @2 :Bool;
  # The other side confirmed already.
  confirmedThere @3 :Bool;
}

# The bootstrap object of every channel to dsoftbusd.
interface Bus {
  # Devices discovered or paired, sorted by device id.
  # Needs `bus.peers`.
  # Errors: denied.
  peers @0 () -> (peers :List(Peer) $N.maxCount(.busPeersMax));

  # This device and its counters.
  # Needs `bus.peers`.
  # Errors: denied.
  status @1 () -> (report :BusReport);

  # Starts pairing with `device` (discovered, or reached at `address` when given): a session
  # is set up if there is none and a pairing request sent. Returns the short authentication
  # string both sides show; the operator compares them and confirms with accept() on each.
  # Needs `bus.pair`.
  # Errors: invalid_argument (device, address), denied, not_found (not discovered and no
  # address), already_exists (paired already), unavailable (cannot connect, handshake
  # failed: the reason says why), limit_exceeded (busPendingMax pairings waiting).
  pair @2 (device :Text $N.maxLen(.busDeviceIdLen) $N.nonEmpty,
      address :Text $N.maxLen(.busAddressMaxLen)) -> (sas :Text $N.maxLen(.busSasLen));

  # Pairings waiting for a confirmation, either side's.
  # Needs `bus.pair`.
  # Errors: denied.
  pending @3 () -> (pending :List(PendingPairing) $N.maxCount(.busPendingMax));

  # Confirms the pending pairing with `device`; with `sas` non-empty, only if it is the string
  # this side shows. Once both sides confirmed, each pins the other's device key.
  # Needs `bus.pair`.
  # Errors: invalid_argument (device, sas not 6 digits), denied, not_found (no such pending
  # pairing), integrity (sas differs: the pairing is dropped), unavailable (the session
  # broke).
  accept @4 (device :Text $N.maxLen(.busDeviceIdLen) $N.nonEmpty,
      sas :Text $N.maxLen(.busSasLen)) -> ();

  # Drops the pending pairing with `device` and tells the other side.
  # Needs `bus.pair`.
  # Errors: invalid_argument, denied, not_found.
  reject @5 (device :Text $N.maxLen(.busDeviceIdLen) $N.nonEmpty) -> ();

  # Forgets the pin of `device` and ends its session: it can no longer call or be called.
  # Needs `bus.pair`.
  # Errors: invalid_argument, denied, not_found (not paired).
  unpair @6 (device :Text $N.maxLen(.busDeviceIdLen) $N.nonEmpty) -> ();

  # A channel to `service` on the paired device `device`: its bootstrap is that service, and
  # it speaks ordinary Cap'n Proto RPC end to end; there the caller is
  # `peer:<this device's id>/<caller's subject>` and the remote policy decides (an
  # `ipc.connect.<service>` denial comes back as `denied: ...`). Attached fds cross only as
  # sealed memfd VMOs (streamed in chunks); any other fd is refused with `unsupported: ...`.
  # Needs `bus.open.<device>`.
  # Errors: invalid_argument (device, service), denied (here, or by the remote device),
  # not_found (the remote device does not export `service`), unavailable (not paired, no
  # session and none can be made, the session broke), limit_exceeded (streams per peer).
  open @7 (device :Text $N.maxLen(.busDeviceIdLen) $N.nonEmpty,
      service :Text $N.maxLen(.busServiceNameMaxLen) $N.nonEmpty)
      -> (endpoint :T.Endpoint);

  # Makes `service` reachable from paired devices (`on` true) or not any more (false); kept
  # across restarts in dsoftbusd's state dir and listed in its announcements.
  # Needs `bus.export.<service>`.
  # Errors: invalid_argument (service), denied, limit_exceeded (busExportsMax exported).
  export @8 (service :Text $N.maxLen(.busServiceNameMaxLen) $N.nonEmpty, on :Bool) -> ();
}
