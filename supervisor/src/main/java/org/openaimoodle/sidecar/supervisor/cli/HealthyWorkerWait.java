package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.openaimoodle.sidecar.supervisor.control.StatusReport;

/**
 * What {@code start}, {@code restart} and {@code check} wait for: the supervisor reporting a RUNNING worker
 * (a new one, when one was replaced), asked over the control socket until the wait is over.
 */
final class HealthyWorkerWait {
    /** A round trip on a Unix socket is cheap: ask often, so that the wait ends soon after the worker is healthy. */
    private static final long POLL_MILLIS = 50;

    /** How the wait ended: a healthy worker's status, or why there is none. */
    record Outcome(Optional<StatusReport> healthy, String failure) {
        static Outcome healthy(StatusReport status) {
            return new Outcome(Optional.of(status), "");
        }

        static Outcome failed(String why) {
            return new Outcome(Optional.empty(), why);
        }
    }

    private HealthyWorkerWait() {
    }

    /**
     * Waits until the supervisor reports a RUNNING worker whose pid is not {@code previousWorker}. Ends early
     * when another process holds the worker's port (the worker cannot get healthy while it does) or the
     * supervisor is gone.
     *
     * @param detached the supervisor just started, so that its early death ends the wait; or null
     * @param progress where state changes are shown; or null to stay quiet (cron)
     */
    static Outcome await(LocalSidecar sidecar, Duration wait, Long previousWorker, Process detached,
            PrintStream progress) {
        long deadline = System.nanoTime() + wait.toNanos();
        String shown = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                StatusReport status = sidecar.control().status();
                if (status.running() && status.workerPid() != null && !status.workerPid().equals(previousWorker)) {
                    return Outcome.healthy(status);
                }
                // One line per state and worker, not per tick of a countdown in the message.
                String key = status.stateName() + " " + status.workerPid() + " " + status.portTaken();
                if (progress != null && !key.equals(shown)) {
                    progress.println("  " + status.line());
                    shown = key;
                }
                if (status.portTaken()) {
                    return Outcome.failed(status.message());
                }
            } catch (IOException e) {
                // not listening yet, or gone: the process checks below tell which
            }
            if (detached != null && !detached.isAlive() && detached.exitValue() != 0) {
                return Outcome.failed("the supervisor exited with code " + detached.exitValue() + ": "
                        + lastLines(sidecar.runDirectory().detachedOutput(), 5));
            }
            if (detached == null && sidecar.supervisor().isEmpty()) {
                return Outcome.failed("the supervisor is gone");
            }
            sleep();
        }
        return Outcome.failed("not healthy within " + wait.toSeconds() + " s");
    }

    /** The last lines of a small file, joined, for error messages. */
    private static String lastLines(Path file, int count) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        } catch (IOException e) {
            return "(no output in " + file + ")";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
