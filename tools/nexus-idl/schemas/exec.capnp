# SPDX-License-Identifier: MIT
#
# execd, the app supervisor (DESIGN.md sections 3 and 7): runs installed bundles (bundle.capnp)
# as confined processes, each with fd 3 a channel to samgrd adopted as `app:<bundle id>`,
# supervises them with the manifest's restart policy, and keeps crash reports.
#
# A process here is one spawn: execd's `id` for it stays while restarts give it new pids. Its
# owner is the subject that spawned it; only the owner waits for and kills it, unless the
# caller holds `proc.kill.any` (Process below).
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
# Limits below match include/nexus/limits-exec.h (APP_*).
@0xb42dc5b9ccaa9150;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
using F = import "bundle-format.capnp";
$N.prefix("exec");

# Arguments after argv[0] (which is the bundle's entry path): count, each one's length, and
# all of them together (NUL terminators not counted).
const execArgsMax :UInt32 = 32;             # APP_ARGS_MAX
const execArgMaxLen :UInt32 = 512;          # APP_ARG_MAX
const execArgsBytesMax :UInt32 = 2048;      # APP_ARGS_BYTES_MAX
# Environment entries "NAME=value" (NAME: [A-Za-z_][A-Za-z0-9_]*), the same three bounds.
const execEnvCountMax :UInt32 = 16;         # APP_ENV_MAX
const execEnvEntryMaxLen :UInt32 = 512;     # APP_ENV_ENTRY_MAX
const execEnvBytesMax :UInt32 = 1024;       # APP_ENV_BYTES_MAX
# Processes execd supervises at once (running or waiting to restart).
const execProcessesMax :UInt32 = 64;        # APP_PROCESSES_MAX
# Crash reports kept in execd's state dir; a new one removes the oldest.
const execCrashesKept :UInt32 = 32;         # APP_CRASHES_KEPT
# Processes one list() page, crash summaries one crashes() page hold at most.
const execListMax :UInt32 = 8;              # APP_LIST_MAX
const execCrashListMax :UInt32 = 16;        # APP_CRASH_LIST_MAX
# Largest crash report crash() hands out (a sealed memfd).
const execReportMaxBytes :UInt32 = 524288;  # APP_REPORT_MAX
# Watchers execd keeps, in all and per connection.
const execWatchersMax :UInt32 = 64;         # APP_WATCHERS_MAX
const execWatchersPerConnMax :UInt32 = 4;   # APP_WATCHERS_PER_CONN_MAX

enum Stdio {
  journal @0;   # each line of stdout and stderr is a record of subject app:<id> in logd
  pipe @1;      # stdout and stderr go to a pipe whose read end spawn() returns
}

enum State {
  running @0;
  restarting @1;  # exited; the restart policy starts it again after a backoff
  exited @2;      # exited for good (code 0 or signal 0: normally)
  failed @3;      # exited for good abnormally, or stopped by the storm limit
}

# The confinement mechanisms execd asks for, reported per process as nexus-init reports them
# for services (`nx status`).
enum Mechanism {
  noNewPrivs @0;
  landlock @1;
  seccomp @2;
  closeRange @3;
  rlimits @4;
  mountNs @5;
  caps @6;
  uid @7;
  namespaces @8;  # user, pid, net, ipc, uts
  cgroup @9;
}

enum MechanismStatus {
  notRequested @0;
  applied @1;
  unavailable @2;  # the kernel lacks it (or refuses it to execd): said once in the journal
}

struct SandboxEntry {
  mechanism @0 :Mechanism;
  status @1 :MechanismStatus;
}

# What execd knows of one process (named apart from Process.info: both would be
# `exec_process_info` in C).
struct ProcInfo {
  id @0 :UInt64;            # execd's, never reused while execd runs
  pid @1 :UInt32;           # the current (or last) pid; 0 while restarting
  bundle @2 :Text $N.maxLen(F.idMaxLen);
  version @3 :UInt64;
  state @4 :State;
  startNs @5 :UInt64;       # realtime of the latest start
  restarts @6 :UInt32;
  exitCode @7 :Int32;       # of the latest exit (0 when it ended by a signal or runs)
  signal @8 :UInt32;        # the signal that ended the latest run, 0 if none
  uid @9 :UInt32;
  owner @10 :Text $N.maxLen(T.subjectMaxLen);   # the subject that spawned it
  restart @11 :F.Restart;
  sandbox @12 :List(SandboxEntry) $N.maxCount(16);
  # The seccomp profile asked for: "app", or "app_net" when the manifest requests
  # `sandbox.net` and policy grants it to app:<id>. A wider profile cannot undo execd's own
  # filter, which its children inherit (services.conf: execd runs sandbox=default).
  seccompProfile @13 :Text $N.maxLen(16);
}

