package org.openaimoodle.sidecar.supervisor;

import java.util.OptionalInt;

import org.openaimoodle.sidecar.supervisor.cli.HotCommands;
import org.openaimoodle.sidecar.supervisor.cli.SidecarctlCommand;

/** Entry point of {@code sidecarctl}: wires the command line, nothing else. */
public final class Main {
    private Main() {
    }

    /**
     * Runs one sidecarctl command and exits with its code: {@code status} and {@code check} without
     * picocli's start-up cost when the command line is one of theirs, everything else through picocli.
     */
    public static void main(String[] args) {
        OptionalInt hot = HotCommands.run(args);
        if (hot.isPresent()) {
            HotCommands.exit(hot.getAsInt());
        }
        System.exit(SidecarctlCommand.commandLine().execute(args));
    }
}
