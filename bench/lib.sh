# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034,SC2119,SC2120  # root, out, results, build, FAKE_KEY ... are set by bench/run.sh
# free_port comes from shell/lib/free-port.sh (sourced by bench/run.sh).
# Plumbing of bench/run.sh: tools, build, ports, processes, results. Expects $root, $out, $results.
# Every process started here is tracked and stopped by `cleanup` (EXIT trap), children included.

tracked_pids=()

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# record KEY VALUE: one line of results.properties, read by Report.java.
record() {
    printf '%s=%s\n' "$1" "$2" >>"$results"
}

require_tools() {
    local tool package missing=()
    for tool in wrk:wrk nginx:nginx hyperfine:hyperfine jq:jq node:nodejs npm:npm; do
        package=${tool#*:}
        command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("$package")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "install these Debian packages first: ${missing[*]}"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages worker and supervisor, copies them into the snapshot and trains the AOT caches there
# (aot/train.sh HOME), so that jars and caches always belong together.
prepare_build() {
    if [ "$build" = yes ]; then
        say "building worker, supervisor and the testkit (the fake upstream)"
        (cd "$root" && ./mvnw -q -o -pl testkit,worker,supervisor -am package -DskipTests >"$out/logs/build.log" 2>&1) \
            || (cd "$root" && ./mvnw -q -pl testkit,worker,supervisor -am package -DskipTests >>"$out/logs/build.log" 2>&1) \
            || die "build failed: see bench/out/logs/build.log"
    fi
    install_snapshot
    say "training the AOT caches in the snapshot"
    bash "$root/aot/train.sh" "$home" >"$out/logs/aot-train.log" 2>&1 || true
    sed 's/^/bench: /' "$out/logs/aot-train.log" >&2
    record_aot_caches
}

# Copies launchers, jars and AOT caches into bench/out/home in the installed layout (as the Docker
# image has it), with times preserved so that the caches stay valid. The benchmark runs from there:
# rebuilds in the checkout during the run cannot change what is measured.
install_snapshot() {
    home=$out/home
    local module
    mkdir -p "$home/bin/lib"
    cp -p "$root/shell/openai-moodle-sidecar" "$root/shell/sidecarctl" "$home/bin/"
    cp -p "$root/shell/lib/"*.sh "$home/bin/lib/"
    for module in worker supervisor; do
        [ -f "$root/$module/target/openai-moodle-sidecar-$module.jar" ] || die "no $module jar: run without --no-build"
        mkdir -p "$home/lib/$module"
        cp -p "$root/$module/target/openai-moodle-sidecar-$module.jar" "$home/lib/$module/"
        cp -rp "$root/$module/target/libs" "$home/lib/$module/"
    done
    worker_jar=$home/lib/worker/openai-moodle-sidecar-worker.jar
    # The fake upstream: the testkit jar with its libs, runnable standalone (java -jar).
    testkit_jar=$home/lib/testkit/openai-moodle-sidecar-testkit.jar
    [ -f "$root/testkit/target/openai-moodle-sidecar-testkit.jar" ] \
        || die "no testkit jar (the fake upstream): run without --no-build"
    mkdir -p "$home/lib/testkit"
    cp -p "$root/testkit/target/openai-moodle-sidecar-testkit.jar" "$testkit_jar"
    cp -rp "$root/testkit/target/libs" "$home/lib/testkit/"
}

record_aot_caches() {
    local role cache jar module
    for role in worker-http worker-stdio supervisor supervisor-status supervisor-check; do
        module=${role%%-*}
        jar=$home/lib/$module/openai-moodle-sidecar-$module.jar
        cache=$home/lib/$module/aot/$role.aot
        if [ ! -f "$cache" ]; then
            record "aot.$role" "none"
        elif [ "$cache" -nt "$jar" ]; then
            record "aot.$role" "$(du -m "$cache" | cut -f1) MB"
        else
            record "aot.$role" "stale (jar rebuilt after training), not used"
        fi
    done
}

# The peer: Portkey's gateway at the version bench/portkey/package-lock.json pins, installed once
# into bench/portkey/node_modules (npm ci; kept between runs, not in git).
install_portkey() {
    local dir=$root/bench/portkey
    portkey_version=$(jq -r '.packages["node_modules/@portkey-ai/gateway"].version' "$dir/package-lock.json")
    if [ "$(jq -r .version "$dir/node_modules/@portkey-ai/gateway/package.json" 2>/dev/null)" != "$portkey_version" ]; then
        say "installing the peer, Portkey gateway $portkey_version (npm ci)"
        (cd "$dir" && npm ci --no-audit --no-fund >"$out/logs/npm.log" 2>&1) \
            || die "npm ci failed: see bench/out/logs/npm.log"
    fi
    portkey_server=$dir/node_modules/@portkey-ai/gateway/build/start-server.js
}

compile_bench_tools() {
    mkdir -p "$out/classes"
    local sources
    mapfile -t sources < <(find "$root/bench/src" -name '*.java')
    "$SIDECAR_JAVA_HOME/bin/javac" --release 21 -d "$out/classes" "${sources[@]}" || die "bench tools do not compile"
}

# The framework floor of figure 1 (bench/floor): compiled against the worker's own libraries.
compile_floor_tool() {
    mkdir -p "$out/floor-classes"
    "$SIDECAR_JAVA_HOME/bin/javac" --release 21 -cp "$(worker_libs)" -d "$out/floor-classes" \
        "$root/bench/floor/HelidonFloor.java" || die "bench/floor/HelidonFloor.java does not compile"
}

# The worker's libraries (its jar's Class-Path) as one class path.
worker_libs() {
    local jars=("$home"/lib/worker/libs/*.jar)
    local IFS=:
    printf '%s' "${jars[*]}"
}

# The flags the launcher gives ROLE (with its AOT cache when usable, unless SIDECAR_AOT_CACHE=off), one a line.
role_flags() {
    (
        # shellcheck source=shell/lib/jvm-opts.sh
        . "$home/bin/lib/jvm-opts.sh"
        sidecar_jvm_opts "$1" "$home"
        printf '%s\n' "${SIDECAR_JVM_OPTS[@]}"
    )
}

# The same as one line, paths relative to the sidecar home, for the report.
jvm_flags_of() {
    role_flags "$1" | paste -sd' ' - | sed "s#$home/##g"
}

wait_port() {
    local port=$1
    for _ in $(seq 1 100); do
        (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

bench_tool() {
    "$SIDECAR_JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$out/classes" "org.openaimoodle.sidecar.bench.$1" "${@:2}"
}

# watch_start PORT TIMEOUT_S LOG COMMAND...: starts COMMAND, waits for GET /health 200.
# Sets WATCH_PID and WATCH_MS (-1 when it never got healthy).
watch_start() {
    local line
    line=$(bench_tool HealthWatch start "$1" "$2" "$3" -- "${@:4}") || true
    WATCH_PID=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")
    WATCH_MS=$(sed -n 's/.*ms=\([-0-9.]*\).*/\1/p' <<<"$line")
    [ -n "$WATCH_PID" ] || die "could not start: ${*:4} (see $3)"
    tracked_pids+=("$WATCH_PID")
}

# watch_signal PORT TIMEOUT_S SIGNAL PID: sends the signal, sets WATCH_MS until healthy again.
watch_signal() {
    local line
    line=$(bench_tool HealthWatch signal "$@") || true
    WATCH_MS=$(sed -n 's/.*ms=\([-0-9.]*\).*/\1/p' <<<"$line")
    WATCH_MS=${WATCH_MS:--1}
}

# The one child process of PID (the worker of a supervisor), waiting up to 10 s for it.
child_of() {
    local child
    for _ in $(seq 1 100); do
        child=$(pgrep -P "$1" | head -n1) && [ -n "$child" ] && { echo "$child"; return 0; }
        sleep 0.1
    done
    return 1
}

# rss_kb PID FIELD: VmRSS, VmHWM or Threads from /proc/PID/status (number only).
proc_status() {
    awk -v field="$2:" '$1 == field {print $2}' "/proc/$1/status" 2>/dev/null || true
}

# proc_pss PID: the proportional set size in kB (/proc/PID/smaps_rollup): pages shared with other processes,
# such as libjvm.so mapped by both the supervisor and the worker, are divided among them, not counted in each.
proc_pss() {
    awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || true
}

alive() {
    [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# stop_pid PID [GRACE_S]: SIGTERM, wait, then SIGKILL it and whatever it had started.
stop_pid() {
    local pid=$1 grace=${2:-15} children
    alive "$pid" || return 0
    children=$(pgrep -P "$pid" || true)
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace * 10))); do
        alive "$pid" || break
        sleep 0.1
    done
    # A process that ends between the check and the kill makes kill fail: that is no failure of the run.
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    for pid in $children; do
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    return 0
}

median() {
    sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "-1"; else if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

cleanup() {
    local pid
    trap - ERR
    set +e
    for pid in "${tracked_pids[@]}"; do
        stop_pid "$pid" 5
    done
    if [ -n "${watchdog:-}" ]; then
        pkill -P "$watchdog" 2>/dev/null
        kill "$watchdog" 2>/dev/null
    fi
    return 0
}
