#!/usr/bin/env bash
# make run: boots Nexus in the foreground. nexus-init starts the services of
# source/init/services.conf in order (samgrd, policyd, logd, echod), each sandboxed, with
# runtime state (sockets, status) in ./.nexus/run and service state in ./.nexus/state.
# Ctrl-C stops them in reverse order. Usage: run-system.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export NEXUS_RUNTIME_DIR=${NEXUS_RUNTIME_DIR:-$PWD/.nexus/run}
export NEXUS_STATE_DIR=${NEXUS_STATE_DIR:-$PWD/.nexus/state}
mkdir -p "$NEXUS_RUNTIME_DIR" "$NEXUS_STATE_DIR"
nx="$PWD/$build/source/tools/nx/nx"
cat <<MSG
Nexus is booting; Ctrl-C stops it. From another terminal:
  export NEXUS_RUNTIME_DIR=$NEXUS_RUNTIME_DIR
  $nx status                 # every service, its pid and its sandbox
  $nx svc list --json        # what samgrd has registered
  $nx echo hello             # resolve echod through samgrd and call it
  $nx log query --max 20     # the journal (logd)
  $nx log tail               # follow it live
  $nx policy explain uid:$(id -u) ipc.connect.logd
  $nx --help
Policy: policies/default.policy (root is the operator; other users may list services).

MSG
exec "$build/source/init/nexus-init"
