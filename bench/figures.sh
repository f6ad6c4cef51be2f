# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034,SC2119,SC2120  # root, out, results, build, FAKE_KEY ... are set by bench/run.sh
# The benchmark figures (added latency, in-flight load, footprint and recovery, stdio, time to first
# event), one function each, called in order by bench/run.sh. Each records its numbers with `record`
# and stops what it started.

launcher=""
sidecarctl=""

start_nginx() {
    launcher=$home/bin/openai-moodle-sidecar
    sidecarctl=$home/bin/sidecarctl
    fake_port=$(free_port)
    proxy_port=$(free_port)
    local prefix=$out/nginx
    mkdir -p "$prefix"
    sed -e "s#@PREFIX@#$prefix#g" -e "s#@FAKE_PORT@#$fake_port#g" -e "s#@PROXY_PORT@#$proxy_port#g" \
        "$root/bench/nginx/nginx.conf.template" >"$prefix/nginx.conf"
    nginx -e "$prefix/error.log" -c "$prefix/nginx.conf" -p "$prefix" >"$out/logs/nginx.log" 2>&1 &
    tracked_pids+=($!)
    if ! wait_port "$fake_port" || ! wait_port "$proxy_port"; then
        die "nginx did not start: see $prefix/error.log"
    fi
    fake_url=http://127.0.0.1:$fake_port/v1
    printf '%s' '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful educational assistant integrated with Moodle."},{"role":"user","content":"What is photosynthesis?"}],"max_tokens":1000}' >"$out/chat-completions.json"
    printf '%s' '{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful educational assistant integrated with Moodle."},{"role":"user","content":"What is photosynthesis?"}],"max_tokens":1000,"stream":true}' >"$out/chat-completions-stream.json"
    printf '%s' '{"action":"chat","content":"What is photosynthesis?","context":null,"user_id":42}' >"$out/ai-chat.json"
    printf '%s\n' '{"action":"chat","content":"What is photosynthesis?","context":null,"user_id":42}' >"$out/stdio-request.json"
}

# start_worker NAME UPSTREAM_URL [ENV=VALUE...]: the worker alone in HTTP mode on a free port.
# Sets worker_port and worker_pid; records NAME.start_ms.
start_worker() {
    local name=$1 upstream=$2
    worker_port=$(free_port)
    watch_start "$worker_port" 30 "$out/logs/$name.log" env OPENAI_API_KEY="$FAKE_KEY" OPENAI_BASE_URL="$upstream" \
        SIDECAR_PORT="$worker_port" SIDECAR_RUN_DIR="$out/run" "${@:3}" "$launcher" --http-mode
    worker_pid=$WATCH_PID
    [ "$WATCH_MS" != -1 ] || die "worker $name never became healthy: see bench/out/logs/$name.log"
}

# wrk_bench CONNECTIONS URL BODY MARKER [WRK_OPTION...]: one wrk run of DURATION; prints the key=value pairs of
# its BENCH line (the options go to wrk, e.g. -H for the peer's headers).
wrk_bench() {
    local connections=$1 threads=2 line
    [ "$connections" -eq 1 ] && threads=1
    line=$(wrk -t"$threads" -c"$connections" -d"${DURATION}s" --timeout 10s --latency "${@:5}" \
        -s "$root/bench/wrk/post.lua" "$2" -- "$3" "$4" | tee -a "$out/logs/wrk.log" | grep '^BENCH ') \
        || die "wrk failed against $2: see bench/out/logs/wrk.log"
    printf '%s\n' "${line#BENCH }"
}

# run_wrk PATH CONNECTIONS URL BODY MARKER [WRK_OPTION...]: wrk_bench, recorded as fig1.PATH.cCONNECTIONS.*.
run_wrk() {
    local path=$1 connections=$2 line pair
    line=$(wrk_bench "$connections" "${@:3}")
    for pair in $line; do
        record "fig1.$path.c$connections.${pair%%=*}" "${pair#*=}"
    done
    say "  $path c=$connections: $line"
}

