package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.ControlCommand;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sidecarctl reload}: the supervisor re-reads the configuration file, then replaces the worker like restart. */
@Command(name = "reload", description = {"Re-reads the configuration file and replaces the worker with one that uses "
        + "it, without a failed request: the old worker serves until the new one is healthy. A configuration error "
        + "leaves the old worker serving.", "Exit 0 new worker healthy, 1 otherwise (the reason is printed)."})
final class ReloadCommand extends SidecarctlSubcommand {
    @Mixin
    private WaitOption waitOption;

    @Override
    public Integer call() throws IOException {
        LocalSidecar sidecar = sidecar();
        if (sidecar.supervisor().isEmpty()) {
            System.out.println("openai-moodle-sidecar: not running; nothing to reload (`sidecarctl start` starts it)");
            return ExitCodes.FAILED;
        }
        return WorkerReplacement.replace(sidecar, ControlCommand.RELOAD, waitOption.duration());
    }
}
