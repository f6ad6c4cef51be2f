package org.openaimoodle.sidecar.supervisor.config;

import static org.openaimoodle.sidecar.supervisor.config.SupervisorSettings.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;

import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.common.ConfigSources;
import org.openaimoodle.sidecar.common.redis.RedisAddress;
import org.openaimoodle.sidecar.common.usage.UsageStoreLocation;
import org.openaimoodle.sidecar.supervisor.usage.Prices;
import org.openaimoodle.sidecar.common.SharedSettings;

/**
 * Builds the one {@link SupervisorConfig} from {@link SupervisorSettings} through {@link ConfigSources}:
 * command-line flags &gt; environment &gt; YAML file ({@code SIDECAR_CONFIG}) &gt; defaults. An invalid value
 * throws {@link ConfigException} naming it.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    /**
     * @param flags       values given on the command line, keyed by variable name
     * @param environment the process environment ({@code System.getenv()})
     * @return the validated configuration
     * @throws ConfigException naming the variable, where the value came from and what is expected
     */
    public static SupervisorConfig load(Map<String, String> flags, Map<String, String> environment) {
        ConfigSources sources = ConfigSources.of(flags, environment);
        Duration backoffInitial = sources.duration(SIDECAR_BACKOFF_INITIAL);
        Duration backoffMax = sources.duration(SIDECAR_BACKOFF_MAX);
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw sources.invalid(SIDECAR_BACKOFF_MAX, "at least SIDECAR_BACKOFF_INITIAL ("
                    + backoffInitial.toMillis() / 1000.0 + " s)");
        }
        Duration requestTimeout = sources.duration(SIDECAR_REQUEST_TIMEOUT);
        return new SupervisorConfig(
                sources.text(SIDECAR_HOST),
                sources.integer(SIDECAR_PORT),
                sources.optionalText(SIDECAR_LOG_FILE).map(Path::of),
                sources.optionalText(SIDECAR_RUN_DIR).map(Path::of),
                sources.duration(SIDECAR_HEALTH_INTERVAL),
                sources.duration(SIDECAR_HEALTH_TIMEOUT),
                sources.integer(SIDECAR_HEALTH_FAILURES),
                sources.duration(SIDECAR_START_TIMEOUT),
                requestTimeout,
                sources.optionalDuration(SIDECAR_STOP_TIMEOUT).orElse(SharedSettings.defaultStopTimeout(requestTimeout)),
                backoffInitial,
                backoffMax,
                sources.duration(SIDECAR_BACKOFF_RESET),
                sources.parsed(SIDECAR_WORKER_MAX_RSS, () -> parseBytes(sources.text(SIDECAR_WORKER_MAX_RSS)),
                        "a size in bytes with an optional k, m or g suffix (e.g. 512m), or 0 for no limit"),
                workerCommand(sources.list(SIDECAR_WORKER_COMMAND), environment),
                sources.optionalText(OPENAI_API_KEY),
                sources.optionalText(SIDECAR_TOKEN),
                sources.text(OPENAI_BASE_URL),
                UsageStoreLocation.path(sources.optionalText(SIDECAR_USAGE_DB), environment),
                sources.parsed(SIDECAR_PRICES, () -> Prices.parse(sources.list(SIDECAR_PRICES)),
                        "comma-separated model=prompt/completion entries in USD per million tokens, "
                                + "e.g. gpt-4o-mini=0.15/0.60"),
                sources.parsed(SIDECAR_REDIS_URL, () -> {
                    Optional<String> url = sources.optionalText(SIDECAR_REDIS_URL);
                    url.ifPresent(RedisAddress::parse); // no Redis class is loaded for the check
                    return url;
                }, RedisAddress.EXPECTED),
                sources.text(SIDECAR_REDIS_PREFIX),
                sources.configFile());
    }

    /** {@code 512m} to 536870912: a number with an optional k, m or g suffix (powers of 1024). */
    static long parseBytes(String text) {
        String value = text.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = 1;
        char last = value.isEmpty() ? ' ' : value.charAt(value.length() - 1);
        if (last == 'k' || last == 'm' || last == 'g') {
            unit = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
            value = value.substring(0, value.length() - 1);
        }
        long number = Long.parseLong(value);
        if (number < 0 || number > (1L << 50) / unit) {
            throw new IllegalArgumentException("out of range: " + text);
        }
        return number * unit;
    }

    private static List<String> workerCommand(List<String> configured, Map<String, String> environment) {
        if (!configured.isEmpty()) {
            return configured;
        }
        // Exported by shell/sidecarctl; taken from the environment only, it is not a setting.
        String launcherDir = environment.get("SIDECAR_LAUNCHER_DIR");
        if (launcherDir == null || launcherDir.isBlank()) {
            return List.of();
        }
        return List.of(Path.of(launcherDir, "openai-moodle-sidecar").toString(), "--http-mode");
    }
}
