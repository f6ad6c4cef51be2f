package org.openaimoodle.sidecar.common;

import java.time.Duration;

/**
 * The settings both programs read, written once; each module's table includes the ones it uses. Also the
 * rule that ties the supervisor's stop timeout to the worker's drain, since both sides must agree on it.
 */
public final class SharedSettings {
    /** The optional flat YAML file (keys are the variable names); it cannot name itself. */
    public static final Setting SIDECAR_CONFIG = Setting.text("SIDECAR_CONFIG", null,
            "the YAML config file (flag --config)");
    /** The upstream key: the worker sends it, the supervisor only masks it. */
    public static final Setting OPENAI_API_KEY = Setting.secret("OPENAI_API_KEY",
            "upstream API key; without it /ai answers not_configured");
    /** The upstream base URL; may carry credentials (user:password), which are never shown. */
    public static final Setting OPENAI_BASE_URL = Setting.text("OPENAI_BASE_URL", "https://api.openai.com/v1",
            "upstream base URL, or a full …/chat/completions URL");
    /** The bearer token /ai requires, if set. */
    public static final Setting SIDECAR_TOKEN = Setting.secret("SIDECAR_TOKEN",
            "if set, /ai requires Authorization: Bearer <token>");
    /** Where the worker listens (and the supervisor probes). */
    public static final Setting SIDECAR_HOST = Setting.text("SIDECAR_HOST", "127.0.0.1",
            "the worker's bind address");
    /** The worker's HTTP port. */
    public static final Setting SIDECAR_PORT = Setting.port("SIDECAR_PORT", 8081, "the worker's HTTP port");
    /** Deadline of one /ai request; also bounds the worker's drain, so the supervisor's stop timeout follows it. */
    public static final Setting SIDECAR_REQUEST_TIMEOUT = Setting.duration("SIDECAR_REQUEST_TIMEOUT", "25", "0.1",
            "1h", "overall deadline of one /ai request");
    /** The usage store the worker writes and {@code sidecarctl usage} reads; computed when unset. */
    public static final Setting SIDECAR_USAGE_DB = Setting.text("SIDECAR_USAGE_DB", null,
            "usage store (SQLite file); state dir /var/lib/openai-sidecar when writable, else "
                    + "$XDG_STATE_HOME/openai-sidecar").shownAs("<state dir>/usage.db");
    /**
     * Redis shared by every sidecar of the site: limits, cache and usage; {@code sidecarctl usage} reads it. A
     * secret setting, since the URL may carry the Redis password.
     */
    public static final Setting SIDECAR_REDIS_URL = Setting.secret("SIDECAR_REDIS_URL",
            "redis://[:password@]host:port[/db] or rediss://: limits, cache and usage shared by every sidecar of "
                    + "the site");
    /** The prefix of every key the sidecars keep in Redis, so that several sites may share one Redis. */
    public static final Setting SIDECAR_REDIS_PREFIX = Setting.text("SIDECAR_REDIS_PREFIX", "openai-sidecar:",
            "key prefix in Redis");
    /** The id the supervisor gives each worker it starts; the worker echoes it in its /health answer. */
    public static final Setting SIDECAR_WORKER_ID = Setting.text("SIDECAR_WORKER_ID", null,
            "set by the supervisor for each worker; /health echoes it in X-Sidecar-Worker-Id").shownAs("unset");
    /** How often the supervisor had restarted the worker before it started this one; /metrics shows it. */
    public static final Setting SIDECAR_SUPERVISOR_RESTARTS = Setting.integer("SIDECAR_SUPERVISOR_RESTARTS", 0, 0,
            Integer.MAX_VALUE, "set by the supervisor for each worker: its restarts so far, shown by /metrics");

    /** What the worker's drain may take beyond the request deadline (the last replies being written). */
    private static final Duration DRAIN_MARGIN = Duration.ofSeconds(1);
    /** What a stop waits beyond the request deadline: the drain plus the JVM's exit. */
    private static final Duration STOP_MARGIN = Duration.ofSeconds(5);

    private SharedSettings() {
    }

    /**
     * @param requestTimeout SIDECAR_REQUEST_TIMEOUT
     * @return how long the worker waits for requests in flight after SIGTERM
     */
    public static Duration drainBudget(Duration requestTimeout) {
        return requestTimeout.plus(DRAIN_MARGIN);
    }

    /**
     * @param requestTimeout SIDECAR_REQUEST_TIMEOUT
     * @return SIDECAR_STOP_TIMEOUT's default: longer than the drain, so a stop does not cut requests
     */
    public static Duration defaultStopTimeout(Duration requestTimeout) {
        return requestTimeout.plus(STOP_MARGIN);
    }
}
