#!/usr/bin/env bash
# docker/container-check.sh - checks the Dockerfile without a Docker engine (run as root; CI runs it).
#
# 1. makes stand-in base images from a debootstrap'ed Debian 12 (cached): a build image with the
#    host's JDK >= 21 and Maven, and a Moodle image that has only what our entrypoint touches
#    (Bitnami's entrypoint.sh and run.sh as fakes, the /bitnami/moodle volume directory);
# 2. `podman build --isolation chroot` of the real Dockerfile against them (targets moodle and sidecar);
# 3. exports the moodle image's file system and runs its ENTRYPOINT + CMD with its ENV, under
#    `unshare --pid` + chroot, as root (the image's default) and again as uid 1001; and shows:
#    supervisor and worker run as uid 1001 on the jlink'd runtime, /health answers, the plugin's
#    stdio path works for Apache's user, the HEALTHCHECK command passes, test-sidecar.sh passes
#    inside (against the tests' fake upstream on the host), the cron job repairs a stopped
#    sidecar with cron's empty environment, a logrotate run loses
#    nothing, and SIGTERM to PID 1 stops everything cleanly;
# 4. runs the `sidecar` target's ENTRYPOINT as its USER: healthy, and stops cleanly on SIGTERM.
# Prints PASS/FAIL lines. Exit 0 all passed, 1 something failed, 77 cannot run here (says why).
# Stops by itself (CONTAINER_CHECK_TIMEOUT, default 900 s) and removes its images and temp dirs.
set -uo pipefail

readonly SKIP=77
repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/openai-sidecar
base_tar=$cache_dir/bookworm-minbase.tar

if [ -z "${CONTAINER_CHECK_BOUNDED:-}" ]; then
    # The whole check under one deadline; TERM first, so the cleanup trap still runs.
    CONTAINER_CHECK_BOUNDED=1 exec timeout --kill-after=20 "${CONTAINER_CHECK_TIMEOUT:-900}" "$0" "$@"
fi

say() { printf 'container-check: %s\n' "$*"; }
passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
cannot_run() { printf 'SKIP container check cannot run here: %s\n' "$*"; exit "$SKIP"; }

# --- can it run here? ---------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || cannot_run "needs root (chroot, unshare, podman's root storage)"
for tool in podman debootstrap unshare nsenter chroot curl tar; do
    command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool is not installed"
done
unshare --pid --fork --mount true 2>/dev/null || cannot_run "unshare --pid --mount is not permitted (no CAP_SYS_ADMIN?)"
podman info >/dev/null 2>&1 || cannot_run "podman does not work here: $(podman info 2>&1 | tail -n 1)"
# shellcheck source=shell/lib/find-java.sh
. "$repo/shell/lib/find-java.sh"
# shellcheck source=shell/lib/free-port.sh
. "$repo/shell/lib/free-port.sh"
sidecar_find_java 2>/dev/null || cannot_run "no JDK >= 21 on this machine for the stand-in build image"
maven_home=$(find "$HOME/.m2/wrapper/dists" -path '*/bin/mvn' -print -quit 2>/dev/null)
if [ -z "$maven_home" ]; then
    (cd "$repo" && ./mvnw -q --version >/dev/null 2>&1)
    maven_home=$(find "$HOME/.m2/wrapper/dists" -path '*/bin/mvn' -print -quit 2>/dev/null)
fi
[ -n "$maven_home" ] || cannot_run "no Maven 3.9 (./mvnw could not fetch it) for the stand-in build image"
maven_home=${maven_home%/bin/mvn}

# --- state and cleanup --------------------------------------------------------------------------
id=$$
prefix=localhost/openai-sidecar-check
images=()
work=$(mktemp -d /tmp/openai-sidecar-check.XXXXXX)
run_pid=""
container=""

