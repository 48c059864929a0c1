#!/usr/bin/env bash
# Runs every benchmark in BUILD_DIR (configure it with --buildtype=release) and prints each
# figure beside its baseline from the same run, as a ratio. `make bench` calls this.
#
#   scripts/bench.sh BUILD_DIR
#
# Latency: every call is measured twice, both processes on one CPU and on two CPUs (a
# cross-CPU wakeup costs tens of microseconds on small VMs), against the raw socketpair
# ping-pong with the same placement. Data plane: 64 MiB per transfer, against one local
# write + read (and the socket). Nothing here is a test: no figure fails the run.
set -euo pipefail

build=${1:?usage: scripts/bench.sh BUILD_DIR}
bin=$build/bench
for b in bench-pingpong bench-cxx-rpc bench-dataplane; do
	[ -x "$bin/$b" ] || { echo "bench.sh: $bin/$b not built (ninja -C $build)" >&2; exit 1; }
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
failed=0

run() {
	local out
	if out=$("$@" 2>&1); then
		grep '^RESULT' <<<"$out" >>"$results" || true
	else
		echo "bench.sh: failed: $*" >&2
		echo "$out" | tail -3 >&2
		failed=1
	fi
}

placements=(same)
if [ "$(nproc)" -ge 2 ]; then
	placements+=(split)
else
	echo "bench.sh: one CPU: skipping the split-cpu placement" >&2
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
# Pinned processes share their CPU with whatever else runs there: a busy machine shows up
# as split-cpu figures quantised to the scheduler tick (4 ms steps), so say so up front.
load=$(cut -d' ' -f1 /proc/loadavg)
echo "load average at start: $load$(awk -v l="$load" 'BEGIN { if (l > 0.5) print " (machine busy: figures are noisy, rerun when idle)" }')"
# The load on a shared machine drifts within seconds, so the whole set runs in PASSES
# rounds, each configuration once per round; a figure is the median over rounds and the
# "spread" column (slowest round / fastest round) shows how much the machine moved.
passes=${BENCH_PASSES:-3}
echo "running $passes passes (about $((passes * 20)) s)..." >&2

dp="$bin/bench-dataplane --mib 64 --reps 5"
for pass in $(seq "$passes"); do
	# ---- latency ---------------------------------------------------------------------
	for p in "${placements[@]}"; do
		run "$bin/bench-pingpong" --cpus "$p" --size 64 --iters 20000 --rounds 3
		run "$bin/bench-cxx-rpc" --cpus "$p" --iters 5000 --rounds 3
		# The nx-rpc null call: our server in a child process, our blocking-call client;
		# same options and RESULT line as bench-cxx-rpc (bench=nx-rpc-null). Optional, so
		# a tree without nx-rpc still benchmarks the rest; the table then says so.
		if [ -x "$bin/bench-nx-rpc" ]; then
			run "$bin/bench-nx-rpc" --cpus "$p" --iters 5000 --rounds 3
			# Mixed: our client, the libcapnp server (interop-cxx-server).
			cxx_server=$build/tests/interop/interop-cxx-server
			if [ -x "$cxx_server" ]; then
				run "$bin/bench-nx-rpc" --cpus "$p" --iters 5000 --rounds 3 \
					--server-exe "$cxx_server"
			fi
		fi
	done

	# ---- data plane ------------------------------------------------------------------
	run $dp --mode local
	for p in "${placements[@]}"; do
		run $dp --cpus "$p" --mode socket
		run $dp --cpus "$p" --mode vmo-pool --slots 1 --slot-kib 65536
		run $dp --cpus "$p" --mode vmo-pool --slots 4 --slot-kib 1024
	done
	# Fresh VMO per transfer: plain maps, MAP_POPULATE on either side, and copying in or
	# out with nx_vmo_write / nx_vmo_read instead of a map (mode: producer, consumer).
	for pop in none producer consumer both; do
		run $dp --cpus "${placements[-1]}" --mode vmo-fresh --populate "$pop"
	done
	run $dp --cpus "${placements[-1]}" --mode vmo-fresh --produce write --populate consumer
	run $dp --cpus "${placements[-1]}" --mode vmo-fresh --produce write --consume read
done

python3 - "$results" "$bin" <<'PY'
import os, sys

# One row per (bench, mode): every numeric field is the median over passes; "spread" is the
# slowest pass over the fastest (p50 for latency, median time for transfers).
passes = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    passes.setdefault((f["bench"], f["mode"]), []).append(f)

def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

