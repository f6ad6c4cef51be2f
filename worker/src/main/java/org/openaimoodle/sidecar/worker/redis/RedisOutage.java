package org.openaimoodle.sidecar.worker.redis;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node knows about Redis being unreachable: every failed call is counted ({@link #failures}, for the
 * metrics), logged at most once a minute, and makes the next {@link #PAUSE} skip Redis altogether, so that a Redis
 * that does not answer costs one short timeout per pause, not one per request. After the pause the next call tries
 * again; the client makes new connections by itself.
 */
public final class RedisOutage {
    /** How long Redis is left alone after a failure. */
    static final long PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final Logger LOG = LoggerFactory.getLogger("redis");

    private final String shown;
    private final boolean failClosed;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong();
    private volatile long pausedUntil;
    private volatile boolean paused;

    /**
     * @param shown      where Redis is, without the password ({@code RedisAddress#toString})
     * @param failClosed SIDECAR_LIMITS_FAIL_CLOSED, for the log line's wording
     */
    RedisOutage(String shown, boolean failClosed) {
        this.shown = shown;
        this.failClosed = failClosed;
    }

    /** @return whether Redis failed less than {@link #PAUSE_NANOS} ago, so this call should not try it */
    boolean paused() {
        return paused && System.nanoTime() - pausedUntil < 0;
    }

    /**
     * @param what what failed ({@code limits}, {@code cache}, {@code usage})
     * @param e    the client's exception
     */
    void failed(String what, RuntimeException e) {
        long count = failures.incrementAndGet();
        long now = System.nanoTime();
        pausedUntil = now + PAUSE_NANOS;
        paused = true;
        long last = lastLog.get();
        if ((count == 1 || now - last >= LOG_INTERVAL_NANOS) && lastLog.compareAndSet(last, now)) {
            LOG.warn("Redis at {} failed for the {} ({}: {}); {} ({} failures so far); check SIDECAR_REDIS_URL and "
                            + "that Redis runs", shown, what, e.getClass().getSimpleName(), e.getMessage(),
                    failClosed ? "requests are answered unavailable (SIDECAR_LIMITS_FAIL_CLOSED=true)"
                            : "requests are served without the shared limits and cache", count);
        }
    }

    /** @return Redis calls that failed since the start (a later /metrics reads it) */
    public long failures() {
        return failures.get();
    }
}
