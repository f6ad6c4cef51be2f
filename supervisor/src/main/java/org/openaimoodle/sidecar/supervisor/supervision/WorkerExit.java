package org.openaimoodle.sidecar.supervisor.supervision;

import java.time.Duration;

/**
 * How the last worker ended.
 *
 * @param code   its exit code as the JVM reports it: 128 + the signal number when a signal ended it
 * @param reason why it went away
 * @param ago    how long ago it exited
 */
public record WorkerExit(int code, ExitReason reason, Duration ago) {
    /** Highest signal number on Linux (real-time signals included). */
    private static final int MAX_SIGNAL = 64;

    /** The signal that ended the worker, or null when it exited with a code of its own. */
    public Integer signal() {
        return code > 128 && code <= 128 + MAX_SIGNAL ? code - 128 : null;
    }

    /** The exit code, or null when a signal ended the worker. */
    public Integer exitCode() {
        return signal() == null ? code : null;
    }
}
