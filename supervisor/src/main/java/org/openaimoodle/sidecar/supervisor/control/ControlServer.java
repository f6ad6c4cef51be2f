package org.openaimoodle.sidecar.supervisor.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The supervisor's control socket: a Unix domain socket in the run directory, mode 0600, so only the
 * owner can control the supervisor. Protocol: the client sends one JSON line
 * {@code {"command":"status|restart|reload|stop|reopen-logs"}}, the server answers one JSON line with
 * {@code "ok":true|false} and then closes the connection.
 */
public final class ControlServer implements AutoCloseable {
    private final Path socketPath;
    private final ServerSocketChannel server;
    private final Function<ControlCommand, Map<String, Object>> commands;
    private final Object socketFileKey;
    private volatile boolean closed;

    private ControlServer(Path socketPath, ServerSocketChannel server, Function<ControlCommand, Map<String, Object>> commands)
            throws IOException {
        this.socketPath = socketPath;
        this.server = server;
        this.commands = commands;
        this.socketFileKey = fileKey(socketPath);
    }

    /**
     * Binds the socket (replacing a stale one: the caller holds the run directory's lock) and serves it.
     *
     * @param commands answers one command with a reply object including {@code "ok"}
     */
    public static ControlServer open(Path socketPath, Function<ControlCommand, Map<String, Object>> commands) throws IOException {
        Files.deleteIfExists(socketPath); // a stale socket, or whatever was planted there: the name, not a link's target
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socketPath));
        // The run directory is private already; 0600 keeps the socket so even if its directory is not.
        if (!Files.readAttributes(socketPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
            server.close();
            throw new IOException(socketPath + " was replaced right after it was bound");
        }
        Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        ControlServer control = new ControlServer(socketPath, server, commands);
        Thread acceptor = new Thread(control::acceptLoop, "control-socket");
        acceptor.setDaemon(true);
        acceptor.start();
        return control;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                // One short-lived thread per connection: a client that never sends its line blocks only itself.
                Thread handler = new Thread(() -> serve(client), "control-client");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client;
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                        StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(client)) {
            String line = in.readLine();
            Map<String, Object> reply;
            try {
                Object name = line == null ? null : ControlJson.read(line).get("command");
                Optional<ControlCommand> command = ControlCommand.fromWireName(String.valueOf(name));
                reply = command.isPresent() ? commands.apply(command.get()) : Map.of("ok", false, "error",
                        "unknown command '" + name + "'; expected " + ControlCommand.wireNames());
            } catch (IOException e) {
                reply = Map.of("ok", false, "error", "expected one JSON line like {\"command\":\"status\"}");
            }
            out.write((ControlJson.write(reply) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // the client went away; nothing to answer
        }
    }

    /** Whether the socket file is still the one this server bound (a tmp cleaner may have deleted it). */
    public boolean intact() {
        try {
            return socketFileKey.equals(fileKey(socketPath));
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops serving; removes the socket file only if it is still ours (another supervisor may own the name now). */
    @Override
    public void close() {
        boolean ours = intact();
        closed = true;
        try {
            server.close();
            if (ours) {
                Files.deleteIfExists(socketPath);
            }
        } catch (IOException e) {
            // leaving a stale socket is harmless: the next supervisor replaces it under the lock
        }
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }
}
