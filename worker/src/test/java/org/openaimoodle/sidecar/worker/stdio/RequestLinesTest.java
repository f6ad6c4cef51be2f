package org.openaimoodle.sidecar.worker.stdio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class RequestLinesTest {
    private static final int MAX = 1024;

    private static List<String> lines(InputStream in) throws IOException {
        RequestLines lines = new RequestLines(in, MAX);
        List<String> all = new ArrayList<>();
        RequestLines.Line line;
        while ((line = lines.next()) != null) {
            all.add(line.tooLong() ? "<too long>" : new String(line.bytes(), StandardCharsets.UTF_8));
        }
        return all;
    }

    private static List<String> lines(String input) throws IOException {
        return lines(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void onlyNewlineEndsALineAndOneCarriageReturnBeforeItIsDropped() throws IOException {
        assertEquals(List.of("{\"a\":\r1}", "crlf", "two cr\r", "", "last without newline"),
                lines("{\"a\":\r1}\ncrlf\r\ntwo cr\r\r\n\nlast without newline"));
        assertEquals(List.of(), lines(""));
        assertEquals(List.of("\r"), lines("\r\r\n"));
    }

    @Test
    void aLineOfExactlyTheBoundIsKeptOneByteMoreIsTooLong() throws IOException {
        String atLimit = "a".repeat(MAX);
        assertEquals(List.of(atLimit, atLimit, "<too long>", "<too long>", "next"),
                lines(atLimit + "\n" + atLimit + "\r\n" + atLimit + "b\n" + atLimit + "b\r\nnext\n"));
    }

    @Test
    void anOverlongLineIsSkippedWithoutKeepingItAndTheNextLineIsRead() throws IOException {
        // 64 MiB without a newline, then a request: produced on the fly, never held in memory.
        long huge = 64L * 1024 * 1024;
        byte[] tail = "\n{\"next\":1}\n".getBytes(StandardCharsets.US_ASCII);
        InputStream in = new InputStream() {
            long position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= huge + tail.length) {
                    return -1;
                }
                int n = 0;
                while (n < len && position < huge + tail.length) {
                    b[off + n++] = position < huge ? (byte) 'x' : tail[(int) (position - huge)];
                    position++;
                }
                return n;
            }
        };
        assertEquals(List.of("<too long>", "{\"next\":1}"), lines(in));
    }

    @Test
    void blankMeansAsciiWhiteSpaceOnly() throws IOException {
        RequestLines lines = new RequestLines(new ByteArrayInputStream(" \t\u000B\f\r\n{}\n".getBytes(
                StandardCharsets.US_ASCII)), MAX);
        assertTrue(lines.next().isBlank());
        RequestLines.Line json = lines.next();
        assertFalse(json.isBlank());
        assertFalse(json.tooLong());
        assertNull(lines.next());
        assertFalse(RequestLines.Line.TOO_LONG.isBlank());
    }
}
