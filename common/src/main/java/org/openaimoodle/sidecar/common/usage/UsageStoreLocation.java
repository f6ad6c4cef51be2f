package org.openaimoodle.sidecar.common.usage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the usage store lives ({@code SIDECAR_USAGE_DB}, else {@code usage.db} in the state directory). Apart
 * from {@link UsageDatabase} so that reading the configuration never loads JDBC classes.
 */
public final class UsageStoreLocation {
    /** The system-wide state directory, used when this user may write there. */
    static final Path SYSTEM_STATE_DIR = Path.of("/var/lib/openai-sidecar");

    private UsageStoreLocation() {
    }

    /**
     * @param configured SIDECAR_USAGE_DB, if set
     * @param env        the environment ({@code XDG_STATE_HOME}, {@code HOME})
     * @return the store's file: the configured one, else {@code usage.db} in the state directory
     */
    public static Path path(Optional<String> configured, Map<String, String> env) {
        if (configured.isPresent()) {
            return Path.of(configured.get());
        }
        return stateDirectory(env, Files.isDirectory(SYSTEM_STATE_DIR) && Files.isWritable(SYSTEM_STATE_DIR))
                .resolve("usage.db");
    }

    /**
     * @param env            the environment
     * @param systemWritable whether {@code /var/lib/openai-sidecar} may be written by this user
     * @return that directory when writable, else {@code $XDG_STATE_HOME/openai-sidecar}
     *         ({@code ~/.local/state/openai-sidecar} without it)
     */
    static Path stateDirectory(Map<String, String> env, boolean systemWritable) {
        if (systemWritable) {
            return SYSTEM_STATE_DIR;
        }
        String xdg = env.get("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".local", "state");
        return base.resolve("openai-sidecar");
    }
}
