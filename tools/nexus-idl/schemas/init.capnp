# SPDX-License-Identifier: MIT
#
# nexus-init's control interface (DESIGN.md sections 6 and 10). nexus-init registers it with
# samgrd as the service `initctl`, on a channel it adopts for itself as `svc:initctl` (`init`
# is a name samgrd reserves), so an operator reaches it as any other service: resolving
# `initctl` needs `ipc.connect.initctl`, and each method below needs `svc.control` (asked of
# policyd for the caller's subject). What each service is doing is not asked here: nexus-init
# publishes it in $NEXUS_RUNTIME_DIR/status (`nx status`), readable while samgrd is down.
# Errors are exceptions whose reason starts with a section 9 code.
@0xaf31bc328a169975;

using N = import "/nexus.capnp";
$N.prefix("init");

# Service names as in services.conf: 1..64 bytes of [a-z0-9._-].
const initNameMaxLen :UInt32 = 64;

# The bootstrap object of every channel to `initctl`.
interface InitControl {
  # Stops the service (SIGTERM, then SIGKILL after nexus-init's stop deadline) and starts it
  # again; a service that is down or failed is started (its storm count starts over). The
  # answer comes once the new process is spawned, not once it is ready (`nx status`).
  # samgrd cannot be restarted here: every channel was adopted there.
  # Needs `svc.control`.
  # Errors: invalid_argument (malformed name, samgrd), not_found (no such service), denied,
  # unavailable (nexus-init is stopping).
  restart @0 (name :Text $N.maxLen(.initNameMaxLen) $N.nonEmpty) -> ();

  # Stops the service and keeps it down (state `down`) until start or restart.
  # Needs `svc.control`.
  # Errors: as restart; already stopped is not an error.
  stop @1 (name :Text $N.maxLen(.initNameMaxLen) $N.nonEmpty) -> ();

  # Starts a service that is down or failed; one that runs is left alone.
  # Needs `svc.control`.
  # Errors: as restart.
  start @2 (name :Text $N.maxLen(.initNameMaxLen) $N.nonEmpty) -> ();
}