rows = []
for (bench, mode), runs in passes.items():
    r = {"bench": bench, "mode": mode, "passes": str(len(runs))}
    for k in runs[0]:
        if k in ("bench", "mode"):
            continue
        r[k] = str(median([float(x[k]) for x in runs]))
    key = "p50_ns" if "p50_ns" in runs[0] else "median_ms"
    vals = [float(x[key]) for x in runs]
    r["spread"] = f"{max(vals) / min(vals):.2f}" if min(vals) > 0 else "-"
    rows.append(r)

def find(bench, mode):
    for r in rows:
        if r["bench"] == bench and r["mode"] == mode:
            return r
    return None

def ratio(a, b):
    return f"{a / b:6.2f}x" if a and b else "     -"

print()
print("Latency (one blocking call at a time; ratio = p50 / raw floor p50 on the same CPUs)")
print(f"{'benchmark':<21} {'cpus':<10} {'p50 us':>9} {'p99 us':>9} {'ops/s':>9} {'p50/floor':>10} {'ops/floor':>10} {'spread':>7}")
for bench in ["raw-pingpong-64", "cxx-rpc-null", "nx-rpc-null", "nx-client-cxx-server"]:
    for cpus in ["same-cpu", "split-cpu"]:
        r = find(bench, cpus)
        floor = find("raw-pingpong-64", cpus)
        if r is None:
            if bench.startswith("nx-"):
                built = os.path.exists(os.path.join(sys.argv[2], "bench-nx-rpc"))
                why = "not measured (see errors above)" if built else "bench-nx-rpc not built"
                print(f"{bench:<21} {cpus:<10} ({why})")
            continue
        p50, p99, ops = float(r["p50_ns"]), float(r["p99_ns"]), float(r["ops_s"])
        fp50 = float(floor["p50_ns"]) if floor else 0
        fops = float(floor["ops_s"]) if floor else 0
        print(f"{bench:<21} {cpus:<10} {p50/1e3:9.1f} {p99/1e3:9.1f} {ops:9.0f} {ratio(p50, fp50):>10} {ratio(ops, fops):>10} {r['spread']:>7}")

print()
print("Data plane, 64 MiB per transfer, consumer sums every byte (ratio = median time / baseline time)")
print(f"{'transfer':<20} {'placement':<32} {'median ms':>9} {'GiB/s':>7} {'/local':>8} {'/socket':>8} {'spread':>7}")
local = find("dataplane-local", "one-cpu")
lms = float(local["median_ms"]) if local else 0
order = ["dataplane-local", "dataplane-socket", "dataplane-vmo-pool", "dataplane-vmo-fresh"]
for bench in order:
    for r in rows:
        if r["bench"] != bench:
            continue
        ms = float(r["median_ms"])
        cpus = r["mode"].split(",")[0]
        sock = find("dataplane-socket", cpus)
        sms = float(sock["median_ms"]) if sock else 0
        print(f"{bench[10:]:<20} {r['mode']:<32} {ms:9.2f} {float(r['gib_s']):7.2f} {ratio(ms, lms):>8} {ratio(ms, sms) if bench != 'dataplane-local' else '':>8} {r['spread']:>7}")

print()
print("Targets")
def verdict(ok):
    return "meets" if ok else "MISSES"
for r in rows:
    if "median_ms" not in r:
        continue
    cpus = r["mode"].split(",")[0]
    sock = find("dataplane-socket", cpus)
    if not sock or not local:
        continue
    ms, sms = float(r["median_ms"]), float(sock["median_ms"])
    if r["bench"] == "dataplane-vmo-pool":
        print(f"  pool {r['mode']}: {sms / ms:.2f}x faster than the socket (target >= 2x): {verdict(sms / ms >= 2)};"
              f" {ms / lms:.2f}x the local write+read (target <= 1.5x): {verdict(ms / lms <= 1.5)}")
    if r["bench"] == "dataplane-vmo-fresh":
        print(f"  fresh {r['mode']}: {ms / sms:.2f}x the socket's time (target <= 1.3x): {verdict(ms / sms <= 1.3)}")
PY

# ---- pure libraries ------------------------------------------------------------------
# userspace/policy, journal and registry, in process (no sockets, no second process): own
# passes, own table, after the IPC tables so those stay as they were. Each program is
# optional (a tree without the library does not build it) and says what it measured beside
# its baseline from the same run; see docs/PERFORMANCE.md "Pure libraries".
lib_results=$(mktemp)
trap 'rm -f "$results" "$lib_results"' EXIT
run_lib() {
	local out
	if out=$("$@" 2>&1); then
		grep '^RESULT' <<<"$out" >>"$lib_results" || true
	else
		echo "bench.sh: failed: $*" >&2
		echo "$out" | tail -3 >&2
		failed=1
	fi
}
echo "pure libraries: $passes passes (about $((passes * 4)) s)..." >&2
for pass in $(seq "$passes"); do
	if [ -x "$bin/bench-policy" ]; then
		run_lib "$bin/bench-policy" --rules 10
		run_lib "$bin/bench-policy" --rules 10000
	fi
	if [ -x "$bin/bench-journal" ]; then
		run_lib "$bin/bench-journal" --append 500000 --records 1000000
	fi
	if [ -x "$bin/bench-registry" ]; then
		run_lib "$bin/bench-registry" --names 1000
	fi
