package org.openaimoodle.sidecar.supervisor.config;

/**
 * An invalid configuration value. The message names the variable and says what is expected; the
 * supervisor reports it once and exits 78 instead of looping.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message names the variable, the bad value (never a secret) and what to do */
    public ConfigException(String message) {
        super(message);
    }
}
