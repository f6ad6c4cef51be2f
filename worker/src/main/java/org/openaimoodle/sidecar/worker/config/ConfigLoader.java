package org.openaimoodle.sidecar.worker.config;

import static org.openaimoodle.sidecar.worker.config.WorkerSettings.*;

import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.common.ConfigSources;
import org.openaimoodle.sidecar.common.Setting;
import org.openaimoodle.sidecar.worker.limits.LimitSpec;
import org.openaimoodle.sidecar.common.usage.UsageStoreLocation;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget;
import org.openaimoodle.sidecar.worker.openai.ModelAliases;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsUrl;

/**
 * Builds the {@link WorkerConfig} from {@link WorkerSettings} through {@link ConfigSources}: flags &gt;
 * environment &gt; YAML file &gt; defaults. The file is shared with the supervisor (docs/internals.md); keys the
 * worker does not know are left for it.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    /**
     * @param flags the parsed command line
     * @param env   the process environment
     * @return the validated configuration
     * @throws ConfigException naming the variable, where the value came from and what is expected
     */
    public static WorkerConfig load(CommandLineFlags flags, Map<String, String> env) {
        ConfigSources sources = ConfigSources.of(flags.values(), env);
        Prompts original = Prompts.ORIGINAL;
        WorkerConfig config = new WorkerConfig(
                sources.optionalText(OPENAI_API_KEY),
                sources.parsed(OPENAI_BASE_URL, () -> ChatCompletionsUrl.normalize(sources.text(OPENAI_BASE_URL)),
                        "an http:// or https:// URL with a host, e.g. https://api.openai.com/v1"),
                sources.text(OPENAI_MODEL),
                sources.integer(MAX_TOKENS),
                sources.integer(SUMMARIZE_THRESHOLD),
                sources.text(SIDECAR_HOST),
                sources.integer(SIDECAR_PORT),
                sources.duration(SIDECAR_REQUEST_TIMEOUT),
                sources.duration(SIDECAR_CONNECT_TIMEOUT),
                sources.optionalText(SIDECAR_TOKEN),
                sources.integer(SIDECAR_MAX_BODY_BYTES),
                sources.integer(SIDECAR_MAX_CONCURRENT_REQUESTS),
                sources.integer(SIDECAR_MEMORY_BUDGET_PERCENT),
                sources.integer(SIDECAR_MAX_UPSTREAM_REPLY_BYTES),
                sources.integer(SIDECAR_MAX_CONNECTIONS),
                sources.duration(SIDECAR_IDLE_TIMEOUT),
                sources.duration(SIDECAR_HEADER_TIMEOUT),
                sources.list(SIDECAR_ALLOWED_HOSTS),
                sources.duration(SIDECAR_STREAM_IDLE_TIMEOUT),
                sources.parsed(SIDECAR_MODEL_ALIASES, () -> ModelAliases.parse(sources.list(SIDECAR_MODEL_ALIASES)),
                        "comma-separated name=model entries, e.g. gpt-4o=adorsys,*=adorsys"),
                limit(sources, SIDECAR_LIMIT_USER_REQUESTS),
                limit(sources, SIDECAR_LIMIT_USER_TOKENS),
                limit(sources, SIDECAR_LIMIT_SITE_REQUESTS),
                limit(sources, SIDECAR_LIMIT_SITE_TOKENS),
                sources.list(SIDECAR_CACHE_ACTIONS),
                sources.duration(SIDECAR_CACHE_TTL),
                sources.integer(SIDECAR_CACHE_MAX_ENTRIES),
                UsageStoreLocation.path(sources.optionalText(SIDECAR_USAGE_DB), env),
                sources.integer(SIDECAR_USAGE_RETENTION_DAYS),
                redisUrl(sources),
                sources.text(SIDECAR_REDIS_PREFIX),
                sources.bool(SIDECAR_LIMITS_FAIL_CLOSED),
                sources.integer(SIDECAR_USAGE_SPOOL_MAX_BYTES),
                new Prompts(
                        sources.optionalText(SIDECAR_PROMPT_CHAT_SYSTEM).orElse(original.chatSystem()),
                        sources.optionalText(SIDECAR_PROMPT_SUMMARIZE_SYSTEM).orElse(original.summarizeSystem()),
                        sources.optionalText(SIDECAR_PROMPT_ANALYZE_SYSTEM).orElse(original.analyzeSystem()),
                        sources.optionalText(SIDECAR_PROMPT_ANALYZE_USER).orElse(original.analyzeUserIntro())),
                flags.httpMode(),
                sources.bool(SIDECAR_SUPERVISED),
                sources.optionalText(SIDECAR_WORKER_ID),
                sources.integer(SIDECAR_METRICS_MAX_MODELS),
                sources.integer(SIDECAR_SUPERVISOR_RESTARTS));
        requireBudgetFits(config, sources, Runtime.getRuntime().maxMemory());
        return config;
    }

    /** The URL as configured, checked here (no Redis class is loaded for it) so a typo stops the start. */
    private static Optional<String> redisUrl(ConfigSources sources) {
        return sources.parsed(SIDECAR_REDIS_URL, () -> {
            Optional<String> url = sources.optionalText(SIDECAR_REDIS_URL);
            url.ifPresent(org.openaimoodle.sidecar.common.redis.RedisAddress::parse);
            return url;
        }, org.openaimoodle.sidecar.common.redis.RedisAddress.EXPECTED);
    }

    private static Optional<LimitSpec> limit(ConfigSources sources, Setting setting) {
        return sources.parsed(setting, () -> sources.optionalText(setting).map(LimitSpec::parse), LimitSpec.EXPECTED);
    }

    /** The HTTP worker's budget must hold a request at the documented limits, or such a request never succeeds. */
    static void requireBudgetFits(WorkerConfig config, ConfigSources sources, long maxHeap) {
        int needed = MemoryBudget.smallestPercent(maxHeap, config.maxBodyBytes(), config.maxUpstreamReplyBytes());
        if (config.httpMode() && config.memoryBudgetPercent() < needed) {
            throw sources.invalid(SIDECAR_MEMORY_BUDGET_PERCENT, "at least " + needed + " with this heap ("
                    + maxHeap / (1024 * 1024) + " MiB) to hold one SIDECAR_MAX_BODY_BYTES body and one "
                    + "SIDECAR_MAX_UPSTREAM_REPLY_BYTES answer; raise it, lower those, or give the worker more heap "
                    + "(-Xmx in SIDECAR_WORKER_JAVA_OPTS)");
        }
    }
}
