package org.openaimoodle.sidecar.worker.it;


import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;
import org.openaimoodle.sidecar.testkit.WorkerWithFakeUpstream;

/**
 * {@code "stream": true} through /v1, over real sockets: events pass one by one as they arrive, the usage
 * chunk only when asked for, hundreds of streams at once, an upstream silent mid-stream is cut at
 * SIDECAR_STREAM_IDLE_TIMEOUT (2 s here: the 300 streams share two busy cores) with a clean end, a client that leaves closes the upstream connection.
 */
class OpenAiStreamIT {
    static final String STREAM = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Count to five\"}]}";
    static final String STREAM_WITH_USAGE = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
            + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    @RegisterExtension
    static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of(
            "SIDECAR_STREAM_IDLE_TIMEOUT", "2",
            // The deadline bounds the wait for a stream's first byte: 300 streams at once need room on 2 cores.
            "SIDECAR_REQUEST_TIMEOUT", "15"));
    static FakeUpstream upstream;
    static WorkerUnderTest worker;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        upstream = fixture.upstream();
        worker = fixture.worker();
    }

    @AfterAll
    static void stop() throws Exception {
        HTTP.close();
    }

    /** One event's data as the client read it, and when. */
    record Event(String data, long atNanos) {
    }

    /** A stream as the client saw it: status, Content-Type and its events, read to the end of the response. */
    record Stream(int status, String contentType, List<Event> events, long startNanos) {
        List<String> data() {
            return events.stream().map(Event::data).toList();
        }
    }

    static Stream stream(String body) throws Exception {
        long start = System.nanoTime();
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(worker.uri("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        List<Event> events = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(new Event(line.substring(6), System.nanoTime()));
                } else if (response.statusCode() != 200) {
                    events.add(new Event("HTTP " + response.statusCode() + ": " + line, System.nanoTime()));
                }
            }
        }
        return new Stream(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), events,
                start);
    }

    @Test
    void eventsArriveOneByOneAsTheUpstreamSendsThem() throws Exception {
        upstream.enqueue(FakeAnswer.stream(Duration.ofMillis(200), "one", "two", "three", "four", "five"));
        Stream stream = stream(STREAM);
        assertEquals(200, stream.status(), () -> stream.data() + "\n" + worker.logUnchecked());
        assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
        List<String> data = stream.data();
        assertEquals("[DONE]", data.getLast(), data.toString());
        assertEquals(8, data.size(), "role, five pieces, finish, [DONE]; no usage chunk unasked: " + data);
        assertFalse(data.stream().anyMatch(d -> d.contains("\"choices\":[]")), data.toString());
        // Passed on as they came: the pieces are spread over ~1.4 s, not one burst at the end.
        for (int i = 2; i <= 5; i++) {
            long gapMillis = (stream.events().get(i).atNanos() - stream.events().get(i - 1).atNanos()) / 1_000_000;
            assertTrue(gapMillis >= 100, "event " + i + " came " + gapMillis + " ms after the one before");
        }
        // Upstream asked for the usage chunk (for the access line), everything else as sent.
        assertTrue(upstream.received().getFirst().body().path("stream_options").path("include_usage").asBoolean(),
                upstream.received().getFirst().text());
        awaitAccessLine(Pattern.compile("action=v1 user_id=- code=ok status=200 duration_ms=\\d+ prompt_tokens=10 "
                + "completion_tokens=5"));
    }

    @Test
    void usageChunkIsPassedOnWhenTheClientAsks() throws Exception {
        upstream.enqueue(FakeAnswer.stream(Duration.ZERO, "hello"));
        List<String> data = stream(STREAM_WITH_USAGE).data();
        assertTrue(data.stream().anyMatch(d -> d.contains("\"choices\":[]") && d.contains("\"completion_tokens\":1")),
                data.toString());
        assertEquals(STREAM_WITH_USAGE, upstream.received().getFirst().text(), "asked already: forwarded as sent");
    }

    @Test
    void threeHundredConcurrentStreamsAllComplete() throws Exception {
        upstream.defaultAnswer(FakeAnswer.stream(Duration.ofMillis(100), "a", "b", "c", "d", "e"));
        List<Future<Stream>> streams = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 300; i++) {
                streams.add(pool.submit(() -> stream(STREAM)));
            }
        }
        for (Future<Stream> stream : streams) {
            List<String> data = stream.get().data();
            assertEquals(8, data.size(), () -> data + "\n" + worker.logUnchecked());
            assertEquals("[DONE]", data.getLast());
        }
        assertEquals(300, upstream.streamsCompleted());
    }

    @Test
    void upstreamSilentMidStreamIsCutAtTheIdleTimeoutWithACleanEnd() throws Exception {
        upstream.enqueue(FakeAnswer.stream(Duration.ZERO, "one", "two", "three").stallingAfter(3));
        Stream stream = stream(STREAM);
        long millis = (stream.events().getLast().atNanos() - stream.startNanos()) / 1_000_000;
        List<String> data = stream.data();
        assertEquals(4, data.size(), "three events, then the error event: " + data);
        assertTrue(data.getLast().contains("\"code\":\"upstream_timeout\"")
                && data.getLast().contains("SIDECAR_STREAM_IDLE_TIMEOUT"), data.getLast());
        assertTrue(millis >= 1900 && millis < 5000, "cut after " + millis + " ms");
        awaitAccessLine(Pattern.compile("action=v1 user_id=- code=upstream_timeout status=200"));
    }

    @Test
    void clientThatLeavesClosesTheUpstreamConnection() throws Exception {
        upstream.enqueue(FakeAnswer.stream(Duration.ofMillis(300), "1", "2", "3", "4", "5", "6", "7", "8"));
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), worker.port())) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + STREAM.length() + "\r\n\r\n" + STREAM)
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (seen.toString().split("data: ", -1).length < 3) { // two events
                int b = in.read();
                assertTrue(b >= 0, "stream ended early: " + seen);
                seen.append((char) b);
            }
        }
        await("upstream sees its connection closed").atMost(Duration.ofSeconds(8))
                .until(() -> upstream.streamsCutByClient() == 1);
        assertEquals(0, upstream.streamsCompleted());
        await().atMost(Duration.ofSeconds(5)).until(() -> worker.log().contains("code=client_closed"));
    }

    /** The access line follows the stream's end: wait for it rather than race it. */
    private static void awaitAccessLine(Pattern line) {
        await().atMost(Duration.ofSeconds(5)).until(() -> line.matcher(worker.log()).find());
    }
}
