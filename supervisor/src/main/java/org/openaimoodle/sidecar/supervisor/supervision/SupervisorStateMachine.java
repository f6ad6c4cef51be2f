package org.openaimoodle.sidecar.supervisor.supervision;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
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
 * STOPPED --begin--> STARTING --healthy--> RUNNING --N failed probes--> STOPPING(HUNG, SIGKILL)
 * STARTING --start timeout--> STOPPING(START_TIMEOUT, SIGKILL)
 * STARTING / RUNNING --restart / stop--> STOPPING(RESTART / SHUTDOWN, SIGTERM; SIGKILL after the stop timeout)
 * STOPPING(RESTART) --worker exited--> STARTING        STOPPING(SHUTDOWN) --worker exited--> STOPPED, exit 0
 * STARTING / RUNNING / STOPPING(HUNG, START_TIMEOUT) --worker exited--> BACKOFF --delay over--> STARTING
 * RUNNING for at least 10 s --worker exited unasked (a crash)--> STARTING at once
 * worker exited 78, or the worker command could not be launched: STOPPED, exit 78
 *
 * Zero-downtime replacement (restart, reload, memory guard; when the platform has SO_REUSEPORT):
 * RUNNING --restart / 2 probes over SIDECAR_WORKER_MAX_RSS--> REPLACING (START_REPLACEMENT: a new worker beside the old)
 * REPLACING --the new worker answers /health--> RUNNING (PROMOTE_REPLACEMENT: the old one hands over and drains)
 * REPLACING --the new worker exits, cannot launch, or is not healthy within the start timeout--> RUNNING
 *           (KILL_REPLACEMENT when it still runs; the old worker keeps serving; the replacement FAILED)
 * REPLACING --the old worker exits--> STARTING with the new one (ADOPT_REPLACEMENT)
 * REPLACING --stop--> STOPPING(SHUTDOWN) (the new worker is killed, the old one SIGTERMed)
 * Without SO_REUSEPORT a restart stops the worker first, as above, and the memory guard is STOPPING(MEMORY).
 * </pre>
 */
public final class SupervisorStateMachine {
    /** What the caller must do after an event. */
    public enum Action {
        /** Nothing. */
        NONE,
        /** Launch a new worker; report {@link #launchFailed} if that is impossible. */
        START_WORKER,
        /** Send SIGTERM to the worker (it drains, then exits). */
        TERMINATE_WORKER,
        /** SIGKILL the worker and all its descendants. */
        KILL_WORKER,
        /** Launch a new worker beside the serving one (same port); report {@link #replacementExited} when it fails. */
        START_REPLACEMENT,
        /** SIGKILL the new worker, which did not become healthy; the old one keeps serving. */
        KILL_REPLACEMENT,
        /** The new worker is the worker now; the old one gets the handover line on stdin and drains. */
        PROMOTE_REPLACEMENT,
        /** The old worker exited while the new one was starting: the new one is the (STARTING) worker now. */
        ADOPT_REPLACEMENT,
        /** The supervisor is done; exit with {@link #exitCode()}. */
        EXIT
    }

    /** Probes over the memory limit in a row that make the guard replace the worker. */
    static final int MEMORY_PROBES = 2;

    /**
     * While STARTING, probe often: the worker is RUNNING as soon as it answers. A refused connect costs
     * well under a millisecond, and every millisecond between "listening" and RUNNING is start-up time.
     */
    static final Duration STARTING_PROBE_INTERVAL = Duration.ofMillis(20);

    private SupervisorConfig config; // replaced by a reload
    private RestartBackoff backoff;
    private final LongSupplier nanoTime;
    private final Consumer<String> transitions;
    private final boolean sideBySide;

    private SupervisorState state = SupervisorState.STOPPED;
    private StopReason stopReason; // only while STOPPING
    private OptionalLong killDueAt = OptionalLong.empty(); // while STOPPING after SIGTERM: when SIGKILL follows
    private long enteredAt;
    private long runningSince = -1;
    private long backoffUntil;
    private int failedProbes;
    private int restarts;
    private int exitCode;
    private Integer lastWorkerExit;
    private ExitReason lastExitReason;
    private long lastExitAt;
    private int probesOverMemory;
    private long memoryGuardPausedUntil;
    private long replacementStartedAt;
    private long replacements;
    private Replacement replacement; // the latest one, or null
    private long maxRssBytes;

    /**
     * @param config      timings: health failures, start, stop and backoff settings
     * @param nanoTime    monotonic clock ({@code System::nanoTime} in production)
     * @param transitions receives one readable line per state change, for the log
     */
    public SupervisorStateMachine(SupervisorConfig config, LongSupplier nanoTime, Consumer<String> transitions) {
        this(config, nanoTime, transitions, false);
    }

