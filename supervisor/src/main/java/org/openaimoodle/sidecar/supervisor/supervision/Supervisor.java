package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.common.ReusePort;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;
import org.openaimoodle.sidecar.supervisor.logging.LogSink;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectoryKeeper;
import org.openaimoodle.sidecar.supervisor.supervision.SupervisorStateMachine.Action;

/**
 * The supervision loop: one thread feeds worker exits, control commands, health probe results and the
 * passing of time into the {@link SupervisorStateMachine} and carries out the actions it returns. Every
 * health interval it also makes sure the run directory still leads to this supervisor.
 * Other threads only enqueue events and read the published {@link StatusReport}.
 */
public final class Supervisor {
    /** Upper bound of one wait, so that timeouts are noticed without a timer per deadline. */
    private static final long MAX_WAIT_NANOS = 250_000_000L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private sealed interface Event permits WorkerExited, Restart, Stop {
    }

    private record WorkerExited(long pid, int code) implements Event {
    }

    /** A restart, or a reload with the re-read configuration; answered with the replacement's id (-1: none). */
    private record Restart(SupervisorConfig reloaded, CompletableFuture<Long> replacementId) implements Event {
    }

    /** A worker that handed over (or was told to stop after one): SIGKILL once {@code killAt} passed. */
    private record Retiring(WorkerProcess process, ExitReason reason, long killAt) {
    }

    private record Stop() implements Event {
    }

    private SupervisorConfig config; // replaced by a reload; only the loop thread reads it
    private final RunDirectoryKeeper runDirectory;
    private final LogSink log;
    private final Map<String, String> workerEnvironment;
    private HealthProbe probe; // replaced by a reload; only the loop thread uses it
    private final SupervisorStateMachine machine;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    private WorkerProcess worker;
    private String workerId;
    private WorkerProcess candidate; // the new worker of a replacement, while REPLACING
    private String candidateId;
    private final List<Retiring> retiring = new ArrayList<>();
    private final Map<Long, String> retiringIds = new HashMap<>();
    private long nextProbeAt;
    private HealthProbe.Result lastProbe;
    private boolean portTakenLogged;
    private long nextRunDirectoryCheckAt;
    private String runDirectoryProblem;
    private volatile StatusReport status;

    /**
     * @param config            timings, worker command and health address
     * @param runDirectory      the held run directory: where the worker's pid is recorded, restored when deleted
     * @param log               the log file
     * @param workerEnvironment added to the worker's environment ({@code SIDECAR_SUPERVISED=1}, …)
     */
    public Supervisor(SupervisorConfig config, RunDirectoryKeeper runDirectory, LogSink log,
            Map<String, String> workerEnvironment) {
        this.config = config;
        this.runDirectory = runDirectory;
        this.log = log;
        this.workerEnvironment = workerEnvironment;
        this.probe = new HealthProbe(config.host(), config.port(), config.healthTimeout());
        boolean sideBySide = ReusePort.supported();
        this.machine = new SupervisorStateMachine(config, System::nanoTime, line -> log.line("supervisor", line),
                sideBySide);
        if (!sideBySide) {
            log.line("supervisor", "SO_REUSEPORT is not supported on this platform: restart, reload and the memory "
                    + "guard stop the worker before starting the new one (requests fail in between)");
        }
        publishStatus();
    }

    /** Runs until stopped; returns the supervisor's exit code (0, or 78 for a configuration error). */
    public int run() {
        stopWorkerLeftBehind();
        nextRunDirectoryCheckAt = System.nanoTime() + config.healthInterval().toNanos();
        Action first = perform(machine.begin());
        publishStatus();
        while (first != Action.EXIT) {
            try {
                if (step() == Action.EXIT) {
                    break;
                }
            } catch (RuntimeException e) {
                // A bug in one step must not end supervision: log it and carry on with the next event.
                log.line("supervisor", "internal error, supervision continues: " + e);
            }
        }
        if (candidate != null) {
            candidate.kill();
        }
        // Workers still draining after a handover finish their requests before the supervisor goes.
        for (Retiring old : List.copyOf(retiring)) {
            long wait = Math.max(0, old.killAt() - System.nanoTime());
            old.process().handle().onExit().orTimeout(wait, TimeUnit.NANOSECONDS).exceptionally(e -> null).join();
            old.process().kill();
        }
        return machine.exitCode();
    }

