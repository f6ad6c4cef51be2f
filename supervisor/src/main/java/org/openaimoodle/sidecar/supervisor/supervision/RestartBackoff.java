package org.openaimoodle.sidecar.supervisor.supervision;

import java.time.Duration;

/**
 * Restart delays: the initial delay doubling up to a maximum, back to the initial delay once a worker
 * stayed healthy long enough. A crash after {@link #IMMEDIATE_RESTART_AFTER} of health is restarted at
 * once: it is a fault of that moment, not a restart loop, and every second without a worker fails requests.
 * It never gives up (a worker is always restarted) and never spins (a restart without delay needs a worker
 * that was healthy for {@link #IMMEDIATE_RESTART_AFTER}; every other one waits at least the initial delay).
 */
public final class RestartBackoff {
    /** Health before a crash after which the next worker starts without delay. */
    public static final Duration IMMEDIATE_RESTART_AFTER = Duration.ofSeconds(10);

    private final Duration initial;
    private final Duration max;
    private final Duration resetAfter;
    private int consecutiveRestarts;

    /**
     * @param initial    first delay ({@code SIDECAR_BACKOFF_INITIAL}, default 0.5 s)
     * @param max        longest delay ({@code SIDECAR_BACKOFF_MAX}, default 30 s)
     * @param resetAfter healthy time that resets the delay ({@code SIDECAR_BACKOFF_RESET}, default 60 s)
     */
    public RestartBackoff(Duration initial, Duration max, Duration resetAfter) {
        this.initial = initial;
        this.max = max;
        this.resetAfter = resetAfter;
    }

    /** @return the same count of consecutive restarts with other delays (a reload's new settings) */
    public RestartBackoff withDelays(Duration newInitial, Duration newMax, Duration newResetAfter) {
        RestartBackoff changed = new RestartBackoff(newInitial, newMax, newResetAfter);
        changed.consecutiveRestarts = consecutiveRestarts;
        return changed;
    }

    /**
     * The delay before the next start.
     *
     * @param healthyFor how long the worker that just went away had been healthy (zero if never)
     */
    public Duration nextDelay(Duration healthyFor) {
        resetIfHealthyLongEnough(healthyFor);
        Duration delay = initial;
        // Double step by step: no overflow however long the worker keeps failing.
        for (int i = 0; i < consecutiveRestarts && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        consecutiveRestarts++;
        return delay.compareTo(max) > 0 ? max : delay;
    }

    /**
     * The delay before the start that follows a crash: zero after {@link #IMMEDIATE_RESTART_AFTER} of health
     * (such a restart does not lengthen the delays of further crashes), else {@link #nextDelay}.
     *
     * @param healthyFor how long the worker that crashed had been healthy (zero if never)
     */
    public Duration afterCrash(Duration healthyFor) {
        if (healthyFor.compareTo(IMMEDIATE_RESTART_AFTER) >= 0) {
            resetIfHealthyLongEnough(healthyFor);
            return Duration.ZERO;
        }
        return nextDelay(healthyFor);
    }

    private void resetIfHealthyLongEnough(Duration healthyFor) {
        if (healthyFor.compareTo(resetAfter) >= 0) {
            consecutiveRestarts = 0;
        }
    }
}