# start_portkey NAME UPSTREAM_URL: the peer, Portkey's gateway (Node.js), routed to UPSTREAM_URL by the
# headers it documents for a custom OpenAI host. Sets portkey_port, portkey_pid, portkey_url and
# portkey_headers (as wrk and curl options); portkey_header_lines holds the same, one "Name: value" each.
start_portkey() {
    local name=$1 upstream=$2
    portkey_port=$(free_port)
    node "$portkey_server" --port="$portkey_port" --headless >"$out/logs/$name.log" 2>&1 &
    portkey_pid=$!
    tracked_pids+=("$portkey_pid")
    wait_port "$portkey_port" || die "the Portkey gateway did not start: see bench/out/logs/$name.log"
    portkey_url=http://127.0.0.1:$portkey_port/v1/chat/completions
    portkey_header_lines=("x-portkey-provider: openai" "x-portkey-custom-host: $upstream"
        "Authorization: Bearer $FAKE_KEY")
    portkey_headers=()
    local header
    for header in "${portkey_header_lines[@]}"; do
        portkey_headers+=(-H "$header")
    done
}

# Figure 1: the same chat request direct to the fake, via the sidecar's /ai and /v1, via the peer (Portkey),
# via nginx; same run.
figure_added_latency() {
    say "figure 1: added latency (${DURATION}s per point)"
    start_worker fig1-worker "$fake_url"
    local sidecar_url=http://127.0.0.1:$worker_port/ai v1_url=http://127.0.0.1:$worker_port/v1/chat/completions c
    curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$out/ai-chat.json" "$sidecar_url" >"$out/fig1-sample-reply.json" || true
    grep -q '"success":true' "$out/fig1-sample-reply.json" \
        || say "  the sidecar does not answer with success (see bench/out/fig1-sample-reply.json): failures will be counted"
    record fig1.worker_idle_rss_kb "$(proc_status "$worker_pid" VmRSS)"
    start_portkey fig1-portkey "$fake_url"
    curl -s -X POST -H 'Content-Type: application/json' "${portkey_headers[@]}" \
        --data-binary @"$out/chat-completions.json" "$portkey_url" >"$out/fig1-portkey-reply.json" || true
    grep -q '"choices"' "$out/fig1-portkey-reply.json" \
        || say "  the Portkey gateway does not pass the reply on (see bench/out/fig1-portkey-reply.json): failures will be counted"
    sleep 3 # idle, as the sidecar's idle figure is taken
    record fig1.portkey_idle_rss_kb "$(proc_status "$portkey_pid" VmRSS)"
    record fig1.portkey_idle_pss_kb "$(proc_pss "$portkey_pid")"
    record fig1.portkey_threads_idle "$(proc_status "$portkey_pid" Threads)"
    # Warm-up: the JIT compiles the hot path before anything is measured.
    wrk -t2 -c16 -d5s -s "$root/bench/wrk/post.lua" "$sidecar_url" -- "$out/ai-chat.json" '"success":true' >/dev/null
    wrk -t2 -c16 -d3s -s "$root/bench/wrk/post.lua" "$v1_url" -- "$out/chat-completions.json" '"choices"' >/dev/null
    wrk -t2 -c16 -d2s -s "$root/bench/wrk/post.lua" "http://127.0.0.1:$proxy_port/v1/chat/completions" \
        -- "$out/chat-completions.json" '"choices"' >/dev/null
    wrk -t2 -c16 -d5s "${portkey_headers[@]}" -s "$root/bench/wrk/post.lua" "$portkey_url" \
        -- "$out/chat-completions.json" '"choices"' >/dev/null
    for c in 1 16 64; do
        run_wrk direct "$c" "$fake_url/chat/completions" "$out/chat-completions.json" '"choices"'
        run_wrk sidecar "$c" "$sidecar_url" "$out/ai-chat.json" '"success":true'
        run_wrk v1 "$c" "$v1_url" "$out/chat-completions.json" '"choices"'
        run_wrk portkey "$c" "$portkey_url" "$out/chat-completions.json" '"choices"' "${portkey_headers[@]}"
        run_wrk nginx "$c" "http://127.0.0.1:$proxy_port/v1/chat/completions" "$out/chat-completions.json" '"choices"'
    done
    record fig1.worker_rss_after_kb "$(proc_status "$worker_pid" VmRSS)"
    record fig1.worker_peak_rss_kb "$(proc_status "$worker_pid" VmHWM)"
    record fig1.worker_threads_after "$(proc_status "$worker_pid" Threads)"
    record fig1.portkey_rss_after_kb "$(proc_status "$portkey_pid" VmRSS)"
    record fig1.portkey_peak_rss_kb "$(proc_status "$portkey_pid" VmHWM)"
    record fig1.portkey_threads_after "$(proc_status "$portkey_pid" Threads)"
    stop_pid "$worker_pid"
    stop_pid "$portkey_pid"
}

