#!/usr/bin/env bash
# Trains the JDK 25 AOT caches of the three JVM roles at build time (run by `./mvnw package` in aot/,
# or by hand: aot/train.sh). Each role is run once through its real launcher, the way production runs
# it, with -XX:AOTCacheOutput (via SIDECAR_AOT_TRAIN_ROLE, see shell/lib/jvm-opts.sh).
# `aot/train.sh HOME` trains an installed layout instead (HOME/bin launchers, HOME/lib/<module>/ jars,
# caches into HOME/lib/<module>/aot/), e.g. in an image with the runtime that ships (set JAVA_HOME).
# Checkout layout:
#   worker-stdio  worker/target/aot/worker-stdio.aot   a few request lines on stdin, then EOF
#   worker-http   worker/target/aot/worker-http.aot    /health and /ai on a free port, then SIGTERM
#   supervisor    supervisor/target/aot/supervisor.aot `sidecarctl run` until the worker is healthy,
#                                                      `status` and `check` against it, then SIGTERM
#   supervisor-status  supervisor/target/aot/supervisor-status.aot  `sidecarctl status` against that
#   supervisor-check   supervisor/target/aot/supervisor-check.aot   `sidecarctl check` against that
#                 (an AOT cache loads all its classes at start, so each of these short-lived commands
#                 gets one of its own rather than the supervisor's)
# Requests go to the fake upstream (the testkit jar, run standalone) on 127.0.0.1 with a fake key.
# The fake upstream runs on SIDECAR_AOT_UPSTREAM_JAVA when set (default: the JDK that trains): a jlink'd
# runtime trains the sidecar but lacks jdk.httpserver, which the fake upstream needs (the Dockerfile).
# Training never fails the build: a role that cannot be trained is reported and left without a
# cache, and the launchers then simply start without one.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=shell/lib/find-java.sh
. "$root/shell/lib/find-java.sh"
# shellcheck source=shell/lib/jvm-opts.sh
. "$root/shell/lib/jvm-opts.sh"
# shellcheck source=shell/lib/free-port.sh
. "$root/shell/lib/free-port.sh"

readonly FAKE_KEY=sk-test-FAKE1234567890abcd
readonly STEP_TIMEOUT=60
if [ -n "${1:-}" ]; then
    home=$(cd "$1" && pwd) || exit 0
    bin=$home/bin
    worker_jar=$home/lib/worker/openai-moodle-sidecar-worker.jar
    supervisor_jar=$home/lib/supervisor/openai-moodle-sidecar-supervisor.jar
else
    bin=$root/shell
    worker_jar=$root/worker/target/openai-moodle-sidecar-worker.jar
    supervisor_jar=$root/supervisor/target/openai-moodle-sidecar-supervisor.jar
