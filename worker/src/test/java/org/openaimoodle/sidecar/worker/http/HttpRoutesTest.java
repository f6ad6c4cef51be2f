package org.openaimoodle.sidecar.worker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.action.ActionService;
import org.openaimoodle.sidecar.worker.config.CommandLineFlags;
import org.openaimoodle.sidecar.worker.config.WorkerConfig;
import org.openaimoodle.sidecar.worker.upstream.ChatCompletionsClient;
import org.openaimoodle.sidecar.worker.upstream.RetryPolicy;
import org.openaimoodle.sidecar.worker.upstream.TransportResponse;
import org.openaimoodle.sidecar.worker.upstream.UpstreamTransport;
import org.openaimoodle.sidecar.testkit.TestKeys;

/**
 * What only a real connection shows, in process (the real routing and connection handling of
 * {@link HttpMode#configure}, an upstream stub, no worker process), over raw loopback sockets: HTTP/1.0, HEAD on
 * the wire, bad framing, and closing after an answer given before the body was read. Every route's statuses are
 * in {@link HttpRoutesDirectTest}.
 */
class HttpRoutesTest {
    static final String TOKEN = TestKeys.TOKEN;
    static final String OK = "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"stub answer\"}}]}";

    static WebServer server;
    private final int port = server.port();

    @BeforeAll
    static void start() throws Exception {
        server = server(WebServer.builder().host("127.0.0.1").port(0)).build().start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    static WebServerConfig.Builder server(WebServerConfig.Builder server) throws Exception {
        WorkerConfig config = org.openaimoodle.sidecar.worker.config.ConfigLoader.load(
                CommandLineFlags.parse(List.of("--http-mode")), Map.of(
                        "OPENAI_API_KEY", TestKeys.API_KEY,
                        "SIDECAR_TOKEN", TOKEN,
                        "SIDECAR_MAX_BODY_BYTES", "2048"));
        UpstreamTransport stub = (uri, headers, body, timeout) ->
                new TransportResponse(200, Map.of(), OK.getBytes(StandardCharsets.UTF_8));
        ActionService service = new ActionService(config, Optional.of(new ChatCompletionsClient(stub,
                config.chatCompletionsUri(), config.apiKey().orElseThrow(), config.model(),
                RetryPolicy.DEFAULT)));
        return HttpMode.configure(server, config, service, new RequestGate(config.maxConcurrentRequests()));
    }

    String exchange(String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.setSoTimeout(2000);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    bytes.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                bytes.write("<kept open>".getBytes(StandardCharsets.US_ASCII));
            }
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }
    }

    String ai(String body, String... headers) throws IOException {
        return exchange("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + String.join("", headers)
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
    }

    static final String JSON = "Content-Type: application/json\r\n";
    static final String AUTH = "Authorization: Bearer " + TOKEN + "\r\n";

    static void assertStatus(int status, String code, String response) {
        assertTrue(response.startsWith("HTTP/1.1 " + status + " "), response);
        if (code != null) {
            assertTrue(response.contains("\"code\":\"" + code + "\""), response);
            assertTrue(response.contains("Content-Type: application/json"), response);
        }
        assertTrue(response.endsWith("}") || response.endsWith("\r\n\r\n"), "closed after the answer: " + response);
    }

    @Test
    void headHasNoBodyOnTheWire() throws IOException {
        String head = exchange("HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertStatus(200, null, head);
        assertTrue(head.endsWith("\r\n\r\n"), "no body: " + head);
    }

    @Test
    void http10IsServedAndClosed() throws IOException {
        String response = exchange("GET /health HTTP/1.0\r\n\r\n");
        assertStatus(200, null, response);
        assertTrue(response.contains("Connection: close"), response);
        assertTrue(response.endsWith("}"), response);
    }

    @Test
    void badFramingIs400AndAnswersBeforeTheBodyCloseTheConnection() throws IOException {
        String chat = "{\"action\":\"chat\",\"content\":\"hi\"}";
        assertStatus(400, "invalid_request", exchange("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\n" + JSON + AUTH
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
        // no Connection: close asked for, the body left unread: closed all the same (assertStatus)
        assertStatus(413, "payload_too_large", exchange("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\n" + JSON + AUTH
                + "Content-Length: 4096\r\n\r\n" + "a".repeat(4096)));
        assertStatus(401, "unauthorized", exchange("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\n" + JSON
                + "Content-Length: " + chat.length() + "\r\n\r\n" + chat));
        assertStatus(200, null, ai(chat, JSON, AUTH));
    }
}
