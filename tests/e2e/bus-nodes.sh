# shellcheck shell=bash
# Helpers for the device bus across netns-lib.sh's nodes (source after lib.sh and
# netns-lib.sh; each node booted with node_boot). Used by bus-3node.sh and bench/bench-bus.sh.
#
#   bus_device a                  a's device id (nx bus status)
#   bus_peer_holds a DEV EXPR     a's `nx bus peers --json` lists DEV as p with the Python EXPR
#   bus_pair a b                  a pairs with b: `nx bus pair` on a shows a code, b shows the
#                                 same pending and accepts it, both then list the other paired
#   soon CMD...                   CMD succeeds within $WAIT_SECS (polled)

soon() {
	for _ in $(seq $((${WAIT_SECS:-20} * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

bus_device() {
	local d
	d=$(node_run "$1" "$nx" bus status --json |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
	[[ "$d" =~ ^[0-9a-f]{32}$ ]] || fail "node $1 has no device id"
	echo "$d"
}

# bus_json_holds EXPR: some JSON object (one a line on stdin) is p with EXPR true.
bus_json_holds() {
	/usr/bin/python3 -c "
import json, sys
ps = [json.loads(l) for l in sys.stdin if l.strip()]
sys.exit(0 if any($1 for p in ps) else 1)"
}

bus_peer_holds() {
	node_run "$1" "$nx" bus peers --json 2>/dev/null |
		bus_json_holds "p['device'] == '$2' and ($3)"
}

bus_pending_shows() {
	node_run "$1" "$nx" bus pending --json 2>/dev/null |
		bus_json_holds "p['device'] == '$2' and p['sas'] == '$3'"
}

bus_pair() {
	local out code da db
	da=$(bus_device "$1")
	db=$(bus_device "$2")
	soon bus_peer_holds "$1" "$db" True || fail "$1 does not discover $2"
	out=$(node_run "$1" "$nx" bus pair "$db" --yes) || fail "nx bus pair on $1: $out"
	code=$(sed -n 's/^code \([0-9]\{6\}\)$/\1/p' <<<"$out")
	[ -n "$code" ] || fail "nx bus pair on $1 showed no code: $out"
	soon bus_pending_shows "$2" "$da" "$code" || fail "$2 does not show code $code for $1"
	node_run "$2" "$nx" bus accept "$da" --sas "$code" >/dev/null || fail "nx bus accept on $2"
	soon bus_peer_holds "$1" "$db" "p['paired']" || fail "$1 does not list $2 as paired"
	soon bus_peer_holds "$2" "$da" "p['paired']" || fail "$2 does not list $1 as paired"
	bus_pair_code=$code
}
