package org.openaimoodle.sidecar.supervisor.supervision;

/** The states of the supervised worker, with supervisord's names, which administrators know. */
public enum SupervisorState {
    /** The worker process runs but has not answered {@code /health} yet. */
    STARTING,
    /** The worker answered {@code /health} and keeps answering. */
    RUNNING,
    /** The worker exited or was replaced; the next start waits for the restart delay. */
    BACKOFF,
    /** SIGTERM (or SIGKILL) was sent; waiting for the worker to exit. */
    STOPPING,
    /** No worker runs and none will be started. */
    STOPPED
}