    /**
     * @param sideBySide whether a new worker can listen beside the old one ({@code SO_REUSEPORT}): then restarts
     *                   and the memory guard replace the worker without a gap
     */
    public SupervisorStateMachine(SupervisorConfig config, LongSupplier nanoTime, Consumer<String> transitions,
            boolean sideBySide) {
        this.sideBySide = sideBySide;
        this.maxRssBytes = config.workerMaxRssBytes();
        this.config = config;
        this.backoff = new RestartBackoff(config.backoffInitial(), config.backoffMax(), config.backoffReset());
        this.nanoTime = nanoTime;
        this.transitions = transitions;
        this.enteredAt = nanoTime.getAsLong();
    }

    /** Supervision begins: start the first worker. */
    public Action begin() {
        return state == SupervisorState.STOPPED ? enter(SupervisorState.STARTING, "starting the worker",
                Action.START_WORKER) : Action.NONE;
    }

    /** The result of one {@code /health} probe (a foreign answer counts as unhealthy). */
    public Action healthProbed(boolean healthy, String detail) {
        if (state == SupervisorState.STARTING && healthy) {
            failedProbes = 0;
            probesOverMemory = 0;
            runningSince = now();
            endReplacement(Replacement.Outcome.SUCCEEDED, "new worker healthy");
            return enter(SupervisorState.RUNNING, "worker healthy (" + detail + ")", Action.NONE);
        }
        if (state != SupervisorState.RUNNING) {
            return Action.NONE;
        }
        failedProbes = healthy ? 0 : failedProbes + 1;
        if (failedProbes < config.healthFailures()) {
            return Action.NONE;
        }
        return stop(StopReason.HUNG, "worker hung: " + failedProbes + " health probes failed in a row (" + detail
                + "); killing it");
    }

    /** A probe answered by the new worker of a replacement (REPLACING). */
    public Action replacementProbed(boolean healthy, String detail) {
        if (state != SupervisorState.REPLACING || !healthy) {
            return Action.NONE;
        }
        restarts++;
        failedProbes = 0;
        probesOverMemory = 0;
        runningSince = now();
        endReplacement(Replacement.Outcome.SUCCEEDED, "new worker healthy; the old one hands over");
        return enter(SupervisorState.RUNNING, "new worker healthy (" + detail + "); the old worker hands over "
                + "and drains", Action.PROMOTE_REPLACEMENT);
    }

    /**
     * The new worker of a replacement exited ({@code code}), or could not be launched ({@code code} -1).
     * The old worker keeps serving.
     */
    public Action replacementExited(int code, String detail) {
        if (state != SupervisorState.REPLACING) {
            return Action.NONE; // one we killed already
        }
        String why = code < 0 ? "new worker could not be launched: " + detail
                : "new worker exited with code " + code + (code == ExitCodes.CONFIG
                ? " (configuration error, see its message above)" : "") + " before it was healthy";
        return failReplacement(why, Action.NONE);
    }

    /** A worker that handed over has exited: it is the last exit {@code status} shows. */
    public void retiredExited(int code, ExitReason reason) {
        lastWorkerExit = code;
        lastExitReason = reason;
        lastExitAt = now();
    }

    /**
     * The worker's resident memory, measured after a probe of a RUNNING worker (null when unknown). Over
     * {@code SIDECAR_WORKER_MAX_RSS} on {@value #MEMORY_PROBES} measurements in a row, the worker is replaced.
     */
    public Action memoryMeasured(Long rssBytes) {
        if (state != SupervisorState.RUNNING || maxRssBytes <= 0 || rssBytes == null || rssBytes <= maxRssBytes) {
            probesOverMemory = 0;
            return Action.NONE;
        }
        if (++probesOverMemory < MEMORY_PROBES || now() - memoryGuardPausedUntil < 0) {
            return Action.NONE;
        }
        probesOverMemory = 0;
        String why = "worker uses " + rssBytes / (1 << 20) + " MB, over SIDECAR_WORKER_MAX_RSS ("
                + maxRssBytes / (1 << 20) + " MB) on " + MEMORY_PROBES + " probes in a row";
        if (sideBySide) {
            return beginReplacement(ExitReason.MEMORY, why);
        }
        return stop(StopReason.MEMORY, why + "; stopping it");
    }

    /**
     * Settings re-read by {@code reload}, applied from now on: health failures, start and stop timeouts, backoff
     * (the crashes counted so far still count) and the memory guard's limit. A timeout already running keeps the
     * moment it started at, so a shorter one can fall due at once.
     */
    public void reconfigured(SupervisorConfig fresh) {
        config = fresh;
        maxRssBytes = fresh.workerMaxRssBytes();
        backoff = backoff.withDelays(fresh.backoffInitial(), fresh.backoffMax(), fresh.backoffReset());
    }

