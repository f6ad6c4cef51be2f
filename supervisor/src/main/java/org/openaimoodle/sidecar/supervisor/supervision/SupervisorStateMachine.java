package org.openaimoodle.sidecar.supervisor.supervision;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;

/**
 * The one place where the supervisor changes state. It performs no I/O: each event returns the
 * {@link Action} the caller must carry out, and time comes from an injected clock, so every rule
 * can be tested without processes or sleeps. Not thread-safe: one thread feeds it all events.
 *
 * <pre>
 * STOPPED --begin--> STARTING --healthy--> RUNNING --N failed probes--> STOPPING (SIGKILL)
 * STARTING --start timeout--> STOPPING (SIGKILL)        any --restart/stop--> STOPPING (SIGTERM)
 * STOPPING / STARTING / RUNNING --worker exited--> BACKOFF --delay over--> STARTING
 *                                                  (exit 78 or shutting down: STOPPED, exit)
 * </pre>
 */
public final class SupervisorStateMachine {
    /** What the caller must do after an event. */
    public enum Action {
        /** Nothing. */
        NONE,
        /** Launch a new worker. */
        START_WORKER,
        /** Send SIGTERM to the worker (it drains, then exits). */
        TERMINATE_WORKER,
        /** SIGKILL the worker and all its descendants. */
        KILL_WORKER,
        /** The supervisor is done; exit with {@link #exitCode()}. */
        EXIT
    }

    private final SupervisorConfig config;
    private final RestartBackoff backoff;
    private final LongSupplier nanoTime;
    private final Consumer<String> transitions;

    private SupervisorState state = SupervisorState.STOPPED;
    private long enteredAt;
    private long runningSince = -1;
    private long backoffUntil;
    private int failedProbes;
    private int restarts;
    private boolean killSent;
    private boolean restartPending;
    private boolean shuttingDown;
    private int exitCode;
    private Integer lastWorkerExit;

    /**
     * @param config      timings: health failures, start, stop and backoff settings
     * @param nanoTime    monotonic clock ({@code System::nanoTime} in production)
     * @param transitions receives one readable line per state change, for the log
     */
    public SupervisorStateMachine(SupervisorConfig config, LongSupplier nanoTime, Consumer<String> transitions) {
        this.config = config;
        this.backoff = new RestartBackoff(config.backoffInitial(), config.backoffMax(), config.backoffReset());
        this.nanoTime = nanoTime;
        this.transitions = transitions;
        this.enteredAt = nanoTime.getAsLong();
    }

    /** Supervision begins: start the first worker. */
    public Action begin() {
        if (state != SupervisorState.STOPPED || shuttingDown) {
            return Action.NONE;
        }
        return enter(SupervisorState.STARTING, "starting the worker", Action.START_WORKER);
    }

    /** The result of one {@code /health} probe. */
    public Action healthProbed(boolean healthy, String detail) {
        if (state == SupervisorState.STARTING && healthy) {
            failedProbes = 0;
            runningSince = now();
            return enter(SupervisorState.RUNNING, "worker healthy (" + detail + ")", Action.NONE);
        }
        if (state != SupervisorState.RUNNING) {
            return Action.NONE;
        }
        if (healthy) {
            failedProbes = 0;
            return Action.NONE;
        }
        failedProbes++;
        if (failedProbes < config.healthFailures()) {
            return Action.NONE;
        }
        // A worker that cannot answer /health cannot drain requests either: kill it at once, so that a
        // hung worker is replaced within seconds instead of after the stop timeout as well.
        killSent = true;
        return enter(SupervisorState.STOPPING, "worker hung: " + failedProbes + " health probes failed in a row ("
                + detail + "); killing it", Action.KILL_WORKER);
    }

    /** The worker process exited with {@code code} (128 + signal when killed by a signal). */
    public Action workerExited(int code) {
        lastWorkerExit = code;
        Duration healthyFor = runningSince < 0 ? Duration.ZERO : Duration.ofNanos(now() - runningSince);
        runningSince = -1;
        if (shuttingDown) {
            exitCode = 0;
            return enter(SupervisorState.STOPPED, "worker exited with code " + code + "; supervisor stopping",
                    Action.EXIT);
        }
        if (code == ExitCodes.CONFIG) {
            exitCode = ExitCodes.CONFIG;
            return enter(SupervisorState.STOPPED, "worker exited with code 78 (configuration error, see its "
                    + "message above); not restarting it: fix the configuration, then start again", Action.EXIT);
        }
        if (restartPending) {
            restartPending = false;
            restarts++;
            return enter(SupervisorState.STARTING, "worker exited with code " + code + "; restarting it as requested",
                    Action.START_WORKER);
        }
        Duration delay = backoff.nextDelay(healthyFor);
        backoffUntil = now() + delay.toNanos();
        return enter(SupervisorState.BACKOFF, "worker exited with code " + code + "; next start in "
                + seconds(delay) + " s", Action.NONE);
    }