enum Event {
  started @0;    # spawned, or restarted
  exited @1;     # one run ended (info says how and what comes next)
}

# Told about every process start and exit.
interface ProcessWatcher {
  changed @0 (event :Event, info :ProcInfo) -> ();
}

# Output of a process spawned with stdio=pipe. No methods: the attached fd is the read end of
# the pipe its stdout and stderr share; it reaches end of file when the process exits.
interface Output {}

# One spawned process, held by execd as a pidfd. The capability is the authority, with the
# rights it was handed out with: spawn() gives the spawner wait and kill; get() gives them
# only to a caller that spawned the process and holds `proc.kill`, or holds `proc.kill.any`,
# and info alone to anyone else allowed `proc.list`.
interface Process {
  # Answers once the process ended for good (state exited or failed, no restart to come),
  # with its last info. Needs the wait right.
  # Errors: denied.
  wait @0 () -> (info :ProcInfo);
  # Sends `signal` (1..64) to the process; it is not restarted after it ends (as a stop).
  # Needs the kill right.
  # Errors: invalid_argument (signal), denied, not_found (already ended for good).
  kill @1 (signal :UInt32) -> ();
  info @2 () -> (info :ProcInfo);
}

struct CrashSummary {
  id @0 :UInt64;            # increasing, kept across execd restarts
  process @1 :UInt64;       # the ProcInfo id
  pid @2 :UInt32;
  bundle @3 :Text $N.maxLen(F.idMaxLen);
  version @4 :UInt64;
  exitCode @5 :Int32;
  signal @6 :UInt32;
  timeNs @7 :UInt64;        # realtime
}

# The bootstrap object of every channel to execd.
interface Exec {
  # Runs the installed bundle `bundle`'s entry with `args` after argv[0] and `env` (nothing
  # else of execd's environment), confined, under a uid of its own, with fd 3 a channel to
  # samgrd adopted as `app:<bundle>` and stdio as `stdio` says. A process spawned with
  # stdio=pipe is never restarted (its output belongs to the caller): `output` is null
  # otherwise. Needs `proc.spawn`.
  # Errors: invalid_argument (args[N] or env[N] with a NUL, env[N] not NAME=value), too_large
  # (args or env past their bounds), not_found (no such bundle), denied, limit_exceeded
  # (execProcessesMax processes), unavailable (bundlemgrd or samgrd cannot be asked),
  # internal (the spawn failed: the reason says at which step).
  spawn @0 (bundle :Text $N.nonEmpty $N.maxLen(F.idMaxLen),
      args :List(Text) $N.maxCount(.execArgsMax) $N.maxLen(.execArgMaxLen),
      env :List(Text) $N.maxCount(.execEnvCountMax) $N.maxLen(.execEnvEntryMaxLen),
      stdio :Stdio $N.closed) -> (process :Process, info :ProcInfo, output :Output);

  # The processes with an id above `after` (0 for the first page) in id order, at most
  # execListMax; `more` when another page follows. Needs `proc.list`.
  list @1 (after :UInt64) -> (processes :List(ProcInfo) $N.maxCount(.execListMax), more :Bool);

  # The process `id` (running or waiting to restart), with the rights above. Needs
  # `proc.list`; waiting and killing need `proc.kill` and to be the process's owner (the
  # subject that spawned it), or `proc.kill.any`. Errors: not_found, denied.
  get @2 (id :UInt64) -> (process :Process);

  # Calls cb.changed() on every start and exit until the caller drops `cb` or its connection
  # ends. Needs `proc.list`.
  # Errors: invalid_argument (no cb), limit_exceeded, denied.
  watch @3 (cb :ProcessWatcher) -> ();

  # Crash reports with an id above `after` (0: the oldest kept), oldest first, at most
  # execCrashListMax; `more` when another page follows. Needs `proc.crash.read`.
  crashes @4 (after :UInt64) -> (reports :List(CrashSummary) $N.maxCount(.execCrashListMax),
      more :Bool);

  # The crash report `id` as text (`json` false) or one JSON object (`json` true), in a
  # sealed memfd. Needs `proc.crash.read`.
  # Errors: not_found (no such report, or removed as one of the oldest), denied.
  crash @5 (id :UInt64, json :Bool) -> (summary :CrashSummary, report :T.VmoRef);
}
