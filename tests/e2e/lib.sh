# shellcheck shell=bash
# Shared by the e2e scripts that boot Nexus: source it after setting `build` (the meson build
# dir). Gives the binaries ($init, $nx), a temp dir ($tmp) removed on exit together with every
# pid in $pids, fail (prints $log if set), wait_for, and operator_policy_for_non_root.

init=$build/source/init/nexus-init
nx=$build/source/tools/nx/nx
tmp=$(mktemp -d)
# Services run under their own uids (nexus-init): they must pass through to their state dirs.
chmod 0711 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# Each script's services keep their state (keystored's keys, ...) in its own temp dir, never in
# a state dir other tests running at the same time share.
export NEXUS_STATE_DIR=$tmp/state
# dsoftbusd: scripts booting at the same time must not share a TCP port, and none announces
# itself on the host's network unless it asks to (the bus tests set their own).
export NEXUS_BUS_PORT=${NEXUS_BUS_PORT:-0}
export NEXUS_BUS_DISCOVERY=${NEXUS_BUS_DISCOVERY:-off}
log=
fail() { echo "FAIL: $*"; [ -n "$log" ] && cat "$log"; exit 1; }

# wait_for FILE PATTERN [COUNT] [SECONDS]: until FILE has COUNT lines matching PATTERN
# (whole lines). Bounded: SECONDS defaults to $WAIT_SECS or 20.
wait_for() {
	local file=$1 pattern=$2 count=${3:-1} secs=${4:-${WAIT_SECS:-20}} n
	for _ in $(seq $((secs * 20))); do
		# The file may not exist yet (the process that writes it is starting).
		n=$(grep -c -x -- "$pattern" "$file" 2>/dev/null) || true
		[ "${n:-0}" -ge "$count" ] && return 0
		sleep 0.05
	done
	return 1
}

# samgrd asks policyd, and default.policy makes uid:0 the operator: another user running the
# tests is made one in a copy of the policy directory.
operator_policy_for_non_root() {
	[ "$(id -u)" = 0 ] && return 0
	cp -r "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/policies" "$tmp/policies"
	echo "allow uid:$(id -u) ipc.connect.* samgr.list" >>"$tmp/policies/default.policy"
	export NEXUS_POLICY_DIR=$tmp/policies
}

# Succeeds if the Python expression $1 holds for `r`, the records `nx log query --json` printed
# on stdin (one JSON object per line).
records_hold() {
	python3 -c "import json,sys; r=[json.loads(l) for l in sys.stdin if l.strip()]; sys.exit(0 if ($1) else 1)"
}

# svc_uid NAME: the uid nexus-init runs NAME under with the build's services.conf (its uid=, or
# $NEXUS_UID_BASE + its line's index); init not run as root cannot switch: the caller's own.
svc_uid() {
	[ "$(id -u)" = 0 ] || { id -u; return; }
	awk -v name="$1" -v base="${NEXUS_UID_BASE:-61184}" '
		/^#/ || !NF { next }
		$1 == name {
			for (i = 4; i <= NF && $i !~ /^#/; i++)
				if ($i ~ /^uid=/) { print substr($i, 5); exit }
			print base + index_; exit
		}
		{ index_++ }' "$build/source/init/services.conf"
}

# give_state NAME: what the test planted (as root) in NAME's state dir becomes NAME's, as if
# the service had made it; symlinks themselves, never their targets.
give_state() {
	local uid
	uid=$(svc_uid "$1")
	[ -n "$uid" ] || fail "give_state: $1 is not in services.conf"
	chown -hR "$uid:$uid" "$NEXUS_STATE_DIR/$1"
}

# boot_init LOG [PREFIX...]: starts nexus-init (behind PREFIX, e.g. `ip netns exec NS env
# VAR=...`, which exec into it) with its console in LOG, adds it to $pids, and waits for
# 'init: ready'. Sets $booted_pid.
boot_init() {
	local out=$1
	shift
	"$@" "$init" >"$out" 2>&1 &
	booted_pid=$!
	pids+=("$booted_pid")
	wait_for "$out" 'init: ready' || { log=$out; fail "no 'init: ready' in $out"; }
}
