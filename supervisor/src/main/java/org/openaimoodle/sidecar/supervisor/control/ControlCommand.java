package org.openaimoodle.sidecar.supervisor.control;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The commands of the control protocol ({@code {"command":"status"}}), with their names on the wire. */
public enum ControlCommand {
    /** The supervisor's {@link StatusReport}. */
    STATUS("status"),
    /** Replace the worker now. */
    RESTART("restart"),
    /** Re-read the configuration file, then replace the worker the way {@link #RESTART} does. */
    RELOAD("reload"),
    /** Stop the worker, then the supervisor. */
    STOP("stop"),
    /** Reopen the log file (logrotate's {@code postrotate}). */
    REOPEN_LOGS("reopen-logs");

    private final String wireName;

    ControlCommand(String wireName) {
        this.wireName = wireName;
    }

    /** The name sent on the control socket. */
    public String wireName() {
        return wireName;
    }

    /** The command named {@code wireName}, or empty for an unknown name. */
    public static Optional<ControlCommand> fromWireName(String wireName) {
        return Arrays.stream(values()).filter(command -> command.wireName.equals(wireName)).findFirst();
    }

    /** All wire names, for error messages: {@code status, restart, stop, reopen-logs}. */
    public static String wireNames() {
        return Arrays.stream(values()).map(ControlCommand::wireName).collect(Collectors.joining(", "));
    }
}
