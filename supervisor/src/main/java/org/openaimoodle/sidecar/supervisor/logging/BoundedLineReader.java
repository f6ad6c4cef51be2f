package org.openaimoodle.sidecar.supervisor.logging;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads UTF-8 lines of at most {@link #MAX_LINE_BYTES} bytes from a stream. The part of a longer line
 * beyond the cap is read and thrown away up to its newline, never held in memory, and the line ends with
 * {@code … [truncated N bytes]}; the cut never splits a multi-byte character. Lines end at {@code \n}
 * (a {@code \r} before it is dropped); a lone {@code \r} stays in the line for the sink to escape.
 */
final class BoundedLineReader {
    /** Longest line kept, in bytes: well above what the worker's own cap lets through. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private final byte[] line = new byte[MAX_LINE_BYTES];
    private int position;
    private int limit;

    BoundedLineReader(InputStream in) {
        this.in = in;
    }

    /** Whether a read would not block: bytes are buffered here or in the pipe. */
    boolean ready() {
        if (position < limit) {
            return true;
        }
        try {
            return in.available() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The next line without its terminator, or null at the end of the stream. */
    String readLine() throws IOException {
        int length = 0;
        long skipped = 0;
        boolean any = false;
        while (true) {
            if (position == limit && !fill()) {
                return any ? text(length, skipped) : null;
            }
            any = true;
            byte b = buffer[position++];
            if (b == '\n') {
                if (skipped == 0 && length > 0 && line[length - 1] == '\r') {
                    length--;
                }
                return text(length, skipped);
            }
            if (length < MAX_LINE_BYTES) {
                line[length++] = b;
            } else {
                skipped++;
            }
        }
    }

    /**
     * Refills the buffer; false at the end of the stream. When the worker exits, the JDK's process reaper
     * moves what is left in the pipe into a buffer and closes the pipe, which can fail a read that is
     * blocked at that moment ("Stream closed"); reading again returns those last bytes, so they are not lost.
     */
    private boolean fill() throws IOException {
        int read;
        try {
            read = in.read(buffer);
        } catch (IOException e) {
            read = in.read(buffer);
        }
        if (read <= 0) {
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }

    private String text(int length, long skipped) {
        if (skipped == 0) {
            return new String(line, 0, length, StandardCharsets.UTF_8);
        }
        int cut = characterBoundary(line, length);
        return new String(line, 0, cut, StandardCharsets.UTF_8) + "… [truncated " + (skipped + length - cut)
                + " bytes]";
    }

    /** The largest end {@code <= length} that does not split the UTF-8 sequence of the last character. */
    static int characterBoundary(byte[] bytes, int length) {
        for (int lead = length - 1; lead >= 0 && lead >= length - 4; lead--) {
            int b = bytes[lead] & 0xFF;
            if ((b & 0xC0) != 0x80) { // not a continuation byte: the last character starts here
                int size = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
                return lead + size > length ? lead : length;
            }
        }
        return length; // only continuation bytes: malformed anyway, decoded as replacement characters
    }
}
