package org.openaimoodle.sidecar.supervisor.cli;

import java.io.PrintWriter;

import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.common.ExitCodes;

/**
 * How a command that threw ends, in one place for picocli's execution handler and {@link HotCommands}:
 * a configuration error is named as such and exits 78, anything else exits 1.
 */
final class CommandFailure {
    private CommandFailure() {
    }

    /** Prints what failed on {@code err} and returns the exit code. */
    static int report(Exception exception, PrintWriter err) {
        if (exception instanceof ConfigException) {
            err.println("sidecarctl: configuration error: " + exception.getMessage());
            return ExitCodes.CONFIG;
        }
        err.println("sidecarctl: " + exception);
        return ExitCodes.FAILED;
    }
}
