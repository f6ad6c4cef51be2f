package org.openaimoodle.sidecar.worker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.http.HeaderNames;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import io.helidon.webserver.testing.junit5.Socket;
import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.config.CommandLineFlags;
import org.openaimoodle.sidecar.worker.config.ConfigLoader;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.RetryPolicy;
import org.openaimoodle.sidecar.worker.upstream.TransportResponse;
import org.openaimoodle.sidecar.worker.upstream.UpstreamTransport;

/**
 * Every route and status of {@link HttpRoutes#routing} in process, through Helidon's {@code @RoutingTest}: no socket,
 * an upstream stub. What needs a real connection (HTTP/1.0, bad framing, closing after an answer) is in
 * {@link HttpRoutesTest}. Three routings: the normal one (with a small memory budget), one whose gate admits
 * nothing, one draining.
 */
@RoutingTest
class HttpRoutesDirectTest {
    static final String TOKEN = "route-test-token";
    static final int MAX_BODY = 2048;
    /** Bodies may fill half: 1,536 bytes at 4 heap bytes each; an answer may take all of it. */
    static final long BUDGET = 12 * 1024;
    static final String OK = "{\"choices\":[{\"message\":{\"content\":\"stub answer\"}}]}";
    static final String CHAT = "{\"action\":\"chat\",\"content\":\"hi\"}";

    private final DirectClient client;
    private final DirectClient full;
    private final DirectClient draining;

    HttpRoutesDirectTest(DirectClient client, @Socket("full") DirectClient full,
                         @Socket("draining") DirectClient draining) {
        this.client = client;
        this.full = full;
        this.draining = draining;
    }

