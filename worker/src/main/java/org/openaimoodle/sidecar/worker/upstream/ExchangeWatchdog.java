package org.openaimoodle.sidecar.worker.upstream;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Ends an upstream exchange at its deadline. Socket timeouts bound each connect and each read, not the
 * exchange: an upstream that trickles its answer a byte at a time, or a peer that accepts TCP and never
 * completes TLS, would otherwise hold a request many times past {@code SIDECAR_REQUEST_TIMEOUT}. Each
 * exchange arms an {@link Alarm}; if the exchange still runs at its deadline, the alarm runs the transport's
 * abort action (close what the exchange blocks on), and the transport reports a timeout.
 *
 * <p>One daemon thread serves every alarm of the process. It starts with the first exchange, so a stdio run
 * that never calls upstream never creates it.
 */
final class ExchangeWatchdog {
    private static volatile ScheduledThreadPoolExecutor timer;

    private ExchangeWatchdog() {
    }

    /**
     * @param after how long the exchange may take
     * @param abort what ends the exchange (it runs on the watchdog's thread, at most once)
     * @return the armed alarm; disarm it when the exchange ends, whatever way
     */
    static Alarm arm(Duration after, Runnable abort) {
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
