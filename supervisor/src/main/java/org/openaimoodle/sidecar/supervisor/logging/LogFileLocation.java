package org.openaimoodle.sidecar.supervisor.logging;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;

/**
 * Where the log goes. {@code SIDECAR_LOG_FILE} when set (write trouble is then reported, never
 * silently redirected); otherwise {@code /var/log/openai-sidecar.log}, and when that is not writable
 * (a developer laptop without root) {@code $XDG_STATE_HOME/openai-sidecar/openai-sidecar.log}
 * ({@code ~/.local/state/…}), else the run directory — with a notice that says so.
 *
 * @param file   the log file to use
 * @param notice why the default was not used, or empty
 */
public record LogFileLocation(Path file, Optional<String> notice) {

    /** Chooses the log file for this user. */
    public static LogFileLocation resolve(SupervisorConfig config, Map<String, String> environment, Path runDir) {
        return resolve(config, environment, runDir, SupervisorConfig.DEFAULT_LOG_FILE);
    }

    /** As above, with the default log file given (tests cannot make /var/log unwritable for root). */
    static LogFileLocation resolve(SupervisorConfig config, Map<String, String> environment, Path runDir,
            Path standard) {
        if (config.logFile().isPresent()) {
            return new LogFileLocation(config.logFile().get(), Optional.empty());
        }
        if (writable(standard)) {
            return new LogFileLocation(standard, Optional.empty());
        }
        Path fallback = stateDirectory(environment).map(dir -> dir.resolve("openai-sidecar/openai-sidecar.log"))
                .orElse(runDir.resolve("openai-sidecar.log"));
        return new LogFileLocation(fallback, Optional.of(standard + " is not writable by this user; logging to "
                + fallback + " instead (set SIDECAR_LOG_FILE to choose the file)"));
    }

    private static Optional<Path> stateDirectory(Map<String, String> environment) {
        String state = environment.get("XDG_STATE_HOME");
        if (state != null && !state.isBlank()) {
            return Optional.of(Path.of(state));
        }
        String home = environment.get("HOME");
        if (home != null && !home.isBlank() && Files.isWritable(Path.of(home))) {
            return Optional.of(Path.of(home, ".local", "state"));
        }
        return Optional.empty();
    }

    private static boolean writable(Path file) {
        if (Files.exists(file)) {
            return Files.isWritable(file);
        }
        Path parent = file.getParent();
        return parent != null && Files.isDirectory(parent) && Files.isWritable(parent);
    }
}
