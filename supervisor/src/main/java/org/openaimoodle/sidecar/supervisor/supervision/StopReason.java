package org.openaimoodle.sidecar.supervisor.supervision;

/** Why the worker is STOPPING: decides the first signal and what follows its exit. */
public enum StopReason {
    /** {@code sidecarctl restart}: SIGTERM (drain), then a new worker at once. */
    RESTART(false),
    /** SIGTERM/SIGINT to the supervisor or {@code sidecarctl stop}: SIGTERM (drain), then the supervisor exits. */
    SHUTDOWN(false),
    /** Health probes failed in a row: SIGKILL (a hung worker cannot drain), then a restart after backoff. */
    HUNG(true),
    /** Not healthy within the start timeout: SIGKILL, then a restart after backoff. */
    START_TIMEOUT(true);

    private final boolean killAtOnce;

    StopReason(boolean killAtOnce) {
        this.killAtOnce = killAtOnce;
    }

    /** Whether the first signal is SIGKILL rather than SIGTERM. */
    public boolean killAtOnce() {
        return killAtOnce;
    }
}
