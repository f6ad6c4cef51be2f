# shellcheck shell=bash
# free_port: prints a loopback port nobody listens on, picked without starting a JVM (bash /dev/tcp).
# For the scripts that start programs on their own ports (aot/train.sh, bench/);
# the launchers do not use it.
free_port() {
    local port
    for _ in $(seq 1 100); do
        # Below Linux's ephemeral range (32768-60999): a port a client connection used as its own end, still in
        # TIME_WAIT after a burst (bench figure 2 makes 2,000), accepts no probe yet cannot be listened on.
        port=$((10000 + RANDOM % 22000))
        if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port found on 127.0.0.1" >&2
    return 1
}
