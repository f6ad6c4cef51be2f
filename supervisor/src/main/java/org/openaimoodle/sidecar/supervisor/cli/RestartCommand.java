package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;

import org.openaimoodle.sidecar.supervisor.control.ControlCommand;

import org.openaimoodle.sidecar.common.ExitCodes;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sidecarctl restart}: a new worker (everything, if nothing runs), then waits for it to be healthy. */
@Command(name = "restart", description = {"Restarts the worker (starts everything if nothing runs) and waits until "
        + "the new worker is healthy.", "Exit 0 healthy, 1 not healthy in time."})
final class RestartCommand extends SidecarctlSubcommand {
    @Mixin
    private WaitOption waitOption;

    @Override
    public Integer call() throws IOException {
        LocalSidecar sidecar = sidecar();
        Duration wait = waitOption.duration();
        if (sidecar.supervisor().isEmpty()) {
            System.out.println("openai-moodle-sidecar: not running; starting it");
            return StartCommand.start(sidecar, wait);
        }
        Long previous;
        try {
            previous = sidecar.control().status().workerPid();
            sidecar.control().send(ControlCommand.RESTART);
        } catch (IOException e) {
            System.out.println("openai-moodle-sidecar: the supervisor does not answer (" + e.getMessage()
                    + "); `sidecarctl check` replaces it, or `sidecarctl stop` then `start`");
            return ExitCodes.FAILED;
        }
        System.out.println("openai-moodle-sidecar: restarting the worker" + (previous == null ? "" : " (pid " + previous + ")"));
        return StartCommand.report(HealthyWorkerWait.await(sidecar, wait, previous, null, System.out), "new worker");
    }
}
