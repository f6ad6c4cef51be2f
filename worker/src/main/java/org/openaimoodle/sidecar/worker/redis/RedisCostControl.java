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
 * <p>This node's calls to the buckets take turns ({@link #TURN_WAIT_MS} at most): Bucket4j's compare-and-swap
 * retries when two writers meet on one key, and two hundred requests of one node meeting on a user's bucket
 * would retry for long; in turns, only the nodes meet.
 */
final class RedisCostControl implements CostControl {
    /** Longest wait for this node's turn at the buckets before the limits count as unavailable. */
    static final long TURN_WAIT_MS = 2_000;
    static final String UNAVAILABLE = "Usage limits unavailable: the sidecar cannot reach its shared store (Redis); "
            + "try again in a moment";

    private final UsageLimits limits;
    private final RedisReplyCache cache;
    private final Set<String> cachedActions;
    private final RedisOutage outage;
    private final boolean failClosed;
    private final ReentrantLock turn = new ReentrantLock(true);

    /**
     * @param limits        the limits on Redis buckets, or null when none is configured
     * @param cache         the shared cache, or null when SIDECAR_CACHE_TTL is 0
     * @param cachedActions SIDECAR_CACHE_ACTIONS
     * @param outage        where Redis failures are counted
     * @param failClosed    SIDECAR_LIMITS_FAIL_CLOSED
     */
    RedisCostControl(UsageLimits limits, RedisReplyCache cache, java.util.Collection<String> cachedActions, RedisOutage outage,
                     boolean failClosed) {
        this.limits = limits;
        this.cache = cache;
        this.cachedActions = cache == null ? Set.of() : Set.copyOf(cachedActions);
        this.outage = outage;
        this.failClosed = failClosed;
    }

    @Override
    public void admit(String user) throws QuotaExceeded, UpstreamException {
        if (limits == null) {
            return;
        }
        if (outage.paused()) {
            refuseWhenClosed();
            return;
        }
        try {
            takeTurn();
            try {
                limits.admit(user);
            } finally {
                turn.unlock();
            }
        } catch (RuntimeException e) {
            outage.failed("limits", e);
            refuseWhenClosed();
        }
    }

    @Override
    public void charge(String user, long tokens) {
        if (limits == null || tokens <= 0 || outage.paused()) {
            return;
        }
        try {
            takeTurn();
            try {
                limits.charge(user, tokens);
            } finally {
                turn.unlock();
            }
        } catch (RuntimeException e) {
            outage.failed("limits", e);
        }
    }

    private void takeTurn() {
        try {
            if (!turn.tryLock(TURN_WAIT_MS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no turn at the shared limits within " + TURN_WAIT_MS + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the shared limits", e);
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
