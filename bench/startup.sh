# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034,SC2119,SC2120  # root, out, results, build, FAKE_KEY ... are set by bench/run.sh
# Which start-up measures matter, and where time and memory go: called by bench/run.sh after the
# figures. Three configurations side by side: `plain` (java -jar with JDK defaults), `launcher`
# (our flags from shell/lib/jvm-opts.sh, AOT cache off) and `launcher-aot` (flags and AOT cache).

# start_http_config NAME PORT: the worker in HTTP mode in configuration NAME, timed to healthy.
start_http_config() {
    local name=$1 port=$2 log=$out/logs/startup-$1.log
    local common=(env OPENAI_API_KEY="$FAKE_KEY" OPENAI_BASE_URL="$fake_url" SIDECAR_PORT="$port" SIDECAR_RUN_DIR="$out/run")
    case "$name" in
        plain) watch_start "$port" 30 "$log" "${common[@]}" "$java" -jar "$worker_jar" --http-mode ;;
        launcher) watch_start "$port" 30 "$log" "${common[@]}" SIDECAR_AOT_CACHE=off "$launcher" --http-mode ;;
        launcher-aot) watch_start "$port" 30 "$log" "${common[@]}" "$launcher" --http-mode ;;
    esac
}

startup_measures() {
    say "start-up measures: worker cold start and idle RSS per configuration, $STARTS runs each"
    local name i port
    for i in $(seq 1 "$STARTS"); do
        # Interleaved, so that machine noise spreads over all three.
        for name in plain launcher launcher-aot; do
            port=$(free_port)
            start_http_config "$name" "$port"
            record "startup.http.$name.ms.$i" "$WATCH_MS"
            sleep 2
            record "startup.http.$name.rss_kb.$i" "$(proc_status "$WATCH_PID" VmRSS)"
            record "startup.http.$name.threads.$i" "$(proc_status "$WATCH_PID" Threads)"
            stop_pid "$WATCH_PID"
        done
    done
    local supervisor worker
    for i in $(seq 1 3); do
        supervisor_env SIDECAR_AOT_CACHE=off
        watch_start "$sup_port" 30 "$out/logs/supervisor-run.log" "${sup_env[@]}" "$sidecarctl" run
        supervisor=$WATCH_PID
        record "startup.supervised.launcher.ms.$i" "$WATCH_MS"
        worker=$(child_of "$supervisor") || die "supervisor $supervisor started no worker"
        sleep 3
        record "startup.supervised.launcher.supervisor_rss_kb.$i" "$(proc_status "$supervisor" VmRSS)"
        record "startup.supervised.launcher.worker_rss_kb.$i" "$(proc_status "$worker" VmRSS)"
        stop_pid "$supervisor"
    done
    # The supervisor's CLI: `sidecarctl status` with nothing running (exit 3), without and with AOT.
    mkdir -p "$out/run/idle"
    chmod 700 "$out/run/idle"
    hyperfine --warmup 2 --runs 10 -i --export-json "$out/sidecarctl.json" --style basic \
        -n launcher "SIDECAR_RUN_DIR=$out/run/idle SIDECAR_AOT_CACHE=off $sidecarctl status" \
        -n launcher-aot "SIDECAR_RUN_DIR=$out/run/idle $sidecarctl status" >"$out/logs/hyperfine-sidecarctl.log" 2>&1 \
        || say "  hyperfine failed: see bench/out/logs/hyperfine-sidecarctl.log"
    [ -s "$out/sidecarctl.json" ] && record_hyperfine startup.sidecarctl_status "$out/sidecarctl.json"
    # The hot commands against a running supervisor (bench/sidecarctl.sh runs alone too).
    say "sidecarctl status and check against a running supervisor, 10 runs each"
    bash "$root/bench/sidecarctl.sh" --home "$home" --runs 10 --properties "$results" \
        >"$out/logs/sidecarctl-hot.txt" 2>&1 || say "  bench/sidecarctl.sh failed: see bench/out/logs/sidecarctl-hot.txt"
}

# record_nmt PREFIX PID: committed KB per Native Memory Tracking category.
record_nmt() {
    local prefix=$1 pid=$2 category committed
    "$SIDECAR_JAVA_HOME/bin/jcmd" "$pid" VM.native_memory summary scale=KB >"$out/logs/nmt-$prefix.txt" 2>&1 || return 0
    while IFS='|' read -r category committed; do
        record "$prefix.nmt.${category// /_}" "$committed"
    done < <(sed -n -e 's/^Total: reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/Total|\1/p' \
        -e 's/^- *\(.*[^ ]\) (reserved=[0-9]*KB, committed=\([0-9]*\)KB.*/\1|\2/p' "$out/logs/nmt-$prefix.txt")
}

count_lines() {
    if [ -f "$1" ]; then grep -c "${2:-}" "$1" || true; else echo 0; fi
}

# Classes loaded (and how many came from the AOT cache), native memory per category, threads.
where_it_goes() {
    say "where time and memory go: classes loaded, native memory, threads"
    local mode log
    for mode in auto off; do
        log=$out/logs/classes-stdio-$mode.txt
        SIDECAR_AOT_CACHE=$mode SIDECAR_JAVA_OPTS="-Xlog:class+load=info:file=$log" \
            "$launcher" "--api-key=$FAKE_KEY" "--base-url=$fake_url" <"$out/stdio-request.json" >/dev/null 2>&1 || true
        record "where.stdio.aot_$mode.classes" "$(count_lines "$log" 'class,load')"
        record "where.stdio.aot_$mode.classes_from_cache" "$(count_lines "$log" 'shared objects file')"
    done
    local supervisor worker
    supervisor_env "${GATEWAY_FEATURES[@]}" SIDECAR_JAVA_OPTS="-XX:NativeMemoryTracking=summary -Xlog:class+load=info:file=$out/logs/classes-%p.txt"
    watch_start "$sup_port" 30 "$out/logs/supervisor-nmt.log" "${sup_env[@]}" "$sidecarctl" run
    supervisor=$WATCH_PID
    worker=$(child_of "$supervisor") || die "supervisor $supervisor started no worker"
    curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$out/ai-chat.json" "http://127.0.0.1:$sup_port/ai" >/dev/null || true
    sleep 3
    record_nmt where.worker "$worker"
    record_nmt where.supervisor "$supervisor"
    record where.worker.rss_kb "$(proc_status "$worker" VmRSS)"
    record where.supervisor.rss_kb "$(proc_status "$supervisor" VmRSS)"
    record where.worker.threads "$(proc_status "$worker" Threads)"
    record where.supervisor.threads "$(proc_status "$supervisor" Threads)"
    record where.worker.classes "$(count_lines "$out/logs/classes-$worker.txt" 'class,load')"
    record where.worker.classes_from_cache "$(count_lines "$out/logs/classes-$worker.txt" 'shared objects file')"
    record where.supervisor.classes "$(count_lines "$out/logs/classes-$supervisor.txt" 'class,load')"
    record where.supervisor.classes_from_cache "$(count_lines "$out/logs/classes-$supervisor.txt" 'shared objects file')"
    "$SIDECAR_JAVA_HOME/bin/jcmd" "$worker" Thread.print >"$out/logs/threads-worker.txt" 2>&1 || true
    "$SIDECAR_JAVA_HOME/bin/jcmd" "$supervisor" Thread.print >"$out/logs/threads-supervisor.txt" 2>&1 || true
    stop_pid "$supervisor"
}
