package org.openaimoodle.sidecar.supervisor.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.SecretMasker;
import org.openaimoodle.sidecar.testkit.TestKeys;

class WorkerOutputPumpTest {
    private static final String OUT_OF_MEMORY =
            "supervisor copying the worker's output failed: java.lang.OutOfMemoryError: Java heap space";

    private static final int FOUR_MIB = 4 * 1024 * 1024;

    @TempDir
    Path dir;

    private List<String> pump(InputStream output) throws IOException {
        Path file = dir.resolve("sidecar.log");
        try (LogSink sink = new LogSink(file, SecretMasker.none(), new PrintStream(System.err))) {
            new WorkerOutputPump(output, sink).run();
        }
        return Files.readAllLines(file).stream().map(line -> line.substring(line.indexOf(' ') + 1)).toList();
    }

    private static InputStream text(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code count} bytes of {@code b}, produced as they are read, so the test itself holds none of them. */
    private static InputStream repeated(byte b, long count) {
        return new InputStream() {
            private long left = count;

            @Override
            public int read() {
                return left-- > 0 ? b : -1;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(length, left);
                java.util.Arrays.fill(buffer, offset, offset + n, b);
                left -= n;
                return n;
            }
        };
    }

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
        String output = "INFO started\nERROR failed with " + TestKeys.OTHER_API_KEY + " (401)\n\tat a.B.c(B.java:1)\n"
                + "Caused by: java.io.IOException\n\t... 2 more\nINFO next\n";
        assertEquals(List.of("worker INFO started", "worker ERROR failed with " + TestKeys.OTHER_API_KEY_MASKED + " (401)", "worker \tat a.B.c(B.java:1)",
                "worker Caused by: java.io.IOException", "worker \t... 2 more", "worker INFO next"),
                pump(text(output)));
    }

    @Test
    void aFourMebibyteLineIsCutWithAMarkerAndTheNextLineStillArrives() throws IOException {
        InputStream output = new SequenceInputStream(Collections.enumeration(List.of(
                text("WARN DirectHandlers: For input string: \"2e;"), repeated((byte) 'B', FOUR_MIB),
                text("\"\nINFO access: action=chat code=ok\n"))));
        List<String> lines = pump(output);
        assertEquals(2, lines.size(), "one cut line, then the next line");
        String cut = lines.get(0);
        int kept = BoundedLineReader.MAX_LINE_BYTES;
        int total = "WARN DirectHandlers: For input string: \"2e;".length() + FOUR_MIB + 1;
        assertTrue(cut.endsWith("BBB… [truncated " + (total - kept) + " bytes]"), cut.substring(cut.length() - 60));
        assertTrue(cut.length() < kept + 100, "length " + cut.length());
        assertEquals("worker INFO access: action=chat code=ok", lines.get(1));
    }

    @Test
    void theCutNeverSplitsAMultiByteCharacter() throws IOException {
        // 'a' then two-byte characters: the cap falls on the second byte of one of them.
        String line = "a" + "é".repeat(BoundedLineReader.MAX_LINE_BYTES);
        List<String> lines = pump(text(line + "\nnext\n"));
        String cut = lines.get(0);
        assertFalse(cut.contains("\uFFFD"), "no replacement character: the cut fell between characters");
        int keptBytes = BoundedLineReader.MAX_LINE_BYTES - 1;
        int totalBytes = line.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(cut.endsWith("éé… [truncated " + (totalBytes - keptBytes) + " bytes]"),
                cut.substring(cut.length() - 40));
        assertEquals("worker next", lines.get(1));
    }

    @Test
    void characterBoundaryBacksOffToTheStartOfACutCharacter() {
        byte[] euro = "x€".getBytes(StandardCharsets.UTF_8); // x E2 82 AC
        assertEquals(1, BoundedLineReader.characterBoundary(euro, 2));
        assertEquals(1, BoundedLineReader.characterBoundary(euro, 3));
        assertEquals(4, BoundedLineReader.characterBoundary(euro, 4));
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, BoundedLineReader.characterBoundary(emoji, 3));
        assertEquals(4, BoundedLineReader.characterBoundary(emoji, 4));
    }

    @Test
    void aLongTraceIsWrittenInBoundedGroupsWithoutLosingALine() {
        StringBuilder output = new StringBuilder("ERROR boom\n");
        int frames = WorkerOutputPump.MAX_GROUP_LINES * 3;
        for (int i = 0; i < frames; i++) {
            output.append("\tat a.B.c").append(i).append("(B.java:1)\n");
        }
        output.append("INFO next\n");
        List<List<String>> groups = new ArrayList<>();
        // ready() is true for a byte array: the whole trace is "already buffered".
        new WorkerOutputPump(text(output.toString()), (source, lines) -> groups.add(List.copyOf(lines))).run();
        assertTrue(groups.stream().allMatch(group -> group.size() <= WorkerOutputPump.MAX_GROUP_LINES), "bounded");
        assertEquals(frames + 2, groups.stream().mapToInt(List::size).sum(), "every line written");
        List<String> last = groups.get(groups.size() - 1);
        assertEquals("INFO next", last.get(last.size() - 1));
    }

    @Test
    void linesAlreadyAvailableAreWrittenTogetherInOneGroup() {
        List<List<String>> groups = new ArrayList<>();
        // ready() is true for a byte array: all three lines are "already buffered" when the first is read.
        new WorkerOutputPump(text("INFO access: one\nINFO access: two\nWARN three\n"),
                (source, lines) -> groups.add(List.copyOf(lines))).run();
        assertEquals(List.of(List.of("INFO access: one", "INFO access: two", "WARN three")), groups);
    }

    @Test
    void aTraceThatCannotBeWrittenCostsThatTraceOnlyNotTheLinesReadWithIt() {
        assertEquals(List.of("worker INFO one", OUT_OF_MEMORY, "worker INFO two"),
                writtenWhenFailingOn("INFO one\nERROR boom\n\tat a.B.c(B.java:1)\nINFO two\n", "\tat a.B.c(B.java:1)"));
    }

    @Test
    void aFailureWhileGatheringAGroupCostsNoLine() {
        // One line per read; asking whether more is waiting fails once, as an OutOfMemoryError there would.
        InputStream output = new InputStream() {
            private final byte[][] chunks = {"INFO one\n".getBytes(StandardCharsets.UTF_8),
                "INFO two\n".getBytes(StandardCharsets.UTF_8)};
            private int next;
            private boolean failed;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (next == chunks.length) {
                    return -1;
                }
                byte[] chunk = chunks[next++];
                System.arraycopy(chunk, 0, buffer, offset, chunk.length);
                return chunk.length;
            }

            @Override
            public int available() {
                if (!failed) {
                    failed = true;
                    throw new OutOfMemoryError("Java heap space");
                }
                return 0;
            }
        };
        List<String> written = new ArrayList<>();
        new WorkerOutputPump(output, (source, lines) -> written.add(source + " " + String.join("|", lines))).run();
        assertEquals(List.of(OUT_OF_MEMORY, "worker INFO one", "worker INFO two"), written);
    }

    @Test
    void aLineThatCannotBeWrittenCostsThatLineOnly() {
        assertEquals(List.of("worker INFO one", OUT_OF_MEMORY, "worker INFO three"),
                writtenWhenFailingOn("INFO one\nINFO two\nINFO three\n", "INFO two"));
    }

    /** What the pump writes of {@code output} when every write of a group holding {@code failing} fails. */
    private static List<String> writtenWhenFailingOn(String output, String failing) {
        List<String> written = new ArrayList<>();
        new WorkerOutputPump(text(output), (source, lines) -> {
            if (lines.contains(failing)) {
                throw new OutOfMemoryError("Java heap space");
            }
            written.add(source + " " + String.join("|", lines));
        }).run();
        return written;
    }

    @Test
    void aWorkerWhoseOutputEndsWhileItRunsIsStoppedSoThatItIsRestarted() throws Exception {
        // Closes its stdout and stderr, then lives on: the pump sees the end of the stream early.
        Process worker = new ProcessBuilder("sh", "-c", "exec >&- 2>&-; sleep 30").start();
        try {
            Thread pump = WorkerOutputPump.start(worker, new LogSink(dir.resolve("sidecar.log"),
                    SecretMasker.none(), new PrintStream(System.err)));
            pump.join(WorkerOutputPump.EXIT_GRACE.toMillis() + 5_000);
            assertFalse(pump.isAlive());
            assertTrue(worker.waitFor(5, TimeUnit.SECONDS), "the worker was stopped (SIGTERM)");
            assertTrue(Files.readString(dir.resolve("sidecar.log")).contains(
                    "supervisor the output of worker pid " + worker.pid() + " can no longer be read"));
        } finally {
            worker.destroyForcibly();
        }
    }

    @Test
    void aWorkerThatExitsNormallyIsLeftAlone() throws Exception {
        Process worker = new ProcessBuilder("sh", "-c", "echo bye").start();
        Path file = dir.resolve("sidecar.log");
        Thread pump = WorkerOutputPump.start(worker, new LogSink(file, SecretMasker.none(),
                new PrintStream(System.err)));
        pump.join(10_000);
        assertFalse(pump.isAlive());
        String log = Files.readString(file);
        assertTrue(log.contains("worker bye"), log);
        assertFalse(log.contains("can no longer be read"), log);
    }
}
