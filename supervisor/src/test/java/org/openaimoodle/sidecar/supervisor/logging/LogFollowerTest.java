package org.openaimoodle.sidecar.supervisor.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFollowerTest {
    @TempDir
    Path dir;

    private String tail(String content, int lines) throws IOException {
        Path file = dir.resolve("sidecar.log");
        Files.writeString(file, content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new LogFollower(file, new PrintStream(out, true, StandardCharsets.UTF_8)).printTail(lines);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void terminalControlCharactersAreShownEscapedNotPassedThrough() throws IOException {
        String shown = tail("2026-01-01T00:00:00.000Z worker x \u001b[2J\u001b]0;t\u0007 \u009b31m \r é\n\tat a\n", 10);
        assertEquals("2026-01-01T00:00:00.000Z worker x \\u001b[2J\\u001b]0;t\\u0007 \\u009b31m \\u000d é\n\tat a\n",
                shown);
    }

    @Test
    void printsTheLastLinesOnly() throws IOException {
        assertEquals("c\nd\n", tail("a\nb\nc\nd\n", 2));
    }

    @Test
    void lastLineWithoutNewlineCounts() throws IOException {
        assertEquals("c\nd", tail("a\nb\nc\nd", 2));
    }

    @Test
    void askingForMoreLinesThanExistPrintsAll() throws IOException {
        assertEquals("a\nb\n", tail("a\nb\n", 10));
    }

    @Test
    void findsLinesAcrossReadChunks() throws IOException {
        String content = IntStream.range(0, 5000).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
        assertEquals("line 4997\nline 4998\nline 4999\n", tail(content, 3));
        String all = tail(content, 5000);
        assertEquals(content, all);
    }

    @Test
    void followingContinuesAcrossARotationWithoutSkippingLines() throws Exception {
        Path file = dir.resolve("sidecar.log");
        Files.writeString(file, "old 1\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream printed = new PrintStream(out, true, StandardCharsets.UTF_8);
        Thread follower = new Thread(() -> {
            try {
                LogFollower logs = new LogFollower(file, printed);
                logs.printTail(10);
                logs.follow();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                printed.println("FAILED " + e);
            }
        });
        follower.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> out.toString(StandardCharsets.UTF_8).contains("old 1"));
            Files.writeString(file, "old 2\n", java.nio.file.StandardOpenOption.APPEND);
            Files.move(file, dir.resolve("sidecar.log.1"));
            Files.writeString(file, "new 1\n");
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> out.toString(StandardCharsets.UTF_8).equals("old 1\nold 2\nnew 1\n"));
        } finally {
            follower.interrupt();
            follower.join(5_000);
        }
    }
}
