package org.openaimoodle.sidecar.supervisor.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.SecretMasker;

class WorkerOutputPumpTest {
    @TempDir
    Path dir;

    @Test
    void stackTraceLinesContinueTheLineBeforeThem() {
        assertTrue(WorkerOutputPump.continuesTrace("\tat org.example.Foo.bar(Foo.java:12)"));
        assertTrue(WorkerOutputPump.continuesTrace("    ... 3 more"));
        assertTrue(WorkerOutputPump.continuesTrace("Caused by: java.io.IOException: boom"));
        assertTrue(WorkerOutputPump.continuesTrace("Suppressed: java.lang.IllegalStateException"));
        assertFalse(WorkerOutputPump.continuesTrace("INFO access: action=chat code=ok"));
        assertFalse(WorkerOutputPump.continuesTrace(""));
    }

    @Test
    void workerOutputIsCopiedLineByLineWithTracesKeptInOrderAndKeysMasked() throws IOException {
        String output = "INFO started\nERROR failed with sk-live-ABCDEFGH12345678wxyz (401)\n\tat a.B.c(B.java:1)\n"
                + "Caused by: java.io.IOException\n\t... 2 more\nINFO next\n";
        Path file = dir.resolve("sidecar.log");
        try (LogSink sink = new LogSink(file, SecretMasker.none(), new PrintStream(System.err))) {
            new WorkerOutputPump(new ByteArrayInputStream(output.getBytes(StandardCharsets.UTF_8)), sink).run();
        }
        List<String> lines = Files.readAllLines(file);
        List<String> bodies = lines.stream().map(line -> line.substring(line.indexOf(' ') + 1)).toList();
        assertEquals(List.of("worker INFO started", "worker ERROR failed with sk-…wxyz (401)", "worker \tat a.B.c(B.java:1)",
                "worker Caused by: java.io.IOException", "worker \t... 2 more", "worker INFO next"), bodies);
    }
}
