package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * HTTP hygiene over raw loopback sockets against a real worker process (DESIGN.md, "Bounds"): an early answer
 * never lets an unread body become a request, {@code Connection: close} closes, HTTP/1.0 and {@code HEAD /health}
 * are answered, /ai wants JSON and a local Host, bad chunked framing is a 400.
 */
class HttpHygieneIT {
    static final Duration QUIET = Duration.ofSeconds(3);
    static final String AI_BODY = "{\"action\":\"chat\",\"content\":\"smuggled\"}";

    @RegisterExtension
    static final WorkerWithFakeUpstream fixture =
            new WorkerWithFakeUpstream(Map.of("SIDECAR_ALLOWED_HOSTS", "moodle.example.org"));

    static String host() {
        return "127.0.0.1:" + fixture.worker().port();
    }

    /** A complete, valid /ai request: executed, it would reach the fake fixture.upstream(). */
    static String embeddedAiRequest() {
        return "POST /ai HTTP/1.1\r\nHost: " + host() + "\r\nContent-Type: application/json\r\nContent-Length: "
                + AI_BODY.length() + "\r\n\r\n" + AI_BODY;
    }

    RawHttp.Received exchange(String request) throws Exception {
        try (RawHttp http = new RawHttp(fixture.worker().port())) {
            return http.send(request).read(QUIET);
        }
    }

    void assertClosedAfterOneAnswer(RawHttp.Received received, int status) {
        assertEquals(status, received.status(), received.text());
        assertEquals(1, received.responses(), received.text());
        assertTrue(received.closed(), "the server must close the connection: " + received.text());
        assertTrue(received.took().compareTo(Duration.ofSeconds(2)) < 0, "closed after " + received.took());
        assertEquals(0, fixture.upstream().received().size(), "the unread body was executed as a request");
    }

