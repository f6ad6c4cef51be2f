package org.openaimoodle.sidecar.worker.config;

/**
 * An invalid configuration value. The message names the variable (or flag) and says what is expected;
 * {@link #fromCommandLine()} tells the caller which exit code applies (2 for flags, 78 otherwise).
 */
public final class ConfigException extends Exception {
    private final boolean fromCommandLine;

    /**
     * @param message         for people: what is wrong and how to fix it
     * @param fromCommandLine whether a command-line flag carried the bad value
     */
    public ConfigException(String message, boolean fromCommandLine) {
        super(message);
        this.fromCommandLine = fromCommandLine;
    }

    /** @return true when the bad value came from the command line (exit 2), false for env/file (exit 78) */
    public boolean fromCommandLine() {
        return fromCommandLine;
    }
}