done

python3 - "$lib_results" "$bin" <<'PY'
import os, sys

runs = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    runs.setdefault((f["bench"], f["mode"]), []).append(f)

def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

def row(bench, mode, spread_key):
    """Median over passes of every numeric field; spread = max / min of spread_key."""
    rs = runs.get((bench, mode))
    if not rs:
        return None
    r = {k: median([float(x[k]) for x in rs]) for k in rs[0] if k not in ("bench", "mode")}
    v = [float(x[spread_key]) for x in rs]
    r["spread"] = f"{max(v) / min(v):.2f}" if min(v) > 0 else "-"
    r["passes"] = len(rs)
    return r

def missing(prog):
    built = os.path.exists(os.path.join(sys.argv[2], prog))
    return "not measured (see errors above)" if built else f"{prog} not built"

def verdict(ok):
    return "met" if ok else "MISSED"

print()
print("Pure libraries, in process. Policy: ns per check over a pre-generated query mix;"
      " baselines: strcmp of the query's")
print("two strings against equal copies, and one hash lookup of the subject"
      " (FNV-1a, open addressing).")
print(f"{'policy':<12} {'check ns':>9} {'many ns':>8} {'strcmp ns':>10} {'/strcmp':>8}"
      f" {'hash ns':>8} {'/hash':>7} {'< 1 us':>7} {'spread':>7} {'allow ns':>9} {'deny ns':>8}"
      f" {'default ns':>11} {'load ms':>8}")
mix = None
for rules in ("10", "10000"):
    r = row("policy-check", f"rules={rules}", "ns_op")
    if r is None:
        print(f"rules={rules:<6} ({missing('bench-policy')})")
        continue
    mix = (f"{int(r['queries'])} queries: {int(r['allowed'])} allowed, {int(r['denied'])} denied by a rule,"
           f" {int(r['default_denied'])} denied by default")
    print(f"rules={rules:<6} {r['ns_op']:9.1f} {r['many_ns_op']:8.1f} {r['strcmp_ns_op']:10.1f}"
          f" {r['ns_op'] / r['strcmp_ns_op']:7.1f}x {r['hash_ns_op']:8.1f}"
          f" {r['ns_op'] / r['hash_ns_op']:6.1f}x"
          f" {verdict(r['ns_op'] < 1000) if rules == '10000' else '':>7} {r['spread']:>7}"
          f" {r['allow_ns_op']:9.1f} {r['deny_ns_op']:8.1f} {r['default_ns_op']:11.1f} {r['load_ms']:8.2f}")
if mix:
    print(f"  ({mix}; many = pol_check_many in batches of 256; < 1 us: the target at 10,000 rules)")

print()
print("Journal append, realistic records; baseline: memcpy of the same bytes into a ring of the same size")
print(f"{'append':<14} {'records/s':>11} {'/memcpy':>8} {'> 1M/s':>7} {'spread':>7}")
base = row("journal-append", "memcpy-ring", "rec_s")
for mode in ("single", "batch64", "memcpy-ring"):
    r = row("journal-append", mode, "rec_s")
    if r is None:
        print(f"{mode:<14} ({missing('bench-journal')})")
        continue
    rat = f"{r['rec_s'] / base['rec_s']:7.3f}x" if base and mode != "memcpy-ring" else ""
    tgt = verdict(r["rec_s"] > 1e6) if mode != "memcpy-ring" else ""
    print(f"{mode:<14} {r['rec_s']:11.0f} {rat:>8} {tgt:>7} {r['spread']:>7}")

info = row("journal-query", "info", "records")
if info:
    print()
    print(f"Journal query over {int(info['records']):,} records ({info['journal_bytes'] / info['records']:.0f}"
          f" bytes each); baseline: the same records in a flat array of"
          f" {info['flat_bytes'] / info['records']:.0f}-byte structs, scanned")
