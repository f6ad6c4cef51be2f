package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.ControlCommand;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;
import org.openaimoodle.sidecar.supervisor.supervision.HealthProbe;
import org.openaimoodle.sidecar.supervisor.supervision.WorkerProcess;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sidecarctl check}: for cron and Docker's HEALTHCHECK. It asks the supervisor (which must answer
 * within a few seconds) and probes {@code /health} itself, expecting the supervisor's own worker there, so
 * that neither a stuck supervisor nor another process on the port passes for healthy. It repairs what it
 * finds unless told not to.
 */
@Command(name = "check", description = {"Probes /health itself and prints OK - ..., REPAIRED - ... or CRITICAL - ...;",
        "repairs (starts a missing supervisor, replaces one that does not answer, restarts an unhealthy worker)",
        "unless --no-repair. Exit 0 found healthy; 1 found unhealthy (also when it then repaired it)."})
final class CheckCommand extends SidecarctlSubcommand {
    @Option(names = "--no-repair", description = "Only report; change nothing.")
    private boolean noRepair;

    @Mixin
    private WaitOption wait;

    /** What the check found: the supervisor (if any), its status (if it answered), the probe and the problem. */
    private record Finding(Optional<ProcessHandle> supervisor, StatusReport status, HealthProbe.Result probe,
            String problem) {
        boolean healthy() {
            return probe != null && probe.healthy();
        }
    }

    @Override
    public Integer call() throws IOException {
        return check(sidecar(), noRepair, wait.duration());
    }

    /**
     * The whole command (also run by {@link HotCommands}): prints {@code OK - …}, {@code REPAIRED - …} or
     * {@code CRITICAL - …} and returns the exit code.
     *
     * @param wait how long a repair waits for a healthy worker
     */
    static int check(LocalSidecar sidecar, boolean noRepair, Duration wait) throws IOException {
        Finding finding = examine(sidecar);
        if (finding.healthy()) {
            System.out.println("OK - openai-moodle-sidecar healthy at " + sidecar.config().healthUrl() + " ("
                    + finding.probe().latencyMillis() + " ms)");
            return ExitCodes.OK;
        }
        if (noRepair || finding.probe() != null && finding.probe().portTaken()) {
            // A restart cannot free a port another process holds; the supervisor keeps retrying by itself.
            System.out.println("CRITICAL - " + finding.problem());
            return ExitCodes.FAILED;
        }
        Repair repair = repair(sidecar, finding);
        HealthyWorkerWait.Outcome outcome = HealthyWorkerWait.await(sidecar, wait, repair.replacedWorker(),
                repair.startedSupervisor(), null);
        Optional<StatusReport> healthy = outcome.healthy()
                .filter(status -> sidecar.probe(status.workerId()).healthy());
        if (healthy.isPresent()) {
            System.out.println("REPAIRED - " + finding.problem() + "; " + repair.description() + "; now "
                    + healthy.get().line());
        } else {
            System.out.println("CRITICAL - " + finding.problem() + "; " + repair.description()
                    + " but the worker is still not healthy (" + outcome.failure() + "); see `sidecarctl logs`");
        }
        return ExitCodes.FAILED;
    }

    /** Asks the supervisor, then probes {@code /health} expecting the worker it reports. */
    private static Finding examine(LocalSidecar sidecar) {
        Optional<ProcessHandle> supervisor = sidecar.supervisor();
        String url = " (" + sidecar.config().healthUrl() + ")";
        if (supervisor.isEmpty()) {
            HealthProbe.Result probe = sidecar.probe(null); // no worker of ours runs: any 200 is someone else's
            return new Finding(supervisor, null, null, probe.detail() + url + "; supervisor not running");
        }
        StatusReport status;
        try {
            status = sidecar.control().status();
        } catch (IOException e) {
            return new Finding(supervisor, null, null, "supervisor pid " + supervisor.get().pid() + " does not answer "
                    + "on its control socket within " + LocalSidecar.CONTROL_TIMEOUT.toSeconds() + " s ("
                    + e.getMessage() + ")");
        }
        HealthProbe.Result probe = sidecar.probe(status.workerId());
        if (probe.portTaken()) {
            // The worker may have been replaced between the status and the probe: ask once more.
            try {
                status = sidecar.control().status();
                probe = sidecar.probe(status.workerId());
            } catch (IOException e) {
                // keep the first finding
            }
        }
        return new Finding(supervisor, status, probe, probe.detail() + url + "; supervisor pid "
                + supervisor.get().pid() + " running (" + status.stateName() + ")");
    }

    /** What a repair did: in words, the supervisor it started (or null), the worker it replaced (or null). */
    private record Repair(String description, Process startedSupervisor, Long replacedWorker) {
    }

    /** Starts what is missing, replaces what is stuck, restarts what is unhealthy. */
    private static Repair repair(LocalSidecar sidecar, Finding finding) throws IOException {
        if (finding.supervisor().isEmpty()) {
            Process started = SupervisorLauncher.startDetached(sidecar);
            return new Repair("started the supervisor (pid " + started.pid() + ")", started, null);
        }
        ProcessHandle supervisor = finding.supervisor().get();
        StatusReport status = finding.status();
        if (status == null) {
            // Alive but deaf (stopped, or stuck): SIGKILL works on a stopped process too. Its worker goes with it
            // at once instead of holding the port for the new supervisor's worker.
            WorkerProcess.killTree(supervisor);
            supervisor.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            Process started = SupervisorLauncher.startDetached(sidecar);
            return new Repair("killed the unresponsive supervisor pid " + supervisor.pid()
                    + " and started a new one (pid " + started.pid() + ")", started, null);
        }
        if (status.running()) {
            sidecar.control().send(ControlCommand.RESTART);
            return new Repair("restarted the worker" + (status.workerPid() == null ? "" : " pid "
                    + status.workerPid()), null, status.workerPid());
        }
        return new Repair("the supervisor is already replacing the worker (" + status.stateName() + ")", null, null);
    }
}
