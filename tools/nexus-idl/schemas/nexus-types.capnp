# SPDX-License-Identifier: MIT
#
# Conventions shared by every Nexus service interface (DESIGN.md sections 3 and 5).
# Errors: every method fails with a Cap'n Proto exception whose reason starts with a
# section 9 code and a colon ("denied: ...", "not_found: ..."); limits use type `overloaded`.
@0xe695e0b5ceedf68a;

using N = import "/nexus.capnp";
$N.prefix("nexus");

# A connection to one service. No methods: the capability's attached fd is a fresh channel
# (a connected AF_UNIX stream socket) whose far end is served by the service, and whose
# bootstrap object is that service's main interface. Whoever holds it may talk to the service
# as the subject the broker (samgrd) fixed when it made the channel; nothing in a payload
# can change that subject. A receiver takes the fd with nx_rpc_cap_take_fd() and starts its own
# nx_rpc_conn on it.
interface Endpoint {}

# A memory object: the attached fd is a sealed memfd. The receiver checks it (regular file,
# size within the interface's cap, seals present) before mapping it read-only; an unsealed one
# is copied out with pread, never mapped (section 5).
interface Vmo {}

# A Vmo with the byte count its sender claims. The claim is checked against fstat: a size
# larger than the file is `invalid_argument`.
struct VmoRef {
  vmo @0 :Vmo;
  size @1 :UInt64;
}

# Longest subject string ("svc:<name>", "uid:<n>", "app:<bundle>", "peer:<dev>/<subject>").
const subjectMaxLen :UInt32 = 128;

# What a service registers with samgrd: the way samgrd hands it new clients.
interface ServiceHost {
  # samgrd made a channel for a client whose subject is `subject` and passes the service its
  # end as `conn`. The service starts serving its bootstrap object on it and remembers
  # `subject` for every call that arrives there. Only samgrd holds this capability (it was
  # given to samgrd in Samgr.register), so `subject` is trusted as samgrd's word.
  # Errors: invalid_argument (no fd on conn), limit_exceeded (type overloaded: more than
  # NX_CONN_MAX_PER_SUBJECT connections for this subject or NX_CONN_MAX_PER_SERVICE in total),
  # unavailable (the service is stopping).
  accept @0 (conn :Endpoint, subject :Text $N.maxLen(.subjectMaxLen) $N.nonEmpty) -> ();
}
