#!/usr/bin/env bash
# Boots the system in the foreground: nexus-init starts samgrd and the services of
# source/init/services.conf, state under ./.nexus/run. Ctrl-C (SIGINT) stops them in reverse.
# In another terminal:  NEXUS_RUNTIME_DIR=$PWD/.nexus/run build/source/tools/nx/nx svc list
# Usage: run-system.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export NEXUS_RUNTIME_DIR=${NEXUS_RUNTIME_DIR:-$PWD/.nexus/run}
echo "run-system: state in $NEXUS_RUNTIME_DIR; try: $build/source/tools/nx/nx echo hi"
exec "$build/source/init/nexus-init"
