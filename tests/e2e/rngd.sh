#!/usr/bin/env bash
# End to end: rngd in the boot order (after logd), driven through nx and rng-probe as uid:0.
# Entropy inline (<= RNG_INLINE_MAX) and as a sealed VMO of exactly n bytes (up to
# RNG_REQUEST_MAX); 10 MB of output passes a monobit and a runs check; the per-subject byte
# rate refuses with a reason naming the rate; n = 0, n over the cap and garbage cost only that
# request or channel; kill -9 rngd: restarted by init, one client handle recovers. Second boot:
# a stuck hwrng (a file of zeros in rngd's state dir) fails its startup test, is reported to
# logd and rngd falls back to getrandom. Third boot: the stuck hwrng alone: `unavailable:`.
# Every wait is bounded; nothing asserts on timing.
# Usage: rngd.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/rng-probe
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# A policy copy (section 6b takes uid:<n>'s rng.entropy away and gives it back).
policies=$tmp/policies
cp -r "$(cd "$(dirname "$0")/../.." && pwd)/policies" "$policies"
[ "$(id -u)" = 0 ] || printf 'allow uid:%s ipc.connect.* samgr.list\nallow uid:%s rng.entropy\n' \
	"$(id -u)" "$(id -u)" >>"$policies/default.policy"
cp "$policies/default.policy" "$tmp/p.orig"
export NEXUS_POLICY_DIR=$policies
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state

boot() {
	log=$tmp/init-$1.log
	"$init" >"$log" 2>&1 &
	ipid=$!
	pids+=("$ipid")
	wait_for "$log" 'init: ready' 1 60 || fail "boot $1: no 'init: ready'"
}
stop() {
	kill -TERM "$ipid"
	st=0; wait "$ipid" || st=$?
	[ "$st" = 0 ] || fail "nexus-init exited $st on SIGTERM"
}

# ---- 1. Boot: rngd's markers once each, after logd, before echod ----
# 1 MiB/s with a 12 MiB burst: section 4 draws 10 MiB, section 5 runs into the rate.
export NEXUS_RNGD_RATE=1048576 NEXUS_RNGD_BURST=12582912
boot first
prev=$(grep -n -x 'init: up logd' "$log" | cut -d: -f1)
for m in 'init: start rngd' 'rngd: ready' 'init: up rngd' 'init: start echod'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
	line=$(grep -n -x -- "$m" "$log" | cut -d: -f1)
	[ "$line" -gt "$prev" ] || fail "marker '$m' out of order"
	prev=$line
done
"$nx" status --json | py "[s for s in d['services'] if s['name'] == 'rngd' and
	s['state'] == 'up' and 'landlock' in s['sandbox']]" || fail "rngd not up and sandboxed"
echo "ok rngd boots after logd and before echod, sandboxed, markers once each"

# ---- 2. Usage ----
for help in "rng --help" "rng bytes --help" "rng status --help"; do
	out=$($nx $help) && [[ "$out" == "usage: nx rng"* ]] || fail "nx $help"
done
for bad in "rng" "rng frob" "rng bytes" "rng bytes x" "rng bytes -1" "rng bytes 99999999999" \
	"rng bytes 3 --frob" "rng bytes 3 --hex more" "rng status --frob"; do
	st=0; $nx $bad >/dev/null 2>&1 || st=$?
	[ "$st" = 2 ] || fail "nx $bad exited $st, not 2"
done
# Raw bytes are never written to a terminal.
python3 - "$nx" <<'PY' || fail "raw bytes to a terminal not refused"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "rng", "bytes", "16"])
out = b""
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        out += chunk
except OSError:
    pass
_, status = os.waitpid(pid, 0)
sys.exit(0 if os.WEXITSTATUS(status) == 2 and b"terminal" in out else 1)
PY
echo "ok nx rng: --help everywhere, bad usage exits 2, no raw bytes to a terminal"

# ---- 3. Inline up to RNG_INLINE_MAX, sealed VMOs of exactly n bytes above ----
a=$("$nx" rng bytes 32 --hex) && b=$("$nx" rng bytes 32 --hex) || fail "nx rng bytes 32 --hex"
[[ "$a" =~ ^[0-9a-f]{64}$ ]] && [ "$a" != "$b" ] || fail "32 bytes: '$a' then '$b'"
for n in 1 256 257 4096 1048576; do
	[ "$("$nx" rng bytes $n | wc -c)" = $n ] || fail "nx rng bytes $n: wrong length"