    /** One event, timeout or probe, and the action it leads to. */
    private Action step() {
        Event event = nextEvent();
        Action action = event == null ? Action.NONE : handle(event);
        if (action == Action.NONE) {
            action = machine.tick();
        }
        if (action == Action.NONE && probeDue()) {
            long probeStarted = System.nanoTime();
            action = probeOnce();
            scheduleProbe(probeStarted);
        }
        killRetiringPastDeadline();
        if (action == Action.NONE && System.nanoTime() - nextRunDirectoryCheckAt >= 0) {
            action = keepRunDirectory();
            nextRunDirectoryCheckAt = System.nanoTime() + config.healthInterval().toNanos();
        }
        action = perform(action);
        publishStatus();
        return action;
    }

    /**
     * Asks for the worker to be replaced (from the control socket).
     *
     * @param reloaded the re-read configuration for {@code reload}, or null for {@code restart}
     * @return completes with the id of the zero-downtime replacement under way ({@link StatusReport#replacement()}),
     *         or -1 when the worker is stopped and started instead; fails when the reloaded configuration cannot be
     *         applied
     */
    public CompletableFuture<Long> requestRestart(SupervisorConfig reloaded) {
        CompletableFuture<Long> id = new CompletableFuture<>();
        events.add(new Restart(reloaded, id));
        return id;
    }

    /** Asks for a graceful stop of worker and supervisor (signal or control socket). */
    public void requestStop() {
        events.add(new Stop());
    }

    /** The latest published status, with the worker's resident memory measured now. */
    public StatusReport status() {
        StatusReport published = status;
        return published.workerPid() == null ? published
                : published.withWorkerRssKb(ProcessMemory.rssKb(published.workerPid()));
    }

