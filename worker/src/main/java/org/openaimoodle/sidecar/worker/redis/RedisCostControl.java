package org.openaimoodle.sidecar.worker.redis;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import org.openaimoodle.sidecar.worker.cache.CacheKey;
import org.openaimoodle.sidecar.worker.cache.Call;
import org.openaimoodle.sidecar.worker.cache.ReplyCache;
import org.openaimoodle.sidecar.worker.cache.ReplyCodec;
import org.openaimoodle.sidecar.worker.cache.Served;
import org.openaimoodle.sidecar.worker.limits.CostControl;
import org.openaimoodle.sidecar.worker.limits.QuotaExceeded;
import org.openaimoodle.sidecar.worker.limits.UsageLimits;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

/**
 * {@link CostControl} of a node that shares its limits and cache with the site's other nodes through Redis
 * (SIDECAR_REDIS_URL). Redis unreachable: by default requests are served without the limits (and the shared cache
 * is skipped), counted and logged by {@link RedisOutage}; with SIDECAR_LIMITS_FAIL_CLOSED=true they are answered
 * {@code unavailable}. Either way a request waits at most one short timeout for Redis.
 *
 * <p>This node's calls to the buckets take turns: Bucket4j's compare-and-swap retries when two writers meet on one
 * key, and two hundred requests of one node meeting on a user's bucket would retry for long (and hold as many
 * pooled connections); in turns, only the nodes meet, at the cost of one admission at a time per node (a few
 * round trips to Redis each). A request waits for its turn at most SIDECAR_REQUEST_TIMEOUT, then is answered
 * {@code unavailable}: a node that busy is overloaded, not cut off from Redis, so fail-open does not apply.
 */
final class RedisCostControl implements CostControl {
    static final String BUSY = "Usage limits busy: too many requests are waiting to be counted; try again in a "
            + "moment";
    static final String UNAVAILABLE = "Usage limits unavailable: the sidecar cannot reach its shared store (Redis); "
            + "try again in a moment";

    private final UsageLimits limits;
    private final RedisReplyCache cache;
    private final Set<String> cachedActions;
    private final RedisOutage outage;
    private final boolean failClosed;
    private final long turnWaitNanos;
    private final ReentrantLock turn = new ReentrantLock(true);

    /**
     * @param limits        the limits on Redis buckets, or null when none is configured
     * @param cache         the shared cache, or null when SIDECAR_CACHE_TTL is 0
     * @param cachedActions SIDECAR_CACHE_ACTIONS
     * @param outage        where Redis failures are counted
     * @param failClosed    SIDECAR_LIMITS_FAIL_CLOSED
     * @param turnWait      longest wait for this node's turn at the buckets (SIDECAR_REQUEST_TIMEOUT)
     */
    RedisCostControl(UsageLimits limits, RedisReplyCache cache, java.util.Collection<String> cachedActions,
                     RedisOutage outage, boolean failClosed, java.time.Duration turnWait) {
        this.limits = limits;
        this.cache = cache;
        this.cachedActions = cache == null ? Set.of() : Set.copyOf(cachedActions);
        this.outage = outage;
        this.failClosed = failClosed;
        this.turnWaitNanos = turnWait.toNanos();
    }

    @Override
    public void admit(String user) throws QuotaExceeded, UpstreamException {
        atTheBuckets(() -> limits.admit(user));
    }

    /** The request limits alone: a reply this node's cache holds is then served without the token limits. */
    @Override
    public void admitRequests(String user) throws QuotaExceeded, UpstreamException {
        atTheBuckets(() -> limits.takeRequests(user));
    }

    @Override
    public void requireTokens(String user) throws QuotaExceeded, UpstreamException {
        atTheBuckets(() -> limits.requireTokens(user));
    }

    @Override
    public void refundRequests(String user) {
        if (limits == null || outage.paused() || !takeTurn()) {
            return;
        }
        try {
            limits.refundRequests(user);
        } catch (RuntimeException e) {
            outage.failed("limits", e);
        } finally {
            turn.unlock();
        }
    }

    /**
     * A reply this node's own cache holds (the one in front of Redis): served without asking the token limits.
     * A reply only Redis holds is looked up after them ({@link #storedShared}), so the usual path asks Redis once.
     */
    @Override
    public <V extends ReplyCache.Sized> java.util.Optional<V> stored(CacheKey key) {
        return cache == null ? java.util.Optional.empty() : cache.storedHere(key);
    }

    /** A reply another node stored in Redis: served to a user whose tokens are used up, like one held here. */
    @Override
    public <V extends ReplyCache.Sized> java.util.Optional<V> storedShared(CacheKey key, ReplyCodec<V> codec) {
        return cache == null ? java.util.Optional.empty() : cache.storedInRedis(key, codec);
    }

    /** One step at the shared buckets, with this node's turn, failing open or closed like {@link #admit}. */
    private void atTheBuckets(Step step) throws QuotaExceeded, UpstreamException {
        if (limits == null) {
            return;
        }
        if (outage.paused()) {
            refuseWhenClosed();
            return;
        }
        if (!takeTurn()) {
            throw new UpstreamException(UpstreamException.Kind.BUSY, BUSY, 0);
        }
        try {
            step.run();
        } catch (RuntimeException e) {
            outage.failed("limits", e);
            refuseWhenClosed();
        } finally {
            turn.unlock();
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws QuotaExceeded;
    }

    @Override
    public void charge(String user, long tokens) {
        if (limits == null || tokens <= 0 || outage.paused()) {
            return;
        }
        if (!takeTurn()) {
            return; // an overloaded node: these tokens go uncounted rather than hold the reply back longer
        }
        try {
            limits.charge(user, tokens);
        } catch (RuntimeException e) {
            outage.failed("limits", e);
        } finally {
            turn.unlock();
        }
    }

    /** @return whether this thread holds the turn (false after the longest wait, or when interrupted) */
    private boolean takeTurn() {
        try {
            return turn.tryLock(turnWaitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void refuseWhenClosed() throws UpstreamException {
        if (failClosed) {
            throw new UpstreamException(UpstreamException.Kind.BUSY, UNAVAILABLE, 0);
        }
    }

    @Override
    public boolean caches(String action) {
        return action != null && cachedActions.contains(action);
    }

    @Override
    public <V extends ReplyCache.Sized> Served<V> cached(CacheKey key, ReplyCodec<V> codec, Call<V> call,
                                                         Predicate<V> keep) throws UpstreamException {
        return cache == null ? new Served<>(call.get(), false) : cache.get(key, codec, call, keep);
    }

    /** @return Redis calls that failed since the start */
    long failures() {
        return outage.failures();
    }
}
