package org.openaimoodle.sidecar.worker.http;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.openaimoodle.sidecar.worker.memory.MemoryBudget;

/**
 * Admission for /ai requests: at most {@code limit} in flight (more get 503 + Retry-After at once instead
 * of queueing without bound), and none once draining has begun. Draining waits for the admitted ones.
 * Admitted requests take the bytes they are given from the process's {@link MemoryBudget} ({@link #budget()}).
 */
public final class RequestGate {
    /** Why a request was or was not admitted. */
    public enum Admission { ADMITTED, DRAINING, OVER_LIMIT }

    private final int limit;
    private final Semaphore permits;
    private final MemoryBudget budget;
    private final LongAdder admitted = new LongAdder();
    private volatile boolean draining;
    private volatile boolean handingOver;

    /** @param limit maximum number of requests in flight; the memory budget is unlimited (tests) */
    public RequestGate(int limit) {
        this(limit, MemoryBudget.unlimited());
    }

    /**
     * @param limit  maximum number of requests in flight ({@code SIDECAR_MAX_CONCURRENT_REQUESTS})
     * @param budget the process's memory budget ({@code SIDECAR_MEMORY_BUDGET_PERCENT})
     */
    public RequestGate(int limit, MemoryBudget budget) {
        this.limit = limit;
        this.permits = new Semaphore(limit);
        this.budget = budget;
    }

    /** @return the memory budget admitted requests open their account in */
    public MemoryBudget budget() {
        return budget;
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
        admitted.increment();
        return Admission.ADMITTED;
    }

    /** @return how many requests have been admitted since the start */
    public long admittedSoFar() {
        return admitted.sum();
    }

    /** @return requests admitted and not yet left (what {@code sidecar_in_flight_requests} shows) */
    public int inFlight() {
        return Math.max(0, limit - permits.availablePermits());
    }

    /** Ends an admitted request. */
    public void leave() {
        permits.release();
    }

    /**
     * A new worker has taken over the port: requests are still admitted and answered normally, but every
     * answer from now on closes its connection ({@code Connection: close}), so that clients reconnect to the
     * new worker. Nothing is refused: a replacement must not fail a request (docs/internals.md).
     */
    public void handOver() {
        handingOver = true;
    }

    /** @return true once {@link #handOver} has been called */
    public boolean handingOver() {
        return handingOver;
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