    private Event nextEvent() {
        long wait = MAX_WAIT_NANOS;
        if (machine.probeInterval().isPresent()) {
            wait = Math.max(0, Math.min(wait, nextProbeAt - System.nanoTime()));
        }
        try {
            return events.poll(wait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Stop();
        }
    }

    private Action handle(Event event) {
        return switch (event) {
            case WorkerExited exited when worker != null && exited.pid() == worker.pid() -> {
                worker = null;
                workerId = null;
                runDirectory.forgetWorker();
                yield machine.workerExited(exited.code());
            }
            case WorkerExited exited when candidate != null && exited.pid() == candidate.pid() -> {
                candidate = null;
                candidateId = null;
                yield machine.replacementExited(exited.code(), "");
            }
            case WorkerExited exited when retiringIds.containsKey(exited.pid()) -> {
                Retiring old = retiring.stream().filter(r -> r.process().pid() == exited.pid()).findFirst().orElseThrow();
                retiring.remove(old);
                retiringIds.remove(exited.pid());
                log.line("supervisor", "old worker pid " + exited.pid() + " exited with code " + exited.code()
                        + " after its handover");
                machine.retiredExited(exited.code(), old.reason());
                yield Action.NONE;
            }
            case WorkerExited stale -> Action.NONE; // a worker we already replaced
            case Restart restart -> restart(restart);
            case Stop stop -> machine.stopRequested();
        };
    }

    /** Carries out {@code action}; returns what it finally led to (EXIT when a start failed for good). */
    private Action perform(Action action) {
        switch (action) {
            case START_WORKER -> {
                return startWorker();
            }
            case TERMINATE_WORKER -> {
                killCandidate(); // a stop during a replacement abandons it
                if (worker != null) {
                    worker.terminate();
                }
            }
            case KILL_WORKER -> {
                killCandidate();
                if (worker != null) {
                    worker.kill();
                }
            }
            case START_REPLACEMENT -> {
                return startReplacement();
            }
            case KILL_REPLACEMENT -> killCandidate();
            case PROMOTE_REPLACEMENT -> promote(true);
            case ADOPT_REPLACEMENT -> promote(false);
            case NONE, EXIT -> {
                // nothing to do here; EXIT ends run()
            }
        }
        return action;
    }

    private Action startWorker() {
        // A random id per worker, echoed in its /health answer: only that answer proves it is our worker.
        String id = HexFormat.of().formatHex(randomBytes());
        WorkerProcess started;
        try {
            started = launch(id);
        } catch (IOException e) {
            return perform(machine.launchFailed(config.workerCommand() + ": " + e.getMessage()));
        }
        worker = started;
        workerId = id;
        log.line("supervisor", "worker started, pid " + started.pid() + ": " + String.join(" ", config.workerCommand()));
        recordWorker();
        lastProbe = null;
        portTakenLogged = false;
        scheduleProbe(System.nanoTime());
        return Action.START_WORKER;
    }

    private WorkerProcess launch(String id) throws IOException {
        Map<String, String> environment = new HashMap<>(workerEnvironment);
        environment.put(HealthProbe.WORKER_ID_VARIABLE, id);
        environment.put(org.openaimoodle.sidecar.common.SharedSettings.SIDECAR_SUPERVISOR_RESTARTS.name(),
                Integer.toString(machine.restarts())); // the worker's /metrics shows it
        return WorkerProcess.start(config.workerCommand(), environment, log,
                (pid, code) -> events.add(new WorkerExited(pid, code)));
    }

    private void recordWorker() {
        try {
            runDirectory.recordWorker(worker.handle());
        } catch (IOException e) {
            log.line("supervisor", "cannot record the worker pid in " + runDirectory.path() + ": " + e.getMessage());
        }
    }

    private Action startReplacement() {
        String id = HexFormat.of().formatHex(randomBytes());
        try {
            candidate = launch(id);
        } catch (IOException e) {
            return perform(machine.replacementExited(-1, config.workerCommand() + ": " + e.getMessage()));
        }
        candidateId = id;
        log.line("supervisor", "new worker started beside pid " + (worker == null ? "-" : worker.pid()) + ", pid "
                + candidate.pid() + ": " + String.join(" ", config.workerCommand()));
        scheduleProbe(System.nanoTime());
        return Action.START_REPLACEMENT;
    }

    private void killCandidate() {
        if (candidate != null) {
            log.line("supervisor", "killing the new worker pid " + candidate.pid());
            candidate.kill();
            candidate = null;
            candidateId = null;
        }
    }

    /** The new worker becomes the worker; the old one, if any, hands over and is killed if it outstays its drain. */
    private void promote(boolean handOver) {
        WorkerProcess old = worker;
        String oldId = workerId;
        worker = candidate;
        workerId = candidateId;
        candidate = null;
        candidateId = null;
        recordWorker();
        if (handOver && old != null) {
            ExitReason reason = machine.replacement().map(Replacement::reason).orElse(ExitReason.REQUESTED);
            retiring.add(new Retiring(old, reason, System.nanoTime() + config.stopTimeout().toNanos()));
            retiringIds.put(old.pid(), oldId);
            if (!old.handOver()) {
                old.terminate();
            }
            log.line("supervisor", "worker pid " + worker.pid() + " serves; old worker pid " + old.pid()
                    + " hands over: closes its listener and finishes its requests");
        }
        lastProbe = null;
        scheduleProbe(System.nanoTime());
    }

    private void killRetiringPastDeadline() {
        for (Retiring old : List.copyOf(retiring)) {
            if (System.nanoTime() - old.killAt() >= 0 && old.process().handle().isAlive()) {
                log.line("supervisor", "old worker pid " + old.process().pid() + " still running "
                        + config.stopTimeout().toSeconds() + " s after its handover (SIDECAR_STOP_TIMEOUT); "
                        + "sending SIGKILL");
                old.process().kill();
                retiring.set(retiring.indexOf(old), new Retiring(old.process(), old.reason(), Long.MAX_VALUE));
            }
        }
    }

    private Action restart(Restart restart) {
        if (restart.reloaded() != null) {
            SupervisorConfig fresh = restart.reloaded();
            if (!fresh.host().equals(config.host()) || fresh.port() != config.port()) {
                restart.replacementId().completeExceptionally(new IllegalStateException("SIDECAR_HOST or SIDECAR_PORT "
                        + "changed: a reload cannot move the worker; use `sidecarctl stop` then `start`"));
                return Action.NONE;
            }
            config = fresh;
            probe = new HealthProbe(fresh.host(), fresh.port(), fresh.healthTimeout());
            machine.reconfigured(fresh);
            log.line("supervisor", "configuration re-read (reload)");
        }
        Action action = machine.restartRequested();
        boolean replacing = machine.state() == SupervisorState.REPLACING;
        restart.replacementId().complete(replacing ? machine.replacement().orElseThrow().id() : -1L);
        return action;
    }

    /** One probe, and what its answer means for the worker or the new worker of a replacement. */
    private Action probeOnce() {
        if (machine.state() == SupervisorState.REPLACING) {
            List<String> ours = new ArrayList<>(retiringIds.values());
            if (workerId != null) {
                ours.add(workerId);
            }
            HealthProbe.Result result = probe.probe(candidateId, ours);
            if (result.healthy()) {
                lastProbe = result;
                return machine.replacementProbed(true, result.detail());
            }
            return Action.NONE; // the old worker answered, or nobody yet: the start timeout bounds the wait
        }
        HealthProbe.Result result = probe.probe(workerId, retiringIds.values());
        if (result.outcome() == HealthProbe.Outcome.OTHER_WORKER) {
            return Action.NONE; // an old worker still accepted this one connection before its handover
        }
        lastProbe = result;
        logPortTakenOnce();
        Action action = machine.healthProbed(lastProbe.healthy(), lastProbe.detail());
        if (action == Action.NONE && lastProbe.healthy() && machine.state() == SupervisorState.RUNNING
                && worker != null) {
            Long rssKb = ProcessMemory.rssKb(worker.pid());
            action = machine.memoryMeasured(rssKb == null ? null : rssKb * 1024);
        }
        return action;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private void logPortTakenOnce() {
        if (lastProbe.portTaken() && !portTakenLogged) {
            portTakenLogged = true;
            log.line("supervisor", lastProbe.detail());
        }
    }

    /** A tmp cleaner may have deleted the run directory: put it back, or stop if another supervisor took it. */
    private Action keepRunDirectory() {
        try {
            RunDirectoryKeeper.Check check = runDirectory.keep();
            runDirectoryProblem = null;
            if (check == RunDirectoryKeeper.Check.RESTORED) {
                log.line("supervisor", "run directory " + runDirectory.path() + " was deleted or emptied (a tmp "
                        + "cleaner?); restored its lock, pid files and control socket");
            } else if (check == RunDirectoryKeeper.Check.TAKEN_OVER && machine.state() != SupervisorState.STOPPING) {
                log.line("supervisor", "another supervisor took over the run directory " + runDirectory.path()
                        + "; stopping this one, so that only one runs");
                return machine.stopRequested();
            }
        } catch (IOException | RuntimeException e) {
            String problem = "cannot restore the run directory " + runDirectory.path() + ": " + e.getMessage()
                    + "; sidecarctl cannot reach this supervisor until it can (retrying)";
            if (!problem.equals(runDirectoryProblem)) {
                log.line("supervisor", problem);
                runDirectoryProblem = problem;
            }
        }
        return Action.NONE;
    }

    /** A worker recorded by a supervisor that died (kill -9, power loss) may still hold the port. */
    private void stopWorkerLeftBehind() {
        runDirectory.workerLeftBehind().ifPresent(stale -> {
            log.line("supervisor", "found worker pid " + stale.pid() + " left by a previous supervisor; stopping it");
            WorkerProcess.killTree(stale);
            stale.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        });
        runDirectory.forgetWorker();
    }

    private boolean probeDue() {
        return machine.probeInterval().isPresent() && System.nanoTime() - nextProbeAt >= 0;
    }

    /** At a fixed rate from the last probe's start: a slow (failing) probe must not stretch the interval. */
    private void scheduleProbe(long lastProbeStarted) {
        nextProbeAt = lastProbeStarted + machine.probeInterval().orElse(config.healthInterval()).toNanos();
    }

    private void publishStatus() {
        SupervisorState state = machine.state();
        boolean portTaken = lastProbe != null && lastProbe.portTaken();
        String message = portTaken ? lastProbe.detail() : "";
        if (state == SupervisorState.BACKOFF) {
            message = join(message, "next start in "
                    + Math.max(1, machine.backoffRemaining().toMillis() / 100) / 10.0 + " s");
        } else if (state == SupervisorState.STARTING && lastProbe != null && !portTaken && !lastProbe.healthy()) {
            message = "waiting for " + config.healthUrl();
        } else if (state == SupervisorState.REPLACING && candidate != null) {
            message = join(message, "replacing it: new worker pid " + candidate.pid() + " starting beside it");
        } else if (state == SupervisorState.STOPPING) {
            message = join(message, machine.stopReason().map(reason -> "stopping the worker ("
                    + reason.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")").orElse(""));
        }
        status = new StatusReport(StatusReport.Presence.ANSWERED, state, ProcessHandle.current().pid(),
                worker == null ? null : worker.pid(), workerId, machine.restarts(), machine.uptime().toSeconds(),
                lastProbe == null ? null : lastProbe.healthy(), lastProbe == null ? 0 : lastProbe.latencyMillis(),
                portTaken, null, machine.lastExit().orElse(null), log.file().toString(), message,
                machine.replacement().orElse(null));
    }

    private static String join(String first, String second) {
        return first.isEmpty() ? second : second.isEmpty() ? first : first + "; " + second;
    }
}
