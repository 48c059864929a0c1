# SPDX-License-Identifier: MIT
#
# identityd, local users and their sessions (DESIGN.md sections 3 and 7). Users have argon2id
# password hashes; login() makes a session: a 256-bit token from rngd that identityd keeps only
# as a hash, with an expiry and a revocation. A client on samgr.sock presents its token to
# Samgr.authenticate; samgrd asks verify() here, and from then on that connection's subject is
# user:<name>, until the session expires or is revoked (samgrd learns revocations through the
# SessionWatcher it gives watchSessions()).
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
@0xcfa2665637f2fc65;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("identity");

# User names: 1..32 bytes, a lower-case letter or `_` first, then [a-z0-9_-] (checked by
# userspace/identity beyond the length: quotes, semicolons, spaces and NUL are refused).
const identityUserMaxLen :UInt32 = 32;
# Passwords: 1..256 bytes, any bytes but NUL. Longer is refused, not cut.
const identityPasswordMaxLen :UInt32 = 256;
# A session token is exactly 32 bytes (256 bits).
const identityTokenLen :UInt32 = 32;
# Most users listUsers() returns in one answer.
const identityUsersListMax :UInt32 = 32;
# Most live sessions one user may hold (login past it ends the oldest), so also the most one
# listSessions() or SessionWatcher.revoked() carries.
const identitySessionsMax :UInt32 = 32;

struct UserEntry {
  name @0 :Text $N.maxLen(.identityUserMaxLen);
  createdAt @1 :UInt64;          # realtime ns
  sessions @2 :UInt32;           # live sessions
}

struct Session {
  id @0 :UInt64;                 # never reused
  user @1 :Text $N.maxLen(.identityUserMaxLen);
  createdAt @2 :UInt64;          # realtime ns
  expiresAt @3 :UInt64;          # realtime ns
}

# samgrd's: told which sessions ended early (revoke, logout, removeUser, setPassword), so that
# connections authenticated with them lose user:<name> at once.
interface SessionWatcher {
  revoked @0 (sessions :List(UInt64) $N.maxCount(.identitySessionsMax) $N.nonEmpty) -> ();
}

# The bootstrap object of every channel to identityd.
interface Identity {
  # Creates user `name`. Needs `identity.admin`.
  # Errors: invalid_argument (name rules, empty password), too_large, denied, already_exists,
  # limit_exceeded (too many users).
  addUser @0 (name :Text $N.maxLen(.identityUserMaxLen) $N.nonEmpty,
      password :Text $N.maxLen(.identityPasswordMaxLen) $N.nonEmpty) -> ();

  # Removes user `name` and ends all its sessions. Needs `identity.admin`.
  # Errors: invalid_argument, denied, not_found.
  removeUser @1 (name :Text $N.maxLen(.identityUserMaxLen) $N.nonEmpty) -> ();

  # Replaces the password of `name` and ends all its sessions. Needs `identity.admin`.
  # Errors: invalid_argument, too_large, denied, not_found.
  setPassword @2 (name :Text $N.maxLen(.identityUserMaxLen) $N.nonEmpty,
      password :Text $N.maxLen(.identityPasswordMaxLen) $N.nonEmpty) -> ();

  # Users sorted by name, those after `after` ("" from the start), at most
  # identityUsersListMax; `more` when there are others after the last. Needs `identity.admin`.
  # Errors: denied.
  listUsers @3 (after :Text $N.maxLen(.identityUserMaxLen))
      -> (users :List(UserEntry) $N.maxCount(.identityUsersListMax), more :Bool);

  # A new session for `user`: the token (keep it secret: it is the session) and its record.
  # Anyone who can reach identityd may try; failures are counted per user and per caller
  # subject, and past a few come with a growing wait.
  # Errors: invalid_argument, too_large, denied (unknown user or wrong password: the same
  # sentence for both), limit_exceeded (locked out: the reason says for how long),
  # unavailable (rngd cannot give a token now).
  login @4 (user :Text $N.maxLen(.identityUserMaxLen) $N.nonEmpty,
      password :Text $N.maxLen(.identityPasswordMaxLen) $N.nonEmpty)
      -> (token :Data $N.maxLen(.identityTokenLen), session :Session);

  # The caller's subject, as identityd sees it; with a token (32 bytes, or empty for none),
  # also that token's live session.
  # Errors: invalid_argument (token not 32 bytes), denied (expired, revoked or unknown token).
  whoami @5 (token :Data $N.maxLen(.identityTokenLen))
      -> (subject :Text $N.maxLen(T.subjectMaxLen), session :Session);

  # Live sessions: every user's for `identity.admin`, else the caller's own (user:<name>),
  # else none. At most identitySessionsMax, newest first.
  listSessions @6 () -> (sessions :List(Session) $N.maxCount(.identitySessionsMax));

  # Ends session `id`: the caller's own (user:<name>), or anyone's with `identity.admin`.
  # Errors: denied, not_found.
  revoke @7 (id :UInt64) -> ();

  # Ends the session of `token` (whoever holds it may end it).
  # Errors: invalid_argument, denied (expired, revoked or unknown token).
  logout @8 (token :Data $N.maxLen(.identityTokenLen)) -> ();

  # The live session of `token` and how long it stays valid from now. Needs `identity.verify`
  # (samgrd only).
  # Errors: invalid_argument, denied (expired, revoked or unknown token).
  verify @9 (token :Data $N.maxLen(.identityTokenLen))
      -> (session :Session, validForNs :UInt64);

  # From now on cb.revoked() hears of every session that ends before its expiry; revoke,
  # logout, removeUser and setPassword answer only once cb answered (or failed). One watcher:
  # a new one replaces the old. Needs `identity.verify`.
  # Errors: invalid_argument (no cb), denied.
  watchSessions @10 (cb :SessionWatcher) -> ();
}
