package org.openaimoodle.sidecar.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package {@code redis-server}) on a free loopback port, without
 * persistence ({@code --save '' --appendonly no}), its working directory and log in a temp dir. For fault tests it
 * can be killed ({@link #kill}, SIGKILL: connections reset at once) and started again on the same port
 * ({@link #restart}), empty. {@link #close} stops it by its pid. {@link #command} speaks just enough RESP for a
 * test to look at or empty the data, so the testkit needs no Redis client.
 */
public final class RedisServerUnderTest implements AutoCloseable {
    /** Where Debian's package puts the server. */
    public static final String BINARY = "/usr/bin/redis-server";
    private static final Duration START_BOUND = Duration.ofSeconds(20);

    private final Path dir;
    private final int port;
    private final String password;
    private Process process;

    private RedisServerUnderTest(Path dir, int port, String password) {
        this.dir = dir;
        this.port = port;
        this.password = password;
    }

    /**
     * @param dir a temp dir for the server's files
     * @return a running server without a password
     */
    public static RedisServerUnderTest start(Path dir) throws IOException {
        return start(dir, null);
    }

    /**
     * @param dir      a temp dir for the server's files
     * @param password {@code requirepass}, or null
     * @return a running server, answering PING
     */
    public static RedisServerUnderTest start(Path dir, String password) throws IOException {
        RedisServerUnderTest server = new RedisServerUnderTest(Files.createDirectories(dir), Ports.free(), password);
        server.launch();
        return server;
    }

    private void launch() throws IOException {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " is missing: install the Debian package redis-server "
                    + "(run-tests installs it)");
        }
        List<String> command = new ArrayList<>(List.of(BINARY, "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no",
                "--protected-mode", "no"));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        await("redis-server answers PING").atMost(START_BOUND).pollInterval(Duration.ofMillis(20)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                return command("PING").equals("+PONG");
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** @return the port it listens on (the same after {@link #restart}) */
    public int port() {
        return port;
    }

    /** @return {@code redis://[:password@]127.0.0.1:port/0}, for SIDECAR_REDIS_URL */
    public String url() {
        return "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port + "/0";
    }

    /** @return the server's log */
    public String log() throws IOException {
        return Files.readString(dir.resolve("redis.log"), StandardCharsets.UTF_8);
    }

    /** @return whether the process runs */
    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Kills the server (SIGKILL) and waits for it to be gone: clients see their connections reset. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server pid " + process.pid() + " did not die");
            }
        }
    }

    /** Starts the server again on the same port, empty (nothing was persisted). */
    public void restart() throws IOException, InterruptedException {
        kill();
        launch();
    }

    /**
     * Sends one command and reads one reply, in RESP.
     *
     * @param words the command, e.g. {@code DBSIZE}, {@code FLUSHALL}, {@code EXISTS key}
     * @return the reply's first line as Redis sent it ({@code +OK}, {@code :3}, {@code -ERR …}, {@code $5});
     *         for a bulk string the string itself
     * @throws IOException when the server cannot be reached within a second
     */
    public String command(String... words) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            if (password != null) {
                out.write(resp("AUTH", password));
                out.flush();
                String auth = line(in);
                if (!auth.equals("+OK")) {
                    throw new IOException("AUTH answered " + auth);
                }
            }
            out.write(resp(words));
            out.flush();
            String reply = line(in);
            if (reply.startsWith("$") && !reply.equals("$-1")) {
                return line(in);
            }
            return reply;
        }
    }

    private static byte[] resp(String... words) {
        StringBuilder text = new StringBuilder("*").append(words.length).append("\r\n");
        for (String word : words) {
            text.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(word)
                    .append("\r\n");
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\r') {
                in.read(); // '\n'
                return line.toString();
            }
            line.append((char) c);
        }
        throw new IOException("the connection closed mid-reply");
    }

    /** Stops the server by its pid and waits for it to be gone. */
    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