    /** Time passed: ends a backoff, or enforces the start and stop timeouts. */
    public Action tick() {
        long elapsed = now() - enteredAt;
        switch (state) {
            case BACKOFF -> {
                if (now() - backoffUntil >= 0) {
                    restarts++;
                    return enter(SupervisorState.STARTING, "restarting the worker (restart " + restarts + ")",
                            Action.START_WORKER);
                }
            }
            case STARTING -> {
                if (elapsed >= config.startTimeout().toNanos()) {
                    killSent = true;
                    return enter(SupervisorState.STOPPING, "worker not healthy after "
                            + seconds(config.startTimeout()) + " s (SIDECAR_START_TIMEOUT); killing it",
                            Action.KILL_WORKER);
                }
            }
            case STOPPING -> {
                if (!killSent && elapsed >= config.stopTimeout().toNanos()) {
                    killSent = true;
                    transitions.accept("worker still running " + seconds(config.stopTimeout())
                            + " s after SIGTERM (SIDECAR_STOP_TIMEOUT); sending SIGKILL");
                    return Action.KILL_WORKER;
                }
            }
            default -> {
                // RUNNING is driven by probes, STOPPED by nothing.
            }
        }
        return Action.NONE;
    }

    /** {@code sidecarctl restart}: replace the worker now, without backoff. */
    public Action restartRequested() {
        if (shuttingDown) {
            return Action.NONE;
        }
        return switch (state) {
            case STARTING, RUNNING -> {
                restartPending = true;
                yield enter(SupervisorState.STOPPING, "restart requested; stopping the worker",
                        Action.TERMINATE_WORKER);
            }
            case BACKOFF -> {
                restarts++;
                yield enter(SupervisorState.STARTING, "restart requested; starting the worker now",
                        Action.START_WORKER);
            }
            case STOPPING -> {
                restartPending = true;
                yield Action.NONE;
            }
            case STOPPED -> Action.NONE;
        };
    }

    /** SIGTERM, SIGINT or {@code sidecarctl stop}: stop the worker, then the supervisor. */
    public Action stopRequested() {
        boolean first = !shuttingDown;
        shuttingDown = true;
        restartPending = false;
        return switch (state) {
            case STARTING, RUNNING -> enter(SupervisorState.STOPPING, "stop requested; stopping the worker",
                    Action.TERMINATE_WORKER);
            case BACKOFF -> enter(SupervisorState.STOPPED, "stop requested; no worker running", Action.EXIT);
            case STOPPING -> Action.NONE;
            case STOPPED -> first ? Action.EXIT : Action.NONE;
        };
    }

    /** The current state. */
    public SupervisorState state() {
        return state;
    }

    /** Workers started after the first one. */
    public int restarts() {
        return restarts;
    }

    /** How long the worker has been RUNNING, zero otherwise. */
    public Duration uptime() {
        return runningSince < 0 ? Duration.ZERO : Duration.ofNanos(now() - runningSince);
    }

    /** Time left before the next start while in BACKOFF, zero otherwise. */
    public Duration backoffRemaining() {
        return state == SupervisorState.BACKOFF ? Duration.ofNanos(Math.max(0, backoffUntil - now())) : Duration.ZERO;
    }

    /** The exit code of the last worker, or null if none exited yet. */
    public Integer lastWorkerExit() {
        return lastWorkerExit;
    }

    /** The supervisor's exit code once {@link Action#EXIT} was returned. */
    public int exitCode() {
        return exitCode;
    }

    private Action enter(SupervisorState next, String why, Action action) {
        transitions.accept(state + " -> " + next + ": " + why);
        state = next;
        enteredAt = now();
        if (next != SupervisorState.STOPPING) {
            killSent = false;
        }
        return action;
    }

    private long now() {
        return nanoTime.getAsLong();
    }

    private static String seconds(Duration duration) {
        return String.format(java.util.Locale.ROOT, "%.1f", duration.toMillis() / 1000.0);
    }
}
