package org.openaimoodle.sidecar.worker.limits;

import java.util.function.Predicate;
import java.util.function.ToLongFunction;

import org.openaimoodle.sidecar.worker.cache.Call;
import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/**
 * Usage limits and the shared reply cache, the one place /ai ({@code ActionService}) and /v1
 * ({@code OpenAiEndpoint}) pass before the upstream. HTTP mode uses {@link LocalCostControl}; stdio mode answers
 * one request per process, where local buckets and a local cache mean nothing, so it uses {@link #NONE} and
 * never loads Bucket4j, Caffeine or the Redis client. With {@code SIDECAR_REDIS_URL}, HTTP mode uses
 * {@code RedisCostControl}: the same limits and cache, shared by every node of the site.
 */
public interface CostControl {
    /** Identity of a request that names no user. */
    String ANONYMOUS = "anonymous";

    /** No limits, no cache. */
    CostControl NONE = new CostControl() {
        @Override
        public void admit(String user) {
        }

        @Override
        public void charge(String user, long tokens) {
        }

        @Override
        public boolean caches(String action) {
            return false;
        }

        @Override
        public <V extends ReplyCache.Sized> Served<V> cached(CacheKey key, ReplyCodec<V> codec, Call<V> call,
                                                             Predicate<V> keep) throws UpstreamException {
            return new Served<>(call.get(), false);
        }
    };

    /** @return the identity limits count under: {@code user}, or {@link #ANONYMOUS} when null or empty */
    static String identity(String user) {
        return user == null || user.isEmpty() ? ANONYMOUS : user;
    }

    /**
     * @param user the identity
     * @throws QuotaExceeded     when a limit refuses the request (it must then not go upstream)
     * @throws UpstreamException ({@link UpstreamException.Kind#BUSY}, answered {@code unavailable}) when the limits
     *                           cannot be checked and SIDECAR_LIMITS_FAIL_CLOSED asks to refuse rather than serve
     */
    void admit(String user) throws QuotaExceeded, UpstreamException;

    /**
     * The request half of {@link #admit}: takes one from each request limit, and leaves the token limits to
     * {@link #requireTokens} (a reply the cache holds is served without them). Without an override, this is
     * {@link #admit} whole.
     *
     * @param user the identity
     * @throws QuotaExceeded     when a request limit refuses the request
     * @throws UpstreamException when the limits cannot be checked and SIDECAR_LIMITS_FAIL_CLOSED asks to refuse
     */
    default void admitRequests(String user) throws QuotaExceeded, UpstreamException {
        admit(user);
    }

    /**
     * The token half of {@link #admit}, for a request the cache cannot answer.
     *
     * @param user the identity
     * @throws QuotaExceeded     when a token limit has nothing left
     * @throws UpstreamException when the limits cannot be checked and SIDECAR_LIMITS_FAIL_CLOSED asks to refuse
     */
    default void requireTokens(String user) throws QuotaExceeded, UpstreamException {
    }

    /** Gives back what {@link #admitRequests} took, for a request that was then refused by a token limit. */
    default void refundRequests(String user) {
    }

    /**
     * @param key the request's cache key
     * @param <V> the reply type
     * @return the reply the cache holds for {@code key}, complete (not one still in flight), if any
     */
    default <V extends ReplyCache.Sized> java.util.Optional<V> stored(CacheKey key) {
        return java.util.Optional.empty();
    }

    /**
     * A reply a cache shared with other nodes holds for {@code key} (beyond {@link #stored}): asked only for a user
     * whose tokens are used up, so that the usual path makes no extra round trip. Without an override: none.
     *
     * @param codec how the reply is stored outside this process
     */
    default <V extends ReplyCache.Sized> java.util.Optional<V> storedShared(CacheKey key, ReplyCodec<V> codec) {
        return java.util.Optional.empty();
    }

    /** Charges a served request's total tokens to the token limits (nothing for a cached reply). */
    void charge(String user, long tokens);

    /** @return whether replies of {@code action} ({@code summarize}, {@code moodle/summarise_text}) are cached */
    boolean caches(String action);

    /**
     * @param codec how the reply is stored outside this process (Redis); unused by the in-process cache
     * @return the reply for {@code key}: stored, shared with an identical request in flight, or from {@code call}
     */
    <V extends ReplyCache.Sized> Served<V> cached(CacheKey key, ReplyCodec<V> codec, Call<V> call, Predicate<V> keep)
            throws UpstreamException;

    /**
     * The whole path of a request that is not a stream: the request limits, then a reply the cache holds (served
     * even when the user's tokens are used up: DESIGN.md, "request limits still count it, token limits do not"),
     * else the token limits, then the cache or the call, then the charge for a reply that was not cached.
     *
     * @param user   the identity
     * @param key    the cache key, or null when the action is not cached
     * @param codec  how a reply is stored outside this process
     * @param call   the upstream work
     * @param keep   whether a reply may be cached
     * @param tokens the total tokens of a reply
     * @param <V>    the reply type
     * @return the reply and whether it was cached
     * @throws QuotaExceeded     refused by a limit; the upstream was not called
     * @throws UpstreamException the upstream failed, or the limits could not be checked (fail-closed)
     */
    default <V extends ReplyCache.Sized> Served<V> serve(String user, CacheKey key, ReplyCodec<V> codec, Call<V> call,
                                                        Predicate<V> keep, ToLongFunction<V> tokens)
            throws QuotaExceeded, UpstreamException {
        admitRequests(user);
        if (key != null) {
            java.util.Optional<V> stored = stored(key);
            if (stored.isPresent()) {
                return new Served<>(stored.get(), true);
            }
        }
        try {
            requireTokens(user);
        } catch (QuotaExceeded e) {
            java.util.Optional<V> shared = key == null ? java.util.Optional.empty() : storedShared(key, codec);
            if (shared.isPresent()) {
                return new Served<>(shared.get(), true); // a cached reply costs no tokens; the request counted
            }
            refundRequests(user);
            throw e;
        }
        Served<V> served = key == null ? new Served<>(call.get(), false) : cached(key, codec, call, keep);
        if (!served.cached()) {
            charge(user, tokens.applyAsLong(served.value()));
        }
        return served;
    }
}
