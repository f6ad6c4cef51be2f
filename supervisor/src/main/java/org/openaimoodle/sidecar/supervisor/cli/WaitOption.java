package org.openaimoodle.sidecar.supervisor.cli;

import java.time.Duration;

import picocli.CommandLine.Option;

/** {@code --wait SECONDS}, shared by the commands that wait for a healthy worker (start, restart, check). */
final class WaitOption {
    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for a healthy worker (default: ${DEFAULT-VALUE}).")
    private double seconds;

    /** The wait as a duration. */
    Duration duration() {
        return Duration.ofMillis((long) (seconds * 1000));
    }
}
