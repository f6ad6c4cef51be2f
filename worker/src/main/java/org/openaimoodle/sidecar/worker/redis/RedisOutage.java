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
    private final java.util.function.LongSupplier nanoClock;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong();
    private final AtomicLong warnings = new AtomicLong();
    private volatile long pausedUntil;
    private volatile boolean paused;

    /**
     * @param shown      where Redis is, without the password ({@code RedisAddress#toString})
     * @param failClosed SIDECAR_LIMITS_FAIL_CLOSED, for the log line's wording
     */
    RedisOutage(String shown, boolean failClosed) {
        this(shown, failClosed, System::nanoTime);
    }

    /** @param nanoClock {@link System#nanoTime} in production, a fake one in tests */
    RedisOutage(String shown, boolean failClosed, java.util.function.LongSupplier nanoClock) {
        this.shown = shown;
        this.failClosed = failClosed;
        this.nanoClock = nanoClock;
    }

    /** @return whether Redis failed less than {@link #PAUSE_NANOS} ago, so this call should not try it */
    boolean paused() {
        return paused && nanoClock.getAsLong() - pausedUntil < 0;
    }

    /**
     * @param what what failed ({@code limits}, {@code cache}, {@code usage})
     * @param e    the client's exception
     */
    void failed(String what, RuntimeException e) {
        long count = failures.incrementAndGet();
        long now = nanoClock.getAsLong();
        pausedUntil = now + PAUSE_NANOS;
        paused = true;
        if (logDue(count, now)) {
            warnings.incrementAndGet();
            LOG.warn("Redis at {} failed for the {} ({}: {}); {} ({} failures so far); check SIDECAR_REDIS_URL and "
                            + "that Redis runs", shown, what, e.getClass().getSimpleName(), e.getMessage(),
                    failClosed ? "requests are answered unavailable (SIDECAR_LIMITS_FAIL_CLOSED=true)"
                            : "requests are served without the shared limits and cache", count);
        }
    }

    /** @return whether this failure is the one a minute that is logged (always the first) */
    private boolean logDue(long count, long now) {
        long last = lastLog.get();
        return (count == 1 || now - last >= LOG_INTERVAL_NANOS) && lastLog.compareAndSet(last, now);
    }

    /** @return warnings logged so far */
    long warnings() {
        return warnings.get();
    }

    /** @return Redis calls that failed since the start (a later /metrics reads it) */
    public long failures() {
        return failures.get();
    }
}
