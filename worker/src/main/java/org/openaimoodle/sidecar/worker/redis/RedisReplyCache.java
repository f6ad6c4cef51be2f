package org.openaimoodle.sidecar.worker.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.Call;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;

/**
 * The reply cache shared by every node: a reply is stored in Redis under {@code <prefix>cache:<key hex>} for
 * SIDECAR_CACHE_TTL, so a reply paid for on node A is served on node B. In front of it stays this node's
 * {@link ReplyCache}: identical requests in flight on one node share one Redis look-up and one upstream call, and
 * a reply seen here once is served without a round trip. (Identical requests in flight on two nodes at the same
 * moment each make their call: there is no lock across nodes.) Replies larger than {@link #MAX_VALUE_BYTES}
 * encoded are kept on this node only. Redis failing costs the shared part only: the node's own cache goes on.
 */
final class RedisReplyCache {
    /** Largest encoded reply stored in Redis (a whole answer is at most SIDECAR_MAX_UPSTREAM_REPLY_BYTES). */
    static final int MAX_VALUE_BYTES = 1024 * 1024;

    private final UnifiedJedis redis;
    private final String prefix;
    private final Duration ttl;
    private final ReplyCache local;
    private final RedisOutage outage;

    /**
     * @param redis  the client
     * @param prefix SIDECAR_REDIS_PREFIX
     * @param ttl    SIDECAR_CACHE_TTL, not zero
     * @param local  this node's cache
     * @param outage where failures are counted
     */
    RedisReplyCache(UnifiedJedis redis, String prefix, Duration ttl, ReplyCache local, RedisOutage outage) {
        this.redis = redis;
        this.prefix = prefix + "cache:";
        this.ttl = ttl;
        this.local = local;
        this.outage = outage;
    }

    <V extends ReplyCache.Sized> Served<V> get(CacheKey key, ReplyCodec<V> codec, Call<V> call, Predicate<V> keep)
            throws UpstreamException {
        byte[] name = name(key);
        boolean[] fromRedis = {false}; // the local cache runs the call on this thread
        Served<V> served = local.get(key, () -> {
            V stored = lookUp(name, codec);
            if (stored != null) {
                fromRedis[0] = true;
                return stored;
            }
            V reply = call.get();
            if (keep.test(reply)) {
                store(name, codec, reply);
            }
            return reply;
        }, keep);
        return fromRedis[0] ? new Served<>(served.value(), true) : served;
    }

    /** @return the reply this node's own cache holds for {@code key}, complete, if any (Redis is not asked) */
    <V extends ReplyCache.Sized> java.util.Optional<V> storedHere(CacheKey key) {
        return local.stored(key);
    }

    /** @return the reply Redis holds for {@code key}, if any and readable (not copied into this node's cache) */
    <V> java.util.Optional<V> storedInRedis(CacheKey key, ReplyCodec<V> codec) {
        return java.util.Optional.ofNullable(lookUp(name(key), codec));
    }

    private byte[] name(CacheKey key) {
        return (prefix + key.hex()).getBytes(StandardCharsets.UTF_8);
    }

    private <V> V lookUp(byte[] name, ReplyCodec<V> codec) {
        if (outage.paused()) {
            return null;
        }
        byte[] bytes;
        try {
            bytes = redis.get(name);
        } catch (RuntimeException e) {
            outage.failed("cache", e);
            return null;
        }
        if (bytes == null || bytes.length > MAX_VALUE_BYTES) {
            return null;
        }
        try {
            return codec.decode(bytes);
        } catch (IOException | RuntimeException e) {
            return null; // written by another version, or damaged: as if absent, and overwritten by this call
        }
    }

    private <V> void store(byte[] name, ReplyCodec<V> codec, V reply) {
        byte[] bytes = codec.encode(reply);
        if (bytes.length > MAX_VALUE_BYTES || outage.paused()) {
            return;
        }
        try {
            redis.set(name, bytes, SetParams.setParams().px(ttl.toMillis()));
        } catch (RuntimeException e) {
            outage.failed("cache", e);
        }
    }
}
