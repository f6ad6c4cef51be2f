package org.openaimoodle.sidecar.worker.upstream;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Ends an upstream exchange at its deadline. Socket timeouts bound each connect and each read, not the
 * exchange: an upstream that trickles its answer a byte at a time, or a peer that accepts TCP and never
 * completes TLS, would otherwise hold a request many times past {@code SIDECAR_REQUEST_TIMEOUT}. Each
 * exchange runs {@link #within} its time limit on a virtual thread, which the alarm interrupts at the limit:
 * a virtual thread interrupted while it blocks in socket I/O (connect, TLS handshake, read) has that socket
 * closed, whatever locks it holds. (Closing from outside is no substitute: {@code HttpURLConnection.disconnect()}
 * waits for a lock that the thread reading a trickling answer keeps taking back.)
 *
 * <p>One daemon thread serves every alarm of the process. It starts with the first exchange, so a stdio run
 * that never calls upstream never creates it.
 */
final class ExchangeWatchdog {
    private static volatile ScheduledThreadPoolExecutor timer;

    private ExchangeWatchdog() {
    }

    /** One exchange with the upstream. */
    @FunctionalInterface
    interface Exchange<T> {
        /** @return what the exchange produced (a response, or the bytes of one read) */
        T run() throws IOException;
    }

    /**
     * Runs the exchange, on a virtual thread (the caller's own if it is one), and ends it at the limit.
     *
     * @param timeout how long the exchange may take
     * @param exchange the exchange
     * @return what it produced
     * @throws SocketTimeoutException when it was still running at the limit, whatever it threw then
     * @throws IOException            what the exchange threw before the limit
     */
    static <T> T within(Duration timeout, Exchange<T> exchange) throws IOException {
        if (!Thread.currentThread().isVirtual()) {
            return onVirtualThread(timeout, exchange);
        }
        Alarm alarm = arm(timeout, Thread.currentThread()::interrupt);
        try {
            return exchange.run();
        } catch (IOException | RuntimeException e) {
            if (alarm.disarm()) {
                throw new SocketTimeoutException("no complete answer before the deadline");
            }
            throw e;
        } finally {
            if (alarm.disarm()) {
                Thread.interrupted(); // the interrupt was ours; it must not reach the code that answers
            }
        }
    }

    /** A platform thread blocked in socket I/O cannot be interrupted out of it, so it hands the work over. */
    private static <T> T onVirtualThread(Duration timeout, Exchange<T> exchange) throws IOException {
        FutureTask<T> task = new FutureTask<>(() -> within(timeout, exchange));
        Thread.ofVirtual().name("upstream-exchange").start(task);
        try {
            return task.get();
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the AI service");
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw new IOException(e.getCause());
            }
        }
    }

    /**
     * @param after how long the exchange may take
     * @param abort what ends the exchange (it runs on the watchdog's thread, at most once)
     * @return the armed alarm; disarm it when the exchange ends, whatever way
     */
    private static Alarm arm(Duration after, Runnable abort) {
        Alarm alarm = new Alarm(abort);
        synchronized (alarm) {
            alarm.task = timer().schedule(alarm::fire, Math.max(0, after.toNanos()), TimeUnit.NANOSECONDS);
        }
        return alarm;
    }

    /**
     * @param timeout the exchange's time limit
     * @return a socket timeout (whole milliseconds) that ends no earlier than the alarm, so that a socket
     *         timing out at the deadline is seen as the deadline, not as a failure worth a retry
     */
    static Duration socketTimeout(Duration timeout) {
        long millis = (Math.max(0, timeout.toNanos()) + 999_999) / 1_000_000 + 1;
        return Duration.ofMillis(Math.min(millis, Integer.MAX_VALUE));
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor existing = timer;
        if (existing == null) {
            synchronized (ExchangeWatchdog.class) {
                if (timer == null) {
                    ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, task -> {
                        Thread thread = new Thread(task, "upstream-deadline");
                        thread.setDaemon(true);
                        return thread;
                    });
                    // Almost every alarm is disarmed long before it is due; do not keep them queued.
                    created.setRemoveOnCancelPolicy(true);
                    timer = created;
                }
                existing = timer;
            }
        }
        return existing;
    }

    /** One armed exchange. Firing and disarming exclude each other, so no abort runs after a disarm. */
    static final class Alarm implements AutoCloseable {
        private final Runnable abort;
        private ScheduledFuture<?> task;
        private boolean finished;
        private boolean fired;

        private Alarm(Runnable abort) {
            this.abort = abort;
        }

        private synchronized void fire() {
            if (!finished) {
                fired = true;
                abort.run();
            }
        }

        /**
         * Disarms the alarm; once this returns, the abort action never runs (again).
         *
         * @return whether the alarm had fired, i.e. the exchange was aborted at its deadline
         */
        synchronized boolean disarm() {
            if (!finished) {
                finished = true;
                task.cancel(false);
            }
            return fired;
        }

        @Override
        public void close() {
            disarm();
        }
    }
}
