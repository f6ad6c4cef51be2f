package org.openaimoodle.sidecar.supervisor.supervision;

/** Why the worker is STOPPING: decides the first signal and what follows its exit. */
public enum StopReason {
    /** {@code sidecarctl restart}: SIGTERM (drain), then a new worker at once. */
    RESTART(false, ExitReason.REQUESTED),
    /** SIGTERM/SIGINT to the supervisor or {@code sidecarctl stop}: SIGTERM (drain), then the supervisor exits. */
    SHUTDOWN(false, ExitReason.REQUESTED),
    /** The memory guard, where a new worker cannot start beside the old one: SIGTERM (drain), then a new one at once. */
    MEMORY(false, ExitReason.MEMORY),
    /** Health probes failed in a row: SIGKILL (a hung worker cannot drain), then a restart after backoff. */
    HUNG(true, ExitReason.HUNG),
    /** Not healthy within the start timeout: SIGKILL, then a restart after backoff. */
    START_TIMEOUT(true, ExitReason.START_TIMEOUT);

    private final boolean killAtOnce;
    private final ExitReason exitReason;

    StopReason(boolean killAtOnce, ExitReason exitReason) {
        this.killAtOnce = killAtOnce;
        this.exitReason = exitReason;
    }

    /** How {@code status} names the worker's exit that follows. */
    public ExitReason exitReason() {
        return exitReason;
    }

    /** Whether the first signal is SIGKILL rather than SIGTERM. */
    public boolean killAtOnce() {
        return killAtOnce;
    }
}
