# SPDX-License-Identifier: MIT
#
# policyd, the single policy authority (DESIGN.md sections 7 and 8). It loads the policy
# directory ($NEXUS_POLICY_DIR, root file `default.policy`) and answers whether a subject holds
# a capability. Reaching policyd at all needs `ipc.connect.policyd` (checked by samgrd at
# resolve); the questions themselves need nothing more, except reload().
# Subjects and capabilities are printable ASCII bytes (0x21-0x7e), as the policy language's
# tokens: subjects 1..subjectMaxLen (nexus-types.capnp, 128) bytes, capabilities
# 1..policyCapMaxLen.
# Errors are exceptions whose reason starts with a section 9 code.
@0xd4b0e3a27c5f9186;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("policy");

# Longest capability name, in bytes (userspace/policy POL_TOKEN_MAX).
const policyCapMaxLen :UInt32 = 255;
# Most queries in one checkMany() (the call must also fit one 4 KiB message).
const policyCheckManyMax :UInt32 = 64;
# Most watchers policyd keeps, over all connections, and per connection.
const policyWatchersMax :UInt32 = 256;
const policyWatchersPerConnMax :UInt32 = 16;
# A policy version: 64 lowercase hex digits (SHA-256).
const policyVersionLen :UInt32 = 64;
# Capabilities one setGrants() gives one subject at most (bundle.capnp's bundleCapsMax).
const policyGrantCapsMax :UInt32 = 16;

struct Query {
  subject @0 :Text $N.nonEmpty $N.maxLen(T.subjectMaxLen);
  cap @1 :Text $N.nonEmpty $N.maxLen(.policyCapMaxLen);
}

# Told about policy versions.
interface PolicyWatcher {
  # The policy now in force has `version` (64 lowercase hex digits, the SHA-256 of the
  # canonical form).
  changed @0 (version :Text $N.maxLen(.policyVersionLen)) -> ();
}

# The bootstrap object of every channel to policyd.
interface Policy {
  # Whether `subject` holds `cap` under the policy in force (deny by default; deny wins).
  # Errors: invalid_argument (empty or non-printable subject/cap), too_large (over maxLen).
  check @0 (subject :Text $N.nonEmpty $N.maxLen(T.subjectMaxLen), cap :Text $N.nonEmpty $N.maxLen(.policyCapMaxLen)) -> (allowed :Bool);

  # check() for each query, answers in the same order.
  # Errors: invalid_argument (a bad query; its index is named), too_large (more than
  # policyCheckManyMax queries, a field over maxLen, or the call over 4 KiB).
  checkMany @1 (queries :List(Query) $N.maxCount(.policyCheckManyMax)) -> (allowed :List(Bool));

  # check(), and the rule that decided: the first matching deny rule, else the first matching
  # allow rule ("allow SUBJECT CAP", with its file and line), else byDefault = true, rule
  # "no rule: deny by default", file "" and line 0.
  # Errors: as check().
  explain @2 (subject :Text $N.nonEmpty $N.maxLen(T.subjectMaxLen), cap :Text $N.nonEmpty $N.maxLen(.policyCapMaxLen))
      -> (allowed :Bool, rule :Text, file :Text, line :UInt32, byDefault :Bool);

  # The version of the policy in force.
  version @3 () -> (version :Text);

  # Re-reads the policy directory. On success the new policy is in force, watchers hear the
  # new version if it changed, and it is returned. A file that does not parse changes
  # nothing: the old policy stays in force.
  # Needs `policy.reload` (decided by the policy in force, for the caller's subject).
  # Errors: denied, invalid_argument ("invalid_argument: <file>:<line>: <message>").
  reload @4 () -> (version :Text);

  # Calls cb.changed(version) now with the version in force, then on every change, until the
  # caller drops `cb` or its connection ends.
  # Errors: invalid_argument (no cb), limit_exceeded (policyWatchersPerConnMax watchers held
  # through this connection, or policyWatchersMax in all).
  watch @5 (cb :PolicyWatcher) -> ();

  # Install-time grants (bundlemgrd): the capabilities in `caps` hold for `subject` (an
  # `app:<bundle id>`), replacing what setGrants gave it before; an empty list takes them
  # all back. Kept in memory as an overlay of "allow <subject> <cap>" rules on the policy
  # files, in the file "bundle-grants": explain() names them, the version covers them
  # (watchers hear the change), deny rules still win. Returns the version now in force.
  # Needs `policy.grant`.
  # Errors: denied, invalid_argument (subject not app:<id>, a cap with '*' or not a token),
  # limit_exceeded (too many subjects with grants).
  setGrants @6 (subject :Text $N.nonEmpty $N.maxLen(T.subjectMaxLen),
      caps :List(Text) $N.maxCount(.policyGrantCapsMax) $N.maxLen(.policyCapMaxLen))
      -> (version :Text);

  # Takes back every install-time grant (bundlemgrd at its start, before it sets them all
  # again from its records). Returns the version now in force. Needs `policy.grant`.
  # Errors: denied.
  resetGrants @7 () -> (version :Text);
}
