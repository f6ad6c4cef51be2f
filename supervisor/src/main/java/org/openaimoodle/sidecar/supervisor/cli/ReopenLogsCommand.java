package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.util.Map;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.control.ControlCommand;

import picocli.CommandLine.Command;

/** {@code sidecarctl reopen-logs}: logrotate's {@code postrotate}. */
@Command(name = "reopen-logs", description = {"Makes the supervisor reopen its log file (logrotate postrotate).",
        "Exit 0, also when nothing runs."})
final class ReopenLogsCommand extends SidecarctlSubcommand {
    @Override
    public Integer call() {
        LocalSidecar sidecar = sidecar();
        if (sidecar.supervisor().isEmpty()) {
            System.out.println("openai-moodle-sidecar: not running; nothing to reopen");
            return ExitCodes.OK;
        }
        try {
            Map<String, Object> reply = sidecar.control().send(ControlCommand.REOPEN_LOGS);
            System.out.println("openai-moodle-sidecar: log file reopened: " + reply.get("log_file"));
        } catch (IOException e) {
            // Still 0: a failing postrotate would make logrotate complain, and the supervisor notices a
            // moved log file by itself with its next line.
            System.err.println("openai-moodle-sidecar: supervisor did not answer (" + e.getMessage()
                    + "); it reopens a moved log file by itself with its next line");
        }
        return ExitCodes.OK;
    }
}
