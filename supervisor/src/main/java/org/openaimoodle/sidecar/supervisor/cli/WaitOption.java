package org.openaimoodle.sidecar.supervisor.cli;

import java.time.Duration;

import picocli.CommandLine.Option;

/** {@code --wait SECONDS}, shared by the commands that wait for a healthy worker (start, restart, check). */
final class WaitOption {
    /** The wait without {@code --wait}, in seconds. */
    static final String DEFAULT_SECONDS = "60";

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = DEFAULT_SECONDS,
            description = "How long to wait for a healthy worker (default: ${DEFAULT-VALUE}).")
    private double seconds;

    /** The wait as a duration. */
    Duration duration() {
        return duration(seconds);
    }

    /** The wait without {@code --wait}. */
    static Duration byDefault() {
        return duration(Double.parseDouble(DEFAULT_SECONDS));
    }

    private static Duration duration(double seconds) {
        return Duration.ofMillis((long) (seconds * 1000));
    }
}
