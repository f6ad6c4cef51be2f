package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.openaimoodle.sidecar.supervisor.control.StatusReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sidecarctl restart}: a new worker (everything, if nothing runs), then waits for it to be healthy. */
@Command(name = "restart", description = {"Restarts the worker (starts everything if nothing runs) and waits until "
        + "the new worker is healthy.", "Exit 0 healthy, 1 not healthy in time."})
final class RestartCommand implements Callable<Integer> {
    @ParentCommand
    private SidecarctlCommand parent;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long to wait for the new worker to be healthy (default: ${DEFAULT-VALUE}).")
    private double waitSeconds;

    @Override
    public Integer call() throws IOException {
        LocalSidecar sidecar = parent.sidecar();
        Duration wait = Duration.ofMillis((long) (waitSeconds * 1000));
        if (sidecar.supervisor().isEmpty()) {
            System.out.println("openai-moodle-sidecar: not running; starting it");
            return StartCommand.start(sidecar, wait);
        }
        Long previous;
        try {
            previous = sidecar.status().workerPid();
            sidecar.send("restart");
        } catch (IOException e) {
            System.out.println("openai-moodle-sidecar: the supervisor does not answer (" + e.getMessage()
                    + "); `sidecarctl check` replaces it, or `sidecarctl stop` then `start`");
            return ExitCodes.FAILED;
        }
        System.out.println("openai-moodle-sidecar: restarting the worker" + (previous == null ? "" : " (pid " + previous + ")"));
        Optional<StatusReport> healthy = sidecar.awaitHealthy(wait, previous, null, System.out);
        if (healthy.isPresent()) {
            System.out.println(healthy.get().line());
            return ExitCodes.OK;
        }
        System.out.println("openai-moodle-sidecar: new worker not healthy within " + wait.toSeconds()
                + " s; see `sidecarctl status` and `sidecarctl logs`");
        return ExitCodes.FAILED;
    }
}
