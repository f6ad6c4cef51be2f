package org.openaimoodle.sidecar.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The two requests the end-to-end tests send to a sidecar on 127.0.0.1: /health and a chat /ai. */
final class SidecarHttp {

    private SidecarHttp() {
    }

    /** Whether {@code GET /health} answers 200 "healthy" within 2 s. */
    static boolean healthy(int port) {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"healthy\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A chat {@code POST /ai} with this content and user_id (both plain words: no JSON escaping). */
    static HttpResponse<String> ai(int port, String content, String userId) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ai"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"action\":\"chat\",\"content\":\"" + content + "\",\"user_id\":\"" + userId + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