    /** The worker process exited with {@code code} (128 + signal when killed by a signal). */
    public Action workerExited(int code) {
        if (state == SupervisorState.REPLACING) {
            // The old worker died while the new one starts: the new one is the worker now.
            lastWorkerExit = code;
            lastExitReason = ExitReason.CRASHED;
            lastExitAt = now();
            runningSince = -1;
            restarts++;
            long started = replacementStartedAt;
            Action adopt = enter(SupervisorState.STARTING, "worker exited with code " + code
                    + " during its replacement; the new worker takes over", Action.ADOPT_REPLACEMENT);
            enteredAt = started; // its start timeout counts from its own start
            return adopt;
        }
        Duration healthyFor = uptime();
        runningSince = -1;
        StopReason reason = state == SupervisorState.STOPPING ? stopReason : null;
        lastWorkerExit = code;
        lastExitReason = reason == null ? ExitReason.CRASHED : reason.exitReason();
        lastExitAt = now();
        String exited = "worker exited with code " + code;
        if (reason == StopReason.SHUTDOWN) {
            return exit(0, exited + "; supervisor stopping");
        }
        // An adopted new worker (its predecessor died while it started) that exits never got healthy.
        endReplacement(Replacement.Outcome.FAILED, "new worker exited with code " + code + " before it was healthy");
        if (code == ExitCodes.CONFIG) {
            return exit(ExitCodes.CONFIG, exited + " (configuration error, see its message above); not restarting "
                    + "it: fix the configuration, then start again");
        }
        if (reason == StopReason.RESTART || reason == StopReason.MEMORY) {
            restarts++;
            return enter(SupervisorState.STARTING, exited + "; restarting it " + (reason == StopReason.MEMORY
                    ? "(memory guard)" : "as requested"), Action.START_WORKER);
        }
        Duration delay = reason == null ? backoff.afterCrash(healthyFor) : backoff.nextDelay(healthyFor);
        if (delay.isZero()) {
            restarts++;
            return enter(SupervisorState.STARTING, exited + " after " + seconds(healthyFor)
                    + " s of health; restarting it at once", Action.START_WORKER);
        }
        backoffUntil = now() + delay.toNanos();
        return enter(SupervisorState.BACKOFF, exited + "; next start in " + seconds(delay) + " s", Action.NONE);
    }

    /** {@link Action#START_WORKER} could not be carried out: the worker command cannot be executed at all. */
    public Action launchFailed(String why) {
        return exit(ExitCodes.CONFIG, "cannot run the worker command: " + why
                + "; check SIDECAR_WORKER_COMMAND or the installation");
    }

    /** Time passed: ends a backoff, or enforces the start and stop timeouts. */
    public Action tick() {
        if (state == SupervisorState.REPLACING && now() - replacementStartedAt >= config.startTimeout().toNanos()) {
            return failReplacement("new worker not healthy after " + seconds(config.startTimeout())
                    + " s (SIDECAR_START_TIMEOUT); killing it", Action.KILL_REPLACEMENT);
        }
        if (state == SupervisorState.BACKOFF && now() - backoffUntil >= 0) {
            restarts++;
            return enter(SupervisorState.STARTING, "restarting the worker (restart " + restarts + ")",
                    Action.START_WORKER);
        }
        if (state == SupervisorState.STARTING && now() - enteredAt >= config.startTimeout().toNanos()) {
            return stop(StopReason.START_TIMEOUT, "worker not healthy after " + seconds(config.startTimeout())
                    + " s (SIDECAR_START_TIMEOUT); killing it");
        }
        if (state == SupervisorState.STOPPING && killDueAt.isPresent() && now() - killDueAt.getAsLong() >= 0) {
            killDueAt = OptionalLong.empty();
            transitions.accept("worker still running " + seconds(config.stopTimeout())
                    + " s after SIGTERM (SIDECAR_STOP_TIMEOUT); sending SIGKILL");
            return Action.KILL_WORKER;
        }
        return Action.NONE;
    }