cleanup() {
    local pid pids=()
    if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
        # SIGKILL to the namespace's PID 1 takes every process of the namespace with it.
        read -r -a pids <"/proc/$run_pid/task/$run_pid/children" 2>/dev/null
        for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
        kill -KILL "$run_pid" 2>/dev/null
        wait "$run_pid" 2>/dev/null
    fi
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
    [ -n "$container" ] && podman rm -f "$container" >/dev/null 2>&1
    if [ "${#images[@]}" -gt 0 ]; then
        podman rmi -f "${images[@]}" >/dev/null 2>&1
    fi
    # Mounts live only in the run's own mount namespace, so nothing here is a mount point any more.
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'say "stopped (signal or overall timeout)"; exit 1' TERM INT

# --- 1. stand-in base images --------------------------------------------------------------------
debian_mirror() {
    local mirror
    mirror=$(grep -hE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
    [ -n "$mirror" ] || mirror=$(grep -hE '^deb .*/debian/? bookworm' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 | awk '{print $2}')
    echo "${mirror:-http://deb.debian.org/debian}"
}

if [ ! -s "$base_tar" ]; then
    mirror=$(debian_mirror)
    say "debootstrap minbase bookworm from $mirror (once; cached in $base_tar)"
    mkdir -p "$cache_dir"
    if ! timeout 600 debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1; then
        tail -n 5 "$work/debootstrap.log"
        cannot_run "debootstrap from $mirror failed (no Debian mirror reachable?)"
    fi
    tar -C "$work/base" -cf "$base_tar.partial" . && mv "$base_tar.partial" "$base_tar"
    rm -rf --one-file-system "$work/base"
fi

base_image=$prefix/base:$id
podman import -q "$base_tar" "$base_image" >/dev/null || { fail "podman import of $base_tar"; exit 1; }
images+=("$base_image")

# build_image NAME CONTEXT: builds a stand-in from CONTEXT/Containerfile.
build_image() {
    local name=$1 context=$2
    if ! podman build --isolation chroot --layers=false -q -t "$name" "$context" >"$context.log" 2>&1; then
        tail -n 20 "$context.log"
        fail "stand-in image $name does not build"
        exit 1
    fi
    images+=("$name")
}

say "stand-in build image: $SIDECAR_JAVA_HOME + $maven_home"
mkdir -p "$work/build-standin"
cp -a "$SIDECAR_JAVA_HOME" "$work/build-standin/jdk"
# Debian links the JDK's cacerts to /etc/ssl/certs/java/: the stand-in gets the files themselves.
while IFS= read -r link; do
    cp --remove-destination -L "$(readlink -f "$link")" "$link"
done < <(find "$work/build-standin/jdk" -type l -lname '/*')
cp -a "$maven_home" "$work/build-standin/maven"
cat >"$work/build-standin/Containerfile" <<EOF
FROM $base_image
COPY jdk /opt/java/openjdk
COPY maven /usr/share/maven
RUN ln -s /usr/share/maven/bin/mvn /usr/bin/mvn
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
build_image "$prefix/build:$id" "$work/build-standin"

say "stand-in Moodle image: fake Bitnami entrypoint.sh and run.sh"
mkdir -p "$work/moodle-standin"
cat >"$work/moodle-standin/entrypoint.sh" <<'EOF'
#!/bin/bash
# Stand-in for Bitnami's entrypoint: its setup persists Moodle into the volume, then execs the CMD.
touch /bitnami/moodle/config.php
exec "$@"
EOF
cat >"$work/moodle-standin/run.sh" <<'EOF'
#!/bin/bash
# Stand-in for Bitnami's run.sh (Apache in the foreground): runs until SIGTERM, then exits 0.
trap 'echo "moodle stand-in: stopping"; exit 0' TERM
echo "moodle stand-in: running"
sleep infinity &
wait
EOF
cat >"$work/moodle-standin/Containerfile" <<EOF
FROM $base_image
COPY --chmod=0755 entrypoint.sh run.sh /opt/bitnami/scripts/moodle/
RUN mkdir -p /bitnami/moodle && chmod 0777 /bitnami/moodle
CMD ["/opt/bitnami/scripts/moodle/run.sh"]
EOF
build_image "$prefix/moodle-base:$id" "$work/moodle-standin"

# --- 2. the real Dockerfile ---------------------------------------------------------------------
build_args=(--build-arg "MOODLE_IMAGE=$prefix/moodle-base:$id" --build-arg "BUILD_IMAGE=$prefix/build:$id"
    --build-arg "JRE_IMAGE=$prefix/build:$id")
for target in sidecar moodle; do
    say "podman build --target $target (Maven downloads dependencies on the first run)"
    started=$SECONDS
    if podman build --isolation chroot --layers=false --format docker "${build_args[@]}" --target "$target" \
        -t "$prefix/$target:$id" -f "$repo/Dockerfile" "$repo" >"$work/build-$target.log" 2>&1; then
        images+=("$prefix/$target:$id")
        pass "image target $target builds ($((SECONDS - started)) s)"
    else
        images+=("$prefix/$target:$id")
        grep -E 'ERROR|error|Error' "$work/build-$target.log" | tail -n 15
        tail -n 15 "$work/build-$target.log"
        fail "image target $target does not build"
        exit 1
    fi
done
image=$prefix/moodle:$id

# --- 3. run it ----------------------------------------------------------------------------------
root=$work/rootfs
mkdir -p "$root"
container=$(podman create "$image" 2>/dev/null) || { fail "podman create $image"; exit 1; }
podman export "$container" | tar -C "$root" --numeric-owner -xf - || { fail "podman export"; exit 1; }
podman rm -f "$container" >/dev/null
container=""

# The jlink'd runtime: what TLS to api.openai.com needs, and nothing the product does not use.
runtime=$root/usr/lib/jvm/openai-sidecar-runtime
modules=$(sed -n 's/^MODULES="\(.*\)"/\1/p' "$runtime/release" 2>/dev/null)
if [[ " $modules " == *" jdk.crypto.ec "* ]] && [[ " $modules " != *" jdk.httpserver "* ]] \
    && [ "$(stat -c %s "$runtime/lib/security/cacerts" 2>/dev/null || echo 0)" -gt 10000 ] \
    && [ -s "$runtime/lib/server/classes.jsa" ]; then
    pass "jlink'd runtime: $modules; CA certificates and CDS archive present; $(du -sh "$runtime" | cut -f1)"
else
    fail "jlink'd runtime: modules '$modules', cacerts $(ls -l "$runtime/lib/security/cacerts" 2>&1), CDS $(ls "$runtime/lib/server/" 2>&1)"
fi
say "image adds: /opt/openai-sidecar $(du -sh "$root/opt/openai-sidecar" | cut -f1), runtime $(du -sh "$runtime" | cut -f1)"

mapfile -t image_env < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed '/^$/d')
mapfile -t image_cmd < <(podman image inspect --format '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' "$image" | sed '/^$/d')
say "image command: ${image_cmd[*]}"

# in_root [--userspec=U:G] CMD...: runs CMD in the running container (its mount and pid namespace).
in_root() {
    local spec=()
    if [[ "${1:-}" == --userspec=* ]]; then spec=("$1"); shift; fi
    nsenter --target "$ns_init" --mount --pid -- chroot "${spec[@]}" "$root" \
        /usr/bin/env -i "${image_env[@]}" "${run_env[@]}" "SIDECAR_PORT=$port" "$@"
}

# Pids (host view) of the processes inside our root whose executable is java.
sidecar_jvms() {
    local proc pid
    for proc in /proc/[0-9]*; do
        pid=${proc#/proc/}
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] || continue
        [[ "$(readlink "$proc/exe" 2>/dev/null)" == */bin/java ]] && echo "$pid"
    done
}

processes_in_root() {
    local proc
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && echo "${proc#/proc/}"
    done
}

# wait_until SECONDS CMD...: polls CMD every 0.2 s until it succeeds or SECONDS pass.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

healthy() { curl -sf --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"healthy"'; }
two_jvms() { [ "$(sidecar_jvms | wc -l)" -ge 2 ]; }
plugin_link_made() { [ -L "$root/bitnami/moodle/openai-sidecar/openai-moodle-sidecar" ]; }
run_ended() { ! kill -0 "$run_pid" 2>/dev/null; }

# The tests' fake Chat Completions upstream (the testkit jar of this checkout, run on the host:
# the container shares the host's network), so the actions succeed without a real key. Without a
# built checkout (./mvnw verify) the runs go without it and expect `not_configured` instead.
fake_key=sk-test-FAKE1234567890abcd
fake_pid=""
run_env=()
start_fake_upstream() {
    local testkit_jar=$repo/testkit/target/openai-moodle-sidecar-testkit.jar url=""
    if [ ! -f "$testkit_jar" ]; then
        say "no $testkit_jar (run ./mvnw verify first): no fake upstream, the actions answer not_configured"
        return 0
    fi
    "$SIDECAR_JAVA" -jar "$testkit_jar" 0 >"$work/fake-upstream.log" 2>&1 &
    fake_pid=$!
    wait_until 30 grep -q 'fake upstream on ' "$work/fake-upstream.log"
    url=$(sed -n 's/.*fake upstream on \([^ ,]*\).*/\1/p' "$work/fake-upstream.log" | head -n1)
    if [ -z "$url" ]; then
        fail "fake upstream did not start: $(tail -n 3 "$work/fake-upstream.log")"
        return
    fi
    say "fake upstream at $url"
    run_env=("OPENAI_API_KEY=$fake_key" "OPENAI_BASE_URL=$url")
}

# run_container LABEL [--userspec=U:G]: one full start, check and stop of the image.
run_container() {
    local label=$1 spec=() pid uid exe stdio lines status started want
    [ -n "${2:-}" ] && spec=("$2")
    port=$(free_port)
    rm -rf "$root/bitnami/moodle/config.php" "$root/bitnami/moodle/openai-sidecar"
    say "[$label] starting ${image_cmd[*]} (SIDECAR_PORT=$port)"
    # A new pid namespace (tini is its PID 1) and mount namespace, with /proc and /dev inside the root.
    # shellcheck disable=SC2016  # expanded by the inner bash
    unshare --pid --fork --mount --propagation private -- bash -c '
        root=$1; shift
        mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
        exec chroot "$@"' _ "$root" "${spec[@]}" "$root" \
        /usr/bin/env -i "${image_env[@]}" "${run_env[@]}" "SIDECAR_PORT=$port" "${image_cmd[@]}" \
        >"$work/run-$label.log" 2>&1 &
    run_pid=$!
    ns_init=""
    wait_until 10 test -n "$(cat "/proc/$run_pid/task/$run_pid/children" 2>/dev/null)"
    ns_init=$(awk '{print $1}' "/proc/$run_pid/task/$run_pid/children" 2>/dev/null)
    if [ -z "$ns_init" ]; then
        fail "[$label] the container did not start: $(tail -n 5 "$work/run-$label.log")"
        return
    fi

    if wait_until 90 healthy; then
        pass "[$label] GET /health answers on 127.0.0.1:$port: $(curl -s "http://127.0.0.1:$port/health")"
    else
        fail "[$label] /health did not answer within 90 s; container output: $(tail -n 10 "$work/run-$label.log")"
    fi

    wait_until 20 two_jvms
    lines=""
    status=ok
    for pid in $(sidecar_jvms); do
        uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
        exe=$(readlink "/proc/$pid/exe")
        exe=${exe#"$root"}
        lines+=" pid $pid uid $uid $exe;"
        [ "$uid" = 1001 ] || status=bad
        [[ "$exe" == /usr/lib/jvm/openai-sidecar-runtime/* ]] || status=bad
    done
    if [ "$status" = ok ] && [ "$(sidecar_jvms | wc -l)" -eq 2 ]; then
        pass "[$label] supervisor and worker run as uid 1001 on the jlink'd runtime:$lines"
    else
        fail "[$label] expected 2 JVMs, uid 1001, /usr/lib/jvm/openai-sidecar-runtime:$lines"
    fi

    if wait_until 30 plugin_link_made; then
        started=$(date +%s%N)
        stdio=$(in_root --userspec=daemon:daemon /bin/sh -c \
            'echo "{\"action\":\"chat\",\"content\":\"hi\"}" | timeout 30 /bitnami/moodle/openai-sidecar/openai-moodle-sidecar' 2>"$work/stdio-$label.err")
        want='"success":'
        [ -n "$fake_pid" ] && want='"success":true'
        if [ "$(printf '%s\n' "$stdio" | wc -l)" -eq 1 ] && grep -q "^{.*$want" <<<"$stdio"; then
            pass "[$label] plugin path /bitnami/moodle/openai-sidecar/openai-moodle-sidecar (as daemon) answers one JSON line in $((($(date +%s%N) - started) / 1000000)) ms: $stdio"
        else
            fail "[$label] plugin path stdio: stdout '$stdio', stderr $(tail -n 5 "$work/stdio-$label.err")"
        fi
    else
        fail "[$label] /bitnami/moodle/openai-sidecar/openai-moodle-sidecar was not created after Moodle's setup"
    fi

    if out=$(in_root /usr/local/bin/sidecarctl check --no-repair 2>&1); then
        pass "[$label] HEALTHCHECK command (sidecarctl check --no-repair, as root): $out"
    else
        fail "[$label] HEALTHCHECK command failed: $out"
    fi

    if [ -n "$fake_pid" ]; then
        if out=$(in_root /usr/local/bin/test-sidecar.sh 2>&1); then
            pass "[$label] test-sidecar.sh inside the container: $(tail -n 1 <<<"$out")"
        else
            fail "[$label] test-sidecar.sh inside the container: $out"
        fi
    fi

    if [ -z "${spec[*]}" ]; then
        check_cron_repair "$label"
        check_logrotate "$label"
    fi

    say "[$label] SIGTERM to PID 1 (tini, host pid $ns_init)"
    kill -TERM "$ns_init"
    if wait_until 40 run_ended; then
        wait "$run_pid"
        status=$?
        if [ -z "$(processes_in_root)" ] && grep -q 'openai-sidecar: sidecar stopped' "$work/run-$label.log" \
            && [ "$status" -eq 0 ]; then
            pass "[$label] SIGTERM to PID 1: sidecar stopped before the container ended, no process left, exit 0"
        else
            fail "[$label] SIGTERM to PID 1: exit $status, left: $(processes_in_root | tr '\n' ' '); output: $(tail -n 8 "$work/run-$label.log")"
        fi
    else
        fail "[$label] the container did not stop within 40 s of SIGTERM; output: $(tail -n 8 "$work/run-$label.log")"
    fi
    run_pid=""
    if grep -qsF "$fake_key" "$work/run-$label.log" "$root"/var/log/openai-sidecar.log*; then
        fail "[$label] the API key appears in the container output or the log"
    fi
    say "[$label] last lines of /var/log/openai-sidecar.log:"
    tail -n 6 "$root/var/log/openai-sidecar.log" | sed 's/^/    /'
}

# The cron job's path, with cron's empty environment: after `sidecarctl stop`, the job must start
# the sidecar again as the sidecar user, with the variables the entrypoint saved (the key above all).
check_cron_repair() {
    local label=$1 out status reply want='"success":'
    [ -n "$fake_pid" ] && want='"success":true'
    in_root /usr/local/bin/sidecarctl stop >/dev/null 2>&1
    if healthy; then
        fail "[$label] cron repair: the sidecar still answers after sidecarctl stop"
        return
    fi
    out=$(nsenter --target "$ns_init" --mount --pid -- chroot --userspec=1001:1001 "$root" /usr/bin/env -i \
        SHELL=/bin/bash PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/opt/openai-sidecar/var \
        timeout 120 /opt/openai-sidecar/bin/cron-check.sh 2>&1)
    status=$?
    wait_until 60 healthy
    reply=$(curl -s --max-time 30 -H 'Content-Type: application/json' \
        -d '{"action":"chat","content":"after the repair","user_id":"cron"}' "http://127.0.0.1:$port/ai")
    if [ "$status" -eq 1 ] && grep -q '^REPAIRED' <<<"$out" && grep -q "$want" <<<"$reply"; then
        pass "[$label] cron job with cron's empty environment repairs a stopped sidecar: $out; then /ai: $reply"
    else
        fail "[$label] cron repair: exit $status, output '$out', then /ai: '$reply'"
    fi
}

# The image's own logrotate config, run as root the way cron.daily runs it.
check_logrotate() {
    local label=$1 owner
    curl -s --max-time 10 -H 'Content-Type: application/json' -d '{"action":"chat","content":"before","user_id":"rot-1"}' \
        "http://127.0.0.1:$port/ai" >/dev/null
    if ! out=$(in_root /usr/sbin/logrotate -f -s /tmp/logrotate.state /etc/logrotate.d/openai-sidecar 2>&1); then
        fail "[$label] logrotate -f /etc/logrotate.d/openai-sidecar: $out"
        return
    fi
    curl -s --max-time 10 -H 'Content-Type: application/json' -d '{"action":"chat","content":"after","user_id":"rot-2"}' \
        "http://127.0.0.1:$port/ai" >/dev/null
    owner=$(stat -c %u "$root/var/log/openai-sidecar.log" 2>/dev/null)
    if wait_until 10 grep -q 'user_id=rot-2' "$root/var/log/openai-sidecar.log" \
        && grep -q 'user_id=rot-1' "$root/var/log/openai-sidecar.log.1" && [ "$owner" = 1001 ]; then
        pass "[$label] logrotate (image config, as root): old lines in .log.1, new file owned by uid 1001 and written after reopen-logs"
    else
        fail "[$label] logrotate: owner of new log '$owner'; new log: $(tail -n 3 "$root/var/log/openai-sidecar.log")"
    fi
}

# The standalone `sidecar` target: its ENTRYPOINT (`sidecarctl run`) as its USER, until healthy,
# then SIGTERM to it as PID 1. SIDECAR_HOST is set to loopback here instead of the image's 0.0.0.0.
check_sidecar_target() {
    local image=$prefix/sidecar:$id user env=() cmd=() status
    root=$work/sidecar-rootfs
    mkdir -p "$root"
    container=$(podman create "$image" 2>/dev/null) || { fail "[sidecar] podman create $image"; return; }
    podman export "$container" | tar -C "$root" --numeric-owner -xf - || { fail "[sidecar] podman export"; return; }
    podman rm -f "$container" >/dev/null
    container=""
    user=$(podman image inspect --format '{{.Config.User}}' "$image")
    mapfile -t env < <(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | sed '/^$/d')
    mapfile -t cmd < <(podman image inspect --format '{{range .Config.Entrypoint}}{{println .}}{{end}}{{range .Config.Cmd}}{{println .}}{{end}}' "$image" | sed '/^$/d')
    port=$(free_port)
    say "[sidecar] starting ${cmd[*]} as user $user (SIDECAR_PORT=$port)"
    # shellcheck disable=SC2016  # expanded by the inner bash
    unshare --pid --fork --mount --propagation private -- bash -c '
        root=$1; shift
        mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || exit 125
        exec chroot "$@"' _ "$root" "--userspec=$user:0" "$root" \
        /usr/bin/env -i "${env[@]}" "SIDECAR_PORT=$port" SIDECAR_HOST=127.0.0.1 "${cmd[@]}" \
        >"$work/run-sidecar.log" 2>&1 &
    run_pid=$!
    wait_until 10 test -n "$(cat "/proc/$run_pid/task/$run_pid/children" 2>/dev/null)"
    ns_init=$(awk '{print $1}' "/proc/$run_pid/task/$run_pid/children" 2>/dev/null)
    if wait_until 90 healthy; then
        pass "[sidecar] target sidecar: GET /health answers, supervisor is PID 1 as user $user"
    else
        fail "[sidecar] /health did not answer within 90 s: $(tail -n 10 "$work/run-sidecar.log")"
    fi
    kill -TERM "$ns_init" 2>/dev/null
    if wait_until 40 run_ended; then
        wait "$run_pid"
        status=$?
        if [ "$status" -eq 0 ] && [ -z "$(processes_in_root)" ]; then
            pass "[sidecar] SIGTERM to the supervisor (PID 1): exit 0, no process left"
        else
            fail "[sidecar] SIGTERM: exit $status; log: $(tail -n 5 "$root/var/log/openai-sidecar/openai-sidecar.log" 2>&1)"
        fi
    else
        fail "[sidecar] did not stop within 40 s of SIGTERM"
    fi
    run_pid=""
}

start_fake_upstream
run_container root
run_container uid-1001 --userspec=1001:1001
check_sidecar_target

echo "container check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