# Figure 1b, at 16 clients: what the sidecar's HTTP stack alone gives (bench/floor/HelidonFloor.java: Helidon's
# server and client passing the body through, nothing else) with the worker's flags (C1) and with C2, and the
# worker itself with C1 (shipped) and with C2 (SIDECAR_JAVA_OPTS=-XX:TieredStopAtLevel=4, as jvm-opts.sh
# documents) and the whole sidecar under its supervisor, beside nginx. All run at once, each warmed first (8 s with C1, 20 s with C2, which compiles
# later); then FLOOR_ROUNDS rounds measure each in turn, so that a slow spell of the machine hits all of them.
readonly FLOOR_ROUNDS=3
figure_framework_floor() {
    say "figure 1b: the framework's floor at 16 clients ($FLOOR_ROUNDS rounds)"
    local tier port round path line pair pid warm
    local -a floor_flags pids=()
    local -A url=([nginx]="http://127.0.0.1:$proxy_port/v1/chat/completions")
    mapfile -t floor_flags < <(SIDECAR_AOT_CACHE=off role_flags worker-http)
    for tier in 1 4; do
        path=helidon
        [ "$tier" = 4 ] && path=helidon-c2
        port=$(free_port)
        "$SIDECAR_JAVA" "${floor_flags[@]}" -XX:TieredStopAtLevel="$tier" -cp "$out/floor-classes:$(worker_libs)" \
            HelidonFloor "$port" "$fake_url/chat/completions" >"$out/logs/$path.log" 2>&1 &
        pids+=($!)
        tracked_pids+=($!)
        wait_port "$port" || die "the Helidon floor did not start: see bench/out/logs/$path.log"
        url[$path]=http://127.0.0.1:$port/v1/chat/completions
    done
    start_worker fig1b-worker "$fake_url"
    pids+=("$worker_pid")
    url[v1]=http://127.0.0.1:$worker_port/v1/chat/completions
    start_worker fig1b-worker-c2 "$fake_url" SIDECAR_JAVA_OPTS=-XX:TieredStopAtLevel=4
    pids+=("$worker_pid")
    url[v1-c2]=http://127.0.0.1:$worker_port/v1/chat/completions
    # As deployed: `sidecarctl run`, the worker's access lines through the supervisor into the log file.
    supervisor_env
    watch_start "$sup_port" 30 "$out/logs/supervisor-fig1b.log" "${sup_env[@]}" "$sidecarctl" run
    [ "$WATCH_MS" != -1 ] || die "the supervised sidecar never became healthy: see bench/out/logs/supervisor-fig1b.log"
    pids+=("$WATCH_PID")
    url[v1-supervised]=http://127.0.0.1:$sup_port/v1/chat/completions
    for path in helidon helidon-c2 v1 v1-c2 v1-supervised; do
        case "$path" in
            *-c2) warm=20 ;;
            *) warm=8 ;;
        esac
        wrk -t2 -c16 -d"${warm}s" -s "$root/bench/wrk/post.lua" "${url[$path]}" \
            -- "$out/chat-completions.json" '"choices"' >/dev/null
    done
    record fig1b.rounds "$FLOOR_ROUNDS"
    for round in $(seq 1 "$FLOOR_ROUNDS"); do
        for path in nginx helidon-c2 helidon v1-c2 v1 v1-supervised; do
            line=$(wrk_bench 16 "${url[$path]}" "$out/chat-completions.json" '"choices"')
            for pair in $line; do
                record "fig1b.$path.${pair%%=*}.$round" "${pair#*=}"
            done
            say "  round $round $path: $line"
        done
    done
    for pid in "${pids[@]}"; do
        stop_pid "$pid"
    done
}

