package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.logging.LogFollower;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sidecarctl logs}: the log's tail, optionally followed across rotations. */
@Command(name = "logs", description = {"Prints the end of the log file; -f keeps following it, also across "
        + "rotations.", "Exit 0."})
final class LogsCommand extends SidecarctlSubcommand {
    @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20",
            description = "Number of lines to show (default: ${DEFAULT-VALUE}).")
    private int lines;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until interrupted (Ctrl-C).")
    private boolean follow;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path file = sidecar().logFile();
        if (!Files.exists(file) && !follow) {
            System.err.println("openai-moodle-sidecar: no log file at " + file + " yet (nothing has run, or "
                    + "SIDECAR_LOG_FILE points elsewhere)");
            return ExitCodes.OK;
        }
        LogFollower follower = new LogFollower(file, System.out);
        follower.printTail(Math.max(0, lines));
        if (follow) {
            follower.follow();
        }
        return ExitCodes.OK;
    }
}
