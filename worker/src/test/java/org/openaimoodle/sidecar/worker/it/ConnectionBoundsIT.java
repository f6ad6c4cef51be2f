package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * The documented connection and concurrency bounds hold with the launcher's real heap flags (DESIGN.md,
 * "Bounds"): at each default limit the worker stays up, /health answers, and what is over the limit gets 503
 * or is closed. Loopback only; each test bounded in count and time.
 */
class ConnectionBoundsIT {
    /** The defaults (ConfigLoader): the tests hold exactly this many. */
    static final int MAX_CONNECTIONS = 2048;
    static final int MAX_CONCURRENT = 1024;
    static final String AI_BODY = "{\"action\":\"chat\",\"content\":\"hold\"}";

    @TempDir
    Path dir;

    static String health(int port) {
        return "GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n";
    }

    static void assertHealthy(WorkerUnderTest worker) throws Exception {
        try (RawHttp http = new RawHttp(worker.port())) {
            RawHttp.Received received = http.send(health(worker.port()) .replace("\r\n\r\n",
                    "\r\nConnection: close\r\n\r\n")).read(Duration.ofSeconds(5));
            assertEquals(200, received.status(), received.text() + "\n" + worker.log());
            assertTrue(received.took().compareTo(Duration.ofSeconds(3)) < 0, "health took " + received.took());
        }
        assertTrue(worker.process().isAlive());
    }

    static List<Socket> open(int port, int count) throws IOException {
        List<Socket> sockets = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sockets.add(new Socket(InetAddress.getLoopbackAddress(), port));
        }
        return sockets;
    }

    static void closeAll(List<Socket> sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Test
    void idleKeepAliveConnectionsOverTheCapMakeRoomForHealth() throws Exception {
        try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, Map.of(), false)) {
            List<Socket> idle = open(worker.port(), MAX_CONNECTIONS);
            try {
                // each has served a request and now idles in keep-alive
                for (Socket socket : idle) {
                    socket.getOutputStream().write(health(worker.port()).getBytes());
                }
                for (Socket socket : idle) {
                    socket.setSoTimeout(20_000);
                    assertTrue(socket.getInputStream().read(new byte[4096]) > 0);
                }
                for (int round = 0; round < 20; round++) {
                    assertHealthy(worker);
                }
            } finally {
                closeAll(idle);
            }
        }
    }

    @Test
    void idleAndSlowHeadersAreClosedByTheirTimeouts() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("SIDECAR_IDLE_TIMEOUT", "1");
        env.put("SIDECAR_HEADER_TIMEOUT", "1");
        try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, env, false)) {
            List<Socket> silent = open(worker.port(), 400);
            List<Socket> slow = open(worker.port(), 400);
            try {
                long start = System.nanoTime();
                // slowloris: a byte at a time, never finishing the head
                for (int i = 0; i < 6; i++) {
                    for (Socket socket : slow) {
                        try {
                            socket.getOutputStream().write("GET /health HTTP/1.1\r\nX: ".charAt(i));
                        } catch (IOException e) {
                            // already closed by the worker
                        }
                    }
                    Thread.sleep(400);
                }
                for (List<Socket> group : List.of(silent, slow)) {
                    for (Socket socket : group) {
                        socket.setSoTimeout(10_000);
                        try {
                            assertEquals(-1, socket.getInputStream().read(), "a held connection got data");
                        } catch (IOException e) {
                            // reset: closed as well
                        }
                    }
                }
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "closed only after " + took);
                assertHealthy(worker);
            } finally {
                closeAll(silent);
                closeAll(slow);
            }
        }
    }

    @Test
    void requestsInFlightAtTheLimitAgainstASilentUpstreamKeepHealthAndGet503Beyond() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                while (!silent.isClosed()) {
                    try {
                        accepted.add(silent.accept()); // never answers
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Map<String, String> env = Map.of(
                    "OPENAI_API_KEY", TestKeys.API_KEY,
                    "OPENAI_BASE_URL", "http://127.0.0.1:" + silent.getLocalPort() + "/v1",
                    "SIDECAR_REQUEST_TIMEOUT", "40");
            try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, env, false)) {
                String ai = "POST /ai HTTP/1.1\r\nHost: 127.0.0.1:" + worker.port()
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + AI_BODY.length() + "\r\n\r\n"
                        + AI_BODY;
                List<Socket> inFlight = open(worker.port(), MAX_CONCURRENT);
                try {
                    for (Socket socket : inFlight) {
                        socket.getOutputStream().write(ai.getBytes());
                    }
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
                            .until(() -> accepted.size() >= MAX_CONCURRENT);
                    for (int i = 0; i < 10; i++) {
                        assertHealthy(worker);
                        try (RawHttp over = new RawHttp(worker.port())) {
                            RawHttp.Received received = over.send(ai).read(Duration.ofSeconds(10));
                            assertEquals(503, received.status(), received.text());
                            assertTrue(received.text().contains("Retry-After: 1"), received.text());
                        }
                    }
                } finally {
                    closeAll(inFlight);
                    closeAll(accepted);
                }
            }
        }
    }

    /**
     * A burst of connections arriving while the worker cannot accept (here: stopped; in production a GC pause or its
     * accept thread waiting for a core) waits in the kernel's accept queue. With Helidon's default backlog of 1024
     * every connection beyond it had its SYN dropped and retried by TCP only after 1 s.
     */
    @Test
    void aBurstOfConnectionsWhileTheWorkerCannotAcceptWaitsInTheAcceptQueue() throws Exception {
        int burst = 2000; // figure 2's burst, within the default SIDECAR_MAX_CONNECTIONS
        int somaxconn = Integer.parseInt(java.nio.file.Files.readAllLines( // readString truncates procfs files
                Path.of("/proc/sys/net/core/somaxconn")).get(0).strip());
        Assumptions.assumeTrue(somaxconn >= burst, "net.core.somaxconn " + somaxconn + " caps every backlog");
        try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, Map.of(), false)) {
            String pid = Long.toString(worker.process().pid());
            List<Socket> sockets = new CopyOnWriteArrayList<>();
            int connected = 0;
            assertEquals(0, new ProcessBuilder("kill", "-STOP", pid).start().waitFor());
            try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Boolean>> connects = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    connects.add(executor.submit(() -> {
                        Socket socket = new Socket();
                        sockets.add(socket);
                        // Under the first SYN retransmission (1 s): only a connection the queue took makes it.
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), worker.port()), 800);
                        return true;
                    }));
                }
                for (Future<Boolean> connect : connects) {
                    try {
                        connect.get();
                        connected++;
                    } catch (java.util.concurrent.ExecutionException e) {
                        // timed out: its SYN was dropped
                    }
                }
            } finally {
                new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
                closeAll(sockets);
            }
            assertEquals(burst, connected, "connections completed while the worker could not accept");
            assertHealthy(worker);
        }
    }
}