# The slow (LLM-like) upstream: the tests' fake upstream, the testkit jar run standalone. It stands in for a
# remote API, which costs the sidecar's machine nothing, so it is kept cheap on the shared cores: C1 only,
# like the bench tools (with C2 its compiler alone spent 0.8-1.3 s of CPU during figure 2's burst, beside
# the worker's), and warmed by the direct burst of figure 2 before the worker's.
start_slow_upstream() {
    slow_port=$(free_port)
    "$SIDECAR_JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$testkit_jar" "$slow_port" "$SLOW_UPSTREAM_MS" \
        >"$out/logs/slow-upstream.log" 2>&1 &
    slow_pid=$!
    tracked_pids+=("$slow_pid")
    wait_port "$slow_port" || die "the fake upstream did not start: see bench/out/logs/slow-upstream.log"
}

# Figure 2: IN_FLIGHT requests at once against a 2 s upstream, on a fresh worker.
figure_in_flight() {
    say "figure 2: $IN_FLIGHT requests in flight, upstream answers after ${SLOW_UPSTREAM_MS} ms"
    start_slow_upstream
    # The floor: the same client straight to the slow upstream, no sidecar. It also warms the upstream, as a
    # real one is warm, for the sidecar's burst and the peer's alike.
    line=$(bench_tool LoadClient "$slow_port" "$IN_FLIGHT" "$out/chat-completions.json" 60 \
        /v1/chat/completions '"choices"' 2>>"$out/logs/load-client.log") \
        || die "load client failed against the slow upstream: see bench/out/logs/load-client.log"
    for pair in $line; do
        record "fig2.direct.${pair%%=*}" "${pair#*=}"
    done
    say "  direct: $line"
    # As many admitted at once as the figure sends: it measures the burst, not the admission limit's 503s.
    start_worker fig2-worker "http://127.0.0.1:$slow_port/v1" SIDECAR_MAX_CONCURRENT_REQUESTS="$IN_FLIGHT"
    local line pair burst_end idle_kb quiet_kb
    sleep "$IDLE_S" # idle, as in figure 3
    idle_kb=$(proc_status "$worker_pid" VmRSS)
    record fig2.worker_idle_rss_kb "$idle_kb"
    line=$(bench_tool LoadClient "$worker_port" "$IN_FLIGHT" "$out/ai-chat.json" 60 2>>"$out/logs/load-client.log") \
        || die "load client failed: see bench/out/logs/load-client.log"
    for pair in $line; do
        record "fig2.${pair%%=*}" "${pair#*=}"
    done
    say "  $line"
    record fig2.worker_peak_rss_kb "$(proc_status "$worker_pid" VmHWM)"
    record fig2.worker_rss_after_kb "$(proc_status "$worker_pid" VmRSS)"
    record fig2.worker_threads_after "$(proc_status "$worker_pid" Threads)"
    burst_end=$SECONDS
    # The same burst through the peer, to the same slow upstream, on a fresh gateway.
    start_portkey fig2-portkey "http://127.0.0.1:$slow_port/v1"
    line=$(bench_tool LoadClient "$portkey_port" "$IN_FLIGHT" "$out/chat-completions.json" 60 \
        /v1/chat/completions '"choices"' "${portkey_header_lines[@]}" 2>>"$out/logs/load-client.log") \
        || die "load client failed against the Portkey gateway: see bench/out/logs/load-client.log"
    for pair in $line; do
        record "fig2.portkey.${pair%%=*}" "${pair#*=}"
    done
    say "  Portkey: $line"
    record fig2.portkey.peak_rss_kb "$(proc_status "$portkey_pid" VmHWM)"
    record fig2.portkey.rss_after_kb "$(proc_status "$portkey_pid" VmRSS)"
    stop_pid "$portkey_pid"
    # Memory given back: the sidecar's worker has been quiet for 60 s since its burst (the peer's ran meanwhile).
    sleep $((burst_end + 60 - SECONDS > 0 ? burst_end + 60 - SECONDS : 0))
    quiet_kb=$(proc_status "$worker_pid" VmRSS)
    record fig2.worker_rss_quiet60_kb "$quiet_kb"
    say "  worker RSS: ${idle_kb:-?} kB idle before the burst, ${quiet_kb:-?} kB after 60 s quiet"
    stop_pid "$worker_pid"
    stop_pid "$slow_pid"
}

