package org.openaimoodle.sidecar.common;

/**
 * The exit codes of both programs, the worker ({@code openai-moodle-sidecar}) and {@code sidecarctl}
 * (docs/internals.md, "Worker ↔ supervisor").
 */
public final class ExitCodes {
    /** Success; worker: clean stop; {@code status}: RUNNING; {@code check}: found healthy. */
    public static final int OK = 0;
    /**
     * Failed; worker: HTTP mode cannot listen on SIDECAR_HOST:SIDECAR_PORT (a crash to the supervisor, since
     * the holder may go away); {@code run}: another supervisor runs; {@code check}: found unhealthy.
     */
    public static final int FAILED = 1;
    /** Bad command-line usage (the worker's flags, picocli's default for sidecarctl). */
    public static final int USAGE = 2;
    /** {@code status}: any state but RUNNING, or no supervisor running (LSB's "program is not running"). */
    public static final int NOT_RUNNING = 3;
    /** {@code status}: a supervisor process exists but does not answer on its control socket. */
    public static final int UNREACHABLE = 4;
    /**
     * Invalid configuration ({@code EX_CONFIG} from sysexits.h); never retried: a worker that exits with it
     * is not restarted, and the supervisor exits with it too.
     */
    public static final int CONFIG = 78;

    private ExitCodes() {
    }
}
