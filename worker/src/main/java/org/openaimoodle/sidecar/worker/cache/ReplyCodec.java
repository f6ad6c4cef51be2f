package org.openaimoodle.sidecar.worker.cache;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * How a cacheable reply travels to a cache outside this process (Redis) and back. The in-process cache keeps the
 * objects and never calls it. Each reply type has one, next to the type ({@code ActionService.Answer},
 * {@code OpenAiEndpoint.Forwarded}).
 *
 * @param <V> the reply type
 */
public interface ReplyCodec<V> {
    /** @return the reply as bytes */
    byte[] encode(V reply);

    /**
     * @param bytes what {@link #encode} made (possibly on another node, of another version)
     * @return the reply
     * @throws IOException when the bytes are not such a reply: the entry is then treated as absent
     */
    V decode(byte[] bytes) throws IOException;

    /** Writes fields to a {@link DataOutputStream}. */
    @FunctionalInterface
    interface Fields {
        /** @param out where the fields go */
        void write(DataOutputStream out) throws IOException;
    }

    /** @return the bytes {@code fields} writes */
    static byte[] bytes(Fields fields) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            fields.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array does not fail", e);
        }
        return buffer.toByteArray();
    }

    /** @return a reader of {@code bytes} */
    static DataInputStream reader(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }

    /** Writes a length-prefixed block of bytes (any length, unlike {@link DataOutputStream#writeUTF}). */
    static void writeBlock(DataOutputStream out, byte[] block) throws IOException {
        out.writeInt(block.length);
        out.write(block);
    }

    /** @return a block {@link #writeBlock} wrote, checked against what is left to read */
    static byte[] readBlock(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("a block of " + length + " bytes where " + in.available() + " are left");
        }
        return in.readNBytes(length);
    }

    /** Writes a text as a block of UTF-8. */
    static void writeText(DataOutputStream out, String text) throws IOException {
        writeBlock(out, text.getBytes(StandardCharsets.UTF_8));
    }

    /** @return a text {@link #writeText} wrote */
    static String readText(DataInputStream in) throws IOException {
        return new String(readBlock(in), StandardCharsets.UTF_8);
    }
}
