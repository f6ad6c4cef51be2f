package org.openaimoodle.sidecar.worker.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * stdin cut into request lines, as bytes: only {@code \n} ends a line (one {@code \r} before it is dropped, for
 * CRLF input; a {@code \r} anywhere else is part of the line, as JSON allows), and a line longer than the
 * bound is not kept: it is skipped up to its newline and reported as {@link Line#TOO_LONG}, so the next line
 * is still read. Memory stays within the bound whatever stdin holds.
 */
final class RequestLines {
    /** Largest line buffer kept between lines. */
    private static final int RETAINED_BYTES = 64 * 1024;
    private final InputStream in;
    private final int maxBytes;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private byte[] line = new byte[1024];
    private int length;

    /**
     * @param in       the input
     * @param maxBytes longest line kept, without its line end ({@code SIDECAR_MAX_BODY_BYTES})
     */
    RequestLines(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** One line of input. */
    record Line(byte[] bytes) {
        /** A line over the bound; its bytes were not kept. */
        static final Line TOO_LONG = new Line(new byte[0]);

        boolean tooLong() {
            return this == TOO_LONG;
        }

        /** @return whether it holds nothing but ASCII white space (as {@link String#isBlank()} sees it) */
        boolean isBlank() {
            for (byte b : bytes) {
                if (!(b == ' ' || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F))) {
                    return false;
                }
            }
            return !tooLong();
        }
    }

    /**
     * @return the next line (a last line without {@code \n} included), or null at end of input
     * @throws IOException when reading fails
     */
    Line next() throws IOException {
        length = 0;
        boolean tooLong = false;
        boolean started = false;
        while (true) {
            if (position == limit) {
                int read = in.read(buffer);
                if (read < 0) {
                    return started ? finish(tooLong) : null;
                }
                position = 0;
                limit = read;
                continue;
            }
            started = true;
            int newline = indexOfNewline();
            int end = newline < 0 ? limit : newline;
            // One byte more than the bound may be a CR that the line end drops.
            if (!tooLong && length + (end - position) > maxBytes + 1) {
                tooLong = true;
            }
            if (!tooLong) {
                append(end - position);
            }
            position = newline < 0 ? limit : newline + 1;
            if (newline >= 0) {
                return finish(tooLong);
            }
        }
    }

    private int indexOfNewline() {
        for (int i = position; i < limit; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void append(int count) {
        if (length + count > line.length) {
            line = Arrays.copyOf(line, Math.min(maxBytes + 1, Math.max(line.length * 2, length + count)));
        }
        System.arraycopy(buffer, position, line, length, count);
        length += count;
    }

    private Line finish(boolean tooLong) {
        if (tooLong) {
            return Line.TOO_LONG;
        }
        int end = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        Line done = end > maxBytes ? Line.TOO_LONG : new Line(Arrays.copyOf(line, end));
        if (line.length > RETAINED_BYTES) {
            line = new byte[1024]; // a large line's buffer is not kept while its request is served
        }
        return done;
    }
}
