package org.openaimoodle.sidecar.supervisor.config;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the one {@link SupervisorConfig}: command-line flags &gt; environment &gt; YAML file
 * ({@code SIDECAR_CONFIG}) &gt; defaults. Every source is keyed by the environment variable name, so
 * one table documents all of them. An invalid value throws {@link ConfigException} naming it.
 */
public final class ConfigLoader {
    private final Map<String, String> flags;
    private final Map<String, String> environment;
    private final Map<String, String> file;

    private ConfigLoader(Map<String, String> flags, Map<String, String> environment) {
        this.flags = flags;
        this.environment = environment;
        String configFile = flags.getOrDefault("SIDECAR_CONFIG", environment.get("SIDECAR_CONFIG"));
        this.file = blank(configFile) ? Map.of() : YamlConfigFile.read(Path.of(configFile));
    }

    /**
     * @param flags       values given on the command line, keyed by variable name
     * @param environment the process environment ({@code System.getenv()})
     */
    public static SupervisorConfig load(Map<String, String> flags, Map<String, String> environment) {
        return new ConfigLoader(flags, environment).build();
    }

    private SupervisorConfig build() {
        Duration backoffInitial = seconds("SIDECAR_BACKOFF_INITIAL", "0.5");
        Duration backoffMax = seconds("SIDECAR_BACKOFF_MAX", "30");
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new ConfigException("SIDECAR_BACKOFF_MAX: must be at least SIDECAR_BACKOFF_INITIAL ("
                    + value("SIDECAR_BACKOFF_INITIAL").orElse("0.5") + " s), got "
                    + value("SIDECAR_BACKOFF_MAX").orElse("30") + " s");
        }
        return new SupervisorConfig(
                value("SIDECAR_HOST").orElse("127.0.0.1"),
                port(),
                value("SIDECAR_LOG_FILE").map(Path::of),
                value("SIDECAR_RUN_DIR").map(Path::of),
                seconds("SIDECAR_HEALTH_INTERVAL", "2"),
                seconds("SIDECAR_HEALTH_TIMEOUT", "1"),
                positiveInt("SIDECAR_HEALTH_FAILURES", 3),
                seconds("SIDECAR_START_TIMEOUT", "30"),
                seconds("SIDECAR_STOP_TIMEOUT", "10"),
                backoffInitial,
                backoffMax,
                seconds("SIDECAR_BACKOFF_RESET", "60"),
                workerCommand(),
                value("OPENAI_API_KEY"),
                value("SIDECAR_CONFIG").map(Path::of));
    }

    private Optional<String> value(String name) {
        String found = flags.get(name);
        if (blank(found)) {
            found = environment.get(name);
        }
        if (blank(found)) {
            found = file.get(name);
        }
        return blank(found) ? Optional.empty() : Optional.of(found.strip());
    }

    private int port() {
        String text = value("SIDECAR_PORT").orElse("8081");
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below with the same message as an out-of-range number
        }
        throw new ConfigException("SIDECAR_PORT: expected a TCP port 1-65535, got '" + text + "'");
    }

    private int positiveInt(String name, int defaultValue) {
        Optional<String> text = value(name);
        if (text.isEmpty()) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(text.get());
            if (parsed >= 1) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(name + ": expected a whole number of at least 1, got '" + text.get() + "'");
    }

    /** Durations are seconds, decimals allowed (docs/internals.md); millisecond precision. */
    private Duration seconds(String name, String defaultValue) {
        String text = value(name).orElse(defaultValue);
        try {
            long millis = new BigDecimal(text).movePointRight(3).longValueExact();
            if (millis > 0) {
                return Duration.ofMillis(millis);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new ConfigException(name + ": expected a number of seconds greater than 0 (e.g. 2 or 0.5), got '"
                + text + "'");
    }

    private List<String> workerCommand() {
        Optional<String> command = value("SIDECAR_WORKER_COMMAND");
        if (command.isPresent()) {
            return Arrays.asList(command.get().split("\\s+"));
        }
        // Exported by shell/sidecarctl; taken from the environment only, it is not a setting.
        String launcherDir = environment.get("SIDECAR_LAUNCHER_DIR");
        if (blank(launcherDir)) {
            return List.of();
        }
        return List.of(Path.of(launcherDir, "openai-moodle-sidecar").toString(), "--http-mode");
    }

    private static boolean blank(String text) {
        return text == null || text.isBlank();
    }
}
