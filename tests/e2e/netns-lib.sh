# shellcheck shell=bash
# Network namespaces for multi-device tests: source after lib.sh. Every node is a namespace
# with one veth (eth0, 10.77.0.<n>/24, a multicast route) whose other end is a port (v<node>)
# of a bridge in a "switch" namespace, so unicast and multicast (mDNS) cross as on one LAN.
# Each node boots its own full Nexus with its own runtime and state dirs under $tmp/<node>.
# Names carry this shell's pid, so tests running at once do not meet; everything is removed
# on exit (processes in the namespaces first, then the namespaces, then lib.sh's cleanup).
#
#   netns_require_root        exit 77 (skipped) with a reason unless root with ip(8)
#   netns_setup a b c         the switch and the nodes, addresses in the order given
#   node_ip a                 10.77.0.1
#   node_run a CMD...         CMD inside node a with its NEXUS_RUNTIME_DIR/NEXUS_STATE_DIR
#   node_exec a CMD...        the same in place of the shell (for `&`: $! is then CMD)
#   node_boot a               nexus-init in node a, waits for 'init: ready' ($tmp/a/init.log)
#   node_link a down|up       cut or restore node a's cable (its switch port)

netns_prefix=nx$$
netns_nodes=()

netns_require_root() {
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		echo "skipped: needs root and ip(8) for network namespaces"
		exit 77
	fi
}

netns_ns() { echo "$netns_prefix-$1"; }
netns_switch=$netns_prefix-sw

netns_cleanup() {
	local ns p
	# The nodes' processes are this shell's jobs: killed below, bash would report each as
	# "Killed" on stderr, which reads like a failure.
	disown -a 2>/dev/null || true
	for ns in "${netns_nodes[@]/#/$netns_prefix-}" "$netns_switch"; do
		ip netns list 2>/dev/null | grep -qw -- "$ns" || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap 'netns_cleanup; cleanup' EXIT

netns_setup() {
	local n=0 node ns
	ip netns add "$netns_switch"
	ip -n "$netns_switch" link add br0 type bridge mcast_snooping 0
	ip -n "$netns_switch" link set br0 up
	for node in "$@"; do
		n=$((n + 1))
		ns=$(netns_ns "$node")
		netns_nodes+=("$node")
		ip netns add "$ns"
		ip link add "v$node" netns "$netns_switch" type veth peer name eth0 netns "$ns"
		ip -n "$netns_switch" link set "v$node" master br0 up
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "10.77.0.$n/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add 224.0.0.0/4 dev eth0
		mkdir -p "$tmp/$node/run" "$tmp/$node/state"
		chmod 0711 "$tmp/$node"
		eval "netns_ip_$node=10.77.0.$n"
	done
}

node_ip() { eval "echo \$netns_ip_$1"; }

# node_exec replaces the shell with the command (a prefix for boot_init: its pid is then
# nexus-init's); node_run runs it in a subshell.
node_exec() {
	local node=$1
	shift
	# A node's network is its own, as a device's: its dsoftbusd announces itself there and
	# listens on its default port (lib.sh's free port is for tests sharing the host's).
	exec ip netns exec "$(netns_ns "$node")" env -u NEXUS_BUS_PORT \
		NEXUS_RUNTIME_DIR="$tmp/$node/run" NEXUS_STATE_DIR="$tmp/$node/state" \
		NEXUS_BUS_DISCOVERY=on "$@"
}
node_run() { (node_exec "$@"); }

node_boot() {
	boot_init "$tmp/$1/init.log" node_exec "$1"
}

node_link() {
	ip -n "$netns_switch" link set "v$1" "$2"
}
