# SPDX-License-Identifier: MIT
#
# samgrd, the service registry (DESIGN.md sections 3 and 7). Every connection to samgrd has a
# subject fixed by whoever made the connection: `svc:<name>` / `app:<bundle>` for channels a
# trusted broker adopted (SamgrAdmin.adopt), `uid:<n>` for the external socket
# $NEXUS_RUNTIME_DIR/samgr.sock (from SO_PEERCRED). Capabilities named below are checked for
# that subject (policyd once it runs; until then samgrd's interim deny-by-default rule).
# Errors are exceptions whose reason starts with a section 9 code.
@0xc2cd4ad4ca5f7c46;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
using I = import "identity.capnp";
$N.prefix("samgr");

# Service names: 1..64 bytes of [a-z0-9._-].
const samgrNameMaxLen :UInt32 = 64;
# Most entries list() returns in one answer (the answer must fit one 4 KiB message).
const samgrListMaxCount :UInt32 = 32;

struct Entry {
  name @0 :Text $N.maxLen(.samgrNameMaxLen);
  # The subject of the connection that registered the name.
  owner @1 :Text $N.maxLen(T.subjectMaxLen);
}

# Told about one name's owner coming and going.
interface ServiceWatcher {
  # `up` true: `name` was registered (or already was when watch() was called); false: its
  # owner unregistered or died.
  changed @0 (name :Text $N.maxLen(.samgrNameMaxLen), up :Bool) -> ();
}

# The bootstrap object of every connection to samgrd but the admin channel.
interface Samgr {
  # Makes `name` resolvable: samgrd keeps `host` and calls host.accept() for each client.
  # One owner per name; the name is freed when the owner's connection to samgrd ends, and
  # watchers are told.
  # Needs `ipc.register.<name>`.
  # Errors: invalid_argument (bad name, no host), denied, already_exists,
  # limit_exceeded (too many names).
  register @0 (name :Text $N.maxLen(.samgrNameMaxLen) $N.nonEmpty, host :T.ServiceHost) -> ();

  # A fresh channel to `name`, whose bootstrap is the service: samgrd makes a socketpair,
  # hands one end to the owner through ServiceHost.accept(end, <caller's subject>) and returns
  # the other. One channel per call. The endpoint is also a proxy, for clients whose library
  # cannot take its fd: a call on it (any interface, any method) is forwarded by samgrd to the
  # service over a second channel brokered the same way on the first such call, and answered
  # back; results carrying an fd are refused to a client that never sent samgrd one
  # (unsupported: <field>); calls fail disconnected once that service instance is gone.
  # Needs `ipc.connect.<name>`.
  # Errors: invalid_argument, denied, not_found (nobody registered it), unavailable (the
  # owner refused or died while accepting; its own reason follows), limit_exceeded.
  resolve @1 (name :Text $N.maxLen(.samgrNameMaxLen) $N.nonEmpty) -> (endpoint :T.Endpoint);

  # Every registered name with its owner, sorted by name, at most samgrListMaxCount.
  # Needs `samgr.list`.
  # Errors: denied.
  list @2 () -> (entries :List(Entry) $N.maxCount(.samgrListMaxCount));

  # Calls cb.changed(name, up) now if `name` is registered, then on every change, until the
  # caller's connection ends or it drops `cb`.
  # Needs `ipc.connect.<name>` (knowing a service exists is part of being allowed to use it).
  # Errors: invalid_argument, denied, limit_exceeded (too many watchers on this connection).
  watch @3 (name :Text $N.maxLen(.samgrNameMaxLen) $N.nonEmpty, cb :ServiceWatcher) -> ();

  # Presents an identityd session token (identity.capnp): samgrd asks identityd to verify it
  # and from then on this connection's subject is `user:<name>`, for every resolve and check,
  # until the session expires or is revoked (then it is the connection's own subject again).
  # Only for samgr.sock connections (uid:<n>, or user:<name> presenting another token); the
  # token is the authority, no capability is asked. The connection stays counted against its
  # own subject's connection limit.
  # Errors: invalid_argument (token not 32 bytes), denied (not a samgr.sock connection;
  # expired, revoked or unknown token), unavailable (identityd is not running).
  authenticate @4 (token :Data $N.maxLen(I.identityTokenLen) $N.nonEmpty)
      -> (subject :Text $N.maxLen(T.subjectMaxLen));

  # SamgrAdmin.adopt for a service that starts or brokers callers of its own (execd,
  # dsoftbusd): starts serving Samgr on `conn`'s fd with `subject` as that connection's
  # subject, the caller's own subject being the adopter. The same fixed table decides: `svc:dsoftbusd` hands out
  # `peer:<device>/<subject>` (a caller on a paired device), `svc:execd` `app:<bundle>`;
  # every other caller nothing. No capability is asked: the table is the rule.
  # Errors: invalid_argument (no fd, malformed subject), denied (subject outside the caller's
  # prefix), limit_exceeded.
  adopt @5 (conn :T.Endpoint, subject :Text $N.maxLen(T.subjectMaxLen) $N.nonEmpty) -> ();
}

# The bootstrap object of the admin channel that nexus-init holds to samgrd.
interface SamgrAdmin {
  # Starts serving Samgr on `conn`'s fd for a process the adopter started, with `subject` as
  # that connection's subject. The adopter may only hand out subjects under its own prefix:
  # nexus-init (`svc:init`) adopts `svc:<name>`.
  # Errors: invalid_argument (no fd, malformed subject), denied (subject outside the
  # adopter's prefix), limit_exceeded.
  adopt @0 (conn :T.Endpoint, subject :Text $N.maxLen(T.subjectMaxLen) $N.nonEmpty) -> ();
}
