package org.openaimoodle.sidecar.worker.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP-mode transport keeps its upstream connections: requests one after another go over one TCP
 * connection, whether the answer has a Content-Length or is chunked. A server on a raw socket counts the
 * connections it accepts (the JDK's HttpServer does not tell).
 */
class HelidonTransportTest {
    private static final String ANSWER = "{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}";

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void requestsOneAfterAnotherShareOneConnection(boolean chunked) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread.ofVirtual().start(() -> {
                while (true) {
                    try {
                        Socket socket = server.accept();
                        accepted.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(socket, chunked));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            HelidonTransport transport = new HelidonTransport(Duration.ofSeconds(2), 16, 1 << 20);
            URI uri = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/v1/chat/completions");
            for (int i = 0; i < 5; i++) {
                TransportResponse response = transport.post(uri, Map.of("Content-Type", "application/json"),
                        "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
                assertEquals(200, response.status());
                assertEquals(ANSWER, new String(response.body(), StandardCharsets.UTF_8));
            }
            assertEquals(1, accepted.get(), "TCP connections the upstream accepted for 5 requests");
        }
    }

    /** Answers every request of one keep-alive connection until the client closes it. */
    private static void serve(Socket socket, boolean chunked) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                int length = -1;
                String line;
                while (!(line = readLine(in)).isEmpty()) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
                if (length > 0 && in.readNBytes(length).length < length) {
                    return;
                }
                byte[] answer = ANSWER.getBytes(StandardCharsets.UTF_8);
                String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + (chunked ? "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(answer.length) + "\r\n"
                        : "Content-Length: " + answer.length + "\r\n\r\n");
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.write(answer);
                if (chunked) {
                    out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            }
        } catch (IOException endOfConnection) {
            // the client closed it, or the test ended
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("end of connection");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }
}
