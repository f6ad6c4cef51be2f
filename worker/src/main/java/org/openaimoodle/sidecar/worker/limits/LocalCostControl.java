package org.openaimoodle.sidecar.worker.limits;

import java.util.Set;
import java.util.function.Predicate;

import io.github.bucket4j.TimeMeter;
import org.openaimoodle.sidecar.worker.cache.Call;
import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/** {@link CostControl} of one HTTP worker: buckets and cache in this process (no Redis). */
public final class LocalCostControl implements CostControl {
    /** Share of the maximum heap the cached replies may take. */
    static final int CACHE_HEAP_PERCENT = 10;

    private final UsageLimits limits;
    private final ReplyCache cache;
    private final Set<String> cachedActions;

    LocalCostControl(UsageLimits limits, ReplyCache cache, Set<String> cachedActions) {
        this.limits = limits;
        this.cache = cache;
        this.cachedActions = cache == null ? Set.of() : cachedActions;
    }

    /**
     * @return the cost control the configuration asks for, on the system clock and this heap, its buckets rebuilt
     *         from the usage store's records of the last limit window
     */
    public static CostControl of(WorkerConfig config) {
        return of(config, Metrics.NONE);
    }

    /** @return as {@link #of(WorkerConfig)}, counting refusals and cache lookups in {@code metrics} */
    public static CostControl of(WorkerConfig config, Metrics metrics) {
        UsageLimits limits = new UsageLimits(config.limitUserRequests(), config.limitUserTokens(),
                config.limitSiteRequests(), config.limitSiteTokens(), TimeMeter.SYSTEM_NANOTIME, metrics);
        LimitReplay.replay(limits, config.usageDb()); // limits survive a restart: what earlier runs served counts
        ReplyCache cache = replyCache(config, metrics);
        if (!limits.any() && cache == null) {
            return NONE;
        }
        return new LocalCostControl(limits, cache, Set.copyOf(config.cacheActions()));
    }

    /**
     * @param metrics where lookups are counted
     * @return this node's reply cache as configured, on this heap; null when SIDECAR_CACHE_TTL is 0
     */
    public static ReplyCache replyCache(WorkerConfig config, Metrics metrics) {
        return config.cacheTtl().isZero() ? null : new ReplyCache(config.cacheTtl(), config.cacheMaxEntries(),
                Runtime.getRuntime().maxMemory() / 100 * CACHE_HEAP_PERCENT, metrics);
    }

    @Override
    public void admit(String user) throws QuotaExceeded {
        limits.admit(user);
    }

    @Override
    public void admitRequests(String user) throws QuotaExceeded {
        limits.takeRequests(user);
    }

    @Override
    public void requireTokens(String user) throws QuotaExceeded {
        limits.requireTokens(user);
    }

    @Override
    public void refundRequests(String user) {
        limits.refundRequests(user);
    }

    @Override
    public <V extends ReplyCache.Sized> java.util.Optional<V> stored(CacheKey key) {
        return cache == null ? java.util.Optional.empty() : cache.stored(key);
    }

    @Override
    public void charge(String user, long tokens) {
        limits.charge(user, tokens);
    }

    @Override
    public boolean caches(String action) {
        return action != null && cachedActions.contains(action);
    }

    @Override
    public <V extends ReplyCache.Sized> Served<V> cached(CacheKey key, ReplyCodec<V> codec, Call<V> call,
                                                         Predicate<V> keep) throws UpstreamException {
        return cache == null ? new Served<>(call.get(), false) : cache.get(key, call, keep);
    }
}
