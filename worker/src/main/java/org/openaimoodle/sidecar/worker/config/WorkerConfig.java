package org.openaimoodle.sidecar.worker.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.common.SharedSettings;
import org.openaimoodle.sidecar.worker.limits.LimitSpec;
import org.openaimoodle.sidecar.worker.openai.ModelAliases;

/**
 * The worker's whole configuration, built once by {@link ConfigLoader} from {@link WorkerSettings} (flags &gt;
 * environment &gt; YAML file &gt; defaults) and never changed afterwards. Each component names the variable
 * that sets it; the table holds defaults and ranges.
 *
 * @param apiKey               {@code OPENAI_API_KEY}: upstream key; empty means /ai answers {@code not_configured}
 * @param chatCompletionsUri   {@code OPENAI_BASE_URL} (default {@code https://api.openai.com/v1}), normalized to
 *                             the full {@code …/chat/completions} endpoint; may carry credentials, so print
 *                             {@link #upstreamShown()} instead
 * @param model                {@code OPENAI_MODEL} (default {@code gpt-4o-mini})
 * @param maxTokens            {@code MAX_TOKENS} (default 1000): chat and analyze; summarize uses half
 * @param summarizeThreshold   {@code SUMMARIZE_THRESHOLD} (default 2000): chat context longer than this many
 *                             characters is summarized first
 * @param host                 {@code SIDECAR_HOST} (default {@code 127.0.0.1}): bind address
 * @param port                 {@code SIDECAR_PORT} (default 8081): HTTP port
 * @param requestTimeout       {@code SIDECAR_REQUEST_TIMEOUT} (default 25 s): overall deadline of one /ai request,
 *                             below the plugin's 30 s so it gets an answer instead of falling back; the drain
 *                             on SIGTERM waits {@link #drainBudget()}
 * @param connectTimeout       {@code SIDECAR_CONNECT_TIMEOUT} (default 5 s): TCP/TLS connect timeout upstream
 * @param token                {@code SIDECAR_TOKEN}: if present, /ai requires {@code Authorization: Bearer <token>}
 * @param maxBodyBytes         {@code SIDECAR_MAX_BODY_BYTES} (default 1 MiB, 1 KiB to 4 MiB): larger /ai bodies
 *                             get 413; the upper end, with an answer of the largest size, fits the stdio heap
 * @param maxConcurrentRequests {@code SIDECAR_MAX_CONCURRENT_REQUESTS} (default 1024, held with the default heap):
 *                             /ai requests in flight
 *                             beyond this get 503 + Retry-After instead of queueing
 * @param memoryBudgetPercent {@code SIDECAR_MEMORY_BUDGET_PERCENT} (default 40, 5 to 80): the share of the HTTP
 *                             worker's maximum heap that request bodies and upstream answers may take at once,
 *                             their copies included ({@code MemoryBudget}); it must hold one body of
 *                             {@code maxBodyBytes} in its half for bodies and one answer of
 *                             {@code maxUpstreamReplyBytes}
 * @param maxUpstreamReplyBytes {@code SIDECAR_MAX_UPSTREAM_REPLY_BYTES} (default 4 MiB, 1 KiB to 8 MiB): an
 *                             upstream answer larger than this is not read further and fails as
 *                             {@code upstream_error}; the upper end still fits the stdio worker's heap
 * @param maxConnections       {@code SIDECAR_MAX_CONNECTIONS} (default 2048): connections held open; a new one
 *                             over the cap closes the one idle the longest (else it gets 503)
 * @param idleTimeout          {@code SIDECAR_IDLE_TIMEOUT} (default 30 s): a connection with no request for this
 *                             long (after accept or its last answer) is closed
 * @param headerTimeout        {@code SIDECAR_HEADER_TIMEOUT} (default 10 s): a request head (request line and
 *                             headers) not complete this long after its first byte closes the connection
 * @param allowedHosts         {@code SIDECAR_ALLOWED_HOSTS} (default none): comma-separated host names accepted
 *                             in the {@code Host} header besides loopback names/addresses and SIDECAR_HOST
 * @param streamIdleTimeout    {@code SIDECAR_STREAM_IDLE_TIMEOUT} (default 60 s, 0.1 s to 1 h): a /v1 stream whose
 *                             upstream is silent this long (between two reads) is ended with an error event
 * @param modelAliases         {@code SIDECAR_MODEL_ALIASES} (default none): /v1 model names replaced upstream
 * @param limitUserRequests    {@code SIDECAR_LIMIT_USER_REQUESTS} (default none): requests per user, HTTP mode
 * @param limitUserTokens      {@code SIDECAR_LIMIT_USER_TOKENS} (default none): tokens per user, HTTP mode
 * @param limitSiteRequests    {@code SIDECAR_LIMIT_SITE_REQUESTS} (default none): requests of all users, HTTP mode
 * @param limitSiteTokens      {@code SIDECAR_LIMIT_SITE_TOKENS} (default none): tokens of all users, HTTP mode
 * @param cacheActions         {@code SIDECAR_CACHE_ACTIONS}: actions whose replies are shared across users
 * @param cacheTtl             {@code SIDECAR_CACHE_TTL} (default 24 h, 0 = no cache): how long a reply is served
 * @param cacheMaxEntries      {@code SIDECAR_CACHE_MAX_ENTRIES} (default 10000): replies cached at most
 * @param usageDb              {@code SIDECAR_USAGE_DB} (default {@code <state dir>/usage.db}): the usage store
 * @param usageRetentionDays   {@code SIDECAR_USAGE_RETENTION_DAYS} (default 90, 1 to 36500): older usage records
 *                             are deleted when the store is opened and daily after
 * @param redisUrl             {@code SIDECAR_REDIS_URL} (default none): Redis shared by every sidecar of the site
 *                             for limits, cache and usage (HTTP mode); a secret, since it may hold the password
 * @param redisPrefix          {@code SIDECAR_REDIS_PREFIX} (default {@code openai-sidecar:}): the key prefix in Redis
 * @param limitsFailClosed     {@code SIDECAR_LIMITS_FAIL_CLOSED} (default false): with Redis unreachable, answer
 *                             {@code unavailable} instead of serving without limits
 * @param usageSpoolMaxBytes   {@code SIDECAR_USAGE_SPOOL_MAX_BYTES} (default 16 MiB, 64 KiB to 1 GiB): stdio mode
 *                             appends its usage records to {@code <usage db>.spool} instead of opening the store;
 *                             beyond this size they are dropped and counted until a worker imports the spool
 * @param prompts              the action prompts ({@code SIDECAR_PROMPT_*})
 * @param httpMode             {@code --http-mode}: serve HTTP instead of stdio
 * @param supervised           {@code SIDECAR_SUPERVISED=1}: started by the supervisor (no log timestamps,
 *                             stdin EOF means the supervisor is gone)
 * @param workerId             {@code SIDECAR_WORKER_ID}: the id the supervisor gave this worker, if any
 * @param metricsMaxModels     {@code SIDECAR_METRICS_MAX_MODELS} (default 20, 1 to 1000): distinct model labels
 *                             of {@code sidecar_tokens_total} at most
 * @param supervisorRestarts   {@code SIDECAR_SUPERVISOR_RESTARTS} (default 0): the supervisor's restarts of the
 *                             worker before this one, for {@code sidecar_worker_restarts_total}
 */
