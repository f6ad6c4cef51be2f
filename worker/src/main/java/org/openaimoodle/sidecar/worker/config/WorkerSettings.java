package org.openaimoodle.sidecar.worker.config;

import java.util.List;

import org.openaimoodle.sidecar.common.Setting;
import org.openaimoodle.sidecar.common.SharedSettings;

/**
 * The worker's settings table, in the README's order ("Configuration"): one row per setting, read into
 * {@link WorkerConfig} by {@link ConfigLoader}. A new setting is one row here and one component there.
 */
public final class WorkerSettings {
    private static final Setting.Table TABLE = new Setting.Table();

    public static final Setting OPENAI_API_KEY = TABLE.add(SharedSettings.OPENAI_API_KEY);
    public static final Setting OPENAI_BASE_URL = TABLE.add(SharedSettings.OPENAI_BASE_URL);
    public static final Setting OPENAI_MODEL = TABLE.add(Setting.text("OPENAI_MODEL", "gpt-4o-mini", "model name"));
    public static final Setting MAX_TOKENS = TABLE.add(Setting.integer("MAX_TOKENS", 1000, 2, 1_000_000,
            "max_tokens of chat and analyze; summarize uses half"));
    public static final Setting SUMMARIZE_THRESHOLD = TABLE.add(Setting.integer("SUMMARIZE_THRESHOLD", 2000, 1,
            Integer.MAX_VALUE, "chat context longer than this many characters is summarized first"));
    public static final Setting SIDECAR_HOST = TABLE.add(SharedSettings.SIDECAR_HOST);
    public static final Setting SIDECAR_PORT = TABLE.add(SharedSettings.SIDECAR_PORT);
    public static final Setting SIDECAR_REQUEST_TIMEOUT = TABLE.add(SharedSettings.SIDECAR_REQUEST_TIMEOUT);
    public static final Setting SIDECAR_CONNECT_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_CONNECT_TIMEOUT", "5",
            "0.1", "1h", "connect timeout of each upstream connection"));
    public static final Setting SIDECAR_TOKEN = TABLE.add(SharedSettings.SIDECAR_TOKEN);
    public static final Setting SIDECAR_MAX_BODY_BYTES = TABLE.add(Setting.integer("SIDECAR_MAX_BODY_BYTES",
            1024 * 1024, 1024, 4 * 1024 * 1024, "largest /ai body; larger gets 413"));
    public static final Setting SIDECAR_MAX_UPSTREAM_REPLY_BYTES = TABLE.add(Setting.integer(
            "SIDECAR_MAX_UPSTREAM_REPLY_BYTES", 4 * 1024 * 1024, 1024, 8 * 1024 * 1024,
            "largest upstream answer read; a larger one is upstream_error, not retried"));
    public static final Setting SIDECAR_MAX_CONCURRENT_REQUESTS = TABLE.add(Setting.integer(
            "SIDECAR_MAX_CONCURRENT_REQUESTS", 1024, 1, 1_000_000, "/ai requests in flight; more get 503"));
    public static final Setting SIDECAR_MEMORY_BUDGET_PERCENT = TABLE.add(Setting.integer(
            "SIDECAR_MEMORY_BUDGET_PERCENT", 40, 5, 80, "share of the HTTP worker's heap for request bodies and "
                    + "upstream answers in hand; a body with no room gets 503, an answer waits up to 5 s, then 503"));
    public static final Setting SIDECAR_MAX_CONNECTIONS = TABLE.add(Setting.integer("SIDECAR_MAX_CONNECTIONS", 2048,
            2, 1_000_000, "connections held open; over it the one idle the longest is closed, else the new one "
                    + "gets 503"));
    public static final Setting SIDECAR_IDLE_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_IDLE_TIMEOUT", "30",
            "0.1", "1h", "a connection with no request this long after accept or its last answer is closed"));
    public static final Setting SIDECAR_HEADER_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_HEADER_TIMEOUT", "10",
            "0.1", "1h", "request line and headers must be complete this long after their first byte"));
    public static final Setting SIDECAR_ALLOWED_HOSTS = TABLE.add(Setting.list("SIDECAR_ALLOWED_HOSTS", null,
            "Host names served besides loopback names/addresses and SIDECAR_HOST (else 403)"));
    public static final Setting SIDECAR_STREAM_IDLE_TIMEOUT = TABLE.add(Setting.duration("SIDECAR_STREAM_IDLE_TIMEOUT",
            "60", "0.1", "1h", "a /v1 stream whose upstream sends nothing this long is ended with an error event"));
    public static final Setting SIDECAR_MODEL_ALIASES = TABLE.add(Setting.list("SIDECAR_MODEL_ALIASES", null,
            "/v1 model names replaced upstream, e.g. gpt-4o=adorsys,*=adorsys (* for every other name)"));
    public static final Setting SIDECAR_LIMIT_USER_REQUESTS = TABLE.add(Setting.text("SIDECAR_LIMIT_USER_REQUESTS",
            null, "HTTP mode: requests per user as N/<duration>, e.g. 30/1h; more get quota_exceeded"));
    public static final Setting SIDECAR_LIMIT_USER_TOKENS = TABLE.add(Setting.text("SIDECAR_LIMIT_USER_TOKENS",
            null, "HTTP mode: tokens (prompt + completion) per user, e.g. 100000/1d"));
    public static final Setting SIDECAR_LIMIT_SITE_REQUESTS = TABLE.add(Setting.text("SIDECAR_LIMIT_SITE_REQUESTS",
            null, "HTTP mode: requests of all users together, e.g. 2000/1h"));
    public static final Setting SIDECAR_LIMIT_SITE_TOKENS = TABLE.add(Setting.text("SIDECAR_LIMIT_SITE_TOKENS",
            null, "HTTP mode: tokens of all users together, e.g. 5000000/30d"));
    public static final Setting SIDECAR_CACHE_ACTIONS = TABLE.add(Setting.list("SIDECAR_CACHE_ACTIONS",
            "summarize,analyze,moodle/summarise_text,moodle/explain_text",
            "HTTP mode: actions whose replies are shared across users"));
    public static final Setting SIDECAR_CACHE_TTL = TABLE.add(Setting.duration("SIDECAR_CACHE_TTL", "24h", "0",
            "365d", "how long a cached reply is served; 0 turns the cache off"));
    public static final Setting SIDECAR_CACHE_MAX_ENTRIES = TABLE.add(Setting.integer("SIDECAR_CACHE_MAX_ENTRIES",
            10_000, 1, 1_000_000, "replies cached at most (and at most a tenth of the heap)"));
    public static final Setting SIDECAR_USAGE_DB = TABLE.add(SharedSettings.SIDECAR_USAGE_DB);
    public static final Setting SIDECAR_USAGE_RETENTION_DAYS = TABLE.add(Setting.integer(
            "SIDECAR_USAGE_RETENTION_DAYS", 90, 1, 36_500, "usage records older than this many days are deleted"));
    public static final Setting SIDECAR_REDIS_URL = TABLE.add(SharedSettings.SIDECAR_REDIS_URL);
    public static final Setting SIDECAR_REDIS_PREFIX = TABLE.add(SharedSettings.SIDECAR_REDIS_PREFIX);
    public static final Setting SIDECAR_LIMITS_FAIL_CLOSED = TABLE.add(Setting.bool("SIDECAR_LIMITS_FAIL_CLOSED", false,
            "Redis unreachable: false serves without limits (a warning a minute, counted), true answers unavailable"));
    public static final Setting SIDECAR_USAGE_SPOOL_MAX_BYTES = TABLE.add(Setting.integer(
            "SIDECAR_USAGE_SPOOL_MAX_BYTES", 16_777_216, 65_536, 1_073_741_824,
            "stdio mode: bytes of usage records the spool beside the store holds until a worker imports them"));
    public static final Setting SIDECAR_METRICS_MAX_MODELS = TABLE.add(Setting.integer("SIDECAR_METRICS_MAX_MODELS",
            20, 1, 1000, "HTTP mode: distinct model labels in /metrics at most; later models count as other"));
    public static final Setting SIDECAR_PROMPT_CHAT_SYSTEM = TABLE.add(Setting.text("SIDECAR_PROMPT_CHAT_SYSTEM",
            null, "chat's system prompt").shownAs("the original"));
    public static final Setting SIDECAR_PROMPT_SUMMARIZE_SYSTEM = TABLE.add(Setting.text(
            "SIDECAR_PROMPT_SUMMARIZE_SYSTEM", null, "summarize's system prompt").shownAs("the original"));
    public static final Setting SIDECAR_PROMPT_ANALYZE_SYSTEM = TABLE.add(Setting.text(
            "SIDECAR_PROMPT_ANALYZE_SYSTEM", null, "analyze's system prompt").shownAs("the original"));
    public static final Setting SIDECAR_PROMPT_ANALYZE_USER = TABLE.add(Setting.text("SIDECAR_PROMPT_ANALYZE_USER",
            null, "text before the content in analyze's user message").shownAs("the original"));
    public static final Setting SIDECAR_CONFIG = TABLE.add(SharedSettings.SIDECAR_CONFIG);
    public static final Setting SIDECAR_SUPERVISED = TABLE.add(Setting.bool("SIDECAR_SUPERVISED", false,
            "set to 1 by the supervisor: no log timestamps, stdin EOF means the supervisor is gone").shownAs("unset"));
    public static final Setting SIDECAR_WORKER_ID = TABLE.add(SharedSettings.SIDECAR_WORKER_ID);
    public static final Setting SIDECAR_SUPERVISOR_RESTARTS = TABLE.add(SharedSettings.SIDECAR_SUPERVISOR_RESTARTS);

    /** Every worker setting, in order. */
    public static final List<Setting> ALL = TABLE.rows();

    private WorkerSettings() {
    }
}
