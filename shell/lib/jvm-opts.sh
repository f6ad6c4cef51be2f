# shellcheck shell=bash
# JVM options of each role, in one place. Source it, then call `sidecar_jvm_opts ROLE HOME`
# (ROLE: worker-http, worker-stdio, supervisor, supervisor-status or supervisor-check; HOME: the sidecar
# home) after `sidecar_find_java`. supervisor-status and supervisor-check are the supervisor jar as the
# short-lived client of `sidecarctl status` and `sidecarctl check` (shell/sidecarctl picks them), each
# with an AOT cache trained on that very command.
# It fills the array SIDECAR_JVM_OPTS. Only bash builtins run here: stdio mode pays for this script
# on every fallback request, so it forks nothing.
#
# Knobs (environment):
#   SIDECAR_WORKER_JAVA_OPTS      replaces the default flags of both worker roles (default: see below);
#                                 set, the worker starts without its AOT cache
#   SIDECAR_SUPERVISOR_JAVA_OPTS  replaces the default flags of the supervisor and of sidecarctl
#                                 status/check (default: see below); set, both start without an AOT cache
#   SIDECAR_JAVA_OPTS             appended to every role (default: empty)
#   SIDECAR_AOT_CACHE             `auto` (default): use the role's AOT cache when it exists, is newer than
#                                 the jar and was trained on this very JDK build; `off`: never use one
#   SIDECAR_AOT_TRAIN_OUTPUT      build only (aot/train.sh): with SIDECAR_AOT_TRAIN_ROLE=ROLE, the run of
#                                 that role writes its AOT cache to this file instead of reading one
#
# AOT caches (JDK 25+, JEP 483/514/515) are made at build time by aot/train.sh and live in an `aot/`
# folder beside the module's jar: `lib/<module>/aot/<role>.aot` when installed,
# `<module>/target/aot/<role>.aot` in a source checkout, each with `<role>.aot.jdk` naming the JDK
# build that trained it. The JVM itself does not notice a rebuilt jar (it ran stale classes from an
# old cache in our tests), hence the checks below; on any other mismatch it falls back by itself.

# Flags every role gets. -Xlog:disable first: without it, JVM warnings and errors (e.g. about an
# unusable AOT cache) still go to stdout, which in stdio mode carries only JSON replies.
# -XX:-UsePerfData: no hsperfdata file to create and map at start (jps no longer lists us; jcmd works).
# aot*=error: JDK 25.0.x prints two AOT warnings at every start of the HTTP worker ("Failed to link
# AdapterHandlerEntry", JDK-8364929: a hash collision of adapter fingerprints; the adapter is then made
# as without a cache), which the log file would carry forever. Turning adapter caching off instead
# (a diagnostic flag) cost 20 ms of start-up (285 -> 306 ms, 6 pairs). This launcher checks the cache
# itself (see above); SIDECAR_JAVA_OPTS=-Xlog:aot=info:stderr shows what the JVM makes of it.
SIDECAR_JVM_COMMON_OPTS="-Xlog:disable -Xlog:all=warning,aot*=error:stderr -XX:-UsePerfData"

