# shellcheck shell=bash
# free_port: prints a loopback port nobody listens on, picked without starting a JVM (bash /dev/tcp).
# For the scripts that start programs on their own ports (aot/train.sh, bench/);
# the launchers do not use it.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port found on 127.0.0.1" >&2
    return 1
}
