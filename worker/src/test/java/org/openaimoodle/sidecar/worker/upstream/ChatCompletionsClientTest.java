package org.openaimoodle.sidecar.worker.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.TestKeys;

/** Both transports against the fake upstream over real loopback sockets: one retry policy, one error mapping. */
class ChatCompletionsClientTest {
    private static final String KEY = TestKeys.API_KEY;
    private static final List<ChatMessage> HELLO = List.of(ChatMessage.user("hello"));
    private static FakeUpstream upstream;
    private static HelidonTransport helidon;

    @BeforeAll
    static void startUpstream() throws IOException {
        upstream = FakeUpstream.start();
        helidon = new HelidonTransport(Duration.ofSeconds(2), 16, 1 << 20);
        helidon.warmUp(); // as HTTP mode does at start: building the client is not part of a request
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @BeforeEach
    void resetUpstream() {
        upstream.reset();
    }

    static Stream<UpstreamTransport> transports() {
        return Stream.of(helidon, new UrlConnectionTransport(Duration.ofSeconds(2), 1 << 20));
    }

    private static ChatCompletionsClient client(UpstreamTransport transport) {
        return new ChatCompletionsClient(transport, ChatCompletionsUrl.normalize(upstream.baseUrl()), KEY,
                "gpt-test", RetryPolicy.DEFAULT);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void sendsTheChatCompletionsRequestAndReturnsTheContent(UpstreamTransport transport) throws Exception {
        upstream.enqueue(FakeAnswer.text("Hi there"));
        assertEquals("Hi there", client(transport).complete(HELLO, 123, Deadline.after(Duration.ofSeconds(5))).text());
        var request = upstream.received().get(0);
        assertEquals("POST", request.method());
        assertEquals("/v1/chat/completions", request.path());
        assertEquals("Bearer " + KEY, request.headers().get("authorization"));
        assertEquals("gpt-test", request.model());
        assertEquals(123, request.maxTokens());
        assertEquals(List.of("user: hello"), request.messages());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void serverErrorsAreRetriedTwiceThenSucceed(UpstreamTransport transport) throws Exception {
        upstream.enqueue(FakeAnswer.error(500, "boom"), FakeAnswer.error(503, "busy"), FakeAnswer.text("finally"));
        long start = System.nanoTime();
        assertEquals("finally", client(transport).complete(HELLO, 10, Deadline.after(Duration.ofSeconds(10))).text());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(3, upstream.received().size());
        assertTrue(millis >= 750, "two jittered backoffs take at least 0.25 + 0.5 s, took " + millis);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void clientErrorsAreNotRetriedAndCarryTheUpstreamMessage(UpstreamTransport transport) {
        upstream.enqueue(FakeAnswer.error(401, "Incorrect API key provided: " + KEY));
        UpstreamException e = assertThrows(UpstreamException.class,
                () -> client(transport).complete(HELLO, 10, Deadline.after(Duration.ofSeconds(5))));
        assertEquals(UpstreamException.Kind.AUTH, e.kind());
        assertEquals(1, upstream.received().size());
        assertTrue(e.getMessage().contains("Incorrect API key provided"), e.getMessage());
        assertFalse(e.getMessage().contains(KEY), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void aKeyEchoedAcrossTheCutOfTheUpstreamMessageIsStillMasked() {
        ChatCompletionsClient client = client(new UrlConnectionTransport(Duration.ofSeconds(2), 1 << 20));
        for (int offset = 460; offset <= 505; offset++) {
            upstream.enqueue(FakeAnswer.error(401, ".".repeat(offset) + "Authorization: " + KEY + " echoed"));
            UpstreamException e = assertThrows(UpstreamException.class,
                    () -> client.complete(HELLO, 10, Deadline.after(Duration.ofSeconds(5))));
            for (int i = 0; i + 6 <= KEY.length(); i++) {
                String piece = KEY.substring(i, i + 6);
                assertFalse(e.getMessage().contains(piece), "offset " + offset + ": '" + piece + "' in " + e.getMessage());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void unreachableNamesHostAndPortButNeverTheUrlCredentials(UpstreamTransport transport) throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        ChatCompletionsClient dead = new ChatCompletionsClient(transport,
                URI.create("http://moodle:" + TestKeys.URL_PASSWORD + "@127.0.0.1:" + deadPort + "/v1/chat/completions"), KEY, "m",
                RetryPolicy.DEFAULT);
        UpstreamException e = assertThrows(UpstreamException.class,
                () -> dead.complete(HELLO, 10, Deadline.after(Duration.ofSeconds(10))));
        assertTrue(e.getMessage().contains("http://127.0.0.1:" + deadPort + " ("), e.getMessage());
        assertFalse(e.getMessage().contains(TestKeys.URL_PASSWORD), e.getMessage());
        assertFalse(e.getMessage().contains("moodle:"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void readTimeoutEndsAtTheDeadline(UpstreamTransport transport) {
        upstream.defaultAnswer(FakeAnswer.text("late").after(Duration.ofSeconds(5)));
        long start = System.nanoTime();
        UpstreamException e = assertThrows(UpstreamException.class,
                () -> client(transport).complete(HELLO, 10, Deadline.after(Duration.ofMillis(1200))));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(UpstreamException.Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(millis >= 1100 && millis < 3500, "took " + millis);
        assertEquals(1, upstream.received().size());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void refusedConnectionIsUnreachableAfterRetries(UpstreamTransport transport) throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        ChatCompletionsClient dead = new ChatCompletionsClient(transport,
                URI.create("http://127.0.0.1:" + deadPort + "/v1/chat/completions"), KEY, "m", RetryPolicy.DEFAULT);
        long start = System.nanoTime();
        UpstreamException e = assertThrows(UpstreamException.class,
                () -> dead.complete(HELLO, 10, Deadline.after(Duration.ofSeconds(10))));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(UpstreamException.Kind.UNREACHABLE, e.kind(), e.getMessage());
        assertEquals(3, e.attempts());
        assertTrue(millis >= 700, "backed off twice, took " + millis);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void droppedConnectionIsRetriedLikeARefusedOne(UpstreamTransport transport) throws Exception {
        upstream.enqueue(FakeAnswer.closeConnection(), FakeAnswer.text("recovered"));
        assertEquals("recovered", client(transport).complete(HELLO, 10, Deadline.after(Duration.ofSeconds(5))).text());
        assertEquals(2, upstream.received().size());
        upstream.defaultAnswer(FakeAnswer.closeConnection());
        UpstreamException e = assertThrows(UpstreamException.class,
                () -> client(transport).complete(HELLO, 10, Deadline.after(Duration.ofSeconds(5))));
        assertEquals(UpstreamException.Kind.UNREACHABLE, e.kind(), e.getMessage());
        assertEquals(5, upstream.received().size());
    }
}
