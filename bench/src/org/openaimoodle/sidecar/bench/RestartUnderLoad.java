package org.openaimoodle.sidecar.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code RestartUnderLoad PORT CLIENTS SECONDS_BEFORE SECONDS_AFTER -- COMMAND...}: CLIENTS send POST /ai back to
 * back (half on keep-alive connections, half a new connection per request, as PHP's curl does), COMMAND (e.g.
 * {@code sidecarctl restart}) runs after SECONDS_BEFORE, the load goes on SECONDS_AFTER more; prints
 * {@code sent=N ok=N failed=N command_exit=N command_ms=N first_failure=...}. Plain sockets: nothing retries.
 * (The testkit's SteadyLoad does the same for the tests; the bench compiles without the testkit.)
 */
public final class RestartUnderLoad {
    private static final AtomicBoolean RUNNING = new AtomicBoolean(true);
    private static final AtomicLong SENT = new AtomicLong();
    private static final AtomicLong OK = new AtomicLong();
    private static final AtomicLong FAILED = new AtomicLong();
    private static volatile String firstFailure = "";

    private RestartUnderLoad() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int clients = Integer.parseInt(args[1]);
        long before = (long) (Double.parseDouble(args[2]) * 1000);
        long after = (long) (Double.parseDouble(args[3]) * 1000);
        List<String> command = List.of(args).subList(5, args.length);
        byte[] body = "{\"action\":\"chat\",\"content\":\"hello\",\"user_id\":1}".getBytes(StandardCharsets.UTF_8);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            boolean keepAlive = i % 2 == 0;
            threads.add(Thread.ofPlatform().start(() -> run(port, body, keepAlive)));
        }
        Thread.sleep(before);
        long started = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int exit = process.waitFor();
        long commandMs = (System.nanoTime() - started) / 1_000_000;
        Thread.sleep(after);
        RUNNING.set(false);
        for (Thread thread : threads) {
            thread.join(35_000);
        }
        System.out.println("sent=" + SENT.get() + " ok=" + OK.get() + " failed=" + FAILED.get() + " command_exit="
                + exit + " command_ms=" + commandMs + " first_failure=" + firstFailure.replace(' ', '_'));
    }

    private static void run(int port, byte[] body, boolean keepAlive) {
        Socket socket = null;
        while (RUNNING.get()) {
            SENT.incrementAndGet();
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 30_000);
                    socket.setSoTimeout(30_000);
                }
                OutputStream out = socket.getOutputStream();
                out.write(("POST /ai HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\n" + (keepAlive ? "" : "Connection: close\r\n")
                        + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                boolean closes = read(socket.getInputStream());
                if (!keepAlive || closes) {
                    socket.close();
                    socket = null;
                }
            } catch (IOException | RuntimeException e) {
                fail(e.toString());
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // gone
                    }
                }
                socket = null;
            }
        }
    }

    private static void fail(String why) {
        if (FAILED.getAndIncrement() == 0) {
            firstFailure = why;
        }
    }

    /** Reads one answer; counts it; returns whether the server closes the connection after it. */
    private static boolean read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0d0a0d0a) {
            int next = in.read();
            if (next < 0) {
                throw new IOException("closed without a complete answer");
            }
            head.write(next);
            last4 = (last4 << 8) | next;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        int length = 0;
        boolean closes = false;
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring(15).trim());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = true;
            }
        }
        String answer = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        if (status == 200 && !answer.contains("\"success\":false")) {
            OK.incrementAndGet();
        } else {
            fail(status + " " + answer);
        }
        return closes;
    }
}
