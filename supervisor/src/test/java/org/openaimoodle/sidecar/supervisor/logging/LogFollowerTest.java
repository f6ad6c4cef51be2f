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
}
