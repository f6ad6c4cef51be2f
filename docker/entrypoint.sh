#!/usr/bin/env bash
# Entrypoint of the Moodle image, under tini (PID 1):
#   ENTRYPOINT ["/usr/bin/tini", "--", "/opt/openai-sidecar/bin/docker-entrypoint.sh"]
#   CMD        ["/opt/bitnami/scripts/moodle/run.sh"]
#
# 1. prepares what the sidecar user needs (run dir, log file) and saves the sidecar's variables for
#    cron (docker/cron-check.sh);
# 2. starts the sidecar: `sidecarctl start --wait`. A sidecar that does not come up is reported and
#    Moodle starts anyway (the plugin then falls back to stdio);
# 3. runs Moodle's own entrypoint with the CMD, and stays its parent instead of exec'ing it.
#
# Why not exec: the supervisor is a detached session, and tini forwards SIGTERM only to its direct
# child. If Moodle were that child, the container would end as soon as Apache stopped, and the
# kernel would SIGKILL the sidecar mid-request. Staying in between lets SIGTERM stop both in
# parallel - Moodle gets the signal, the sidecar a `sidecarctl stop` (worker drains, then the
# supervisor exits) - and the container ends only when both are down. Other signals (HUP, USR1,
# WINCH, ...) are passed on to Moodle unchanged.
set -uo pipefail

sidecar_home=/opt/openai-sidecar
sidecarctl=/usr/local/bin/sidecarctl
moodle_entrypoint=${MOODLE_ENTRYPOINT:-/opt/bitnami/scripts/moodle/entrypoint.sh}
moodle_volume=/bitnami/moodle
plugin_dir=$moodle_volume/openai-sidecar
start_wait=${SIDECAR_START_WAIT:-30}
saved_env=$sidecar_home/var/container.env

say() { printf 'openai-sidecar: %s\n' "$*" >&2; }

# As root: the sidecar user owns its run dir and log file even when /run is a fresh tmpfs or
# /var/log a fresh volume.
prepare_as_root() {
    local user=${SIDECAR_USER:-1001} group log=${SIDECAR_LOG_FILE:-/var/log/openai-sidecar.log}
    group=$(id -g "$user") || { say "no user $user in this image: the sidecar runs as root"; return; }
    install -d -m 0700 -o "$user" -g "$group" "${SIDECAR_RUN_DIR:-/run/openai-sidecar}" "$sidecar_home/var"
    if [ ! -e "$log" ]; then
        install -m 0640 -o "$user" -g "$group" /dev/null "$log"
    fi
}

# The variables a supervisor started later by cron needs, readable by the sidecar user only.
save_env() {
    local name
    (
        umask 077
        for name in $(compgen -e); do
            case "$name" in
                OPENAI_*|SIDECAR_*|MAX_TOKENS|SUMMARIZE_THRESHOLD|JAVA_HOME) declare -p "$name" ;;
            esac
        done >"$saved_env.tmp" && mv -f "$saved_env.tmp" "$saved_env"
    ) 2>/dev/null || say "could not save the sidecar's environment to $saved_env (cron's repair would start it without)"
    if [ "$(id -u)" -eq 0 ]; then
        chown "${SIDECAR_USER:-1001}" "$saved_env" 2>/dev/null
    fi
}

# The PHP plugin spawns $plugin_dir/openai-moodle-sidecar. /bitnami/moodle is a volume, so the link
# is made at run time - but only once Bitnami's setup has filled the volume: Bitnami treats a
# non-empty /bitnami/moodle as "Moodle already installed" and would skip the installation.
link_plugin_path() {
    local link=$plugin_dir/openai-moodle-sidecar target=$sidecar_home/bin/openai-moodle-sidecar nap
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    until [ -n "$(find "$moodle_volume" -mindepth 1 -maxdepth 1 ! -name openai-sidecar -print -quit 2>/dev/null)" ]; do
        sleep 2 &
        nap=$!
        wait "$nap"
    done
    if mkdir -p "$plugin_dir" && ln -sfn "$target" "$link"; then
        say "stdio fallback ready: $link -> $target"
    else
        say "could not create $link: the plugin's stdio fallback will not find the sidecar"
    fi
}

moodle_pid=""
stop_pid=""

# shellcheck disable=SC2317  # called by the traps below
on_signal() {
    local sig=$1
    case "$sig" in
        TERM|INT|QUIT)
            if [ -z "$stop_pid" ]; then
                say "SIG$sig: stopping Moodle and the sidecar"
                "$sidecarctl" stop &
                stop_pid=$!
            fi
            ;;
    esac
    if [ -n "$moodle_pid" ]; then
        kill -s "$sig" "$moodle_pid" 2>/dev/null
    fi
}
for sig in TERM INT QUIT HUP USR1 USR2 WINCH; do
    # shellcheck disable=SC2064  # the signal name is meant to be expanded now
    trap "on_signal $sig" "$sig"
done

# wait_for PID: waits until PID has exited (a trapped signal interrupts `wait`), returns its status.
wait_for() {
    local pid=$1
    while kill -0 "$pid" 2>/dev/null; do
        wait "$pid"
    done
    wait "$pid"  # bash keeps the status of an exited child: this returns it
}

if [ "$(id -u)" -eq 0 ]; then
    prepare_as_root
fi
save_env
link_plugin_path &
link_pid=$!

say "starting the sidecar (sidecarctl start --wait $start_wait)"
if "$sidecarctl" start --wait "$start_wait"; then
    say "sidecar healthy"
else
    say "sidecar not healthy after ${start_wait}s; Moodle starts anyway. See: sidecarctl status; sidecarctl logs"
fi

if [ -n "$stop_pid" ]; then
    # Asked to stop while the sidecar was starting.
    wait_for "$stop_pid"
    kill "$link_pid" 2>/dev/null
    exit 143
fi

"$moodle_entrypoint" "$@" &
moodle_pid=$!
wait_for "$moodle_pid"
moodle_status=$?

if [ -z "$stop_pid" ]; then
    say "Moodle exited ($moodle_status): stopping the sidecar"
    "$sidecarctl" stop
else
    wait_for "$stop_pid"
fi
stop_status=$?
kill "$link_pid" 2>/dev/null
if [ "$stop_status" -eq 0 ]; then
    say "sidecar stopped"
else
    say "sidecarctl stop failed ($stop_status); see: sidecarctl logs"
fi
exit "$moodle_status"