# The gateway features a site switches on, for the supervised sidecars whose footprint and start-up are
# measured (figures 3 and 4, "Where it goes"): all four usage limits, high enough that nothing is refused,
# beside what is on by default (the cache, the usage store, metrics).
readonly GATEWAY_FEATURES=(SIDECAR_LIMIT_USER_REQUESTS=1000000/1h SIDECAR_LIMIT_USER_TOKENS=1000000000/1d
    SIDECAR_LIMIT_SITE_REQUESTS=100000000/1h SIDECAR_LIMIT_SITE_TOKENS=100000000000/30d)

# Environment of a supervised sidecar with its own run dir, log file and port, and a fresh usage store: with
# the limits on, a worker replays the store's records of the limits' window at start (figure 1b's supervised
# load left some 200,000 records, and the cold starts of figure 3 took 740-800 ms instead of 360-390).
supervisor_env() {
    sup_port=$(free_port)
    sup_env=(env OPENAI_API_KEY="$FAKE_KEY" OPENAI_BASE_URL="$fake_url" SIDECAR_PORT="$sup_port"
        SIDECAR_RUN_DIR="$out/run/sup" SIDECAR_USAGE_DB="$out/run/sup/usage-$sup_port.db"
        SIDECAR_LOG_FILE="$out/logs/sidecar.log" "$@")
    mkdir -p "$out/run/sup"
    chmod 700 "$out/run/sup"
}

# Figures 3 and 4: STARTS fresh supervisors, each timed from `sidecarctl run` to healthy, measured
# idle, then its worker killed with -9; finally one worker hung with SIGSTOP at default settings.
figure_footprint_and_recovery() {
    say "figures 3 and 4: footprint and recovery ($STARTS cold starts via sidecarctl run)"
    local i supervisor worker new_worker cold
    record fig3.idle_s "$IDLE_S"
    for i in $(seq 1 "$STARTS"); do
        supervisor_env "${GATEWAY_FEATURES[@]}"
        watch_start "$sup_port" 30 "$out/logs/supervisor-run.log" "${sup_env[@]}" "$sidecarctl" run
        supervisor=$WATCH_PID
        cold=$WATCH_MS
        record "fig4.cold_start_ms.$i" "$cold"
        worker=$(child_of "$supervisor") || die "supervisor $supervisor started no worker"
        sleep "$IDLE_S" # idle: let start-up garbage settle as it would in production
        record "fig3.supervisor_idle_rss_kb.$i" "$(proc_status "$supervisor" VmRSS)"
        record "fig3.worker_idle_rss_kb.$i" "$(proc_status "$worker" VmRSS)"
        record "fig3.supervisor_idle_anon_kb.$i" "$(proc_status "$supervisor" RssAnon)"
        record "fig3.worker_idle_anon_kb.$i" "$(proc_status "$worker" RssAnon)"
        record "fig3.supervisor_idle_pss_kb.$i" "$(proc_pss "$supervisor")"
        record "fig3.worker_idle_pss_kb.$i" "$(proc_pss "$worker")"
        record "fig3.supervisor_threads.$i" "$(proc_status "$supervisor" Threads)"
        record "fig3.worker_threads.$i" "$(proc_status "$worker" Threads)"
        watch_signal "$sup_port" 15 KILL "$worker"
        record "fig4.crash_ms.$i" "$WATCH_MS"
        new_worker=$(child_of "$supervisor") || new_worker=none
        [ "$new_worker" != "$worker" ] || record "fig4.crash_same_pid.$i" "$worker"
        say "  run $i: cold start to healthy $cold ms, kill -9 to healthy $WATCH_MS ms"
        stop_pid "$supervisor"
    done
    supervisor_env
    watch_start "$sup_port" 30 "$out/logs/supervisor-run.log" "${sup_env[@]}" "$sidecarctl" run
    worker=$(child_of "$WATCH_PID") || die "supervisor $WATCH_PID started no worker"
    sleep 3
    watch_signal "$sup_port" 30 STOP "$worker"
    record fig4.hang_ms "$WATCH_MS"
    alive "$worker" && record fig4.hang_old_worker_left "yes" && kill -KILL "$worker"
    say "  hang to healthy: $WATCH_MS ms"
    stop_pid "$WATCH_PID"
}

