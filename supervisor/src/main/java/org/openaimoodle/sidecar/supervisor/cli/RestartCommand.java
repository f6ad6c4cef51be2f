package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;

import org.openaimoodle.sidecar.supervisor.control.ControlCommand;


import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sidecarctl restart}: a new worker (everything, if nothing runs), then waits for it to be healthy. */
@Command(name = "restart", description = {"Restarts the worker (starts everything if nothing runs) and waits until "
        + "the new worker is healthy; the old worker serves until then (no failed request).", "Exit 0 healthy, 1 not healthy in time (the old worker keeps serving)."})
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
        return WorkerReplacement.replace(sidecar, ControlCommand.RESTART, wait);
    }
}
