package org.openaimoodle.sidecar.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

class SidecarctlCommandTest {

    @ParameterizedTest
    @ValueSource(strings = {"run", "start", "stop", "restart", "reload", "status", "check", "logs", "reopen-logs", "version"})
    void everyCommandAnswersHelpWithItsUsageAndExitZero(String command) {
        CommandLine commandLine = SidecarctlCommand.commandLine();
        StringWriter out = new StringWriter();
        commandLine.setOut(new PrintWriter(out));

        int exit = commandLine.execute(command, "--help");

        assertEquals(0, exit, out.toString());
        assertTrue(out.toString().startsWith("Usage: sidecarctl " + command), out.toString());
    }
}
