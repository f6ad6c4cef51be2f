package org.openaimoodle.sidecar.worker.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * The worker's whole configuration, built once by {@link ConfigLoader} (flags &gt; environment &gt; YAML file
 * &gt; defaults) and never changed afterwards. Each component names the variable that sets it.
 *
 * @param apiKey               {@code OPENAI_API_KEY}: upstream key; empty means /ai answers {@code not_configured}
 * @param chatCompletionsUri   {@code OPENAI_BASE_URL} (default {@code https://api.openai.com/v1}), normalized to
 *                             the full {@code …/chat/completions} endpoint
 * @param model                {@code OPENAI_MODEL} (default {@code gpt-4o-mini})
 * @param maxTokens            {@code MAX_TOKENS} (default 1000): chat and analyze; summarize uses half
 * @param summarizeThreshold   {@code SUMMARIZE_THRESHOLD} (default 2000): chat context longer than this many
 *                             characters is summarized first
 * @param host                 {@code SIDECAR_HOST} (default {@code 127.0.0.1}): bind address
 * @param port                 {@code SIDECAR_PORT} (default 8081): HTTP port
 * @param requestTimeout       {@code SIDECAR_REQUEST_TIMEOUT} (default 25 s): overall deadline of one /ai request,
 *                             below the plugin's 30 s so it gets an answer instead of falling back
 * @param connectTimeout       {@code SIDECAR_CONNECT_TIMEOUT} (default 5 s): TCP/TLS connect timeout upstream
 * @param token                {@code SIDECAR_TOKEN}: if present, /ai requires {@code Authorization: Bearer <token>}
 * @param maxBodyBytes         {@code SIDECAR_MAX_BODY_BYTES} (default 1 MiB): larger /ai bodies get 413
 * @param maxConcurrentRequests {@code SIDECAR_MAX_CONCURRENT_REQUESTS} (default 1024, held with the default heap):
 *                             /ai requests in flight
 *                             beyond this get 503 + Retry-After instead of queueing
 * @param maxConnections       {@code SIDECAR_MAX_CONNECTIONS} (default 2048): connections held open; a new one
 *                             over the cap closes the one idle the longest (else it gets 503)
 * @param idleTimeout          {@code SIDECAR_IDLE_TIMEOUT} (default 30 s): a connection with no request for this
 *                             long (after accept or its last answer) is closed
 * @param headerTimeout        {@code SIDECAR_HEADER_TIMEOUT} (default 10 s): a request head (request line and
 *                             headers) not complete this long after its first byte closes the connection
 * @param allowedHosts         {@code SIDECAR_ALLOWED_HOSTS} (default none): comma-separated host names accepted
 *                             in the {@code Host} header besides loopback names/addresses and SIDECAR_HOST
 * @param prompts              the action prompts ({@code SIDECAR_PROMPT_*})
 * @param httpMode             {@code --http-mode}: serve HTTP instead of stdio
 * @param supervised           {@code SIDECAR_SUPERVISED=1}: started by the supervisor (no log timestamps,
 *                             stdin EOF means the supervisor is gone)
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
        int maxConnections,
        Duration idleTimeout,
        Duration headerTimeout,
        java.util.List<String> allowedHosts,
        Prompts prompts,
        boolean httpMode,
        boolean supervised) {

    /** Never prints the key or the token. */
    @Override
    public String toString() {
        return "WorkerConfig[apiKey=" + (apiKey.isPresent() ? "set" : "none") + ", uri=" + chatCompletionsUri
                + ", model=" + model + ", maxTokens=" + maxTokens + ", summarizeThreshold=" + summarizeThreshold
                + ", host=" + host + ", port=" + port + ", requestTimeout=" + requestTimeout
                + ", token=" + (token.isPresent() ? "set" : "none") + ", httpMode=" + httpMode + "]";
    }
}
