package org.openaimoodle.sidecar.worker.http;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Admission for /ai requests: at most {@code limit} in flight (more get 503 + Retry-After at once instead
 * of queueing without bound), and none once draining has begun. Draining waits for the admitted ones.
 */
public final class RequestGate {
    /** Why a request was or was not admitted. */
    public enum Admission { ADMITTED, DRAINING, OVER_LIMIT }

    private final int limit;
    private final Semaphore permits;
    private volatile boolean draining;

    /** @param limit maximum number of requests in flight ({@code SIDECAR_MAX_CONCURRENT_REQUESTS}) */
    public RequestGate(int limit) {
        this.limit = limit;
        this.permits = new Semaphore(limit);
    }

    /** @return ADMITTED (then call {@link #leave()} when done), DRAINING or OVER_LIMIT */
    public Admission tryEnter() {
        if (draining) {
            return Admission.DRAINING;
        }
        if (!permits.tryAcquire()) {
            return Admission.OVER_LIMIT;
        }
        if (draining) { // drain began between the check and the acquire
            permits.release();
            return Admission.DRAINING;
        }
        return Admission.ADMITTED;
    }

    /** Ends an admitted request. */
    public void leave() {
        permits.release();
    }

    /** @return true once {@link #drain} has been called */
    public boolean draining() {
        return draining;
    }

    /**
     * Stops admitting and waits until every admitted request has left.
     *
     * @param budget longest wait
     * @return true when all requests finished in time
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean drain(Duration budget) throws InterruptedException {
        draining = true;
        if (permits.tryAcquire(limit, budget.toMillis(), TimeUnit.MILLISECONDS)) {
            permits.release(limit);
            return true;
        }
        return false;
    }
}
