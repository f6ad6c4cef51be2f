package org.openaimoodle.sidecar.worker.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/**
 * Replies shared across users ({@code SIDECAR_CACHE_*}), in Caffeine, for one node. Identical requests in flight at
 * the same moment share one upstream call: the first one runs it on its own thread, the others wait for its
 * future. Only replies that {@code keep} accepts stay (never failures); the others are handed to the requests that
 * waited for them and dropped.
 *
 * <p>Bounded twice by one weigher: at most {@code maxEntries} replies and at most {@code maxBytes} of them. An
 * entry weighs {@code max(1, ceil(bytes × maxEntries / maxBytes))} out of a total weight of {@code maxEntries},
 * so small replies count one entry each and large ones take their share of the byte bound.
 */
public final class ReplyCache {
    private final AsyncCache<CacheKey, Sized> cache;
    private final Metrics metrics;

    /** A cacheable reply knows its size. */
    public interface Sized {
        /** @return the bytes the reply holds on the heap, about */
        long bytes();
    }

    /**
     * @param ttl        how long a reply is served after it was stored
     * @param maxEntries replies held at most
     * @param maxBytes   bytes of replies held at most
     */
    public ReplyCache(Duration ttl, int maxEntries, long maxBytes) {
        this(ttl, maxEntries, maxBytes, Metrics.NONE);
    }

    /**
     * As above, counting each lookup's result (hit, miss, coalesced) in {@code metrics}.
     *
     * @param metrics where lookups are counted
     */
    public ReplyCache(Duration ttl, int maxEntries, long maxBytes, Metrics metrics) {
        this.metrics = metrics;
        this.cache = Caffeine.newBuilder()
                .expireAfterWrite(ttl)
                .maximumWeight(maxEntries)
                .<CacheKey, Sized>weigher((key, reply) -> weight(reply.bytes(), maxEntries, maxBytes))
                .buildAsync();
    }

    static int weight(long bytes, int maxEntries, long maxBytes) {
        double share = Math.ceil((double) bytes * maxEntries / maxBytes);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, share));
    }

    /**
     * @param key the request's key
     * @param <V> the reply type
     * @return the reply stored for {@code key}, counted as a hit; empty (and not counted: {@link #get} counts what
     *         follows) when there is none or it is still on its way
     */
    @SuppressWarnings("unchecked")
    public <V extends Sized> java.util.Optional<V> stored(CacheKey key) {
        CompletableFuture<Sized> entry = cache.getIfPresent(key);
        // A future in the map that is done holds a kept reply: failures and rejected replies leave before completing.
        if (entry == null || !entry.isDone() || entry.isCompletedExceptionally()) {
            return java.util.Optional.empty();
        }
        metrics.cacheLookup(Metrics.CacheLookup.HIT);
        return java.util.Optional.of((V) entry.join());
    }

    /**
     * @param key  the request's key
     * @param call the upstream work, run only when no equal reply is stored or on its way
     * @param keep whether a reply may be stored (a success)
     * @param <V>  the reply type
     * @return the reply, {@code cached} when another request paid for it
     * @throws UpstreamException the upstream failure of the call this request ran or waited for
     */
    @SuppressWarnings("unchecked")
    public <V extends Sized> Served<V> get(CacheKey key, Call<V> call, Predicate<V> keep) throws UpstreamException {
        CompletableFuture<Sized> mine = new CompletableFuture<>();
        CompletableFuture<Sized> prior = cache.asMap().putIfAbsent(key, mine);
        if (prior != null) {
            metrics.cacheLookup(prior.isDone() ? Metrics.CacheLookup.HIT : Metrics.CacheLookup.COALESCED);
            try {
                // The request that runs the call ends it by its deadline, so this wait is bounded too.
                return new Served<>((V) prior.join(), true);
            } catch (CompletionException e) {
                if (e.getCause() instanceof UpstreamException upstream) {
                    throw upstream;
                }
                throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
            }
        }
        metrics.cacheLookup(Metrics.CacheLookup.MISS);
        V reply;
        try {
            reply = call.get();
        } catch (UpstreamException | RuntimeException | Error e) {
            cache.asMap().remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
        if (!keep.test(reply)) {
            cache.asMap().remove(key, mine);
        }
        mine.complete(reply);
        return new Served<>(reply, false);
    }
}
