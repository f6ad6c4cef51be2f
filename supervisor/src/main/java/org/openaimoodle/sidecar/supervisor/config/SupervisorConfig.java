package org.openaimoodle.sidecar.supervisor.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.common.SharedSettings;

/**
 * Everything the supervisor and {@code sidecarctl} read from their environment, built once by
 * {@link ConfigLoader} from {@link SupervisorSettings} (flags &gt; environment &gt; YAML file &gt; defaults) and
 * never changed. The table holds defaults and ranges.
 *
 * @param host           {@code SIDECAR_HOST}, default {@code 127.0.0.1}: where the worker listens,
 *                       probed at {@code http://host:port/health}
 * @param port           {@code SIDECAR_PORT}, default {@code 8081}: the worker's HTTP port
 * @param logFile        {@code SIDECAR_LOG_FILE}, default {@code /var/log/openai-sidecar.log}; empty when
 *                       not set, so that a user without root falls back to a writable location
 * @param runDir         {@code SIDECAR_RUN_DIR}, default {@code /run/openai-sidecar}, else
 *                       {@code $XDG_RUNTIME_DIR/openai-sidecar}, else {@code /tmp/openai-sidecar-<uid>};
 *                       empty when not set
 * @param healthInterval {@code SIDECAR_HEALTH_INTERVAL}, default 2 s: time between two probes of a
 *                       RUNNING worker
 * @param healthTimeout  {@code SIDECAR_HEALTH_TIMEOUT}, default 1 s: a probe that takes longer failed
 * @param healthFailures {@code SIDECAR_HEALTH_FAILURES}, default 3: failed probes in a row that make a
 *                       RUNNING worker count as hung and be replaced
 * @param startTimeout   {@code SIDECAR_START_TIMEOUT}, default 30 s: a STARTING worker that is not
 *                       healthy by then is killed and started again
 * @param requestTimeout {@code SIDECAR_REQUEST_TIMEOUT}, default 25 s: the worker's request deadline, which
 *                       also bounds its drain; read here for the stop timeout's default
 * @param stopTimeout    {@code SIDECAR_STOP_TIMEOUT}, default SIDECAR_REQUEST_TIMEOUT + 5 s: time between
 *                       SIGTERM and SIGKILL when stopping the worker; shorter than the drain cuts requests
 *                       (see {@link #stopTimeoutWarning()})
 * @param backoffInitial {@code SIDECAR_BACKOFF_INITIAL}, default 0.5 s: delay before the first restart;
 *                       doubles with each further restart
 * @param backoffMax     {@code SIDECAR_BACKOFF_MAX}, default 30 s: the longest restart delay
 * @param backoffReset   {@code SIDECAR_BACKOFF_RESET}, default 60 s: a worker healthy this long resets
 *                       the delay to its initial value
 * @param workerMaxRssBytes {@code SIDECAR_WORKER_MAX_RSS}, default 512 MiB: a RUNNING worker above this resident
 *                       memory on two probes in a row is replaced the zero-downtime way; 0 turns the guard off
 * @param workerCommand  {@code SIDECAR_WORKER_COMMAND} (whitespace-separated), default
 *                       {@code $SIDECAR_LAUNCHER_DIR/openai-moodle-sidecar --http-mode}; empty when
 *                       neither is known
 * @param apiKey         {@code OPENAI_API_KEY}: never used by the supervisor except to mask it in logs
 * @param token          {@code SIDECAR_TOKEN}: only masked in logs
 * @param baseUrl        {@code OPENAI_BASE_URL}: only its credentials are masked in logs
 * @param usageDb        {@code SIDECAR_USAGE_DB}: the usage store {@code sidecarctl usage} reads
 * @param prices         {@code SIDECAR_PRICES}: the report's cost per model
 * @param redisUrl       {@code SIDECAR_REDIS_URL} (default none): with it {@code sidecarctl usage} reports the
 *                       whole site from Redis; a secret (it may hold the password), only masked in logs
 * @param redisPrefix    {@code SIDECAR_REDIS_PREFIX} (default {@code openai-sidecar:}): the workers' key prefix
 * @param configFile     {@code --config FILE} or {@code SIDECAR_CONFIG}: the optional YAML file, passed
 *                       on to the worker
 */
public record SupervisorConfig(
        String host,
        int port,
        Optional<Path> logFile,
        Optional<Path> runDir,
        Duration healthInterval,
        Duration healthTimeout,
        int healthFailures,
        Duration startTimeout,
        Duration requestTimeout,
        Duration stopTimeout,
        Duration backoffInitial,
        Duration backoffMax,
        Duration backoffReset,
        long workerMaxRssBytes,
        List<String> workerCommand,
        Optional<String> apiKey,
        Optional<String> token,
        String baseUrl,
        Path usageDb,
        org.openaimoodle.sidecar.supervisor.usage.Prices prices,
        Optional<String> redisUrl,
        String redisPrefix,
        Optional<Path> configFile) {

    /** The default log file; also where logrotate's configuration points. */
    public static final Path DEFAULT_LOG_FILE = Path.of("/var/log/openai-sidecar.log");

    /** Copies the list so that the record stays immutable. */
    public SupervisorConfig {
        workerCommand = List.copyOf(workerCommand);
    }

    /** The health URL as shown to people (the probe itself speaks HTTP over a plain socket). */
    public String healthUrl() {
        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + shownHost + ":" + port + "/health";
    }

    /** @return the masker for the secrets the worker may print: API key, token, base URL and Redis URL credentials */
    public SecretMasker secretMasker() {
        String[] url = SecretMasker.urlCredentials(baseUrl);
        String[] redis = SecretMasker.urlCredentials(redisUrl.orElse(null));
        return SecretMasker.of(apiKey.orElse(null), token.orElse(null), url.length > 0 ? url[0] : null,
                url.length > 1 ? url[1] : null, redis.length > 0 ? redis[0] : null, redis.length > 1 ? redis[1] : null);
    }

    /**
     * @return a warning for the log when a stop would SIGKILL the worker before its drain (requests in
     *         flight for up to the request deadline) can finish; empty when the stop timeout covers it
     */
    public Optional<String> stopTimeoutWarning() {
        Duration drain = SharedSettings.drainBudget(requestTimeout);
        if (stopTimeout.compareTo(drain) >= 0) {
            return Optional.empty();
        }
        return Optional.of("SIDECAR_STOP_TIMEOUT (" + stopTimeout.toMillis() / 1000.0 + " s) is shorter than the "
                + "worker's drain (SIDECAR_REQUEST_TIMEOUT + 1 s = " + drain.toMillis() / 1000.0 + " s): a stop or "
                + "restart kills requests still in flight; raise it or unset it (default "
                + SharedSettings.defaultStopTimeout(requestTimeout).toMillis() / 1000.0 + " s)");
    }

    /** Hides the secrets, which a record's generated toString would print. */
    @Override
    public String toString() {
        return "SupervisorConfig[" + healthUrl() + ", logFile=" + logFile + ", runDir=" + runDir
                + ", workerCommand=" + secretMasker().scrub(workerCommand.toString()) + "]";
    }
}
