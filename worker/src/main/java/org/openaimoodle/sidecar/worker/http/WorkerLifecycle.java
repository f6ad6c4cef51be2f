package org.openaimoodle.sidecar.worker.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.openaimoodle.sidecar.worker.log.LogSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How HTTP mode ends. SIGTERM (or SIGINT) drains — health turns 503 {@code draining}, new /ai requests get 503,
 * admitted ones finish within the request deadline — then the process exits 0. Under the supervisor, EOF on
 * stdin means the supervisor is gone: the worker drains for at most a second and exits, so it never keeps the
 * port (docs/internals.md).
 *
 * <p>The line {@value #HANDOVER} on stdin (the supervisor's {@code restart}, {@code reload} or memory guard, once a
 * new worker listening on the same port with {@code SO_REUSEPORT} is healthy) is a handover: the listening socket
 * closes, so new connections reach only the new worker; requests in flight finish; requests that still arrive on
 * open keep-alive connections are answered normally, with {@code Connection: close}; connections idle for
 * {@link #HANDOVER_IDLE_GRACE} are closed; once no connection is left (or the drain budget is used up) the
 * process exits 0. Nothing is answered 503 during a handover.
 */
final class WorkerLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** Drain budget after stdin EOF: the supervisor contract is "exit within 2 s". */
    private static final Duration ORPHAN_DRAIN = Duration.ofSeconds(1);
    /** The stdin line that starts a handover. */
    static final String HANDOVER = "handover";
    /**
     * A connection idle this long is closed during a handover. Closing an idle keep-alive connection races with a
     * client that is just sending on it (it sees the close instead of an answer); clients that use a connection
     * again soon after an answer get theirs with {@code Connection: close} instead, so the longer this grace, the
     * rarer the race. (curl, which the Moodle plugin uses, retries a request on a reused connection that closed.)
     */
    static final Duration HANDOVER_IDLE_GRACE = Duration.ofSeconds(1);
    /**
     * No request and no connection for this long ends a handover. Not at once: a connection the listener accepted
     * just before it closed may still wait for a thread to serve it, and is not counted until it has one; stopping
     * the server then would cut its request.
     */
    static final Duration HANDOVER_QUIET = Duration.ofMillis(300);
    private static final int MAX_COMMAND_LINE = 64;

    private final RequestGate gate;
    private final Duration drainBudget;
    private final Runnable stopServer;
    private final ConnectionGuard connections;
    private final BooleanSupplier closeListener;
    private boolean stopped;
    private volatile Thread handover;

    /**
     * @param gate          the admission gate to drain
     * @param drainBudget   how long a SIGTERM drain (or a handover) may wait for requests in flight
     * @param stopServer    stops the web server once drained
     * @param connections   the open connections, closed when idle during a handover
     * @param closeListener closes the listening socket only (open connections stay); false when it cannot
     */
    WorkerLifecycle(RequestGate gate, Duration drainBudget, Runnable stopServer, ConnectionGuard connections,
            BooleanSupplier closeListener) {
        this.gate = gate;
        this.drainBudget = drainBudget;
        this.stopServer = stopServer;
        this.connections = connections;
        this.closeListener = closeListener;
    }

    /** Drains on SIGTERM/SIGINT and, when supervised, exits once stdin closes. */
    void watch(boolean supervised) {
        Runtime.getRuntime().addShutdownHook(new Thread(this::onSignal, "drain"));
        if (supervised) {
            Thread.ofPlatform().daemon().name("supervisor-watch").start(this::exitWhenStdinCloses);
        }
    }

    private void onSignal() {
        Thread handingOver = handover;
        if (handingOver != null) {
            // A handover under way ends the process itself once its connections are done; let it.
            joinQuietly(handingOver, drainBudget.plusSeconds(1));
        }
        stop(drainBudget);
        // The JVM would exit 143 after SIGTERM; a drained stop is a clean stop (docs/internals.md: exit 0).
        LogSetup.flush(); // queued log lines first: halt skips the shutdown hooks
        Runtime.getRuntime().halt(0);
    }

    private void exitWhenStdinCloses() {
        try (InputStream in = System.in) {
            StringBuilder line = new StringBuilder();
            int next;
            while ((next = in.read()) >= 0) {
                if (next == '\n') {
                    if (HANDOVER.contentEquals(line)) {
                        startHandover();
                    }
                    line.setLength(0);
                } else if (line.length() < MAX_COMMAND_LINE) {
                    line.append(new String(new byte[] {(byte) next}, StandardCharsets.US_ASCII));
                }
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

    private synchronized void startHandover() {
        if (stopped || handover != null) {
            return;
        }
        // Not a daemon (the stdin watcher that starts it is one): once the listener's thread ends, this thread is
        // what keeps the JVM from shutting down (and its shutdown hooks from closing the upstream client) mid-drain.
        handover = Thread.ofPlatform().daemon(false).name("handover").start(this::handOver);
    }

    /** See the class comment; ends the process. */
    private void handOver() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        gate.handOver();
        boolean closed = closeListener.getAsBoolean();
        LOG.info("handing over to the new worker: {}; finishing {} requests in flight and closing {} connections, "
                + "waiting up to {} ms", closed ? "listener closed" : "listener NOT closed (new connections are "
                + "answered once, then closed)", gate.inFlight(), connections.openConnections(), drainBudget.toMillis());
        long deadline = System.nanoTime() + drainBudget.toNanos();
        long quietSince = 0;
        while (System.nanoTime() - deadline < 0) {
            connections.closeIdle(HANDOVER_IDLE_GRACE);
            boolean quiet = gate.inFlight() == 0 && connections.openConnections() == 0;
            if (!quiet) {
                quietSince = 0;
            } else if (quietSince == 0) {
                quietSince = System.nanoTime();
            } else if (System.nanoTime() - quietSince >= HANDOVER_QUIET.toNanos()) {
                break;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                break;
            }
        }
        if (gate.inFlight() > 0 || connections.openConnections() > 0) {
            LOG.warn("handover: drain budget used up with {} requests in flight and {} connections open; stopping",
                    gate.inFlight(), connections.openConnections());
        }
        if (!closed) {
            stopServer.run();
        }
        LOG.info("handed over; exiting");
        LogSetup.flush(); // queued log lines first: halt skips the shutdown hooks
        Runtime.getRuntime().halt(0);
    }

    private static void joinQuietly(Thread thread, Duration atMost) {
        try {
            thread.join(atMost);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