    /**
     * {@code sidecarctl restart} or {@code reload}: replace the worker now, without backoff; a RUNNING worker
     * beside its successor when the platform allows ({@link #replacement()} then tells how it went).
     */
    public Action restartRequested() {
        return switch (state) {
            case RUNNING -> sideBySide ? beginReplacement(ExitReason.REQUESTED, "restart requested")
                    : stop(StopReason.RESTART, "restart requested; stopping the worker");
            case REPLACING -> Action.NONE; // the replacement under way is the one asked for
            case STARTING -> stop(StopReason.RESTART, "restart requested; stopping the worker");
            case BACKOFF -> {
                restarts++;
                yield enter(SupervisorState.STARTING, "restart requested; starting the worker now",
                        Action.START_WORKER);
            }
            case STOPPING -> {
                if (stopReason != StopReason.SHUTDOWN) {
                    stopReason = StopReason.RESTART; // the next worker starts at once, without backoff
                }
                yield Action.NONE;
            }
            case STOPPED -> Action.NONE;
        };
    }

    /** SIGTERM, SIGINT or {@code sidecarctl stop}: stop the worker, then the supervisor. */
    public Action stopRequested() {
        return switch (state) {
            case STARTING, RUNNING -> stop(StopReason.SHUTDOWN, "stop requested; stopping the worker");
            case REPLACING -> {
                endReplacement(Replacement.Outcome.FAILED, "stop requested");
                yield stop(StopReason.SHUTDOWN, "stop requested during a replacement; killing the new worker, "
                        + "stopping the old one");
            }
            case BACKOFF -> exit(0, "stop requested; no worker running");
            case STOPPING -> {
                stopReason = StopReason.SHUTDOWN; // a SIGKILL already sent or due stays as it is
                yield Action.NONE;
            }
            case STOPPED -> Action.EXIT;
        };
    }

    /** The current state. */
    public SupervisorState state() {
        return state;
    }

    /** Why the worker is stopping, while STOPPING. */
    public Optional<StopReason> stopReason() {
        return Optional.ofNullable(stopReason);
    }

    /** How often to probe {@code /health} in this state; empty when there is nothing to probe. */
    public Optional<Duration> probeInterval() {
        return switch (state) {
            case STARTING, REPLACING -> Optional.of(STARTING_PROBE_INTERVAL);
            case RUNNING -> Optional.of(config.healthInterval());
            default -> Optional.empty();
        };
    }

    /** The latest zero-downtime replacement, if any. */
    public Optional<Replacement> replacement() {
        return Optional.ofNullable(replacement);
    }

    /** Whether restarts replace the worker beside its successor ({@code SO_REUSEPORT}). */
    public boolean sideBySide() {
        return sideBySide;
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

    /** How the last worker ended, or empty if none exited yet. */
    public Optional<WorkerExit> lastExit() {
        return lastWorkerExit == null ? Optional.empty()
                : Optional.of(new WorkerExit(lastWorkerExit, lastExitReason, Duration.ofNanos(now() - lastExitAt)));
    }

    /** The supervisor's exit code once {@link Action#EXIT} was returned. */
    public int exitCode() {
        return exitCode;
    }

    private Action beginReplacement(ExitReason reason, String why) {
        replacementStartedAt = now();
        replacement = new Replacement(++replacements, Replacement.Outcome.PENDING, reason, "new worker starting");
        SupervisorState serving = state;
        Action start = enter(SupervisorState.REPLACING, why + "; starting a new worker beside the old one",
                Action.START_REPLACEMENT);
        if (serving == SupervisorState.RUNNING) {
            enteredAt = replacementStartedAt;
        }
        return start;
    }

    private Action failReplacement(String why, Action action) {
        endReplacement(Replacement.Outcome.FAILED, why);
        if (replacement != null && replacement.reason() == ExitReason.MEMORY) {
            memoryGuardPausedUntil = now() + config.backoffMax().toNanos(); // no start loop with a broken worker
        }
        return enter(SupervisorState.RUNNING, why + "; the old worker keeps serving", action);
    }

    private void endReplacement(Replacement.Outcome outcome, String why) {
        if (replacement != null && replacement.outcome() == Replacement.Outcome.PENDING) {
            replacement = replacement.ended(outcome, why);
        }
    }

    private Action stop(StopReason reason, String why) {
        Action signal = reason.killAtOnce() ? Action.KILL_WORKER : Action.TERMINATE_WORKER;
        enter(SupervisorState.STOPPING, why, signal);
        stopReason = reason;
        killDueAt = reason.killAtOnce() ? OptionalLong.empty() : OptionalLong.of(now() + config.stopTimeout().toNanos());
        return signal;
    }

    private Action exit(int code, String why) {
        exitCode = code;
        return enter(SupervisorState.STOPPED, why, Action.EXIT);
    }

    private Action enter(SupervisorState next, String why, Action action) {
        transitions.accept(state + " -> " + next + ": " + why);
        state = next;
        enteredAt = now();
        stopReason = null;
        killDueAt = OptionalLong.empty();
        return action;
    }

    private long now() {
        return nanoTime.getAsLong();
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f", duration.toMillis() / 1000.0);
    }
}
