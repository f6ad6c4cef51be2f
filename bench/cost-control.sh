#!/usr/bin/env bash
# The cost-control figure alone (issue 11), apart from bench/run.sh: the added latency of /ai with limits,
# the shared cache and usage accounting on against all of them off, same run, one request at a time in
# alternating pairs, and the cost of a cache hit (a repeated summarize) against a miss. About 1-2 minutes.
#
#   bench/cost-control.sh                 uses the jars already built in */target (./mvnw -DskipTests install)
#   BENCH_COST_PAIRS=2000 bench/cost-control.sh   pairs measured (default 1000, after 300 of warm-up)
#
# "Off" is SIDECAR_CACHE_TTL=0 and no limit. Usage accounting has no off switch: by default both workers
# record usage (each in its own store), so the figure is what limits and the cache add; BENCH_COST_USAGE_OFF=1
# puts the "off" worker's store on a path that cannot be opened instead (every record is dropped by the writer
# thread, which fails each batch: not free either). The fake upstream answers at once.
# Prints the key=value line and a Markdown table for the hand-measured part of BENCHMARKS.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/bench/out/cost-control
readonly FAKE_KEY=sk-test-FAKE1234567890abcd
readonly PAIRS=${BENCH_COST_PAIRS:-1000}
readonly WARMUP=${BENCH_COST_WARMUP:-300}
# shellcheck source=shell/lib/find-java.sh
. "$root/shell/lib/find-java.sh"
# shellcheck source=shell/lib/free-port.sh
. "$root/shell/lib/free-port.sh"
sidecar_find_java
java=$SIDECAR_JAVA
testkit_jar=$root/testkit/target/openai-moodle-sidecar-testkit.jar
if [ ! -f "$testkit_jar" ] || [ ! -f "$root/worker/target/openai-moodle-sidecar-worker.jar" ]; then
    echo "cost-control: build first (./mvnw -DskipTests install)" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out/run"
chmod 700 "$out/run"
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT
( sleep 600 && kill -TERM $$ ) >/dev/null 2>&1 &
pids+=($!)

wait_healthy() { # PORT PATH
    local i
    for ((i = 0; i < 600; i++)); do
        curl -fs -o /dev/null "http://127.0.0.1:$1$2" && return 0
        sleep 0.05
    done
    echo "cost-control: nothing answers on port $1 (see $out/*.log)" >&2
    exit 1
}

fake_port=$(free_port)
"$java" -XX:+UseSerialGC -jar "$testkit_jar" "$fake_port" 0 >"$out/fake-upstream.log" 2>&1 &
pids+=($!)
wait_healthy "$fake_port" /v1/models

start_worker() { # NAME ENV=VALUE...; sets port
    port=$(free_port)
    env OPENAI_API_KEY="$FAKE_KEY" OPENAI_BASE_URL="http://127.0.0.1:$fake_port/v1" SIDECAR_PORT="$port" \
        SIDECAR_RUN_DIR="$out/run" "${@:2}" "$root/shell/openai-moodle-sidecar" --http-mode \
        </dev/null >"$out/$1.log" 2>&1 &
    pids+=($!)
    wait_healthy "$port" /health
}
start_worker on SIDECAR_LIMIT_USER_REQUESTS=100000000/1h SIDECAR_LIMIT_USER_TOKENS=100000000000/1h \
    SIDECAR_LIMIT_SITE_REQUESTS=100000000/1h SIDECAR_LIMIT_SITE_TOKENS=100000000000/1h \
    SIDECAR_USAGE_DB="$out/usage.db"
on_port=$port
off_usage=$out/usage-off.db
if [ "${BENCH_COST_USAGE_OFF:-0}" = 1 ]; then
    : >"$out/not-a-directory"
    off_usage=$out/not-a-directory/usage.db
fi
start_worker off SIDECAR_CACHE_TTL=0 SIDECAR_USAGE_DB="$off_usage"
off_port=$port

line=$("$java" "$root/bench/src/org/openaimoodle/sidecar/bench/CostControlClient.java" "$on_port" "$off_port" \
    "$WARMUP" "$PAIRS")
echo "$line"
value() { tr ' ' '\n' <<<"$line" | sed -n "s/^$1=//p"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
cat <<TABLE

### Cost control per request (bench/cost-control.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $PAIRS pairs)

| /ai, one request at a time | median | p99 |
|---|---|---|
| chat, limits + cache off (usage: $([ "${BENCH_COST_USAGE_OFF:-0}" = 1 ] && echo "store unopenable" || echo on)) | $(ms "$(value off_p50_us)") | $(ms "$(value off_p99_us)") |
| chat, limits + cache + usage on (chat is not cached: four limits and the usage record) | $(ms "$(value on_p50_us)") | $(ms "$(value on_p99_us)") |
| added (median of per-pair differences, on − off) | $(ms "$(value added_p50_us)") | |
| summarize, cache miss (one upstream call, then stored) | $(ms "$(value miss_p50_us)") | $(ms "$(value miss_p99_us)") |
| summarize, cache hit | $(ms "$(value hit_p50_us)") | $(ms "$(value hit_p99_us)") |
| the same summarize without the cache (worker "off") | $(ms "$(value uncached_p50_us)") | $(ms "$(value uncached_p99_us)") |

Failures: $(value failures). The "on" worker's usage store: $(du -k "$out/usage.db" 2>/dev/null | cut -f1) KiB.
TABLE
