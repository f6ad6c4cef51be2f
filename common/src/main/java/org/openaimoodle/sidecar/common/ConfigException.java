package org.openaimoodle.sidecar.common;

/**
 * An invalid configuration value. The message names the variable, says what is expected and what to do,
 * and never carries a secret. {@link #fromCommandLine()} tells the caller which exit code applies:
 * {@link ExitCodes#USAGE} when a command-line flag carried the bad value, {@link ExitCodes#CONFIG} otherwise.
 * Unchecked, so that it can cross picocli's command methods; each program catches it once at the top.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean fromCommandLine;

    /** @param message for people: what is wrong and how to fix it (bad value not from the command line) */
    public ConfigException(String message) {
        this(message, false);
    }

    /**
     * @param message         for people: what is wrong and how to fix it
     * @param fromCommandLine whether a command-line flag carried the bad value
     */
    public ConfigException(String message, boolean fromCommandLine) {
        super(message);
        this.fromCommandLine = fromCommandLine;
    }

    /** @return true when the bad value came from the command line, false for environment, file or defaults */
    public boolean fromCommandLine() {
        return fromCommandLine;
    }

    /** @return the exit code for this error: {@link ExitCodes#USAGE} or {@link ExitCodes#CONFIG} */
    public int exitCode() {
        return fromCommandLine ? ExitCodes.USAGE : ExitCodes.CONFIG;
    }
}
