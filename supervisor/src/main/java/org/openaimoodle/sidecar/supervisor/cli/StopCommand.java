package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.ControlCommand;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.supervision.WorkerProcess;

import picocli.CommandLine.Command;

/** {@code sidecarctl stop}: worker first (SIGTERM, drain), then the supervisor. */
@Command(name = "stop", description = {"Stops the worker (SIGTERM, then SIGKILL after SIDECAR_STOP_TIMEOUT) and the "
        + "supervisor.", "Exit 0, also when nothing was running."})
final class StopCommand extends SidecarctlSubcommand {
    /** Beyond the worker's stop timeout: the supervisor's own shutdown. */
    private static final Duration SUPERVISOR_GRACE = Duration.ofSeconds(5);

    @Override
    public Integer call() {
        LocalSidecar sidecar = sidecar();
        Optional<ProcessHandle> supervisor = sidecar.supervisor();
        if (supervisor.isEmpty()) {
            // A worker without its supervisor exits by itself; one that did not (or a foreign stdin) goes now.
            sidecar.runDirectory().recordedProcess(ProcessRole.WORKER).ifPresent(WorkerProcess::killTree);
            System.out.println("openai-moodle-sidecar: not running");
            return ExitCodes.OK;
        }
        ProcessHandle process = supervisor.get();
        try {
            sidecar.control().send(ControlCommand.STOP);
        } catch (IOException e) {
            process.destroy(); // no answer on the socket: SIGTERM does the same graceful stop
        }
        Duration wait = sidecar.config().stopTimeout().plus(SUPERVISOR_GRACE);
        if (!awaitExit(process, wait)) {
            System.out.println("openai-moodle-sidecar: supervisor pid " + process.pid() + " did not stop within "
                    + wait.toSeconds() + " s; killing it and its worker");
            WorkerProcess.killTree(process);
            awaitExit(process, SUPERVISOR_GRACE);
        }
        System.out.println("openai-moodle-sidecar: stopped (supervisor pid " + process.pid() + ")");
        return ExitCodes.OK;
    }

    private static boolean awaitExit(ProcessHandle process, Duration wait) {
        try {
            process.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return !process.isAlive();
        }
    }
}
