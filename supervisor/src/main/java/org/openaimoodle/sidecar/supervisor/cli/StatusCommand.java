package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.ControlJson;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sidecarctl status}: one line like supervisord's, or JSON. */
@Command(name = "status", description = {"Shows the state: "
        + "openai-moodle-sidecar RUNNING pid 1234, uptime 0:12:03, restarts 2, health ok 12 ms, rss 61 MB, "
        + "last exit signal 9 (crashed) 0:00:42 ago",
        "Exit 0 RUNNING; 3 any other state or not running; 4 supervisor unreachable."})
final class StatusCommand extends SidecarctlSubcommand {
    @Option(names = "--json", description = "One JSON object: state, supervisor_pid, worker_pid, restarts, uptime_s, worker_rss_kb, "
            + "last_exit, ...")
    private boolean json;

    @Override
    public Integer call() {
        return show(sidecar(), json);
    }

    /** The whole command (also run by {@link HotCommands}): prints the status and returns the exit code. */
    static int show(LocalSidecar sidecar, boolean json) {
        Optional<ProcessHandle> supervisor = sidecar.supervisor();
        if (supervisor.isEmpty()) {
            print(StatusReport.notRunning("(supervisor not running; start it with `sidecarctl start`)"), json);
            return ExitCodes.NOT_RUNNING;
        }
        try {
            StatusReport status = sidecar.control().status();
            print(status, json);
            return status.running() ? ExitCodes.OK : ExitCodes.NOT_RUNNING;
        } catch (IOException e) {
            print(StatusReport.notAnswering(supervisor.get().pid(), "supervisor does not answer on "
                    + sidecar.runDirectory().controlSocket() + ": " + e.getMessage()), json);
            return ExitCodes.UNREACHABLE;
        }
    }

    private static void print(StatusReport status, boolean json) {
        if (json) {
            Map<String, Object> fields = status.toJson();
            System.out.println(ControlJson.write(fields));
        } else {
            System.out.println(status.line());
        }
    }
}
