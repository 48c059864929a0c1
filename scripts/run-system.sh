#!/usr/bin/env bash
# make run / make run-debug: boots Nexus in the foreground from BUILD_DIR (build-release: the
# optimised build; build: the sanitizer build). nexus-init starts the services of
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
  cd $PWD   # nx finds ./.nexus/run from here or below (or: export NEXUS_RUNTIME_DIR=...)
  $nx status                 # every service: pid, uptime, memory, CPU, sandbox
  $nx svc list --json        # what samgrd has registered
  $nx svc restart echod      # through nexus-init (svc.control)
  $nx echo hello             # resolve echod through samgrd and call it
  $nx log query -n 20        # the newest 20 records of the journal (logd)
  $nx log tail -u samgrd     # follow one service live
  $nx policy mine            # what your subject may do
  $nx --help
Policy: policies/default.policy (root is the operator; other users may list services).

MSG
exec "$build/source/init/nexus-init"