done
for n in 1 256; do
	[ "$("$probe" vmo $n)" = "probe: inline $n" ] || fail "probe vmo $n: $("$probe" vmo $n)"
done
for n in 257 65536 1048576; do
	out=$("$probe" vmo $n) && [ "$out" = "probe: vmo $n sealed" ] || fail "probe vmo $n: $out"
done
echo "ok getEntropy: inline up to 256 bytes, a FROZEN-sealed VMO of exactly n bytes above"

# ---- 4. 10 MB of output: monobit and runs within 5 standard deviations ----
: >"$tmp/ten"
for _ in $(seq 10); do "$nx" rng bytes 1048576 >>"$tmp/ten" || fail "1 MiB request"; done
python3 - "$tmp/ten" <<'PY' || fail "10 MB of output failed the frequency/runs check"
import math, sys
data = open(sys.argv[1], "rb").read()
n = len(data) * 8
assert n == 10 * 1048576 * 8, n
x = int.from_bytes(data, "big")
ones = bin(x).count("1")
# Monobit: ones ~ Binomial(n, 1/2).
z1 = abs(ones - n / 2) / math.sqrt(n / 4)
# Runs (SP 800-22 section 2.3): runs = 1 + bit changes, mean 2n*pi*(1-pi) given the ones.
pi = ones / n
runs = 1 + bin((x ^ (x >> 1)) & ((1 << (n - 1)) - 1)).count("1")
mean = 2 * n * pi * (1 - pi)
z2 = abs(runs - mean) / (2 * math.sqrt(2 * n) * pi * (1 - pi))
print(f"monobit z={z1:.2f} runs z={z2:.2f}")
sys.exit(0 if z1 < 5 and z2 < 5 else 1)
PY
"$nx" rng status --json >"$tmp/st" || fail "nx rng status"
py "d['reseeds'] >= 2 and d['bytesServed'] >= 10 * 1048576 and
    [s for s in d['sources'] if s['name'] == 'hwrng' and s['inUse'] and s['healthy'] and
     s['samples'] >= 1024 and s['minEntropyMilliBits'] == 4000]" <"$tmp/st" ||
	fail "status after 10 MiB: $(cat "$tmp/st")"
echo "ok 10 MiB of output passes monobit and runs; reseeded every RNGD_RESEED_BYTES from hwrng"

# ---- 5. The per-subject byte rate ----
refused=0
for _ in $(seq 64); do
	st=0; "$nx" rng bytes 1048576 >/dev/null 2>"$tmp/err" || st=$?
	if [ "$st" = 1 ]; then refused=1; break; fi
done
[ "$refused" = 1 ] || fail "64 MiB at once never ran into the rate"
grep -q "limit_exceeded: uid:$(id -u) is over its entropy rate of 1048576 bytes/s" "$tmp/err" ||
	fail "rate refusal: $(cat "$tmp/err")"
"$nx" rng status --json | py "d['requestsRefused'] >= 1" || fail "refusal not counted"
echo "ok over its byte rate: limit_exceeded naming the rate, counted"

# ---- 6. Bad input costs only that request or channel; no fd leaked ----
rpid=$(pgrep -P "$ipid" -x rngd) || fail "no rngd child of init"
fds() { ls "/proc/$1/fd" | wc -l; }
f0=$(fds "$rpid")
st=0; "$nx" rng bytes 0 >/dev/null 2>"$tmp/err" || st=$?
[ "$st" = 1 ] && grep -q "invalid_argument: n: 0 bytes" "$tmp/err" || fail "n=0: $(cat "$tmp/err")"
st=0; "$nx" rng bytes $((1048576 + 1)) >/dev/null 2>"$tmp/err" || st=$?
[ "$st" = 1 ] && grep -q "too_large: n: 1048577 bytes is over 1048576" "$tmp/err" ||
	fail "n over RNG_REQUEST_MAX: $(cat "$tmp/err")"
out=$("$probe" garbage) && [ "$out" = "probe: rngd closed the channel" ] || fail "garbage: $out"
out=$("$probe" unknown) && [[ "$out" == "probe: unknown method refused: "*"; the channel still serves" ]] ||
	fail "unknown method: $out"
