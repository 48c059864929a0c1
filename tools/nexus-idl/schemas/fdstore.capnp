# SPDX-License-Identifier: MIT
#
# What nexus-init offers each service it started, on the service's fd 5 (DESIGN.md section 6):
# an fd store (as s6-fdholderd or systemd's FileDescriptorStore), and the way back to samgrd
# after samgrd restarted: init keeps this channel, so samgrd's death costs a service only its
# channel to samgrd, which it gets anew here, and registers again.
# Nobody else holds this channel: its subject is the service init started on it, so nothing
# here names a service. Errors are exceptions whose reason starts with a section 9 code.
@0xf4e9a2470f87129b;
using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
using L = import "log.capnp";
$N.prefix("fdstore");

# Names of held fds: 1..32 bytes of [a-z0-9._-].
const fdstoreNameMaxLen :UInt32 = 32;

# An fd held for a service. No methods: the attached fd is the one deposited (a memfd, a
# socket, ...), handed back as it was given.
interface Held {}

interface FdStore {
  # Keeps `fd` under `name` for this service until it removes it, or the service is removed or
  # fails for good; a deposit under a name already held replaces it. Restarts keep it.
  # Errors: invalid_argument (bad name, no fd attached), limit_exceeded (NX_FDSTORE_MAX names
  # held already).
  deposit @0 (name :Text $N.maxLen(.fdstoreNameMaxLen) $N.nonEmpty, fd :Held) -> ();
  # A copy of the fd held under `name` (init keeps its own).
  # Errors: invalid_argument (bad name), not_found (nothing held under it).
  fetch @1 (name :Text $N.maxLen(.fdstoreNameMaxLen) $N.nonEmpty) -> (fd :Held);
  # Closes what is held under `name`.
  # Errors: invalid_argument, not_found.
  remove @2 (name :Text $N.maxLen(.fdstoreNameMaxLen) $N.nonEmpty) -> ();
  # A new channel to samgrd, adopted as this service's subject (what its fd 3 was), for a
  # service whose channel to samgrd broke: answered once samgrd serves again. A second call
  # while one waits replaces it (the first fails).
  # Errors: unavailable (samgrd is down for good, or init is stopping).
  reconnect @3 () -> (conn :T.Endpoint);
  # logd only: the Log that init's own events (start, up, exit, restart, failed ...) are
  # appended to. Calls init makes on it arrive on logd's channel to init, which logd's nx-svc
  # knows as subject svc:init. Replaces the one given before.
  # Errors: denied (not logd).
  journal @4 (log :L.Log) -> ();
}
