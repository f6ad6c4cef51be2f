package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;
import org.openaimoodle.sidecar.supervisor.supervision.HealthProbe;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sidecarctl check}: for cron and Docker's HEALTHCHECK. It probes {@code /health} itself, so it
 * works when the supervisor is gone, and repairs what it finds unless told not to.
 */
@Command(name = "check", description = {"Probes /health itself and prints OK - ..., REPAIRED - ... or CRITICAL - ...;",
        "repairs (starts a missing supervisor, restarts an unhealthy worker) unless --no-repair.",
        "Exit 0 found healthy; 1 found unhealthy (also when it then repaired it)."})
final class CheckCommand implements Callable<Integer> {
    @ParentCommand
    private SidecarctlCommand parent;

    @Option(names = "--no-repair", description = "Only report; change nothing.")
    private boolean noRepair;

    @Mixin
    private WaitOption wait;

    @Override
    public Integer call() throws IOException {
        LocalSidecar sidecar = parent.sidecar();
        HealthProbe.Result probe = sidecar.probe();
        String url = sidecar.config().healthUrl();
        if (probe.healthy()) {
            System.out.println("OK - openai-moodle-sidecar healthy at " + url + " (" + probe.latencyMillis() + " ms)");
            return ExitCodes.OK;
        }
        String problem = probe.detail() + " (" + url + ")";
        if (noRepair) {
            String supervisor = sidecar.supervisor().map(p -> "supervisor pid " + p.pid() + " running")
                    .orElse("supervisor not running");
            System.out.println("CRITICAL - " + problem + "; " + supervisor);
            return ExitCodes.FAILED;
        }
        Repair repair = repair(sidecar);
        Optional<StatusReport> healthy = sidecar.awaitHealthy(wait.duration(),
                repair.replacedWorker(), repair.startedSupervisor(), null);
        if (healthy.isPresent() && sidecar.probe().healthy()) {
            System.out.println("REPAIRED - " + problem + "; " + repair.description() + "; now " + healthy.get().line());
        } else {
            System.out.println("CRITICAL - " + problem + "; " + repair.description()
                    + " but the worker is still not healthy; see `sidecarctl logs`");
        }
        return ExitCodes.FAILED;
    }

    /** What a repair did: in words, the supervisor it started (or null), the worker it replaced (or null). */
    private record Repair(String description, Process startedSupervisor, Long replacedWorker) {
    }

    /** Starts what is missing or restarts what is stuck. */
    private static Repair repair(LocalSidecar sidecar) throws IOException {
        Optional<ProcessHandle> supervisor = sidecar.supervisor();
        if (supervisor.isPresent()) {
            StatusReport status;
            try {
                status = sidecar.status();
            } catch (IOException e) {
                // Alive but deaf: replace the whole supervisor (its worker follows it out via stdin EOF).
                supervisor.get().destroyForcibly();
                supervisor.get().onExit().join();
                Process started = sidecar.startDetached();
                return new Repair("killed the unresponsive supervisor pid " + supervisor.get().pid()
                        + " and started a new one (pid " + started.pid() + ")", started, null);
            }
            if ("RUNNING".equals(status.state())) {
                sidecar.send("restart");
                return new Repair("restarted the worker" + (status.workerPid() == null ? "" : " pid "
                        + status.workerPid()), null, status.workerPid());
            }
            return new Repair("the supervisor is already replacing the worker (" + status.state() + ")", null, null);
        }
        Process started = sidecar.startDetached();
        return new Repair("started the supervisor (pid " + started.pid() + ")", started, null);
    }
}
