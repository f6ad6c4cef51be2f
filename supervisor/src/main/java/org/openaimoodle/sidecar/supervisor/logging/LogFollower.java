package org.openaimoodle.sidecar.supervisor.logging;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Prints the end of the log and, like {@code tail -F}, keeps following it: when the path is rotated
 * away (renamed, or deleted and created again) the old file is read to its end and the new one from
 * its start, so no line is skipped; a truncated file is read again from the start. Control characters
 * that could drive the terminal (ESC and the rest of C0 but newline and tab, DEL, C1) are shown escaped
 * as {@code \u001b} and so on: the supervisor never writes them, but the file may hold older lines or
 * lines from another writer.
 */
public final class LogFollower {
    private static final long POLL_MILLIS = 250;
    private static final int CHUNK = 8192;

    private final Path file;
    private final PrintStream out;
    private FileChannel channel;
    private Object fileKey;
    private long position;
    /** The last byte read was 0xC2, the first half of a two-byte character that may be a C1 control. */
    private boolean heldC2;

    /**
     * @param file the log file
     * @param out  where its lines go
     */
    public LogFollower(Path file, PrintStream out) {
        this.file = file;
        this.out = out;
    }

    /** Prints the last {@code lines} lines and remembers where the file ended. */
    public void printTail(int lines) throws IOException {
        if (!open()) {
            return;
        }
        long size = channel.size();
        position = lines == 0 ? size : startOfLastLines(size, lines);
        copyNewBytes();
    }

    /** Walks back chunk by chunk to the start of the last {@code lines} lines. */
    private long startOfLastLines(long size, int lines) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        long end = size;
        if (size > 0) {
            buffer.limit(1);
            channel.read(buffer, size - 1);
            if (buffer.get(0) == '\n') {
                end = size - 1; // the newline that ends the last line does not start another one
            }
        }
        int newlines = 0;
        while (end > 0) {
            long chunkStart = Math.max(0, end - CHUNK);
            buffer.clear().limit((int) (end - chunkStart));
            channel.read(buffer, chunkStart);
            for (int i = (int) (end - chunkStart) - 1; i >= 0; i--) {
                if (buffer.get(i) == '\n' && ++newlines == lines) {
                    return chunkStart + i + 1;
                }
            }
            end = chunkStart;
        }
        return 0;
    }

    /** Follows the file until interrupted. */
    public void follow() throws IOException, InterruptedException {
        while (!Thread.currentThread().isInterrupted()) {
            if (channel == null) {
                open();
            } else {
                copyNewBytes();
                Object current = currentKey();
                if (!Objects.equals(current, fileKey)) {
                    copyNewBytes(); // the last lines written to the rotated file
                    channel.close();
                    channel = null;
                    position = 0;
                    open();
                } else if (channel.size() < position) {
                    position = 0; // truncated in place
                }
            }
            copyNewBytes();
            out.flush();
            Thread.sleep(POLL_MILLIS);
        }
    }

    private boolean open() throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        channel = FileChannel.open(file, StandardOpenOption.READ);
        fileKey = currentKey();
        return true;
    }

    private void copyNewBytes() throws IOException {
        if (channel == null) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        int read;
        while ((read = channel.read(buffer.clear(), position)) > 0) {
            writeSafely(buffer.array(), read);
            position += read;
        }
    }

    private void writeSafely(byte[] bytes, int length) {
        ByteArrayOutputStream shown = new ByteArrayOutputStream(length + 16);
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xFF;
            if (heldC2) {
                heldC2 = false;
                if (b >= 0x80 && b <= 0x9F) { // U+0080..U+009F, the C1 controls
                    shown.writeBytes(escaped(b));
                    continue;
                }
                shown.write(0xC2);
            }
            if (b == 0xC2) {
                heldC2 = true; // shown with the next byte, which may come with the next chunk
            } else if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7F) {
                shown.writeBytes(escaped(b));
            } else {
                shown.write(b);
            }
        }
        out.write(shown.toByteArray(), 0, shown.size());
    }

    private static byte[] escaped(int b) {
        return String.format("\\u%04x", b).getBytes(StandardCharsets.US_ASCII);
    }

    private Object currentKey() {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}
