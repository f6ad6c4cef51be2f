package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.ExitCodes;
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

    private record Restart() implements Event {
    }

    private record Stop() implements Event {
    }

    private final SupervisorConfig config;
    private final RunDirectoryKeeper runDirectory;
    private final LogSink log;
    private final Map<String, String> workerEnvironment;
    private final HealthProbe probe;
    private final SupervisorStateMachine machine;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    private WorkerProcess worker;
    private String workerId;
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
        this.machine = new SupervisorStateMachine(config, System::nanoTime, line -> log.line("supervisor", line));
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
            lastProbe = probe.probe(workerId);
            logPortTakenOnce();
            action = machine.healthProbed(lastProbe.healthy(), lastProbe.detail());
            scheduleProbe(probeStarted);
        }
        if (action == Action.NONE && System.nanoTime() - nextRunDirectoryCheckAt >= 0) {
            action = keepRunDirectory();
            nextRunDirectoryCheckAt = System.nanoTime() + config.healthInterval().toNanos();
        }
        action = perform(action);
        publishStatus();
        return action;
    }

    /** Asks for the worker to be replaced (from the control socket). */
    public void requestRestart() {
        events.add(new Restart());
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
            case WorkerExited stale -> Action.NONE; // a worker we already replaced
            case Restart restart -> machine.restartRequested();
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
                if (worker != null) {
                    worker.terminate();
                }
            }
            case KILL_WORKER -> {
                if (worker != null) {
                    worker.kill();
                }
            }
            case NONE, EXIT -> {
                // nothing to do here; EXIT ends run()
            }
        }
        return action;
    }

    private Action startWorker() {
        // A random id per worker, echoed in its /health answer: only that answer proves it is our worker.
        String id = HexFormat.of().formatHex(randomBytes());
        Map<String, String> environment = new HashMap<>(workerEnvironment);
        environment.put(HealthProbe.WORKER_ID_VARIABLE, id);
        environment.put(org.openaimoodle.sidecar.common.SharedSettings.SIDECAR_SUPERVISOR_RESTARTS.name(),
                Integer.toString(machine.restarts())); // the worker's /metrics shows it
        WorkerProcess started;
        try {
            started = WorkerProcess.start(config.workerCommand(), environment, log,
                    (pid, code) -> events.add(new WorkerExited(pid, code)));
        } catch (IOException e) {
            return perform(machine.launchFailed(config.workerCommand() + ": " + e.getMessage()));
        }
        worker = started;
        workerId = id;
        log.line("supervisor", "worker started, pid " + started.pid() + ": " + String.join(" ", config.workerCommand()));
        try {
            runDirectory.recordWorker(started.handle());
        } catch (IOException e) {
            log.line("supervisor", "cannot record the worker pid in " + runDirectory.path() + ": " + e.getMessage());
        }
        lastProbe = null;
        portTakenLogged = false;
        scheduleProbe(System.nanoTime());
        return Action.START_WORKER;
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
        } else if (state == SupervisorState.STOPPING) {
            message = join(message, machine.stopReason().map(reason -> "stopping the worker ("
                    + reason.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")").orElse(""));
        }
        status = new StatusReport(StatusReport.Presence.ANSWERED, state, ProcessHandle.current().pid(),
                worker == null ? null : worker.pid(), workerId, machine.restarts(), machine.uptime().toSeconds(),
                lastProbe == null ? null : lastProbe.healthy(), lastProbe == null ? 0 : lastProbe.latencyMillis(),
                portTaken, null, machine.lastExit().orElse(null), log.file().toString(), message);
    }

    private static String join(String first, String second) {
        return first.isEmpty() ? second : second.isEmpty() ? first : first + "; " + second;
    }
}
