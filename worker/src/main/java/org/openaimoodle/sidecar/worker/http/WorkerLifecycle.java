package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

import org.openaimoodle.sidecar.worker.log.LogSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How HTTP mode ends. SIGTERM (or SIGINT) drains — health turns 503 {@code draining}, new /ai requests get 503,
 * admitted ones finish within the request deadline — then the process exits 0. Under the supervisor, EOF on
 * stdin means the supervisor is gone: the worker drains for at most a second and exits, so it never keeps the
 * port (docs/internals.md).
 */
final class WorkerLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** Drain budget after stdin EOF: the supervisor contract is "exit within 2 s". */
    private static final Duration ORPHAN_DRAIN = Duration.ofSeconds(1);

    private final RequestGate gate;
    private final Duration drainBudget;
    private final Runnable stopServer;
    private boolean stopped;

    /**
     * @param gate        the admission gate to drain
     * @param drainBudget how long a SIGTERM drain may wait for requests in flight
     * @param stopServer  stops the web server once drained
     */
    WorkerLifecycle(RequestGate gate, Duration drainBudget, Runnable stopServer) {
        this.gate = gate;
        this.drainBudget = drainBudget;
        this.stopServer = stopServer;
    }

    /** Drains on SIGTERM/SIGINT and, when supervised, exits once stdin closes. */
    void watch(boolean supervised) {
        Runtime.getRuntime().addShutdownHook(new Thread(this::onSignal, "drain"));
        if (supervised) {
            Thread.ofPlatform().daemon().name("supervisor-watch").start(this::exitWhenStdinCloses);
        }
    }

    private void onSignal() {
        stop(drainBudget);
        // The JVM would exit 143 after SIGTERM; a drained stop is a clean stop (docs/internals.md: exit 0).
        LogSetup.flush(); // queued log lines first: halt skips the shutdown hooks
        Runtime.getRuntime().halt(0);
    }

    private void exitWhenStdinCloses() {
        try (InputStream in = System.in) {
            byte[] sink = new byte[256];
            while (in.read(sink) >= 0) {
                // the supervisor never writes; anything read is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as EOF
        }
        LOG.warn("stdin closed: the supervisor is gone; stopping");
        // Drain in another thread and wait a bounded time: a SIGTERM drain already under way (which may last
        // the whole request deadline) must not hold an orphan past the 2 s contract.
        Thread stopper = Thread.ofPlatform().name("orphan-stop").start(() -> stop(ORPHAN_DRAIN));
        try {
            stopper.join(ORPHAN_DRAIN.plusMillis(500));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LogSetup.flush(); // queued log lines first: halt skips the shutdown hooks
        Runtime.getRuntime().halt(0);
    }

    private synchronized void stop(Duration budget) {
        if (stopped) {
            return;
        }
        stopped = true;
        LOG.info("draining: waiting up to {} ms for requests in flight", budget.toMillis());
        try {
            if (!gate.drain(budget)) {
                LOG.warn("drain budget used up; stopping with requests still in flight");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopServer.run();
        LOG.info("stopped");
    }
}