print(f"{'query':<14} {'p50 us':>9} {'p99 us':>9} {'base p50':>9} {'base p99':>9} {'p50/base':>9} {'matches':>8} {'samples':>8} {'spread':>7}")
for mode in ("cursor-page", "subject", "level", "text"):
    r = row("journal-query", mode, "p50_us")
    if r is None:
        print(f"{mode:<14} ({missing('bench-journal')})")
        continue
    print(f"{mode:<14} {r['p50_us']:9.1f} {r['p99_us']:9.1f} {r['base_p50_us']:9.1f}"
          f" {r['base_p99_us']:9.1f} {r['p50_us'] / r['base_p50_us']:8.2f}x {r['avg_matches']:8.0f}"
          f" {int(r['samples']):8d} {r['spread']:>7}")

print()
print("Registry at 1,000 names, ns per call; baseline: one hash lookup of the same name")
r = row("registry", "names=1000", "resolve_ns")
if r is None:
    print(f"registry       ({missing('bench-registry')})")
else:
    print(f"{'op':<14} {'ns':>9} {'/hash':>8} {'spread':>7}")
    for op in ("register", "resolve", "unregister"):
        v = r[f"{op}_ns"]
        print(f"{op:<14} {v:9.1f} {v / r['hash_ns']:7.1f}x {r['spread'] if op == 'resolve' else '':>7}")
    print(f"{'hash lookup':<14} {r['hash_ns']:9.1f} {1:7.1f}x")
PY

