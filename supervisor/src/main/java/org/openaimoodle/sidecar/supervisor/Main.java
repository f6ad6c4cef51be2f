package org.openaimoodle.sidecar.supervisor;

import org.openaimoodle.sidecar.supervisor.cli.SidecarctlCommand;

/** Entry point of {@code sidecarctl}: wires the command line, nothing else. */
public final class Main {
    private Main() {
    }

    /** Runs one sidecarctl command and exits with its code. */
    public static void main(String[] args) {
        System.exit(SidecarctlCommand.commandLine().execute(args));
    }
}
