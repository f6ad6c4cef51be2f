package org.openaimoodle.sidecar.supervisor.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.testkit.TestKeys;

class LogSinkTest {
    private static final String KEY = TestKeys.API_KEY;
    private static final Pattern LINE = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) (supervisor|worker) .*");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();

    private LogSink sink(Path file) {
        return new LogSink(file, SecretMasker.of(KEY), new PrintStream(errors, true, StandardCharsets.UTF_8));
    }

    @Test
    void everyLineStartsWithTimestampAndSourceAndTheKeyIsMasked() throws IOException {
        Path file = dir.resolve("sidecar.log");
        try (LogSink sink = sink(file)) {
            sink.line("supervisor", "starting with key " + KEY);
            sink.write("worker", List.of("ERROR boom", "\tat a.b.C.d(C.java:1)", "Caused by: x"));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(4, lines.size());
        lines.forEach(line -> assertTrue(LINE.matcher(line).matches(), line));
        assertTrue(lines.get(0).endsWith("supervisor starting with key sk-…abcd"), lines.get(0));
        assertFalse(Files.readString(file).contains("FAKE1234567890"));
        String traceTimestamp = lines.get(1).substring(0, lines.get(1).indexOf(' '));
        assertTrue(lines.get(3).startsWith(traceTimestamp + " worker Caused by: x"), "a trace shares one timestamp");
    }

    @Test
    void noLineCanStartAnotherOrCarryTerminalControls() throws IOException {
        Path file = dir.resolve("sidecar.log");
        try (LogSink sink = sink(file)) {
            sink.line("worker", "WARN x: input \"2e;\n2026-01-01T00:00:00.000Z supervisor forged\r\u001b[2J\u0085\u2028"
                    + "\u007f\u0007\"");
            sink.write("worker", List.of("ERROR boom", "\tat a.b.C.d(C.java:1)"));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).endsWith(" worker WARN x: input \"2e;\\n2026-01-01T00:00:00.000Z supervisor forged"
                + "\\r\\u001b[2J\\u0085\\u2028\\u007f\\u0007\""), lines.get(0));
        assertTrue(lines.get(2).endsWith(" worker \tat a.b.C.d(C.java:1)"), "a trace keeps its tab");
    }

    @Test
    void aLogFileItCreatesIsNotReadableByOthers() throws IOException {
        Path file = dir.resolve("sidecar.log");
        try (LogSink sink = sink(file)) {
            sink.line("supervisor", "one");
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        assertTrue(mode.contains(PosixFilePermission.OWNER_WRITE), mode.toString());
        assertTrue(Collections.disjoint(mode, Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.GROUP_WRITE, PosixFilePermission.OWNER_EXECUTE)), mode.toString());
    }

    @Test
    void afterADiskFullTheTornLineEndsAndTheNoticeIsTheSupervisors() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("small"));
        Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String why = new String(mounting.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(mounting.waitFor() == 0, "cannot mount a small tmpfs (needs root): " + why);
        try {
            Path file = mount.resolve("sidecar.log");
            Path filler = mount.resolve("filler");
            Files.write(filler, new byte[32 * 1024]);
            String longLine = "x".repeat(10_000);
            try (LogSink sink = sink(file)) {
                for (int i = 0; i < 20 && !errors.toString(StandardCharsets.UTF_8).contains("cannot write"); i++) {
                    sink.line("worker", longLine); // the last one is written in part, then ENOSPC
                }
                sink.line("worker", "lost too");
                Files.delete(filler); // room again, in the same log file
                sink.line("worker", "back");
            }
            List<String> lines = Files.readAllLines(file);
            assertTrue(lines.get(lines.size() - 2).matches(
                    "\\S+ supervisor 2 log lines were lost while .* could not be written"), lines.get(lines.size() - 2));
            assertTrue(LINE.matcher(lines.get(lines.size() - 1)).matches());
            assertTrue(lines.get(lines.size() - 1).endsWith(" worker back"), lines.get(lines.size() - 1));
        } finally {
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void appendsToAnExistingLog() throws IOException {
        Path file = dir.resolve("sidecar.log");
        Files.writeString(file, "old line\n");
        try (LogSink sink = sink(file)) {
            sink.line("supervisor", "new line");
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals("old line", lines.get(0));
        assertTrue(lines.get(1).endsWith("supervisor new line"));
    }

    @Test
    void movedLogFileIsFollowedToTheNewPathWithoutBeingAsked() throws IOException {
        Path file = dir.resolve("sidecar.log");
        Path rotated = dir.resolve("sidecar.log.1");
        try (LogSink sink = sink(file)) {
            sink.line("supervisor", "before rotation");
            Files.move(file, rotated);
            sink.line("supervisor", "after rotation");
        }
        assertTrue(Files.readString(rotated).contains("before rotation"));
        assertFalse(Files.readString(rotated).contains("after rotation"));
        assertTrue(Files.readString(file).contains("after rotation"));
    }

    @Test
    void deletedLogFileIsCreatedAgain() throws IOException {
        Path file = dir.resolve("sidecar.log");
        try (LogSink sink = sink(file)) {
            sink.line("supervisor", "one");
            Files.delete(file);
            sink.line("supervisor", "two");
        }
        assertTrue(Files.readString(file).contains("two"));
    }

    @Test
    void unwritableLogIsReportedOnStderrAndRetriedUntilItWorksAgain() throws IOException {
        Path blocker = dir.resolve("logs");
        Files.writeString(blocker, "a file where the log directory should be");
        Path file = blocker.resolve("sidecar.log");
        try (LogSink sink = sink(file)) {
            sink.line("supervisor", "lost one");
            sink.line("supervisor", "lost two");
            String reported = errors.toString(StandardCharsets.UTF_8);
            assertTrue(reported.contains("cannot write log file " + file), reported);
            assertEquals(1, reported.lines().count(), "reported once, not once per line");

            Files.delete(blocker);
            sink.line("supervisor", "back");
        }
        String log = Files.readString(file);
        assertTrue(log.contains("2 log lines were lost"), log);
        assertTrue(log.contains("supervisor back"), log);
        assertTrue(errors.toString(StandardCharsets.UTF_8).contains("writable again"));
    }
}
