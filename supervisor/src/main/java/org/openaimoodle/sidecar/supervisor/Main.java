package org.openaimoodle.sidecar.supervisor;

import org.openaimoodle.sidecar.supervisor.cli.HotCommands;
import org.openaimoodle.sidecar.supervisor.cli.SidecarctlCommand;

/** Entry point of {@code sidecarctl}: wires the command line, nothing else. */
public final class Main {
    private Main() {
    }

    /**
     * Runs one sidecarctl command and exits with its code: {@code status}, {@code check} and {@code run} without
     * picocli's start-up cost when the command line is one of theirs, everything else through picocli.
     */
    public static void main(String[] args) {
        HotCommands.runAndExit(args);
        System.exit(SidecarctlCommand.commandLine().execute(args));
    }
}
