package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;
import org.openaimoodle.sidecar.supervisor.logging.LogSink;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectory;
import org.openaimoodle.sidecar.supervisor.supervision.SupervisorStateMachine.Action;

/**
 * The supervision loop: one thread feeds worker exits, control commands, health probe results and the
 * passing of time into the {@link SupervisorStateMachine} and carries out the actions it returns.
 * Other threads only enqueue events and read the published {@link StatusReport}.
 */
public final class Supervisor {
    /**
     * While STARTING, probe often: the worker is RUNNING as soon as it answers. A refused connect costs
     * well under a millisecond, and every millisecond between "listening" and RUNNING is start-up time.
     */
    private static final long STARTING_PROBE_NANOS = 20_000_000L;
    /** Upper bound of one wait, so that timeouts are noticed without a timer per deadline. */
    private static final long MAX_WAIT_NANOS = 250_000_000L;

    private sealed interface Event permits WorkerExited, Restart, Stop {
    }

    private record WorkerExited(long pid, int code) implements Event {
    }

    private record Restart() implements Event {
    }

    private record Stop() implements Event {
    }

    private final SupervisorConfig config;
    private final RunDirectory runDirectory;
    private final LogSink log;
    private final Map<String, String> workerEnvironment;
    private final HealthProbe probe;
    private final SupervisorStateMachine machine;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    private WorkerProcess worker;
    private long nextProbeAt;
    private HealthProbe.Result lastProbe;
    private volatile StatusReport status;

    /**
     * @param config            timings, worker command and health address
     * @param runDirectory      where the worker's pid is recorded
     * @param log               the log file
     * @param workerEnvironment added to the worker's environment ({@code SIDECAR_SUPERVISED=1}, …)
     */
    public Supervisor(SupervisorConfig config, RunDirectory runDirectory, LogSink log,
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
        stopStaleWorker();
        perform(machine.begin());
        while (true) {
            try {
                if (step() == Action.EXIT) {
                    return machine.exitCode();
                }
            } catch (RuntimeException e) {
                // A bug in one step must not end supervision: log it and carry on with the next event.
                log.line("supervisor", "internal error, supervision continues: " + e);
            }
        }
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
            lastProbe = probe.probe();
            action = machine.healthProbed(lastProbe.healthy(), lastProbe.detail());
            scheduleProbe(probeStarted);
        }
        perform(action);
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

    /** The latest published status. */
    public StatusReport status() {
        return status;
    }

    private Event nextEvent() {
        long wait = MAX_WAIT_NANOS;
        if (machine.state() == SupervisorState.STARTING || machine.state() == SupervisorState.RUNNING) {
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
                runDirectory.forget(ProcessRole.WORKER);
                yield machine.workerExited(exited.code());
            }
            case WorkerExited stale -> Action.NONE; // a worker we already replaced
            case Restart restart -> machine.restartRequested();
            case Stop stop -> machine.stopRequested();
        };
    }

    private void perform(Action action) {
        switch (action) {
            case START_WORKER -> startWorker();
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
    }

    private void startWorker() {
        try {
            WorkerProcess started = WorkerProcess.start(config.workerCommand(), workerEnvironment, log,
                    (pid, code) -> events.add(new WorkerExited(pid, code)));
            worker = started;
            log.line("supervisor", "worker started, pid " + started.pid() + ": " + String.join(" ", config.workerCommand()));
            recordWorker(started);
            lastProbe = null;
            scheduleProbe(System.nanoTime());
        } catch (IOException e) {
            log.line("supervisor", "cannot run the worker command " + config.workerCommand() + ": " + e.getMessage()
                    + "; check SIDECAR_WORKER_COMMAND or the installation");
            perform(machine.workerExited(ExitCodes.CONFIG));
        }
    }

    private void recordWorker(WorkerProcess started) {
        try {
            runDirectory.recordProcess(ProcessRole.WORKER, started.handle());
        } catch (IOException e) {
            log.line("supervisor", "cannot record the worker pid in " + runDirectory.path() + ": " + e.getMessage());
        }
    }

    /** A worker recorded by a supervisor that died (kill -9, power loss) may still hold the port. */
    private void stopStaleWorker() {
        runDirectory.recordedProcess(ProcessRole.WORKER).ifPresent(stale -> {
            log.line("supervisor", "found worker pid " + stale.pid() + " left by a previous supervisor; stopping it");
            WorkerProcess.killTree(stale);
            stale.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        });
        runDirectory.forget(ProcessRole.WORKER);
    }

    private boolean probeDue() {
        SupervisorState state = machine.state();
        return (state == SupervisorState.STARTING || state == SupervisorState.RUNNING)
                && System.nanoTime() - nextProbeAt >= 0;
    }

    /** At a fixed rate from the last probe's start: a slow (failing) probe must not stretch the interval. */
    private void scheduleProbe(long lastProbeStarted) {
        long interval = machine.state() == SupervisorState.RUNNING ? config.healthInterval().toNanos()
                : STARTING_PROBE_NANOS;
        nextProbeAt = lastProbeStarted + interval;
    }

    private void publishStatus() {
        SupervisorState state = machine.state();
        String message = "";
        if (state == SupervisorState.BACKOFF) {
            message = "next start in " + Math.max(1, machine.backoffRemaining().toMillis() / 100) / 10.0 + " s";
        } else if (state == SupervisorState.STARTING && lastProbe != null && !lastProbe.healthy()) {
            message = "waiting for " + config.healthUrl();
        }
        status = new StatusReport(state.name(), ProcessHandle.current().pid(), worker == null ? null : worker.pid(),
                machine.restarts(), machine.uptime().toSeconds(), lastProbe == null ? null : lastProbe.healthy(),
                lastProbe == null ? 0 : lastProbe.latencyMillis(), machine.lastWorkerExit(), log.file().toString(),
                message);
    }
}
