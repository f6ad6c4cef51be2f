package org.openaimoodle.sidecar.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that misbehaves at the socket level, where {@link FakeUpstream}'s HTTP server cannot: it
 * trickles headers or body a byte at a time, never answers (also not to a TLS ClientHello, so an
 * {@code https://} base URL to it is a TLS handshake that never completes), sends an answer of any size with
 * or without Content-Length, or never even accepts the connection (a full accept queue: the kernel drops
 * the SYN, as a black-holed route does).
 */
public final class MisbehavingUpstream implements AutoCloseable {
    /** What the upstream does with each connection. */
    public enum Behaviour {
        /** Accepts, reads nothing, never writes. */
        SILENT,
        /** Reads the request, then sends the status line and headers one byte every 100 ms, forever. */
        TRICKLE_HEADERS,
        /** Reads the request, sends the headers, then the body one byte every 100 ms, forever. */
        TRICKLE_BODY,
        /** Reads the request, answers 200 with a Chat Completions body of the given size and Content-Length. */
        SIZED_BODY,
        /** Like {@link #SIZED_BODY}, chunked, without Content-Length. */
        SIZED_CHUNKED_BODY,
        /** Never accepts: the accept queue is kept full, so connection attempts hang unanswered. */
        BLACKHOLE
    }

    private static final String PREFIX = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"";
    private static final String SUFFIX = "\"}}]}";

    private final ServerSocket server;
    private final Behaviour behaviour;
    private final long bodyBytes;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> handlers = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final Thread acceptor;

    private MisbehavingUpstream(Behaviour behaviour, long bodyBytes) throws IOException {
        this.behaviour = behaviour;
        this.bodyBytes = bodyBytes;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), behaviour == Behaviour.BLACKHOLE ? 1 : 512);
        if (behaviour == Behaviour.BLACKHOLE) {
            fillAcceptQueue();
            acceptor = null;
        } else {
            acceptor = Thread.ofVirtual().start(this::acceptLoop);
        }
    }

    /** @return an upstream behaving so (for the sized behaviours, with a body of 1 KiB) */
    public static MisbehavingUpstream start(Behaviour behaviour) throws IOException {
        return new MisbehavingUpstream(behaviour, 1024);
    }

    /** @return an upstream sending a valid Chat Completions answer of exactly {@code bodyBytes} bytes */
    public static MisbehavingUpstream sized(Behaviour behaviour, long bodyBytes) throws IOException {
        return new MisbehavingUpstream(behaviour, bodyBytes);
    }

    /** @return {@code http://127.0.0.1:PORT/v1} */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
    }

    /** @return {@code https://127.0.0.1:PORT/v1}: TLS to a peer that never answers the handshake */
    public String httpsBaseUrl() {
        return "https://127.0.0.1:" + server.getLocalPort() + "/v1";
    }

    /** @return how many connections were accepted */
    public int connections() {
        return connections.get();
    }

    /** @return the content length of a sized answer's text, so that the whole body is {@code bodyBytes} */
    public static long contentChars(long bodyBytes) {
        return bodyBytes - PREFIX.length() - SUFFIX.length();
    }

    private void fillAcceptQueue() throws IOException {
        // Linux queues backlog + 1 connections; once full, further SYNs are dropped.
        for (int i = 0; i < 16; i++) {
            Socket socket = new Socket();
            try {
                socket.connect(server.getLocalSocketAddress(), 300);
                sockets.add(socket);
            } catch (SocketTimeoutException e) {
                socket.close();
                return;
            }
        }
        throw new IOException("could not fill the accept queue: connections are not blackholed here");
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                sockets.add(socket);
                handlers.add(Thread.ofVirtual().start(() -> serve(socket)));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            if (behaviour == Behaviour.SILENT) {
                Thread.sleep(Long.MAX_VALUE);
            }
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            // Sized answers are keep-alive: a pooled client sends its next request on the same connection.
            while (readRequest(in)) {
                answer(out);
                out.flush();
            }
        } catch (IOException e) {
            // the client gave up or the test is over: that is what is tested
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void answer(OutputStream out) throws IOException, InterruptedException {
        switch (behaviour) {
            case TRICKLE_HEADERS -> trickle(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: "
                    + "x".repeat(100_000));
            case TRICKLE_BODY -> {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                trickle(out, PREFIX + "y".repeat(40_000));
            }
            case SIZED_BODY -> {
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bodyBytes
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                writeBody(out, false);
            }
            case SIZED_CHUNKED_BODY -> {
                out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                writeBody(out, true);
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            default -> throw new IllegalStateException(behaviour.toString());
        }
    }

    private static void trickle(OutputStream out, String text) throws IOException, InterruptedException {
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            out.write(b);
            out.flush();
            Thread.sleep(100);
        }
    }

    private void writeBody(OutputStream out, boolean chunked) throws IOException {
        byte[] fill = new byte[64 * 1024];
        java.util.Arrays.fill(fill, (byte) 'a');
        writeChunk(out, PREFIX.getBytes(StandardCharsets.US_ASCII), PREFIX.length(), chunked);
        long left = contentChars(bodyBytes);
        while (left > 0) {
            int n = (int) Math.min(fill.length, left);
            writeChunk(out, fill, n, chunked);
            left -= n;
        }
        writeChunk(out, SUFFIX.getBytes(StandardCharsets.US_ASCII), SUFFIX.length(), chunked);
    }

    private static void writeChunk(OutputStream out, byte[] bytes, int length, boolean chunked) throws IOException {
        if (chunked) {
            out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.write(bytes, 0, length);
        if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Reads the request head and its Content-Length body; false at end of input. */
    private static boolean readRequest(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        long length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring("content-length:".length()).strip());
            }
        }
        if (head.isEmpty()) {
            return false;
        }
        in.skipNBytes(length);
        return true;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
        if (acceptor != null) {
            acceptor.interrupt();
        }
        handlers.forEach(Thread::interrupt);
    }
}
