package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;

/**
 * {@code sidecarctl usage} against what a real worker recorded for real /ai, /v1 and stdio requests: the fake
 * upstream answers every call with prompt 10 and completion 5 tokens, so each user's and action's totals are
 * 10 and 5 per upstream call it caused.
 */
class UsageReportIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private FakeUpstream upstream;
    private SidecarUnderTest sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void theReportAddsUpWhatTheUpstreamCountedPerUserAndActionAndForgetRemovesAUser() throws Exception {
        upstream = FakeUpstream.start();
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl())
                .with("SIDECAR_USAGE_DB", dir.resolve("state/usage.db").toString())
                .with("SIDECAR_PRICES", "gpt-4o-mini=1000/2000,other=1/1")
                // Every request reaches the upstream here: the report is checked against its counts, and the
                // shared cache (on by default for summarize) would answer the second identical summarize itself.
                .with("SIDECAR_CACHE_TTL", "0");
        sidecar.start();
        for (int i = 0; i < 3; i++) {
            assertOk(post("/ai", "{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":1}"));
        }
        for (int i = 0; i < 2; i++) {
            assertOk(post("/ai", "{\"action\":\"summarize\",\"content\":\"a text\",\"user_id\":\"2\"}"));
        }
        assertOk(post("/ai", "{\"action\":\"chat\",\"content\":\"who am I\"}"));
        assertOk(post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"user\":\"alice\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        ProcessRun.Finished stdio = ProcessRun.run(List.of(Checkout.WORKER_LAUNCHER.toString()), sidecar.env(), dir,
                "{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":\"stdio-user\"}\n", Duration.ofSeconds(60));
        assertEquals(0, stdio.exitCode(), stdio.toString());
        assertTrue(stdio.stdout().contains("\"success\":true"), stdio.toString());
        assertEquals(8, upstream.received().size(), "one upstream call per request");

        Map<String, JsonNode> byUser = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                .until(() -> report("--by", "user"), rows -> total(rows, "requests") == 8);
        assertTotals(byUser.get("1"), 3);
        assertTotals(byUser.get("2"), 2);
        assertTotals(byUser.get("anonymous"), 1);
        assertTotals(byUser.get("alice"), 1);
        assertTotals(byUser.get("stdio-user"), 1);
        assertEquals(10L * upstream.received().size(), total(byUser, "prompt_tokens"));
        assertEquals(5L * upstream.received().size(), total(byUser, "completion_tokens"));
        // user 1: 30 prompt tokens at 1000 USD per million + 15 completion tokens at 2000 per million
        assertEquals(0, new BigDecimal("0.06").compareTo(byUser.get("1").get("cost_usd").decimalValue()));

        Map<String, JsonNode> byAction = report("--by", "action");
        assertTotals(byAction.get("chat"), 5);
        assertTotals(byAction.get("summarize"), 2);
        assertTotals(byAction.get("v1"), 1);
        assertEquals(Map.of("gpt-4o-mini", 8L), Map.of("gpt-4o-mini", report("--by", "model").get("gpt-4o-mini")
                .get("requests").asLong()));

        List<List<String>> csv = Csv.parse(usage("--by", "action", "--format", "csv"));
        assertEquals(List.of("action", "requests", "cached", "prompt_tokens", "completion_tokens", "cost_usd"),
                csv.get(0));
        Map<String, List<String>> csvRows = new HashMap<>();
        csv.subList(1, csv.size()).forEach(row -> csvRows.put(row.get(0), row));
        assertEquals(List.of("chat", "5", "0", "50", "25"), csvRows.get("chat").subList(0, 5));
        assertEquals(byAction.keySet(), csvRows.keySet());

        String table = usage("--by", "user", "--top", "2");
        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size(), table);
        assertTrue(lines.get(1).startsWith("1 "), table);
        assertEquals(lines.get(0).length(), lines.get(1).length(), table);

        ProcessRun.Finished forget = sidecar.sidecarctl("usage", "forget", "1");
        assertEquals(0, forget.exitCode(), forget.toString());
        assertEquals("deleted 3 usage records of user 1", forget.stdout().strip());
        Map<String, JsonNode> after = report("--by", "user");
        assertTrue(!after.containsKey("1") && after.containsKey("2"), after.toString());
        assertEquals(5, total(after, "requests"));
    }

    @Test
    void aStdioRequestIsInTheReportWhenNoWorkerRunsAndForgetRemovesItsSpooledRecord() throws Exception {
        upstream = FakeUpstream.start();
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl())
                .with("SIDECAR_USAGE_DB", dir.resolve("state/usage.db").toString());
        for (String user : new String[] {"stdio-only", "stdio-forgotten"}) {
            ProcessRun.Finished stdio = ProcessRun.run(List.of(Checkout.WORKER_LAUNCHER.toString()), sidecar.env(),
                    dir, "{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":\"" + user + "\"}\n",
                    Duration.ofSeconds(60));
            assertEquals(0, stdio.exitCode(), stdio.toString());
        }
        ProcessRun.Finished forget = sidecar.sidecarctl("usage", "forget", "stdio-forgotten");
        assertEquals(0, forget.exitCode(), forget.toString());
        assertEquals("deleted 1 usage record of user stdio-forgotten", forget.stdout().strip());
        Map<String, JsonNode> byUser = report("--by", "user");
        assertEquals(java.util.Set.of("stdio-only"), byUser.keySet());
        assertTotals(byUser.get("stdio-only"), 1);
        assertTrue(!java.nio.file.Files.exists(dir.resolve("state/usage.db.spool")), "the spool was imported");
    }

    private static void assertTotals(JsonNode row, int upstreamCalls) {
        assertEquals(upstreamCalls, row.get("requests").asInt(), row.toString());
        assertEquals(10L * upstreamCalls, row.get("prompt_tokens").asLong(), row.toString());
        assertEquals(5L * upstreamCalls, row.get("completion_tokens").asLong(), row.toString());
        assertEquals(0, row.get("cached").asInt(), row.toString());
    }

    private static long total(Map<String, JsonNode> rows, String column) {
        return rows.values().stream().mapToLong(row -> row.get(column).asLong()).sum();
    }

    private Map<String, JsonNode> report(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--format", "json"));
        JsonNode array = JSON.readTree(usage(all.toArray(String[]::new)));
        Map<String, JsonNode> rows = new HashMap<>();
        String key = args[1];
        array.forEach(row -> rows.put(row.get(key).asText(), row));
        return rows;
    }

    private String usage(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("usage"));
        all.addAll(List.of(args));
        ProcessRun.Finished run = sidecar.sidecarctl(all.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.toString());
        return run.stdout();
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(sidecar.baseUrl() + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertOk(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(!response.body().contains("\"success\":false"), response.body());
    }

    /** RFC 4180, as a spreadsheet reads it: quoted fields, doubled quotes, CRLF records. */
    static final class Csv {
        static List<List<String>> parse(String text) {
            assertTrue(text.endsWith("\r\n"), "CSV records end with CRLF");
            List<List<String>> records = new ArrayList<>();
            List<String> record = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (quoted) {
                    if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else if (c == '"') {
                        quoted = false;
                    } else {
                        field.append(c);
                    }
                } else if (c == '"') {
                    quoted = true;
                } else if (c == ',') {
                    record.add(field.toString());
                    field.setLength(0);
                } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    record.add(field.toString());
                    field.setLength(0);
                    records.add(record);
                    record = new ArrayList<>();
                    i++;
                } else {
                    field.append(c);
                }
            }
            records.forEach(r -> assertEquals(records.get(0).size(), r.size(), "every record has the header's fields"));
            return records;
        }
    }
}