# Records name.median_ms etc. for every result of a hyperfine JSON export, under PREFIX.
record_hyperfine() {
    local prefix=$1 file=$2 name median mean stddev min max
    while IFS=$'\t' read -r name median mean stddev min max; do
        record "$prefix.$name.median_ms" "$median"
        record "$prefix.$name.mean_ms" "$mean"
        record "$prefix.$name.stddev_ms" "$stddev"
        record "$prefix.$name.min_ms" "$min"
        record "$prefix.$name.max_ms" "$max"
    done < <(jq -r '.results[] | [.command, (.median*1000|floor), (.mean*1000|floor), (.stddev*1000|floor), (.min*1000|floor), (.max*1000|floor)] | @tsv' "$file")
}

# Figure 5: a cold stdio round trip (spawn, one request line, exit), plain `java -jar` vs the launcher
# without and with its AOT cache.
figure_stdio() {
    say "figure 5: stdio cold round trip (hyperfine)"
    local flags="--api-key=$FAKE_KEY --base-url=$fake_url" reply
    reply=$("$launcher" "--api-key=$FAKE_KEY" "--base-url=$fake_url" <"$out/stdio-request.json" 2>"$out/logs/stdio.log")
    record fig5.sample_reply "$reply"
    jq -e '.success == true' <<<"$reply" >/dev/null 2>&1 \
        || say "  the stdio reply is not a success: $reply"
    hyperfine --warmup 2 --runs 10 --export-json "$out/stdio.json" --style basic \
        -n plain "$java -jar $worker_jar $flags <$out/stdio-request.json" \
        -n launcher "SIDECAR_AOT_CACHE=off $launcher $flags <$out/stdio-request.json" \
        -n launcher-aot "$launcher $flags <$out/stdio-request.json" >"$out/logs/hyperfine-stdio.log" 2>&1 \
        || say "  hyperfine failed: see bench/out/logs/hyperfine-stdio.log"
    [ -s "$out/stdio.json" ] && record_hyperfine fig5 "$out/stdio.json"
}

# Figure 6: time to the first event of a stream, the streaming fake upstream directly and through the
# sidecar's /v1, requests one at a time and alternating (FirstEventClient pairs them).
figure_first_event() {
    say "figure 6: time to first event of a stream ($FIRST_EVENT_PAIRS pairs after $FIRST_EVENT_WARMUP)"
    local stream_port stream_pid line pair
    stream_port=$(free_port)
    "$SIDECAR_JAVA" -XX:+UseSerialGC -jar "$testkit_jar" "$stream_port" 0 --stream \
        >"$out/logs/stream-upstream.log" 2>&1 &
    stream_pid=$!
    tracked_pids+=("$stream_pid")
    wait_port "$stream_port" || die "the streaming fake upstream did not start: see bench/out/logs/stream-upstream.log"
    start_worker fig6-worker "http://127.0.0.1:$stream_port/v1"
    line=$(bench_tool FirstEventClient "$stream_port" "$worker_port" "$out/chat-completions-stream.json" \
        "$FIRST_EVENT_WARMUP" "$FIRST_EVENT_PAIRS" 2>>"$out/logs/first-event-client.log") \
        || die "first-event client failed: see bench/out/logs/first-event-client.log"
    record fig6.warmup_pairs "$FIRST_EVENT_WARMUP"
    for pair in $line; do
        record "fig6.${pair%%=*}" "${pair#*=}"
    done
    say "  $line"
    stop_pid "$worker_pid"
    stop_pid "$stream_pid"
}
