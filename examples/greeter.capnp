# SPDX-License-Identifier: MIT
#
# The `make run` example: one service showing the three things every Nexus interface uses:
# a plain call, a capability passed as a value, and a VMO riding with a capability.
@0x9f8db7d5f68e6b32;

using N = import "/nexus.capnp";

interface Greeter {
  # A plain call: small params, small results.
  greet @0 (name :Text $N.maxLen(64) $N.nonEmpty) -> (message :Text);

  # Returns a new capability. Holding it is the authority to use that counter; there is no
  # name or id to guess.
  newCounter @1 (start :Int64) -> (counter :Counter);

  # Takes a capability whose attached fd is a sealed memfd (a VMO) and reads it in place.
  checksum @2 (blob :Blob) -> (size :UInt64, sum :UInt64);
}

interface Counter {
  increment @0 (by :Int64) -> (value :Int64);
}

# A VMO: no methods; the memory travels as the capability's attached file descriptor.
interface Blob {}