"$nx" rng bytes 16 --hex >/dev/null || fail "rngd does not serve after bad input"
[ "$(pgrep -P "$ipid" -x rngd)" = "$rpid" ] || fail "rngd restarted after bad input"
# VMO answers and dropped channels leave no fd behind (closes are seen a moment later).
for _ in $(seq 5); do "$probe" vmo 4096 >/dev/null || fail "vmo after bad input"; done
ok=
for _ in $(seq 100); do
	[ "$(fds "$rpid")" = "$f0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "fds leaked in rngd: $f0 -> $(fds "$rpid")"
echo "ok n=0, n over 1 MiB, an unknown method, garbage: refused or dropped, rngd keeps" \
	"serving; no fd leaked ($f0)"

# ---- 6b. policyd decides rng.entropy: denied once the grant is gone, back after a reload ----
grep -v -x "allow uid:$(id -u) rng.entropy" "$tmp/p.orig" >"$policies/default.policy"
"$nx" policy reload >/dev/null || fail "reload without rng.entropy"
st=0; "$nx" rng bytes 16 --hex >/dev/null 2>"$tmp/err" || st=$?
[ "$st" = 1 ] && grep -q "denied: uid:$(id -u) lacks rng.entropy" "$tmp/err" ||
	fail "without rng.entropy: $(cat "$tmp/err")"
cp "$tmp/p.orig" "$policies/default.policy"
"$nx" policy reload >/dev/null || fail "reload with rng.entropy"
"$nx" rng bytes 16 --hex >/dev/null || fail "rng.entropy granted again"
echo "ok rng.entropy is policyd's: denied without the grant, allowed after a reload"

# ---- 7. kill -9 rngd: restarted, a client handle recovers ----
"$probe" recover "$tmp/restarted" >"$tmp/recover" 2>&1 &
ppid_=$!
pids+=("$ppid_")
wait_for "$tmp/recover" 'probe: before ok' 1 20 || fail "probe: $(cat "$tmp/recover")"
kill -KILL "$rpid"
wait_for "$log" 'init: up rngd' 2 30 || fail "rngd was not restarted"
touch "$tmp/restarted"
wait "$ppid_" || fail "client did not recover: $(cat "$tmp/recover")"
grep -q '^probe: recovered after' "$tmp/recover" || fail "probe: $(cat "$tmp/recover")"
"$nx" rng bytes 32 --hex >/dev/null || fail "nx after restart"
echo "ok kill -9 rngd: restarted by init, a client's handle recovers"
stop

# ---- 8. A stuck hwrng: startup test fails, reported to logd, fallback to getrandom ----
mkdir -p "$NEXUS_STATE_DIR/rngd"
head -c 65536 /dev/zero >"$NEXUS_STATE_DIR/rngd/stuck-hwrng"
export NEXUS_RNGD_HWRNG=$NEXUS_STATE_DIR/rngd/stuck-hwrng
boot stuck
"$nx" rng bytes 64 --hex >/dev/null || fail "no entropy with a stuck hwrng"
"$nx" rng status --json >"$tmp/st" || fail "status"
py "[s for s in d['sources'] if s['name'] == 'hwrng' and not s['healthy'] and not s['inUse']
     and s['repetitionFailures'] >= 1] and
    [s for s in d['sources'] if s['name'] == 'getrandom' and s['healthy'] and s['inUse']]" \
	<"$tmp/st" || fail "status with a stuck hwrng: $(cat "$tmp/st")"
"$nx" log query --subject svc:rngd --grep "hwrng: startup health test failed" --json \
	>"$tmp/q" || fail "log query"
records_hold "len(r) == 1 and r[0]['level'] == 'error'" <"$tmp/q" ||
	fail "the failing source is not in the journal: $(cat "$tmp/q")"
echo "ok stuck hwrng: startup test fails (repetition count), journal says so, getrandom serves"
stop

# ---- 9. No source passes: unavailable ----
export NEXUS_RNGD_SOURCES=hwrng
boot alone
# dsoftbusd was refused its seed while booting: count only nx's request from here.
refused=$("$nx" rng status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["requestsRefused"])')
st=0; "$nx" rng bytes 32 --hex >/dev/null 2>"$tmp/err" || st=$?
[ "$st" = 1 ] && grep -q "unavailable: no entropy source passes its health tests" "$tmp/err" ||
	fail "no source: $(cat "$tmp/err")"
"$nx" rng status --json | py "len(d['sources']) == 1 and not d['sources'][0]['healthy'] and
	d['requestsRefused'] == $refused + 1" || fail "status with no source"
echo "ok no healthy source: unavailable, counted"
stop