    @Test
    void notFoundWithConnectionCloseClosesAndNeverRunsTheBodyAsARequest() throws Exception {
        String body = embeddedAiRequest();
        assertClosedAfterOneAnswer(exchange("POST /nothing HTTP/1.1\r\nHost: " + host()
                + "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body), 404);
    }

    @Test
    void notFoundWithAnUnreadBodyAnnouncesTheCloseThatFollows() throws Exception {
        String body = embeddedAiRequest();
        RawHttp.Received received = exchange("POST /nothing HTTP/1.1\r\nHost: " + host()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertClosedAfterOneAnswer(received, 404);
        // A client that reuses connections must be told, or its next request on this one fails.
        assertTrue(received.text().toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n"),
                received.text());
    }

    @Test
    void healthWithABodyAndConnectionCloseClosesAndNeverRunsTheBody() throws Exception {
        String body = embeddedAiRequest();
        assertClosedAfterOneAnswer(exchange("GET /health HTTP/1.1\r\nHost: " + host()
                + "\r\nConnection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body), 200);
    }

    @Test
    void unauthorizedWithConnectionCloseClosesAndNeverRunsTheBody() throws Exception {
        // A second worker would be needed for a token; 415 is the same early answer with the body unread.
        String body = embeddedAiRequest();
        assertClosedAfterOneAnswer(exchange("POST /ai HTTP/1.1\r\nHost: " + host()
                + "\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body), 415);
    }

    @Test
    void payloadTooLargeClosesEvenWithoutConnectionClose() throws Exception {
        // The declared length is over SIDECAR_MAX_BODY_BYTES; what follows the head is a whole request.
        assertClosedAfterOneAnswer(exchange("POST /ai HTTP/1.1\r\nHost: " + host()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + (2 * 1024 * 1024) + "\r\n\r\n"
                + embeddedAiRequest()), 413);
    }

    /**
     * A client that sends its whole oversized body, as curl and Java's HttpClient do, and only then reads: the 413
     * must still reach it. Closed at once with the body unread, the socket sends a reset that discards the answer
     * waiting in the client (Java: "header parser received no bytes"); the close lingers, reading what comes.
     */
    @Test
    void payloadTooLargeReachesAClientThatSendsTheWholeBodyFirst() throws Exception {
        int size = 4 * 1024 * 1024;
        for (int attempt = 0; attempt < 5; attempt++) {
            try (RawHttp http = new RawHttp(fixture.worker().port())) {
                http.send("POST /ai HTTP/1.1\r\nHost: " + host() + "\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + size + "\r\n\r\n" + "a".repeat(64 * 1024));
                Thread.sleep(200); // the worker has answered and closed meanwhile
                http.send("a".repeat(size - 64 * 1024));
                RawHttp.Received received = http.read(QUIET);
                assertEquals(413, received.status(), "attempt " + attempt + ": " + received.text());
                assertTrue(received.closed(), received.text());
            }
        }
        assertEquals(0, fixture.upstream().received().size());
    }

    /** The lingering close is bounded: a client that never stops sending is cut off after about 2 s. */
    @Test
    void aClientThatKeepsSendingAfterAnEarlyAnswerIsCutOffAfterTheLinger() throws Exception {
        try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(),
                fixture.worker().port())) {
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("POST /ai HTTP/1.1\r\nHost: " + host() + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1073741824\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            Thread writer = Thread.ofPlatform().daemon().start(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    while (System.nanoTime() - start < Duration.ofSeconds(20).toNanos()) {
                        out.write(chunk);
                    }
                } catch (java.io.IOException e) {
                    // cut off by the worker
                }
            });
            socket.setSoTimeout(10_000);
            String answer = new String(socket.getInputStream().readAllBytes(),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            writer.join(10_000);
            long tookMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertFalse(writer.isAlive(), "still sending after " + tookMillis + " ms");
            assertTrue(tookMillis >= 1_500 && tookMillis < 5_000, "cut off after " + tookMillis + " ms");
        }
    }

    @Test
    void chunkedBodyLeftUnreadWithConnectionCloseIsNeverARequest() throws Exception {
        String smuggled = embeddedAiRequest();
        String chunked = Integer.toHexString(smuggled.length()) + "\r\n" + smuggled + "\r\n0\r\n\r\n";
        assertClosedAfterOneAnswer(exchange("POST /nothing HTTP/1.1\r\nHost: " + host()
                + "\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + smuggled), 404);
    }

    @Test
    void healthWithConnectionCloseSeesEofPromptlyAsPhpDoes() throws Exception {
        RawHttp.Received received = exchange("GET /health HTTP/1.1\r\nHost: " + host()
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(200, received.status(), received.text());
        assertTrue(received.closed(), "no EOF after Connection: close");
        assertTrue(received.took().compareTo(Duration.ofSeconds(1)) < 0, "EOF after " + received.took());
    }

    @Test
    void keepAliveStillServesTwoRequestsOnOneConnection() throws Exception {
        try (RawHttp http = new RawHttp(fixture.worker().port())) {
            String get = "GET /health HTTP/1.1\r\nHost: " + host() + "\r\n\r\n";
            RawHttp.Received both = http.send(get + get).read(Duration.ofMillis(800));
            assertEquals(2, both.responses(), both.text());
            assertFalse(both.closed());
        }
    }

    @Test
    void http10HealthIsAnsweredAndClosed() throws Exception {
        RawHttp.Received received = exchange("GET /health HTTP/1.0\r\n\r\n");
        assertEquals(200, received.status(), received.text());
        assertEquals("{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}", received.body());
        assertTrue(received.closed());
    }

    @Test
    void http10AiIsAnswered() throws Exception {
        RawHttp.Received received = exchange("POST /ai HTTP/1.0\r\nHost: " + host()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + AI_BODY.length() + "\r\n\r\n" + AI_BODY);
        assertEquals(200, received.status(), received.text());
        assertTrue(received.body().contains("\"success\":true"), received.text());
        assertEquals(1, fixture.upstream().received().size());
    }

    @Test
    void headHealthIs200WithoutABody() throws Exception {
        try (RawHttp http = new RawHttp(fixture.worker().port())) {
            RawHttp.Received received = http.send("HEAD /health HTTP/1.1\r\nHost: " + host() + "\r\n\r\n")
                    .read(Duration.ofMillis(800));
            assertEquals(200, received.status(), received.text());
            assertEquals("", received.body(), received.text());
            assertEquals(1, received.responses());
        }
    }

    @Test
    void aiWithoutJsonContentTypeIs415() throws Exception {
        for (String type : new String[] {"Content-Type: text/plain\r\n", "", "Content-Type: application/jsonx\r\n"}) {
            RawHttp.Received received = exchange("POST /ai HTTP/1.1\r\nHost: " + host() + "\r\n" + type
                    + "Content-Length: " + AI_BODY.length() + "\r\n\r\n" + AI_BODY);
            assertEquals(415, received.status(), received.text());
            assertTrue(received.body().contains("\"code\":\"invalid_request\""), received.text());
        }
        assertEquals(0, fixture.upstream().received().size());
        RawHttp.Received charset = exchange("POST /ai HTTP/1.1\r\nHost: " + host()
                + "\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: " + AI_BODY.length()
                + "\r\n\r\n" + AI_BODY);
        assertEquals(200, charset.status(), charset.text());
    }

    @Test
    void foreignHostIs403AndLocalOnesAreServed() throws Exception {
        for (String host : new String[] {"evil.example", "evil.example:" + fixture.worker().port(),
                "127.0.0.1.evil.example",
                "10.0.0.1"}) {
            RawHttp.Received received = exchange("POST /ai HTTP/1.1\r\nHost: " + host
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + AI_BODY.length() + "\r\n\r\n"
                    + AI_BODY);
            assertEquals(403, received.status(), host + ": " + received.text());
            assertTrue(received.body().contains("\"code\":\"invalid_request\""), received.text());
            assertEquals(403, exchange("GET /health HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status(), host);
        }
        assertEquals(0, fixture.upstream().received().size());
        for (String host : new String[] {"localhost:" + fixture.worker().port(), "127.0.0.1",
                "127.1.2.3:" + fixture.worker().port(),
                "[::1]:" + fixture.worker().port(), "LOCALHOST", "moodle.example.org:" + fixture.worker().port()}) {
            assertEquals(200, exchange("GET /health HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status(), host);
        }
    }

    @Test
    void malformedChunkedBodyIs400() throws Exception {
        RawHttp.Received received = exchange("POST /ai HTTP/1.1\r\nHost: " + host()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\n{\"action\":\"chat\"}\r\n0\r\n\r\n");
        assertEquals(400, received.status(), received.text() + "\n" + fixture.worker().log());
        assertTrue(received.closed());
        assertEquals(0, fixture.upstream().received().size());
    }
}