    static WorkerConfig config() {
        return ConfigLoader.load(CommandLineFlags.parse(List.of("--http-mode")), Map.of(
                "OPENAI_API_KEY", "sk-test-ROUTES1234567890",
                "SIDECAR_TOKEN", TOKEN,
                "SIDECAR_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    }

    /** Answers like the transports do: the answer is charged to the request's budget account. */
    static ActionService service(WorkerConfig config) {
        UpstreamTransport stub = (uri, headers, body, timeout) -> {
            String answer = new String(body, StandardCharsets.UTF_8).contains("big answer")
                    ? OK.replace("stub answer", "x".repeat(4096)) : OK;
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            return new TransportResponse(200, Map.of(), MemoryBudget.current().read(new ByteArrayInputStream(bytes),
                    bytes.length, config.maxUpstreamReplyBytes(), MemoryBudget.Use.UPSTREAM_ANSWER));
        };
        return new ActionService(config, Optional.of(new ChatCompletionsClient(stub, config.chatCompletionsUri(),
                config.apiKey().orElseThrow(), config.model(), RetryPolicy.DEFAULT)));
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        WorkerConfig config = config();
        HttpRoutes.routing(routing, config, service(config), new RequestGate(4, MemoryBudget.withCapacity(BUDGET)));
    }

    @SetUpRoute("full")
    static void full(HttpRouting.Builder routing) {
        WorkerConfig config = config();
        HttpRoutes.routing(routing, config, service(config), new RequestGate(0));
    }

    @SetUpRoute("draining")
    static void draining(HttpRouting.Builder routing) throws InterruptedException {
        WorkerConfig config = config();
        RequestGate gate = new RequestGate(4);
        gate.drain(Duration.ZERO);
        HttpRoutes.routing(routing, config, service(config), gate);
    }

    record Answer(int status, String body, io.helidon.http.ClientResponseHeaders headers) {
        void is(int expected, String code) {
            assertEquals(expected, status, body);
            if (code != null) {
                assertTrue(body.contains("\"code\":\"" + code + "\""), body);
                assertEquals("application/json", headers.contentType().orElseThrow().mediaType().text(), body);
            }
        }
    }

    static Answer send(Http1ClientRequest request, String body) {
        try (Http1ClientResponse response = body == null ? request.request() : request.submit(body)) {
            String text = response.entity().hasEntity() ? response.as(String.class) : "";
            return new Answer(response.status().code(), text, response.headers());
        }
    }

    /** @return the request with a loopback {@code Host} (DirectClient's own would get 403 from RequestHygiene) */
    static Http1ClientRequest local(Http1ClientRequest request) {
        return request.header(HeaderNames.HOST, "127.0.0.1");
    }

    static Answer ai(DirectClient client, String body, String... headers) {
        Http1ClientRequest request = local(client.post("/ai"));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(HeaderNames.create(headers[i]), headers[i + 1]);
        }
        return send(request, body);
    }

    static final String[] JSON_AND_TOKEN = {"Content-Type", "application/json", "Authorization", "Bearer " + TOKEN};

    @Test
    void healthAnswersGetAndHeadAndRefusesOtherMethods() {
        Answer get = send(local(client.get("/health")), null);
        get.is(200, null);
        assertEquals("{\"status\":\"healthy\",\"service\":\"openai-moodle-sidecar\"}", get.body());
        Answer head = send(local(client.head("/health")), null);
        head.is(200, null);
        assertEquals("", head.body());
        Answer post = send(local(client.post("/health")), "");
        post.is(405, "invalid_request");
        assertEquals("GET, HEAD", post.headers().first(HeaderNames.ALLOW).orElseThrow());
    }

    @Test
    void aiAnswersWithTheModelsText() {
        Answer ok = ai(client, CHAT, JSON_AND_TOKEN);
        ok.is(200, null);
        assertTrue(ok.body().contains("\"data\":\"stub answer\""), ok.body());
    }

    @Test
    void aiRefusesWhatItCannotServe() {
        ai(client, "{\"action\":", JSON_AND_TOKEN).is(400, "invalid_json");
        ai(client, CHAT, "Content-Type", "application/json").is(401, "unauthorized");
        ai(client, CHAT, "Content-Type", "application/json", "Authorization", "Bearer wrong").is(401, "unauthorized");
        ai(client, CHAT, "Content-Type", "text/plain", "Authorization", "Bearer " + TOKEN).is(415, "invalid_request");
        ai(client, "{\"content\":\"" + "a".repeat(MAX_BODY) + "\"}", JSON_AND_TOKEN).is(413, "payload_too_large");
        send(local(client.get("/ai")), null).is(405, "invalid_request");
        send(local(client.get("/nothing")), null).is(404, "invalid_request");
        ai(client, CHAT, "Content-Type", "application/json", "Authorization", "Bearer " + TOKEN,
                "Host", "attacker.example").is(403, "invalid_request");
    }

    @Test
    void overTheLimitOrDrainingIs503WithRetryAfter() {
        for (DirectClient refusing : List.of(full, draining)) {
            Answer answer = ai(refusing, CHAT, JSON_AND_TOKEN);
            answer.is(503, "unavailable");
            assertEquals("1", answer.headers().first(HeaderNames.RETRY_AFTER).orElseThrow());
        }
        // /health is not admitted by the gate: it answers while the worker is full
        send(local(full.get("/health")), null).is(200, null);
    }

    @Test
    void aBodyOrAnAnswerWithoutRoomInTheMemoryBudgetIs503() {
        String body = "{\"action\":\"chat\",\"content\":\"" + "a".repeat(1700) + "\"}"; // under the limit, over half
        Answer noRoomForBody = ai(client, body, JSON_AND_TOKEN);
        noRoomForBody.is(503, "unavailable");
        assertTrue(noRoomForBody.body().contains("SIDECAR_MEMORY_BUDGET_PERCENT"), noRoomForBody.body());
        assertEquals("1", noRoomForBody.headers().first(HeaderNames.RETRY_AFTER).orElseThrow());

        Answer noRoomForAnswer = ai(client, "{\"action\":\"chat\",\"content\":\"big answer\"}", JSON_AND_TOKEN);
        noRoomForAnswer.is(503, "unavailable");
        assertTrue(noRoomForAnswer.body().contains("the AI service's answer"), noRoomForAnswer.body());
        assertEquals("1", noRoomForAnswer.headers().first(HeaderNames.RETRY_AFTER).orElseThrow());
        // everything was given back: a request that fits is served
        ai(client, CHAT, JSON_AND_TOKEN).is(200, null);
    }
}
