package org.openaimoodle.sidecar.supervisor.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Sends one command to a supervisor's {@link ControlServer} and waits, bounded, for the reply. */
public final class ControlClient {
    private final Path socketPath;
    private final Duration timeout;

    /**
     * @param socketPath the control socket in the run directory
     * @param timeout    how long to wait for the reply (a stopped or hung supervisor must not hang us)
     */
    public ControlClient(Path socketPath, Duration timeout) {
        this.socketPath = socketPath;
        this.timeout = timeout;
    }

    /**
     * The supervisor's status.
     *
     * @throws IOException when no supervisor listens, it does not answer in time, or its answer is not a status
     */
    public StatusReport status() throws IOException {
        try {
            return StatusReport.fromJson(send(ControlCommand.STATUS));
        } catch (RuntimeException e) {
            throw new IOException("not a status answer on " + socketPath + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends {@code command} and returns the reply.
     *
     * @throws IOException when no supervisor listens, or it does not answer in time
     */
    public Map<String, Object> send(ControlCommand command) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                Selector selector = Selector.open()) {
            channel.connect(UnixDomainSocketAddress.of(socketPath));
            ByteBuffer request = ByteBuffer.wrap((ControlJson.write(Map.of("command", command.wireName())) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining()) {
                channel.write(request);
            }
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            while (true) {
                long remaining = (deadline - System.nanoTime()) / 1_000_000;
                if (remaining <= 0) {
                    throw new SocketTimeoutException("no answer on " + socketPath + " within " + timeout.toMillis() + " ms");
                }
                selector.select(remaining);
                buffer.clear();
                int read = channel.read(buffer);
                if (read > 0) {
                    reply.write(buffer.array(), 0, read);
                }
                String text = reply.toString(StandardCharsets.UTF_8);
                int newline = text.indexOf('\n');
                if (newline >= 0 || read < 0) {
                    if (text.isBlank()) {
                        throw new IOException("the supervisor closed the connection without an answer");
                    }
                    return ControlJson.read(newline >= 0 ? text.substring(0, newline) : text);
                }
            }
        }
    }
}
