package org.openaimoodle.sidecar.supervisor.rundir;

/** The processes whose pids are recorded in the run directory. */
public enum ProcessRole {
    /** The supervisor ({@code sidecarctl run}). */
    SUPERVISOR("supervisor.pid"),
    /** The worker, so that a new supervisor can stop one left by a dead predecessor. */
    WORKER("worker.pid");

    private final String fileName;

    ProcessRole(String fileName) {
        this.fileName = fileName;
    }

    String fileName() {
        return fileName;
    }
}
