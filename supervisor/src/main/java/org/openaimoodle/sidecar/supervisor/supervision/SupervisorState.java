package org.openaimoodle.sidecar.supervisor.supervision;

/** The states of the supervised worker, with supervisord's names, which administrators know. */
public enum SupervisorState {
    /** The worker process runs but has not answered {@code /health} yet. */
    STARTING,
    /** The worker answered {@code /health} and keeps answering. */
    RUNNING,
    /**
     * The worker is RUNNING and a new one starts beside it on the same port ({@code SO_REUSEPORT}); once the new
     * one is healthy the old one hands over. {@code status} shows it as RUNNING (supervisord's names).
     */
    REPLACING,
    /** The worker exited or was replaced; the next start waits for the restart delay. */
    BACKOFF,
    /** SIGTERM (or SIGKILL) was sent; waiting for the worker to exit. */
    STOPPING,
    /** No worker runs and none will be started. */
    STOPPED;

    /** The name {@code status} shows: supervisord's, so REPLACING (the old worker serves) is RUNNING. */
    public SupervisorState shown() {
        return this == REPLACING ? RUNNING : this;
    }
}