sidecar_jvm_opts() {
    local role=$1 home=$2 defaults custom module feature=0
    if sidecar_java_runtime_version "${SIDECAR_JAVA_HOME:-}"; then
        feature=${SIDECAR_JAVA_RUNTIME_VERSION%%[.+-]*}
    fi
    case "$role" in
        supervisor)
            # Mostly idle: a small heap that starts smaller, C1 only, serial GC (no GC threads to park).
            defaults="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms4m -Xmx24m -Xss256k"
            custom=${SIDECAR_SUPERVISOR_JAVA_OPTS:-}
            module=supervisor
            ;;
        supervisor-status | supervisor-check)
            # A fresh JVM that lives ~100 ms, run by cron, HEALTHCHECK and monitoring: only start-up counts.
            # The supervisor's small heap and flags without its heap-trimming thread. One cache per command,
            # since an AOT cache loads every class it holds at start: one trained on `run` (the supervisor's)
            # loaded ~700 classes these never use, and one command's cache lacks the other's classes.
            defaults="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms4m -Xmx24m -Xss256k"
            custom=${SIDECAR_SUPERVISOR_JAVA_OPTS:-}
            module=supervisor
            ;;
        worker-http)
            # The heap starts small (idle RSS) and is capped where 2,000 requests in flight still fit the
            # RSS target (a larger cap only raised the peak); virtual threads keep platform stacks few.
            # C1 only. C2 (tiered, as by default) doubles throughput once warm: 16 clients on /v1, 6,700-6,900
            # req/s with C1 against 13,700-14,900 with C2 (BENCHMARKS.md, figure 1b). But a fresh worker is
            # slower: the 2,000-request burst of figure 2 on a fresh worker took 3.25-3.36 s with C1 and
            # 3.63-3.75 s with C2 (3 alternating runs each), 6 s at 16 clients right after start gave 4,130 vs
            # 2,600 req/s; it starts later (279 vs 338 ms to healthy, medians of 5 alternating) and holds more
            # (idle RSS +4 MB, after the burst +12 MB). Restarts, crash recovery and a burst on a fresh worker
            # are what this role is measured by, and an upstream at LLM latency is far below either rate.
            # To run C2 anyway: SIDECAR_JAVA_OPTS=-XX:TieredStopAtLevel=4 (the AOT cache stays in use).
            # After a burst, QuietHeapRelease runs one full collection once the worker is quiet; these
            # let that collection give the heap back at once and down to what is live plus 40 %
            # (defaults: 70 %, and only a part per collection), so RSS returns near its idle level.
            # An OutOfMemoryError ends the worker (exit 3) so that the supervisor starts a fresh one at
            # once, instead of a worker limping on with threads that died half-way.
            defaults="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -Xmx128m -Xss512k -XX:+ExitOnOutOfMemoryError"
            defaults="$defaults -XX:-ShrinkHeapInSteps -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=40"
            custom=${SIDECAR_WORKER_JAVA_OPTS:-}
            module=worker
            ;;
        worker-stdio)
            # One request, then exit: compiling with C2 would only cost start-up time.
            defaults="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -Xmx64m -Xss512k"
            custom=${SIDECAR_WORKER_JAVA_OPTS:-}
            module=worker
            ;;
        *)
            echo "sidecar_jvm_opts: unknown role $role" >&2
            return 1
            ;;
    esac
    # JDK 25 (JEP 519): 8-byte object headers, a smaller heap for the same objects.
    [ "$feature" -ge 25 ] 2>/dev/null && defaults="$defaults -XX:+UseCompactObjectHeaders"
    # The supervisor and the HTTP worker idle for long after a start-up that left freed C heap in
    # glibc's arenas: C1's arena chunks, which the JVM's chunk pool hands back 5 s after start, and
    # class loading. Trimming every 2 s gives it back at the cost of one sleeping thread: supervisor
    # 55.4 -> 49.2 MB, worker 78.3 -> 72.6 MB idle RSS (RssAnon 52.5 -> 46.7), start-up and the
    # 2,000-request burst unchanged (BENCHMARKS.md, "What mattered"). Only on 25 (the JDK we measured;
    # the flag is a product flag since 22): JDK 21 would refuse to start with it.
    if { [ "$role" = supervisor ] || [ "$role" = worker-http ]; } && [ "$feature" -ge 25 ] 2>/dev/null; then
        defaults="$defaults -XX:TrimNativeHeapInterval=2000"
    fi
    # A cache is trained with the default flags; with others (say another GC) the JVM would reject it
    # with errors on stderr, so replaced defaults mean no cache.
    if [ -n "$custom" ] && [ "${SIDECAR_AOT_TRAIN_ROLE:-}" != "$role" ]; then
        SIDECAR_AOT_OPTS=()
    else
        sidecar_aot_opts "$role" "$home" "$module"
    fi
    # shellcheck disable=SC2206,SC2034  # word splitting is intended; the caller reads the array
    SIDECAR_JVM_OPTS=($SIDECAR_JVM_COMMON_OPTS ${custom:-$defaults} "${SIDECAR_AOT_OPTS[@]}" ${SIDECAR_JAVA_OPTS:-})
}

# Sets SIDECAR_AOT_OPTS for ROLE: the training flag during the build, else the cache if it is usable.
sidecar_aot_opts() {
    local role=$1 home=$2 module=$3 jar cache trained=""
    SIDECAR_AOT_OPTS=()
    if [ "${SIDECAR_AOT_TRAIN_ROLE:-}" = "$role" ] && [ -n "${SIDECAR_AOT_TRAIN_OUTPUT:-}" ]; then
        SIDECAR_AOT_OPTS=("-XX:AOTCacheOutput=$SIDECAR_AOT_TRAIN_OUTPUT")
        # The long-lived roles' caches without the training run's method profiles (JEP 515): they feed
        # the JIT's profiling tiers, and these roles run C1 only. Idle RSS worker 78.4 -> 77.0 MB,
        # supervisor 50.5 -> 49.6 MB, and the same after 200 requests; worker start unchanged
        # (294 vs 311 ms, 8 runs). Only the training run gets the flag; the cache runs without it.
        case "$role" in
            worker-http | supervisor)
                SIDECAR_AOT_OPTS+=(-XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining)
                ;;
        esac
        return 0
    fi
    [ "${SIDECAR_AOT_CACHE:-auto}" = off ] && return 0
    jar=$home/lib/$module/openai-moodle-sidecar-$module.jar
    [ -f "$jar" ] || jar=$home/$module/target/openai-moodle-sidecar-$module.jar
    cache=${jar%/*}/aot/$role.aot
    # A jar rebuilt after training makes the cache stale.
    [ -f "$cache" ] && [ "$cache" -nt "$jar" ] || return 0
    # SIDECAR_JAVA_RUNTIME_VERSION: read by sidecar_jvm_opts, the only caller, just before (empty: unknown).
    [ "${SIDECAR_JAVA_RUNTIME_VERSION%%[.+-]*}" -ge 25 ] 2>/dev/null || return 0
    [ -r "$cache.jdk" ] && IFS= read -r trained <"$cache.jdk"
    [ "$trained" = "$SIDECAR_JAVA_RUNTIME_VERSION" ] || return 0
    SIDECAR_AOT_OPTS=("-XX:AOTCache=$cache")
}

# Sets SIDECAR_JAVA_RUNTIME_VERSION (e.g. 25.0.3+9-LTS) from the `release` file of the JDK home $1
# (sidecar_release_value, lib/find-java.sh). aot/train.sh writes the same string into <role>.aot.jdk.
sidecar_java_runtime_version() {
    SIDECAR_JAVA_RUNTIME_VERSION=
    sidecar_release_value "$1" JAVA_RUNTIME_VERSION || return 1
    SIDECAR_JAVA_RUNTIME_VERSION=$SIDECAR_RELEASE_VALUE
}
