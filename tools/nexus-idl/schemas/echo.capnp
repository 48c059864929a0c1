# SPDX-License-Identifier: MIT
#
# echod, the demo service of the first boot slice: proves adopt -> register -> resolve -> call.
@0xc8a33fb5e120b944;

using N = import "/nexus.capnp";
$N.prefix("echo");

# Longest text echo() takes.
const echoTextMaxLen :UInt32 = 256;

interface Echo {
  # Returns `text` unchanged and the subject samgrd fixed for the caller's connection, so a
  # client can see who the service thinks it is. Needs the channel only (ipc.connect.echod
  # was checked by samgrd at resolve).
  # Errors: too_large (text over 256 bytes).
  echo @0 (text :Text $N.maxLen(.echoTextMaxLen)) -> (text :Text, subject :Text);
}
