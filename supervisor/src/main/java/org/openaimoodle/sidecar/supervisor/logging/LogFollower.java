package org.openaimoodle.sidecar.supervisor.logging;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Prints the end of the log and, like {@code tail -F}, keeps following it: when the path is rotated
 * away (renamed, or deleted and created again) the old file is read to its end and the new one from
 * its start, so no line is skipped; a truncated file is read again from the start.
 */
public final class LogFollower {
    private static final long POLL_MILLIS = 250;
    private static final int CHUNK = 8192;

    private final Path file;
    private final PrintStream out;
    private FileChannel channel;
    private Object fileKey;
    private long position;

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
            out.write(buffer.array(), 0, read);
            position += read;
        }
    }

    private Object currentKey() {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}
