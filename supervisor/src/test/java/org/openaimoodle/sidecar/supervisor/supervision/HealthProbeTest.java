package org.openaimoodle.sidecar.supervisor.supervision;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthProbeTest {
    private ServerSocket server;

    @AfterEach
    void closeServer() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** A one-connection-at-a-time server that answers every request with {@code reply} (or nothing). */
    private int serve(String reply) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket client = server.accept()) {
                    client.getInputStream().read(new byte[1024]);
                    if (reply == null) {
                        client.getInputStream().read(); // hang until the prober gives up
                    } else {
                        OutputStream out = client.getOutputStream();
                        out.write(reply.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                } catch (IOException e) {
                    // closed by the test
                }
            }
        });
        thread.setDaemon(true);
        thread.start();
        return server.getLocalPort();
    }

    @Test
    void status200WithOurWorkersIdIsHealthy() throws IOException {
        int port = serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx-sidecar-worker-id: 0123abcd\r\n\r\n{}");
        HealthProbe.Result result = new HealthProbe("127.0.0.1", port, Duration.ofSeconds(1)).probe("0123abcd");
        assertTrue(result.healthy(), result.detail());
    }

    @Test
    void status200WithoutOrWithAnotherIdIsThePortTakenByAnotherProcess() throws IOException {
        for (String headers : new String[] {"", "X-Sidecar-Worker-Id: ffff0000\r\n", "X-Other: 0123abcd\r\n"}) {
            closeServer();
            int port = serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + headers + "\r\n{}");
            HealthProbe.Result result = new HealthProbe("127.0.0.1", port, Duration.ofSeconds(1)).probe("0123abcd");
            assertFalse(result.healthy(), headers);
            assertTrue(result.portTaken(), headers);
            assertTrue(result.detail().startsWith("port 127.0.0.1:" + port + " is taken by another process"),
                    result.detail());
        }
    }

    @Test
    void anyAnswer200IsForeignWhenNoWorkerOfOursIsExpected() throws IOException {
        int port = serve("HTTP/1.1 200 OK\r\nX-Sidecar-Worker-Id: 0123abcd\r\n\r\n");
        assertTrue(new HealthProbe("127.0.0.1", port, Duration.ofSeconds(1)).probe(null).portTaken());
    }

    @Test
    void endlessHeadersFromAForeignServerAreReadOnlyUpToTheBound() throws IOException {
        int port = serve("HTTP/1.1 200 OK\r\n" + "X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(10_000)
                + "X-Sidecar-Worker-Id: 0123abcd\r\n\r\n");
        HealthProbe.Result result = new HealthProbe("127.0.0.1", port, Duration.ofSeconds(1)).probe("0123abcd");
        assertTrue(result.portTaken(), result.detail());
    }

    @Test
    void drainingWorkerWith503IsUnhealthy() throws IOException {
        int port = serve("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        HealthProbe.Result result = new HealthProbe("127.0.0.1", port, Duration.ofSeconds(1)).probe("0123abcd");
        assertFalse(result.healthy());
        assertTrue(result.detail().contains("503"), result.detail());
    }

    @Test
    void silentServerFailsTheProbeWithinItsTimeout() throws IOException {
        int port = serve(null);
        long started = System.nanoTime();
        HealthProbe.Result result = new HealthProbe("127.0.0.1", port, Duration.ofMillis(300)).probe("0123abcd");
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertFalse(result.healthy());
        assertTrue(tookMillis < 2_000, "took " + tookMillis + " ms");
        assertTrue(result.detail().contains("did not answer"), result.detail());
    }

    @Test
    void closedPortIsUnhealthy() throws IOException {
        int port;
        try (ServerSocket unused = new ServerSocket(0)) {
            port = unused.getLocalPort();
        }
        assertFalse(new HealthProbe("127.0.0.1", port, Duration.ofSeconds(1)).probe("0123abcd").healthy());
    }
}
