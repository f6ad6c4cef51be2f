#!/usr/bin/env bash
# The benchmark, in one run: builds what it needs, runs every figure side by side on this
# machine (traffic to 127.0.0.1 only), and writes BENCHMARKS.md plus bench/charts/*.svg.
#
#   bench/run.sh              full run (about 13 minutes on 2 cores; stops itself after 20 minutes)
#   bench/run.sh --no-build   reuse the jars and AOT caches already in */target
#   BENCH_DURATION=3 bench/run.sh   seconds per wrk run (default 8)
#   BENCH_FIRST_EVENT_PAIRS=50 bench/run.sh   streams per side in the first-event figure (default 200)
#   BENCH_ONLY=operations bench/run.sh --no-build   figure 7 alone; prints its figures, keeps BENCHMARKS.md
#   BENCH_ONLY=floor bench/run.sh --no-build        figure 1b alone, the same way
#
# Needs wrk, nginx, hyperfine, jq, node and npm (installed from Debian when missing and run as root)
# and a JDK >= 21 (25 for the AOT caches). The peer, Portkey's AI gateway, is installed with npm ci at
# the version bench/portkey/package-lock.json pins (into bench/portkey/node_modules, kept between runs). Scratch files and logs go to bench/out/ (kept for a look afterwards).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out
readonly FAKE_KEY=sk-test-FAKE1234567890abcd
readonly DURATION=${BENCH_DURATION:-8}
readonly IN_FLIGHT=${BENCH_IN_FLIGHT:-2000}
readonly SLOW_UPSTREAM_MS=2000
readonly STARTS=${BENCH_STARTS:-5}
# Idle RSS is read this long after start: the JVM gives back start-up memory (C1's arena chunks) after ~5 s.
readonly IDLE_S=10
readonly FIRST_EVENT_WARMUP=100
readonly FIRST_EVENT_PAIRS=${BENCH_FIRST_EVENT_PAIRS:-200}
readonly TIME_LIMIT_S=1200
build=yes
[ "${1:-}" = --no-build ] && build=no

# shellcheck source=shell/lib/find-java.sh
. "$root/shell/lib/find-java.sh"
# shellcheck source=shell/lib/free-port.sh
. "$root/shell/lib/free-port.sh"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
# shellcheck source=bench/figures.sh
. "$root/bench/figures.sh"
# shellcheck source=bench/startup.sh
. "$root/bench/startup.sh"
# shellcheck source=bench/operations.sh
. "$root/bench/operations.sh"

trap cleanup EXIT
set -E
trap 'say "failed (exit $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
trap 'echo "bench: interrupted (signal, or over the ${TIME_LIMIT_S}s time limit)" >&2; exit 130' INT TERM
# The whole run stops by itself, whatever hangs. Its output goes nowhere, so that a pipe from this
# script (bench/run.sh | tee) ends when the script does.
( sleep "$TIME_LIMIT_S" && kill -TERM $$ ) >/dev/null 2>&1 &
watchdog=$!

rm -rf "$out"
mkdir -p "$out/run" "$out/logs"
chmod 700 "$out/run"
results=$out/results.properties
: >"$results"
# Every worker's usage store is the run's own, never the machine's state dir (/var/lib/openai-sidecar as
# root): figures would otherwise write into a real site's usage report, and start with its records.
export SIDECAR_USAGE_DB=$out/usage.db

require_tools
install_portkey
sidecar_find_java
java=$SIDECAR_JAVA
prepare_build
compile_bench_tools
compile_floor_tool

record machine.nproc "$(nproc)"
record machine.memory "$(free -h | awk '/^Mem:/ {print $2}')"
record machine.kernel "$(uname -sr)"
record machine.cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
record machine.jdk "$("$java" -version 2>&1 | sed -n 2p)"
record machine.jdk_home "$SIDECAR_JAVA_HOME"
record tools.wrk "$({ wrk -v 2>&1 || true; } | head -n1 | cut -d' ' -f2)"
record tools.nginx "$(nginx -v 2>&1 | cut -d/ -f2)"
record tools.hyperfine "$(hyperfine --version)"
record tools.node "$(node --version)"
record tools.portkey "$portkey_version"
record run.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record run.commit "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
record run.uncommitted "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | awk '{print $2}' | paste -sd' ' -)"
record run.duration_s "$DURATION"
for role in worker-http worker-stdio supervisor; do
    record "flags.$role" "$(jvm_flags_of "$role")"
done

start_nginx
case "${BENCH_ONLY:-}" in
    operations | floor)
        if [ "$BENCH_ONLY" = operations ]; then figure_operations; else figure_framework_floor; fi
        grep -v '^\(machine\|tools\|run\|flags\)\.' "$results"
        kill "$watchdog" 2>/dev/null || true
        exit 0
        ;;
esac
figure_added_latency
figure_framework_floor
figure_in_flight
figure_footprint_and_recovery
figure_stdio
figure_first_event
figure_operations
startup_measures
where_it_goes

# Other work on the machine shows here: the figures are only as quiet as the machine was.
record run.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
"$java" -cp "$out/classes" org.openaimoodle.sidecar.bench.Report "$results" "$root/BENCHMARKS.md" "$root/bench/charts"
kill "$watchdog" 2>/dev/null || true
echo "bench: wrote BENCHMARKS.md (raw figures: bench/out/results.properties)"