fi
worker_aot=${worker_jar%/*}/aot
supervisor_aot=${supervisor_jar%/*}/aot
work=""
pids=()

say() { printf 'aot: %s\n' "$*"; }

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [ -n "$work" ] && rm -rf "$work"
}

# http PORT METHOD PATH [BODY]: prints the status code of a request to 127.0.0.1 (bash /dev/tcp,
# so training needs no curl).
http() {
    local port=$1 method=$2 path=$3 body=${4:-} status
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$method" "$path" "${#body}" "$body" >&3
    IFS=' ' read -r -t 30 _ status _ <&3
    exec 3>&-
    echo "${status:-000}"
}

wait_healthy() {
    local port=$1 pid=$2
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(http "$port" GET /health 2>/dev/null)" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

# Waits for a training process to exit (it writes the cache on exit), at most STEP_TIMEOUT seconds.
wait_exit() {
    local pid=$1
    for _ in $(seq 1 $((STEP_TIMEOUT * 10))); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    return 1
}

start_fake_upstream() {
    # Installed layout: HOME/lib/testkit/ (bench/ copies it there); else this checkout's testkit/target/.
    local testkit_jar=${home:+$home/lib/testkit/openai-moodle-sidecar-testkit.jar}
    [ -f "$testkit_jar" ] || testkit_jar=$root/testkit/target/openai-moodle-sidecar-testkit.jar
    if [ ! -f "$testkit_jar" ]; then
        say "no fake upstream ($testkit_jar): training against a closed port (error paths only)"
        upstream_port=$(free_port)
        return 0
    fi
    # Up to three ports: another process may take a free port before the fake binds it.
    local attempt pid
    for attempt in 1 2 3; do
        upstream_port=$(free_port) || return 1
        "${SIDECAR_AOT_UPSTREAM_JAVA:-$SIDECAR_JAVA}" -jar "$testkit_jar" "$upstream_port" 0 >"$work/fake.log" 2>&1 &
        pid=$!
        pids+=("$pid")
        for _ in $(seq 1 100); do
            (: <"/dev/tcp/127.0.0.1/$upstream_port") 2>/dev/null && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        say "fake upstream did not start on port $upstream_port (attempt $attempt): $(grep -m 1 -e Exception -e Error "$work/fake.log" || tail -n 3 "$work/fake.log")"
        kill -KILL "$pid" 2>/dev/null
    done
    return 1
}

# Environment of every training run: defaults only, fake key, our own port, run dir and log file.
training_env() {
    unset SIDECAR_WORKER_JAVA_OPTS SIDECAR_SUPERVISOR_JAVA_OPTS SIDECAR_JAVA_OPTS SIDECAR_CONFIG SIDECAR_TOKEN
    export SIDECAR_AOT_CACHE=auto
    export OPENAI_API_KEY=$FAKE_KEY
    export OPENAI_BASE_URL=http://127.0.0.1:$upstream_port/v1
    export SIDECAR_HOST=127.0.0.1
    export SIDECAR_RUN_DIR=$work/run
    export SIDECAR_LOG_FILE=$work/sidecar.log
}

# Moves a fresh cache into place with its JDK stamp, or reports why there is none. A run that never
# got healthy trained the wrong code paths, so its cache is dropped.
install_cache() {
    local role=$1 out=$2 log=$3 healthy=${4:-yes}
    if [ "$healthy" != yes ]; then
        rm -f "$out.tmp"
        say "$role: no cache (never answered GET /health with 200; the log's last lines follow)"
        grep -v -e AOT -e JAVA_TOOL_OPTIONS "$log" | tail -n 5 | sed 's/^/aot:   /'
    elif [ -s "$out.tmp" ]; then
        mv -f "$out.tmp" "$out"
        printf '%s\n' "$SIDECAR_JAVA_RUNTIME_VERSION" >"$out.jdk"
        say "$role: $(du -h "$out" | cut -f1) cache in $out"
    else
        rm -f "$out.tmp"
        say "$role: no cache (training run failed; its last lines follow)"
        grep -v -e AOT -e JAVA_TOOL_OPTIONS "$log" | tail -n 5 | sed 's/^/aot:   /'
    fi
}

request_lines() {
    printf '%s\n' \
        '{"action":"chat","content":"What is photosynthesis?","context":"Biology 101","user_id":42}' \
        '{"action":"summarize","content":"A long text about cells.","context":null,"user_id":"7"}' \
        '{"action":"analyze","content":"Lesson 1: fractions.","user_id":null}' \
        '{"action":"dance","content":"x"}' \
        'not json' \
        ''
}

train_worker_stdio() {
    local out=$worker_aot/worker-stdio.aot log=$work/worker-stdio.log
    rm -f "$out" "$out.jdk"
    request_lines | SIDECAR_AOT_TRAIN_ROLE=worker-stdio SIDECAR_AOT_TRAIN_OUTPUT=$out.tmp \
        timeout "$STEP_TIMEOUT" "$bin/openai-moodle-sidecar" >"$log" 2>&1
    install_cache worker-stdio "$out" "$log"
}

train_worker_http() {
    local out=$worker_aot/worker-http.aot log=$work/worker-http.log port pid line healthy=no
    rm -f "$out" "$out.jdk"
    port=$(free_port) || return 1
    SIDECAR_AOT_TRAIN_ROLE=worker-http SIDECAR_AOT_TRAIN_OUTPUT=$out.tmp SIDECAR_PORT=$port \
        "$bin/openai-moodle-sidecar" --http-mode </dev/null >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    if wait_healthy "$port" "$pid"; then
        healthy=yes
        # Enough rounds for the hot path to be profiled (JEP 515 keeps method profiles in the cache).
        for _ in $(seq 1 20); do
            while IFS= read -r line; do
                [ -n "$line" ] && http "$port" POST /ai "$line" >/dev/null
            done < <(request_lines)
        done
        http "$port" GET /metrics >/dev/null
        http "$port" GET /nowhere >/dev/null
    fi
    kill -TERM "$pid" 2>/dev/null
    wait_exit "$pid"
    install_cache worker-http "$out" "$log" "$healthy"
}

train_supervisor() {
    local out=$supervisor_aot/supervisor.aot log=$work/supervisor.log port pid healthy=no
    rm -f "$out" "$out.jdk"
    port=$(free_port) || return 1
    export SIDECAR_PORT=$port
    SIDECAR_AOT_TRAIN_ROLE=supervisor SIDECAR_AOT_TRAIN_OUTPUT=$out.tmp \
        "$bin/sidecarctl" run </dev/null >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    if wait_healthy "$port" "$pid"; then
        healthy=yes
        {
            # The worker answers /health a moment before the supervisor's own probe makes it RUNNING.
            for _ in $(seq 1 50); do
                "$bin/sidecarctl" status && break
                sleep 0.2
            done
            "$bin/sidecarctl" status --json
            "$bin/sidecarctl" check --no-repair
        } >>"$log" 2>&1
        train_hot_command status
        train_hot_command check
    fi
    kill -TERM "$pid" 2>/dev/null
    wait_exit "$pid"
    install_cache supervisor "$out" "$log" "$healthy"
}

# train_hot_command COMMAND: `sidecarctl COMMAND` once, as role supervisor-COMMAND, against the healthy
# supervisor. A run that did not find it healthy (exit other than 0) trained the wrong paths: dropped.
train_hot_command() {
    local command=$1 role=supervisor-$1 out log code=0
    out=$supervisor_aot/$role.aot
    log=$work/$role.log
    rm -f "$out" "$out.jdk"
    SIDECAR_AOT_TRAIN_ROLE=$role SIDECAR_AOT_TRAIN_OUTPUT=$out.tmp \
        timeout "$STEP_TIMEOUT" "$bin/sidecarctl" "$command" </dev/null >"$log" 2>&1 || code=$?
    if [ "$code" -ne 0 ]; then
        rm -f "$out.tmp"
        say "$role: no cache (sidecarctl $command exited $code; its last lines follow)"
        grep -v -e AOT -e JAVA_TOOL_OPTIONS "$log" | tail -n 5 | sed 's/^/aot:   /'
        return 0
    fi
    install_cache "$role" "$out" "$log"
}

main() {
    sidecar_find_java >/dev/null 2>&1 || { say "no JDK >= 21 found: no AOT caches"; return 0; }
    sidecar_java_runtime_version "$SIDECAR_JAVA_HOME"
    if ! [ "${SIDECAR_JAVA_RUNTIME_VERSION%%[.+-]*}" -ge 25 ] 2>/dev/null; then
        say "JDK ${SIDECAR_JAVA_RUNTIME_VERSION:-?} at $SIDECAR_JAVA_HOME is older than 25: no AOT caches (the launchers start without)"
        return 0
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/sidecar-aot.XXXXXX")
    mkdir -m 700 "$work/run"
    start_fake_upstream || { say "no fake upstream: no AOT caches"; return 0; }
    training_env
    if [ -f "$worker_jar" ]; then
        mkdir -p "$worker_aot"
        train_worker_stdio
        train_worker_http
    else
        say "no worker jar ($worker_jar): worker not trained"
    fi
    if [ -f "$supervisor_jar" ] && [ -f "$worker_jar" ]; then
        mkdir -p "$supervisor_aot"
        train_supervisor
    else
        say "no supervisor or worker jar: supervisor not trained"
    fi
}

trap cleanup EXIT
main
exit 0
