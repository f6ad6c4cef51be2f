#!/usr/bin/env bash
# How long the hot sidecarctl commands take, as cron or a HEALTHCHECK runs them: `status`,
# `status --json`, `check --no-repair` and `check` against a running supervisor, `status` with nothing
# running, with the AOT caches and without (SIDECAR_AOT_CACHE=off), and `java -version` with the same
# JDK as the floor any JVM pays. Each command line runs RUNS times, interleaved with the others so that
# the noise of a shared machine spreads over all of them; prints median and fastest wall time.
#
#   bench/sidecarctl.sh [--runs N] [--home HOME] [--properties FILE]
#
#   --runs N           runs per command line (default 20)
#   --home HOME        an installed layout (HOME/bin/sidecarctl, as bench/run.sh makes it in bench/out/home);
#                      default: this checkout (build it first: ./mvnw package, which trains the AOT caches)
#   --properties FILE  also append the medians to FILE as startup.sidecarctl_hot.NAME.median_ms=MS
#
# Starts its own supervisor (fake key, no upstream needed) on a free port with its own run dir and log
# file in a scratch directory, and stops it at the end.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=20
home=$root
properties=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --home) home=$(cd "$2" && pwd); shift 2 ;;
        --properties) properties=$2; shift 2 ;;
        *) echo "usage: bench/sidecarctl.sh [--runs N] [--home HOME] [--properties FILE]" >&2; exit 2 ;;
    esac
done
sidecarctl=$home/bin/sidecarctl
[ -x "$sidecarctl" ] || sidecarctl=$home/shell/sidecarctl

# shellcheck source=shell/lib/find-java.sh
. "$root/shell/lib/find-java.sh"
# shellcheck source=shell/lib/free-port.sh
. "$root/shell/lib/free-port.sh"
sidecar_find_java

work=$(mktemp -d "${TMPDIR:-/tmp}/sidecarctl-bench.XXXXXX")
mkdir -m 700 "$work/run" "$work/idle"
export OPENAI_API_KEY=sk-test-FAKE1234567890abcd
export OPENAI_BASE_URL=http://127.0.0.1:9/v1
export SIDECAR_HOST=127.0.0.1
export SIDECAR_PORT
SIDECAR_PORT=$(free_port)
export SIDECAR_RUN_DIR=$work/run
export SIDECAR_LOG_FILE=$work/sidecar.log
export SIDECAR_USAGE_DB=$work/usage.db
unset SIDECAR_CONFIG SIDECAR_JAVA_OPTS SIDECAR_SUPERVISOR_JAVA_OPTS SIDECAR_AOT_CACHE

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    "$sidecarctl" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say() { printf 'sidecarctl-bench: %s\n' "$*" >&2; }

"$sidecarctl" start --wait 60 >"$work/start.out" 2>&1 || { cat "$work/start.out" >&2; exit 1; }
# The worker answers /health a moment before the supervisor's probe makes it RUNNING.
for _ in $(seq 1 50); do
    "$sidecarctl" status >/dev/null 2>&1 && break
    sleep 0.2
done

names=(status status-json check-no-repair check status-no-aot check-no-repair-no-aot status-not-running java-version)
commands=(
    "$sidecarctl status"
    "$sidecarctl status --json"
    "$sidecarctl check --no-repair"
    "$sidecarctl check"
    "env SIDECAR_AOT_CACHE=off $sidecarctl status"
    "env SIDECAR_AOT_CACHE=off $sidecarctl check --no-repair"
    "env SIDECAR_RUN_DIR=$work/idle $sidecarctl status"
    "$SIDECAR_JAVA -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -version"
)
# Exit codes each command line must give, else the figure would time an error path.
expected=(0 0 0 0 0 0 3 0)

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $runs runs of each, interleaved"
declare -a times
for ((run = 0; run < runs; run++)); do
    for i in "${!names[@]}"; do
        code=0
        start=$EPOCHREALTIME
        # shellcheck disable=SC2086  # each command line is meant to be split into words
        ${commands[$i]} >/dev/null 2>&1 || code=$?
        end=$EPOCHREALTIME
        if [ "$code" -ne "${expected[$i]}" ]; then
            say "${names[$i]}: exit $code, expected ${expected[$i]}: ${commands[$i]}"
            exit 1
        fi
        times[i]+="$(( (${end/[.,]/} - ${start/[.,]/}) / 1000 )) "
    done
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

printf '%-24s %10s %10s\n' "command line" "median ms" "fastest"
for i in "${!names[@]}"; do
    read -r median fastest < <(tr ' ' '\n' <<<"${times[i]}" | grep . | sort -n \
        | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1]}')
    printf '%-24s %10s %10s\n' "${names[$i]}" "$median" "$fastest"
    [ -n "$properties" ] && printf 'startup.sidecarctl_hot.%s.median_ms=%s\n' "${names[$i]}" "$median" >>"$properties"
done
exit 0
