package org.openaimoodle.sidecar.worker.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A raw loopback socket to the worker, for framing tests: writes exactly the bytes given and reads what comes
 * back until EOF or a quiet period, so a test can tell "answered and closed" from "answered and kept open"
 * and count how many responses arrived.
 */
final class RawHttp implements AutoCloseable {
    private final Socket socket;

    RawHttp(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
    }

    RawHttp send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /**
     * Reads until the server closes (EOF) or nothing arrives for {@code quiet}.
     *
     * @return what arrived and whether the server closed the connection
     */
    Received read(Duration quiet) throws IOException {
        socket.setSoTimeout((int) quiet.toMillis());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        long start = System.nanoTime();
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytes.write(buffer, 0, n);
            }
            return new Received(bytes.toString(StandardCharsets.ISO_8859_1), true,
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (SocketTimeoutException e) {
            return new Received(bytes.toString(StandardCharsets.ISO_8859_1), false,
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) { // reset counts as closed
            return new Received(bytes.toString(StandardCharsets.ISO_8859_1), true,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /**
     * @param text   everything the server sent
     * @param closed whether the server closed the connection
     * @param took   time from the start of the read to EOF (or to the quiet timeout)
     */
    record Received(String text, boolean closed, Duration took) {
        /** @return the number of HTTP status lines in what arrived */
        int responses() {
            return text.split("HTTP/1\\.[01] \\d{3}", -1).length - 1;
        }

        /** @return the status code of the first response, or -1 */
        int status() {
            return text.startsWith("HTTP/1.") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : -1;
        }

        /** @return the body of the first response (after the blank line) */
        String body() {
            int at = text.indexOf("\r\n\r\n");
            return at < 0 ? "" : text.substring(at + 4);
        }
    }
}
