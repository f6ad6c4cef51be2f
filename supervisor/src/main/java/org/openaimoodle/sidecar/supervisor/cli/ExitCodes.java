package org.openaimoodle.sidecar.supervisor.cli;

/** The exit codes of {@code sidecarctl} (DESIGN.md, "Supervisor and sidecarctl"). */
public final class ExitCodes {
    /** Success; for {@code status}: RUNNING; for {@code check}: found healthy. */
    public static final int OK = 0;
    /** Failed; {@code run}: another supervisor runs; {@code check}: found unhealthy (even if repaired). */
    public static final int FAILED = 1;
    /** Bad command-line usage (picocli's default). */
    public static final int USAGE = 2;
    /** {@code status}: any state but RUNNING, or no supervisor running (LSB's "program is not running"). */
    public static final int NOT_RUNNING = 3;
    /** {@code status}: a supervisor process exists but does not answer on its control socket. */
    public static final int UNREACHABLE = 4;
    /** Invalid configuration ({@code EX_CONFIG} from sysexits.h); never retried. */
    public static final int CONFIG = 78;

    private ExitCodes() {
    }
}
