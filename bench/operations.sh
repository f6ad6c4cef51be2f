# shellcheck shell=bash
# Figure 6, operations (sourced by bench/run.sh): failed requests while `sidecarctl restart` replaces the
# worker under load, kill -9 to healthy for a worker healthy for 10 s (median of OPS_CRASHES), and the
# time of `sidecarctl status`. Run alone: bench/run.sh --no-build --only operations.

readonly OPS_CRASHES=${BENCH_OPS_CRASHES:-3}
readonly OPS_CLIENTS=8

figure_operations() {
    say "figure 7: operations (restart under load with $OPS_CLIENTS clients, $OPS_CRASHES crashes after 10 s of health, status time)"
    local supervisor worker line i
    supervisor_env SIDECAR_CACHE_TTL=0
    watch_start "$sup_port" 30 "$out/logs/supervisor-ops.log" "${sup_env[@]}" "$sidecarctl" run
    supervisor=$WATCH_PID
    line=$(bench_tool RestartUnderLoad "$sup_port" "$OPS_CLIENTS" 2 3 -- "${sup_env[@]}" "$sidecarctl" restart)
    say "  restart under load: $line"
    record ops.restart.sent "$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$line")"
    record ops.restart.failed "$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")"
    record ops.restart.exit "$(sed -n 's/.*command_exit=\([0-9]*\).*/\1/p' <<<"$line")"
    record ops.restart.command_ms "$(sed -n 's/.*command_ms=\([0-9]*\).*/\1/p' <<<"$line")"
    record ops.restart.first_failure "$(sed -n 's/.*first_failure=\(.*\)$/\1/p' <<<"$line" | cut -c1-200)"
    for i in $(seq 1 "$OPS_CRASHES"); do
        sleep 10.5 # a worker healthy for 10 s is restarted at once
        worker=$(cat "$out/run/sup/worker.pid" 2>/dev/null | cut -d' ' -f1)
        [ -n "$worker" ] || die "no worker recorded in $out/run/sup"
        watch_signal "$sup_port" 15 KILL "$worker"
        record "ops.crash_ms.$i" "$WATCH_MS"
        say "  kill -9 after 10 s of health, run $i: healthy again after $WATCH_MS ms"
    done
    hyperfine --style none --warmup 2 --runs 10 --export-json "$out/ops-status.json" \
        "${sup_env[*]} $sidecarctl status" >"$out/logs/ops-status.log" 2>&1 || true
    record ops.status.median_ms "$(jq -r '.results[0].median*1000|floor' "$out/ops-status.json" 2>/dev/null || echo -1)"
    record ops.loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
    stop_pid "$supervisor"
}
