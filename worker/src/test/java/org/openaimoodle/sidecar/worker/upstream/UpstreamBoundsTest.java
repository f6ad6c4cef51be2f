package org.openaimoodle.sidecar.worker.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.openaimoodle.sidecar.testkit.MisbehavingUpstream;
import org.openaimoodle.sidecar.testkit.MisbehavingUpstream.Behaviour;
import org.openaimoodle.sidecar.testkit.TestKeys;

/**
 * Both transports against an upstream misbehaving on real loopback sockets: the request's deadline holds
 * whatever the upstream does (and is reported as a timeout), and an answer over the size bound is an error,
 * not an OutOfMemoryError. Calls run on virtual threads, as the server's request handlers do.
 */
class UpstreamBoundsTest {
    private static final String KEY = TestKeys.API_KEY;
    private static final int MAX_REPLY = 64 * 1024;
    private static final Duration DEADLINE = Duration.ofMillis(1500);
    /** The margin DESIGN.md allows past the deadline. */
    private static final long MARGIN_MILLIS = 1500;
    private static final HelidonTransport HELIDON = new HelidonTransport(Duration.ofSeconds(5), 16, MAX_REPLY);

    @BeforeAll
    static void warmUp() {
        HELIDON.warmUp(); // as HTTP mode does at start
    }

    static Stream<UpstreamTransport> transports() {
        return Stream.of(HELIDON, new UrlConnectionTransport(Duration.ofSeconds(5), MAX_REPLY));
    }

    private record Result(String text, UpstreamException failure, long millis) {
    }

    private static Result call(UpstreamTransport transport, String baseUrl) throws Exception {
        ChatCompletionsClient client = new ChatCompletionsClient(transport, ChatCompletionsUrl.normalize(baseUrl),
                KEY, "m", RetryPolicy.DEFAULT);
        Callable<Result> task = () -> {
            long start = System.nanoTime();
            try {
                String text = client.complete(List.of(ChatMessage.user("hi")), 10, Deadline.after(DEADLINE)).text();
                return new Result(text, null, (System.nanoTime() - start) / 1_000_000);
            } catch (UpstreamException e) {
                return new Result(null, e, (System.nanoTime() - start) / 1_000_000);
            }
        };
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            return executor.submit(task).get();
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static void assertTimeoutInTime(UpstreamTransport transport, String baseUrl) throws Exception {
        Result result = call(transport, baseUrl);
        assertTrue(result.failure() != null, "no failure: " + result.text());
        assertEquals(UpstreamException.Kind.TIMEOUT, result.failure().kind(), result.failure().getMessage());
        assertTrue(result.millis() >= DEADLINE.toMillis() - 50
                && result.millis() < DEADLINE.toMillis() + MARGIN_MILLIS, "took " + result.millis() + " ms");
    }

    @ParameterizedTest
    @MethodSource("transports")
    void headersTricklingAByteAtATimeEndAtTheDeadline(UpstreamTransport transport) throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.TRICKLE_HEADERS)) {
            assertTimeoutInTime(transport, upstream.baseUrl());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void bodyTricklingAByteAtATimeEndsAtTheDeadline(UpstreamTransport transport) throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.TRICKLE_BODY)) {
            assertTimeoutInTime(transport, upstream.baseUrl());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void tlsHandshakeThatNeverCompletesEndsAtTheDeadline(UpstreamTransport transport) throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.SILENT)) {
            assertTimeoutInTime(transport, upstream.httpsBaseUrl());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void blackholedConnectEndsAtTheDeadlineThoughTheConnectTimeoutIsLonger(UpstreamTransport transport)
            throws Exception {
        try (MisbehavingUpstream upstream = MisbehavingUpstream.start(Behaviour.BLACKHOLE)) {
            assertTimeoutInTime(transport, upstream.baseUrl());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void answerOverTheBoundIsAnErrorWithoutRetry(UpstreamTransport transport) throws Exception {
        for (Behaviour behaviour : List.of(Behaviour.SIZED_BODY, Behaviour.SIZED_CHUNKED_BODY)) {
            try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(behaviour, 100L * 1024 * 1024)) {
                Result result = call(transport, upstream.baseUrl());
                assertTrue(result.failure() != null, behaviour + ": no failure");
                assertEquals(UpstreamException.Kind.ERROR, result.failure().kind(), result.failure().getMessage());
                assertTrue(result.failure().getMessage().contains("larger than 65536 bytes "
                        + "(SIDECAR_MAX_UPSTREAM_REPLY_BYTES)"), result.failure().getMessage());
                assertEquals(1, upstream.connections(), behaviour + ": not retried");
                assertTrue(result.millis() < 1000, behaviour + " took " + result.millis() + " ms");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void answerOfExactlyTheBoundIsRead(UpstreamTransport transport) throws Exception {
        for (Behaviour behaviour : List.of(Behaviour.SIZED_BODY, Behaviour.SIZED_CHUNKED_BODY)) {
            try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(behaviour, MAX_REPLY)) {
                Result result = call(transport, upstream.baseUrl());
                assertEquals(MisbehavingUpstream.contentChars(MAX_REPLY), result.text() == null ? -1
                        : result.text().length(), behaviour + ": " + result.failure());
            }
        }
    }
}
