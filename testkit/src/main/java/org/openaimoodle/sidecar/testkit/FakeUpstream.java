package org.openaimoodle.sidecar.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A stand-in for an OpenAI-compatible Chat Completions API on loopback, for tests and the benchmark.
 * It answers {@code POST …/chat/completions} in the real wire format, streams included (Server-Sent Events,
 * {@code data: {…}\n\n} chunks, the final usage chunk, {@code data: [DONE]}), and {@code GET …/models}; each test
 * scripts the next answers ({@link #enqueue}) — any status, headers such as {@code Retry-After}, a delay, a
 * dropped connection, a non-JSON body, empty {@code choices}, a stream that stalls — and reads back what arrived
 * ({@link #received()}: every request's method, path, headers and body) and how streams ended
 * ({@link #streamsCompleted()}, {@link #streamsCutByClient()}). Without a script it answers every chat request
 * with {@link #defaultAnswer} and every models request with a list of two models.
 *
 * <p>Standalone: {@code java -jar openai-moodle-sidecar-testkit.jar PORT [LATENCY_MS] [--stream]} (the jar's main
 * class, with its libraries in {@code libs/} beside it) serves until killed, every answer after the given latency,
 * and prints {@code fake upstream on URL, …} once it listens. With {@code --stream}, requests that ask for
 * {@code "stream": true} get a streamed answer ({@link FakeAnswer#stream}, {@link #STANDALONE_STREAM_GAP} before
 * each event), the others the usual whole one.
 */
public final class FakeUpstream implements AutoCloseable {
    static {
        // The JDK server closes keep-alive connections beyond 200 idle ones; under benchmark load that turns
        // into "connection closed" failures of the client's pooled connections. Real APIs keep far more.
        System.setProperty("sun.net.httpserver.maxIdleConnections", "100000");
    }

    /** Standalone {@code --stream}: the wait before each event of a streamed answer. */
    public static final Duration STANDALONE_STREAM_GAP = Duration.ofMillis(5);

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Deque<FakeAnswer> script = new ArrayDeque<>();
    private final List<ReceivedRequest> received = new ArrayList<>();
    private volatile FakeAnswer defaultAnswer = FakeAnswer.text("Hello from the fake upstream");
    /** Standalone {@code --stream}: the answer to {@code "stream": true} requests beyond the script, or null. */
    private volatile FakeAnswer streamAnswer;
    /** Standalone (benchmark) runs keep no record, so memory stays flat over millions of requests. */
    private volatile boolean recordNothing;
    private final java.util.concurrent.atomic.AtomicInteger streamsCompleted = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger streamsCutByClient = new java.util.concurrent.atomic.AtomicInteger();

    private FakeUpstream(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8192);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** @return a fake upstream on a free loopback port */
    public static FakeUpstream start() throws IOException {
        return new FakeUpstream(0);
    }

    /** @return a fake upstream on the given loopback port */
    public static FakeUpstream start(int port) throws IOException {
        return new FakeUpstream(port);
    }

    /** @return the bound port */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return the base URL to configure as {@code OPENAI_BASE_URL}, e.g. {@code http://127.0.0.1:1234/v1} */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** Queues answers for the next requests, in order; once they are used up the default answer applies. */
    public synchronized FakeUpstream enqueue(FakeAnswer... answers) {
        script.addAll(List.of(answers));
        return this;
    }

    /** Sets the answer for requests beyond the script. */
    public FakeUpstream defaultAnswer(FakeAnswer answer) {
        this.defaultAnswer = answer;
        return this;
    }

    /** @return streams sent to their end ({@code [DONE]}) since the last reset */
    public int streamsCompleted() {
        return streamsCompleted.get();
    }

    /** @return streams whose connection the client closed before their end, since the last reset */
    public int streamsCutByClient() {
        return streamsCutByClient.get();
    }

    /** Forgets the script, the default answer and what was received. */
    public synchronized void reset() {
        script.clear();
        received.clear();
        streamsCompleted.set(0);
        streamsCutByClient.set(0);
        defaultAnswer = FakeAnswer.text("Hello from the fake upstream");
    }

    /** @return a copy of the requests received so far, in arrival order */
    public synchronized List<ReceivedRequest> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        Instant at = Instant.now();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) ->
                headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
        FakeAnswer answer;
        FakeAnswer streamed = streamAnswer;
        JsonNode json = recordNothing && streamed == null ? null : parse(body);
        synchronized (this) {
            if (!recordNothing) {
                received.add(new ReceivedRequest(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        headers, json, at, new String(body, StandardCharsets.UTF_8)));
            }
            answer = exchange.getRequestMethod().equals("GET") && exchange.getRequestURI().getPath().endsWith("/models")
                    ? FakeAnswer.models("gpt-4o-mini", "adorsys")
                    : !script.isEmpty() ? script.poll()
                    : streamed != null && json != null && json.path("stream").asBoolean(false) ? streamed
                    : defaultAnswer;
        }
        try {
            if (!answer.delay().isZero()) {
                Thread.sleep(answer.delay());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (answer.dropConnection()) {
            // Closing without a status line makes the server drop the TCP connection: "connection reset".
            exchange.close();
            return;
        }
        if (answer.streamed()) {
            stream(exchange, answer);
            return;
        }
        byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.getResponseHeaders().set("Content-Type", answer.contentType());
        exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        } catch (IOException e) {
            // the client gave up (deadline); nothing to do
        }
    }

    private void stream(HttpExchange exchange, FakeAnswer answer) throws IOException {
        answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0); // chunked
        OutputStream out = exchange.getResponseBody();
        try {
            int sent = 0;
            for (String event : answer.events()) {
                if (sent == answer.stallAfter()) {
                    Thread.sleep(Duration.ofMinutes(5)); // silent, connection open, until the client gives up
                }
                if (!answer.eventGap().isZero()) {
                    Thread.sleep(answer.eventGap());
                }
                out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                sent++;
            }
            out.close();
            streamsCompleted.incrementAndGet();
        } catch (IOException e) {
            streamsCutByClient.incrementAndGet(); // the client (the sidecar) closed the connection
            exchange.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return FakeAnswer.JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * Runs standalone for the benchmark.
     *
     * @param args PORT, optionally LATENCY_MS (default 0), optionally {@code --stream}
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        List<String> rest = new ArrayList<>(List.of(args));
        boolean stream = rest.remove("--stream");
        if (rest.isEmpty() || rest.size() > 2) {
            System.err.println("usage: FakeUpstream PORT [LATENCY_MS] [--stream]");
            System.exit(2);
        }
        FakeUpstream upstream = start(Integer.parseInt(rest.get(0)));
        Duration latency = Duration.ofMillis(rest.size() > 1 ? Long.parseLong(rest.get(1)) : 0);
        upstream.recordNothing = true;
        upstream.defaultAnswer(FakeAnswer.text("Hello from the fake upstream").after(latency));
        if (stream) {
            upstream.streamAnswer = FakeAnswer.stream(STANDALONE_STREAM_GAP, "Hello ", "from the ", "fake upstream")
                    .after(latency);
        }
        System.err.println("fake upstream on " + upstream.baseUrl() + ", latency " + latency.toMillis() + " ms"
                + (stream ? ", streams answered as streams" : ""));
        Thread.currentThread().join();
    }
}
