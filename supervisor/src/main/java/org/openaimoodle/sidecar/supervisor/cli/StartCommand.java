package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sidecarctl start}: a detached supervisor, then progress until the worker is healthy. */
@Command(name = "start", description = {"Starts a detached supervisor (unless one runs) and waits until the worker is "
        + "healthy, showing progress.", "Exit 0 healthy, 1 not healthy in time."})
final class StartCommand extends SidecarctlSubcommand {
    @Mixin
    private WaitOption wait;

    @Override
    public Integer call() throws IOException {
        return start(sidecar(), wait.duration());
    }

    /** Shared with {@code restart} and {@code check}, which start everything when nothing runs. */
    static int start(LocalSidecar sidecar, Duration wait) throws IOException {
        Process detached = null;
        Optional<ProcessHandle> running = sidecar.supervisor();
        if (running.isPresent()) {
            System.out.println("openai-moodle-sidecar: supervisor already running (pid " + running.get().pid() + ")");
        } else {
            detached = SupervisorLauncher.startDetached(sidecar);
            System.out.println("openai-moodle-sidecar: supervisor starting (pid " + detached.pid() + ", run dir "
                    + sidecar.runDirectory().path() + ", log " + sidecar.logFile() + ")");
        }
        return report(HealthyWorkerWait.await(sidecar, wait, null, detached, System.out), "worker");
    }

    /** Prints the status line of a healthy worker (exit 0), or says why it is not healthy (exit 1). */
    static int report(HealthyWorkerWait.Outcome outcome, String worker) {
        if (outcome.healthy().isPresent()) {
            System.out.println(outcome.healthy().get().line());
            return ExitCodes.OK;
        }
        System.out.println("openai-moodle-sidecar: " + worker + " not healthy: " + outcome.failure()
                + "; see `sidecarctl status` and `sidecarctl logs`");
        return ExitCodes.FAILED;
    }
}