public record WorkerConfig(
        Optional<String> apiKey,
        URI chatCompletionsUri,
        String model,
        int maxTokens,
        int summarizeThreshold,
        String host,
        int port,
        Duration requestTimeout,
        Duration connectTimeout,
        Optional<String> token,
        int maxBodyBytes,
        int maxConcurrentRequests,
        int memoryBudgetPercent,
        int maxUpstreamReplyBytes,
        int maxConnections,
        Duration idleTimeout,
        Duration headerTimeout,
        java.util.List<String> allowedHosts,
        Duration streamIdleTimeout,
        ModelAliases modelAliases,
        Optional<LimitSpec> limitUserRequests,
        Optional<LimitSpec> limitUserTokens,
        Optional<LimitSpec> limitSiteRequests,
        Optional<LimitSpec> limitSiteTokens,
        java.util.List<String> cacheActions,
        Duration cacheTtl,
        int cacheMaxEntries,
        java.nio.file.Path usageDb,
        int usageRetentionDays,
        Optional<String> redisUrl,
        String redisPrefix,
        boolean limitsFailClosed,
        int usageSpoolMaxBytes,
        Prompts prompts,
        boolean httpMode,
        boolean supervised,
        Optional<String> workerId,
        int metricsMaxModels,
        int supervisorRestarts) {

    /** @return the masker for this configuration's secrets: API key, token, base URL and Redis URL credentials */
    public SecretMasker secretMasker() {
        String[] url = SecretMasker.urlCredentials(chatCompletionsUri.toString());
        String[] redis = SecretMasker.urlCredentials(redisUrl.orElse(null));
        return SecretMasker.of(apiKey.orElse(null), token.orElse(null), url.length > 0 ? url[0] : null,
                url.length > 1 ? url[1] : null, redis.length > 0 ? redis[0] : null, redis.length > 1 ? redis[1] : null);
    }

    /** @return the upstream endpoint as it may be printed: without credentials */
    public String upstreamShown() {
        return SecretMasker.none().scrub(chatCompletionsUri.toString());
    }

    /** @return how long a SIGTERM drain waits for requests in flight (the supervisor's stop timeout exceeds it) */
    public Duration drainBudget() {
        return SharedSettings.drainBudget(requestTimeout);
    }

    /** Never prints the key, the token or credentials in the URL. */
    @Override
    public String toString() {
        return "WorkerConfig[apiKey=" + (apiKey.isPresent() ? "set" : "none") + ", uri=" + upstreamShown()
                + ", model=" + model + ", maxTokens=" + maxTokens + ", summarizeThreshold=" + summarizeThreshold
                + ", host=" + host + ", port=" + port + ", requestTimeout=" + requestTimeout
                + ", token=" + (token.isPresent() ? "set" : "none") + ", httpMode=" + httpMode + "]";
    }
}
