package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.ControlCommand;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;
import org.openaimoodle.sidecar.supervisor.supervision.Replacement;

/**
 * What {@code restart} and {@code reload} share: ask the running supervisor to replace its worker, then wait
 * until the new worker is healthy (exit 0) or has failed, leaving the old one serving (exit 1, saying why).
 */
final class WorkerReplacement {
    private static final long POLL_MILLIS = 50;

    private WorkerReplacement() {
    }

    /** Sends {@code command} (RESTART or RELOAD) to the running supervisor and waits for the outcome. */
    static int replace(LocalSidecar sidecar, ControlCommand command, Duration wait) {
        Long previous;
        Map<String, Object> reply;
        try {
            previous = sidecar.control().status().workerPid();
            reply = sidecar.control().send(command);
        } catch (IOException e) {
            System.out.println("openai-moodle-sidecar: the supervisor does not answer (" + e.getMessage()
                    + "); `sidecarctl check` replaces it, or `sidecarctl stop` then `start`");
            return ExitCodes.FAILED;
        }
        if (!Boolean.TRUE.equals(reply.get("ok"))) {
            System.out.println("openai-moodle-sidecar: " + command.wireName() + " failed: " + reply.get("error"));
            return ExitCodes.FAILED;
        }
        String what = command == ControlCommand.RELOAD ? "configuration re-read; replacing the worker"
                : "restarting the worker";
        System.out.println("openai-moodle-sidecar: " + what + (previous == null ? "" : " (pid " + previous + ")"));
        if (!(reply.get("replacement_id") instanceof Number id)) {
            // Stopped and started (no SO_REUSEPORT, or no RUNNING worker to keep): wait for a healthy new one.
            return StartCommand.report(HealthyWorkerWait.await(sidecar, wait, previous, null, System.out), "new worker");
        }
        System.out.println("  the old worker serves until a new one started beside it is healthy");
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try {
                StatusReport status = sidecar.control().status();
                Replacement replacement = status.replacement();
                if (replacement != null && replacement.id() == id.longValue()
                        && replacement.outcome() != Replacement.Outcome.PENDING) {
                    if (replacement.outcome() == Replacement.Outcome.SUCCEEDED && status.running()) {
                        System.out.println(status.line());
                        return ExitCodes.OK;
                    }
                    System.out.println("openai-moodle-sidecar: new worker not healthy: " + replacement.message()
                            + (status.running() ? "; the old worker (pid " + status.workerPid() + ") keeps serving" : "")
                            + "; see `sidecarctl logs`");
                    return ExitCodes.FAILED;
                }
            } catch (IOException e) {
                if (sidecar.supervisor().isEmpty()) {
                    System.out.println("openai-moodle-sidecar: the supervisor is gone");
                    return ExitCodes.FAILED;
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.FAILED;
            }
        }
        System.out.println("openai-moodle-sidecar: new worker not healthy within " + wait.toSeconds()
                + " s; see `sidecarctl status` and `sidecarctl logs`");
        return ExitCodes.FAILED;
    }
}