# ---- the system ----------------------------------------------------------------------
# nexus-init and its services as a whole (docs/PERFORMANCE.md "System"): boot to
# "init: ready" against spawning /bin/true once per service; Samgr.resolve("echod") against
# the nx-rpc null call; a call on echod's channel against the same call through a private
# D-Bus bus (dbus-daemon + a libdbus echo service). Placements: same (everything on CPU 0),
# split (the client on CPU 0, the system or bus and its service on CPU 1), free (no pinning).
sys_results=$(mktemp)
sys_tmp=$(mktemp -d)
sys_pids=()
trap 'for p in "${sys_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$results" "$lib_results" "$sys_results" "$sys_tmp"' EXIT
run_sys() {
	local out
	if out=$("$@" 2>&1); then
		grep '^RESULT' <<<"$out" >>"$sys_results" || true
	else
		echo "bench.sh: failed: $*" >&2
		echo "$out" | tail -3 >&2
		failed=1
	fi
}
# pin_for PLACEMENT: the taskset prefix of the server side (the system, the bus).
pin_for() {
	case $1 in
	same) echo "taskset -c 0" ;;
	split) echo "taskset -c 1" ;;
	*) ;;
	esac
}
# wait_line FILE PATTERN: up to 10 s for a line matching PATTERN (a boot takes milliseconds).
wait_line() {
	for _ in $(seq 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
init=$build/source/init/nexus-init
sys_places=("${placements[@]}" free)
if [ -x "$init" ] && [ -x "$bin/bench-boot" ] && [ -x "$bin/bench-system" ]; then
	# As in tests/e2e/boot.sh: default.policy makes uid:0 the operator; another user is made
	# one in a copy of the policy directory.
	if [ "$(id -u)" != 0 ]; then
		cp -r "$(cd "$(dirname "$0")/.." && pwd)/policies" "$sys_tmp/policies"
		echo "allow uid:$(id -u) ipc.connect.* samgr.list" >>"$sys_tmp/policies/default.policy"
		export NEXUS_POLICY_DIR=$sys_tmp/policies
	fi
	nsvc=$(awk '!/^#/ && NF' "$build/source/init/services.conf" | wc -l)
	have_dbus=
	if [ -x "$bin/bench-dbus" ] && command -v dbus-daemon >/dev/null; then
		have_dbus=1
	else
		echo "bench.sh: no bench-dbus or dbus-daemon: skipping the D-Bus baseline" >&2
	fi
	echo "system: $passes passes (about $((passes * 6)) s)..." >&2
	for pass in $(seq "$passes"); do
		mkdir -p "$sys_tmp/boot-one" "$sys_tmp/boot-free"
		run_sys taskset -c 0 "$bin/bench-boot" --init "$init" --dir "$sys_tmp/boot-one" \
			--boots 20 --services "$nsvc" --mode one-cpu
		run_sys "$bin/bench-boot" --init "$init" --dir "$sys_tmp/boot-free" \
			--boots 20 --services "$nsvc" --mode free
		rm -rf "$sys_tmp/boot-one" "$sys_tmp/boot-free"
		for p in "${sys_places[@]}"; do
			[ "$p" = free ] || run_sys "$bin/bench-nx-rpc" --cpus "$p" --iters 1500 --rounds 3
			# The raw floor for the proxy table: a socketpair ping-pong, same placement.
			[ "$p" = free ] || run_sys "$bin/bench-pingpong" --cpus "$p" --size 64 \
				--iters 20000 --rounds 3
			# A running system, pinned as the placement says.
			rt=$sys_tmp/run-$p
			# Emptied here and appended to below: a truncating redirection would run in the
			# background job, possibly after wait_line has read the last pass's "init: ready".
			: >"$sys_tmp/init-$p.log"
			NEXUS_RUNTIME_DIR=$rt NEXUS_STATE_DIR=$rt-state $(pin_for "$p") "$init" \
				>>"$sys_tmp/init-$p.log" 2>&1 &
			ipid=$!
			sys_pids+=("$ipid")
			if wait_line "$sys_tmp/init-$p.log" '^init: ready$'; then
				NEXUS_RUNTIME_DIR=$rt run_sys "$bin/bench-system" resolve --cpus "$p" \
					--iters 1500 --rounds 3
				NEXUS_RUNTIME_DIR=$rt run_sys "$bin/bench-system" call --cpus "$p" \
					--iters 2000 --rounds 3
				# The same call on the Endpoint itself: samgrd's proxy forwards it.
				NEXUS_RUNTIME_DIR=$rt run_sys "$bin/bench-system" proxied --cpus "$p" \
					--iters 2000 --rounds 3
				[ ! -x "$bin/bench-keystore" ] || [ "$p" != free ] ||
					NEXUS_RUNTIME_DIR=$rt run_sys "$bin/bench-keystore" --iters 2000 --rounds 3
				# Restart time (kill -9 to served again), once a pass, unpinned.
				if [ "$p" = free ] && [ -x "$bin/bench-restart" ]; then
					NEXUS_RUNTIME_DIR=$rt run_sys "$bin/bench-restart" samgrd
					NEXUS_RUNTIME_DIR=$rt run_sys "$bin/bench-restart" logd
				fi
			else
				echo "bench.sh: nexus-init ($p) did not get ready:" >&2
				tail -5 "$sys_tmp/init-$p.log" >&2
				failed=1
			fi
			kill -TERM "$ipid" 2>/dev/null || true
			wait "$ipid" || { echo "bench.sh: nexus-init ($p) did not stop cleanly" >&2; failed=1; }
			rm -rf "$rt" "$rt-state"
			# The same call through D-Bus: a private bus in the temp dir, its address
			# from --print-address.
			if [ -n "$have_dbus" ]; then
				: >"$sys_tmp/bus-$p.addr"
				$(pin_for "$p") dbus-daemon --session --nofork --print-address=1 \
					--address="unix:dir=$sys_tmp" >>"$sys_tmp/bus-$p.addr" 2>/dev/null &
				bpid=$!
				sys_pids+=("$bpid")
				if wait_line "$sys_tmp/bus-$p.addr" '^unix:'; then
					run_sys "$bin/bench-dbus" --address "$(head -1 "$sys_tmp/bus-$p.addr")" \
						--cpus "$p" --iters 2000 --rounds 3
				else
					echo "bench.sh: dbus-daemon ($p) printed no address" >&2
					failed=1
				fi
				kill -TERM "$bpid" 2>/dev/null || true
				wait "$bpid" 2>/dev/null || true
			fi
		done
	done
else
	echo "bench.sh: nexus-init, bench-boot or bench-system not built: skipping the system" >&2
fi

python3 - "$sys_results" <<'PY'
import sys

runs = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    # bench-restart and bench-keystore name no placement (mode): keyed under "".
    runs.setdefault((f["bench"], f.get("mode", "")), []).append(f)

def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

def row(bench, mode, spread_key):
    rs = runs.get((bench, mode))
    if not rs:
        return None
    r = {k: median([float(x[k]) for x in rs]) for k in rs[0] if k not in ("bench", "mode")}
    v = [float(x[spread_key]) for x in rs]
    r["spread"] = f"{max(v) / min(v):.2f}" if min(v) > 0 else "-"
    return r

def verdict(ok):
    return "met" if ok else "MISSED"

print()
print("System: boot to 'init: ready' (fork of nexus-init to the line), then SIGTERM to reaped;")
print("baseline: spawning and reaping /bin/true once per service, one after the other")
print(f"{'boot':<10} {'median ms':>10} {'p90 ms':>8} {'stop ms':>8} {'floor ms':>9} {'/floor':>8} {'< 100 ms':>9} {'spread':>7}")
for mode in ("one-cpu", "free"):
    r = row("boot", mode, "median_ms")
    if r is None:
        print(f"{mode:<10} (not measured)")
        continue
    print(f"{mode:<10} {r['median_ms']:10.2f} {r['p90_ms']:8.2f} {r['stop_ms']:8.2f}"
          f" {r['spawn_ms']:9.2f}"
          f" {r['median_ms'] / r['spawn_ms']:7.1f}x {verdict(r['median_ms'] < 100):>9} {r['spread']:>7}")
if runs.get(("boot", "free")):
    b = runs[("boot", "free")][0]
    print(f"  ({int(b['boots'])} boots a pass, {int(b['services'])} services; floor = {int(b['services'])} x /bin/true)")

print()
print("System calls, one blocking call at a time (p50 in us); resolve: Samgr.resolve(\"echod\"),")
print("endpoint closed each time, against the nx-rpc null call; call: Echo.echo(\"\") on echod's")
print("channel, against Echo(\"\") through a private dbus-daemon to a libdbus service")
print(f"{'benchmark':<15} {'cpus':<10} {'p50 us':>8} {'p99 us':>9} {'ops/s':>8} {'base':<12} {'base us':>8} {'ratio':>8} {'target':>12} {'spread':>7}")
for mode in ("same-cpu", "split-cpu", "free"):
    null = row("nx-rpc-null", mode, "p50_ns")
    dbus = row("dbus-call", mode, "p50_ns")
    for bench, base, bname in (("samgr-resolve", null, "nx-rpc-null"), ("echod-call", dbus, "dbus-call"),
                               ("dbus-call", None, ""), ("nx-rpc-null", None, "")):
        r = row(bench, mode, "p50_ns")
        if r is None:
            if bench in ("samgr-resolve", "echod-call"):
                print(f"{bench:<15} {mode:<10} (not measured)")
            elif bench == "dbus-call":
                print(f"{bench:<15} {mode:<10} (not measured: no D-Bus)")
            continue
        line = (f"{bench:<15} {mode:<10} {r['p50_ns'] / 1e3:8.1f} {r['p99_ns'] / 1e3:9.1f}"
                f" {r['ops_s']:8.0f}")
        if base and bench == "samgr-resolve":
            line += f" {bname:<12} {base['p50_ns'] / 1e3:8.1f} {r['p50_ns'] / base['p50_ns']:7.2f}x {'':>12}"
        elif base and bench == "echod-call":
            fast = base["p50_ns"] / r["p50_ns"]
            # The 5x target is for the pinned one-CPU placement (see "Pinned" below).
            target = verdict(fast >= 5) + " (5x)" if mode == "same-cpu" else ""
            line += f" {bname:<12} {base['p50_ns'] / 1e3:8.1f} {fast:6.2f}x< {target:>12}"
        else:
            line += f" {'':<12} {'':>8} {'':>8} {'':>12}"
        print(line + f" {r['spread']:>7}")
print("  (resolve ratio = p50 / nx-rpc-null p50; call ratio N.NNx< = D-Bus p50 / our p50, i.e. how")
print("   many times faster the Nexus call is; target: at least 5x, same-cpu)")

# The headline comparison: both sides pinned the same way, every process on CPU 0 (the
# client, nexus-init and its services; the client, dbus-daemon and the D-Bus service), so
# neither pays a cross-CPU wakeup and neither gets a second CPU the other lacks. Split-cpu
# (the client alone on CPU 0) is shown beside it: there both calls are dominated by the
# same two cross-CPU wakeups per round trip.
print()
print("Pinned: Echo.echo(\"\") through echod against the same call through D-Bus, each side pinned identically")
for mode, how in (("same-cpu", "every process on CPU 0"),
                  ("split-cpu", "client on CPU 0, system / bus + service on CPU 1")):
    ours, dbus = row("echod-call", mode, "p50_ns"), row("dbus-call", mode, "p50_ns")
    if not ours or not dbus:
        print(f"  {mode:<10} ({how}): not measured")
        continue
    fast = dbus["p50_ns"] / ours["p50_ns"]
    tail = f"target >= 5x: {verdict(fast >= 5)}" if mode == "same-cpu" else "(wakeup-bound, no target)"
    print(f"  {mode:<10} ({how}): echod {ours['p50_ns'] / 1e3:.1f} us, D-Bus {dbus['p50_ns'] / 1e3:.1f} us"
          f" -> {fast:.2f}x faster; {tail}")

# samgrd's Endpoint proxy (DESIGN.md section 3): the call a client that cannot take fds makes,
# one extra hop through samgrd, against the direct channel, the raw socketpair ping-pong
# with the same placement and the same call through D-Bus.
print()
print("Proxy: Echo.echo(\"\") on the Endpoint (samgrd forwards it) against the direct channel,")
print("the raw floor (socketpair ping-pong, 64 B) and D-Bus; p50 in us")
print(f"{'cpus':<10} {'proxied':>8} {'direct':>8} {'/direct':>8} {'<= 2.2x':>8} {'floor':>7} {'/floor':>7}"
      f" {'D-Bus':>7} {'D-Bus/us':>9} {'>= 2x':>7} {'spread':>7}")
for mode in ("same-cpu", "split-cpu", "free"):
    px, direct = row("echod-proxied", mode, "p50_ns"), row("echod-call", mode, "p50_ns")
    if not px or not direct:
        print(f"{mode:<10} (not measured)")
        continue
    floor, dbus = row("raw-pingpong-64", mode, "p50_ns"), row("dbus-call", mode, "p50_ns")
    rd = px["p50_ns"] / direct["p50_ns"]
    line = (f"{mode:<10} {px['p50_ns'] / 1e3:8.1f} {direct['p50_ns'] / 1e3:8.1f} {rd:7.2f}x"
            f" {verdict(rd <= 2.2):>8}")
    line += (f" {floor['p50_ns'] / 1e3:7.1f} {px['p50_ns'] / floor['p50_ns']:6.2f}x" if floor
             else f" {'-':>7} {'-':>7}")
    if dbus:
        fast = dbus["p50_ns"] / px["p50_ns"]
        line += f" {dbus['p50_ns'] / 1e3:7.1f} {fast:8.2f}x {verdict(fast >= 2):>7}"
    else:
        line += f" {'-':>7} {'-':>9} {'-':>7}"
    print(line + f" {px['spread']:>7}")
print("  (/direct: proxied p50 over the direct call's, target <= 2.2x; D-Bus/us: how many times")
print("   faster the proxied call is than D-Bus, target >= 2x)")
PY

# show NAME CMD...: CMD's table without its RESULT lines; a failure names NAME and its status
# (the exit status of `make bench` is 1 then, and this says why).
show() {
	local name=$1 status=0
	shift
	"$@" >"$sys_tmp/show.out" || status=$?
	grep -v '^RESULT' "$sys_tmp/show.out" || true
	if [ "$status" != 0 ]; then
		echo "bench.sh: $name failed (exit status $status)" >&2
		failed=1
	fi
}

# ---- entropy ---------------------------------------------------------------------------
# rngd's getEntropy (32 B inline, 1 MiB by VMO) against getrandom() in process and against
# rngd's own DRBG in process; bench-rng boots its own system (rate limit off).
if [ -x "$init" ] && [ -x "$bin/bench-rng" ]; then
	echo
	echo "Entropy: rngd's getEntropy vs getrandom() in process (target for 1 MiB: >= 0.50) and vs its DRBG in process"
	show bench-rng "$bin/bench-rng" --init "$init" --rounds "$passes"
else
	echo "bench.sh: nexus-init or bench-rng not built: skipping entropy" >&2
fi

# ---- identityd ------------------------------------------------------------------------
# Login (argon2id-bound) against argon2id in process, whoami against echod's null call
# (docs/PERFORMANCE.md "identityd"); bench-identity boots its own system, as root.
if [ -x "$bin/bench-identity" ] && [ -x "$init" ] && [ "$(id -u)" = 0 ]; then
	echo
	echo "identityd: login and whoami, each beside its baseline"
	show bench-identity "$bin/bench-identity" --init "$init"
else
	echo "bench.sh: bench-identity not built or not root: skipping identityd" >&2
fi
# ---- vfsd (docs/PERFORMANCE.md "vfsd") -------------------------------------------------
# bench-vfs boots its own system and prints each figure beside its baseline itself.
if [ -x "$bin/bench-vfs" ] && [ -x "$init" ]; then
	echo
	show bench-vfs "$bin/bench-vfs" --init "$init"
fi

# ---- bundles ------------------------------------------------------------------------------
# Installing a 64 MiB bundle of 1,000 files through a running bundlemgrd against the floor of
# the same hashing and verifying in process (bench/bench-bundle.c prints both and the share).
if [ -x "$init" ] && [ -x "$bin/bench-bundle" ]; then
	rt=$sys_tmp/run-bundle
	: >"$sys_tmp/init-bundle.log"
	NEXUS_RUNTIME_DIR=$rt NEXUS_STATE_DIR=$rt-state "$init" >>"$sys_tmp/init-bundle.log" 2>&1 &
	ipid=$!
	sys_pids+=("$ipid")
	echo
	echo "Bundles: install through bundlemgrd against SHA-256 of every file + one Ed25519 verify"
	if wait_line "$sys_tmp/init-bundle.log" '^init: ready$'; then
		show bench-bundle env NEXUS_RUNTIME_DIR="$rt" NEXUS_STATE_DIR="$rt-state" \
			"$bin/bench-bundle" --reps 5
	else
		echo "bench.sh: nexus-init (bundles) did not get ready" >&2
		failed=1
	fi
	kill -TERM "$ipid" 2>/dev/null || true
	wait "$ipid" || true
	rm -rf "$rt" "$rt-state"
else
	echo "bench.sh: nexus-init or bench-bundle not built: skipping bundles" >&2
fi

# ---- app confinement ----------------------------------------------------------------------
# Spawn + reap of /bin/true under each nx-abi sandbox mechanism alone and all at once, beside
# posix_spawn + waitpid (bench/bench-sandbox.c); namespaces need root.
if [ -x "$bin/bench-sandbox" ]; then
	echo
	show bench-sandbox "$bin/bench-sandbox" --reps 300 --rounds 5
else
	echo "bench.sh: bench-sandbox not built: skipping app confinement" >&2
fi

# ---- Noise (userspace/noise) -------------------------------------------------------------
# One side of an XX handshake beside 3 x X25519, ChaChaPoly records beside memcpy, in process
# (bench/bench-noise.c prints each figure, its baseline and the ratio).
if [ -x "$bin/bench-noise" ]; then
	echo
	show bench-noise "$bin/bench-noise"
else
	echo "bench.sh: bench-noise not built: skipping Noise" >&2
fi

# ---- the device bus ------------------------------------------------------------------------
# dsoftbusd's session layer across a veth link between two network namespaces (needs root;
# bench/bench-bus.sh says "skipped: needs root" otherwise): 256 MiB on a session's stream vs
# plain TCP, a 64-byte round trip vs a plain TCP ping-pong, the handshake vs 3 x X25519 + its
# round trips. Each figure beside its baseline from the same run.
if [ -x "$bin/bench-bus" ]; then
	echo
	echo "Device bus across a veth link (TCP + Noise_XX records + busmux streams vs plain TCP)"
	show bench-bus "$(dirname "$0")/../bench/bench-bus.sh" "$build" --mib 256 --reps 3
else
	echo "bench.sh: bench-bus not built: skipping the device bus" >&2
fi

# ---- apps through execd ------------------------------------------------------------------
# The sample app hello packed, signed and installed on a system booted here, then
# bench/bench-exec.c: spawn to first journal record and to exit, spawns per second for 10 s
# with execd's fds and memory, beside posix_spawn of the same binary. The cost of each
# confinement mechanism alone is bench-sandbox's table above (on /bin/true: its Landlock
# ruleset grants the loader and libraries only, so a binary of the build tree cannot run there).
hello=$build/examples/apps/hello
if [ -x "$init" ] && [ -x "$bin/bench-exec" ] && [ -x "$hello" ] && [ "$(id -u)" = 0 ]; then
	rt=$sys_tmp/run-apps
	apps=$sys_tmp/apps
	mkdir -p "$apps"
	nx=$build/source/tools/nx/nx
	: >"$sys_tmp/init-apps.log"
	NEXUS_RUNTIME_DIR=$rt NEXUS_STATE_DIR=$rt-state "$init" >>"$sys_tmp/init-apps.log" 2>&1 &
	ipid=$!
	sys_pids+=("$ipid")
	echo
	if wait_line "$sys_tmp/init-apps.log" '^init: ready$' &&
		key_id=$("$nx" bundle keygen "$apps/key") &&
		cp "$apps/key.pub" "$rt-state/bundlemgrd/trust/$key_id.pub" &&
		chown -R --reference="$rt-state/bundlemgrd" "$rt-state/bundlemgrd/trust" &&
		"$(dirname "$0")/../examples/apps/pack.sh" "$build" hello "$apps/key" "$apps/hello.nxb" \
			org.example.hello never &&
		NEXUS_RUNTIME_DIR=$rt "$nx" bundle install "$apps/hello.nxb" >/dev/null; then
		execd=$(awk '$1 == "execd" {print $2}' "$rt/status")
		show bench-exec env NEXUS_RUNTIME_DIR="$rt" "$bin/bench-exec" --hello "$hello" \
			--execd-pid "$execd" --reps 50 --seconds 10
	else
		echo "bench.sh: apps: the system did not get ready or hello did not install" >&2
		tail -5 "$sys_tmp/init-apps.log" >&2
		failed=1
	fi
	kill -TERM "$ipid" 2>/dev/null || true
	wait "$ipid" || true
	rm -rf "$rt" "$rt-state"
else
	echo "bench.sh: nexus-init, bench-exec or hello not built, or not root: skipping apps" >&2
fi

exit $failed
