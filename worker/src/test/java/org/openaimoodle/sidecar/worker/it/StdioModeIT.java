package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ReceivedRequest;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.Ports;

/** stdio mode as the plugin's fallback uses it: the launcher, the original flags, JSON lines in and out. */
class StdioModeIT {
    @TempDir
    Path dir;
    FakeUpstream upstream;
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        upstream.close();
    }

    /** Runs the launcher with the arguments and the input, and returns exit code, stdout and stderr. */
    private Run run(String input, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Checkout.WORKER_LAUNCHER.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout-", ".txt");
        Path err = Files.createTempFile(dir, "stderr-", ".txt");
        Path in = Files.writeString(Files.createTempFile(dir, "stdin-", ".txt"), input);
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(in.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("SIDECAR_"));
        Process process = builder.start();
        processes.add(process);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "stdio worker ends at end of input");
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private record Run(int exit, String stdout, String stderr) {
        List<JsonNode> replies() throws IOException {
            List<JsonNode> replies = new ArrayList<>();
            for (String line : stdout.split("\n", -1)) {
                if (!line.isEmpty()) {
                    JsonNode reply = WorkerHttpIT.JSON.readTree(line);
                    assertTrue(reply.isObject() && reply.has("success"), "not a reply: " + line);
                    replies.add(reply);
                }
            }
            assertTrue(stdout.isEmpty() || stdout.endsWith("\n"), "replies are whole lines");
            return replies;
        }
    }

    private String[] pluginFlags() {
        return new String[] {"--api-key=" + TestKeys.API_KEY, "--base-url=" + upstream.baseUrl(),
                "--model=gpt-stdio", "--max-tokens=300", "--summarize-threshold=20"};
    }

    @Test
    void answersOneJsonLinePerNonBlankLineAndExitsZero() throws Exception {
        upstream.enqueue(FakeAnswer.text("first answer"));
        Run run = run("{\"action\":\"chat\",\"content\":\"Hi\",\"user_id\":42,\"context\":null}\n"
                + "\n   \n"
                + "this is not json\n"
                + "{\"action\":\"summarize\",\"content\":\"Sum me\"}", pluginFlags());
        assertEquals(0, run.exit(), run.stderr());
        List<JsonNode> replies = run.replies();
        assertEquals(3, replies.size(), run.stdout());
        assertEquals("{\"success\":true,\"data\":\"first answer\",\"error\":null}", replies.get(0).toString());
        assertEquals("{\"success\":false,\"data\":null,\"error\":\"Invalid JSON request\",\"code\":\"invalid_json\"}",
                run.stdout().split("\n")[1]);
        assertTrue(replies.get(2).path("success").asBoolean());

        List<ReceivedRequest> sent = upstream.received();
        assertEquals(2, sent.size());
        assertEquals("gpt-stdio", sent.get(0).model());
        assertEquals(300, sent.get(0).maxTokens());
        assertEquals(150, sent.get(1).maxTokens());
        assertEquals("Bearer " + TestKeys.API_KEY, sent.get(0).headers().get("authorization"));

        assertTrue(run.stderr().contains("INFO access: action=chat user_id=42 code=ok status=200"), run.stderr());
        assertTrue(run.stderr().contains("INFO access: action=- user_id=- code=invalid_json status=400"),
                run.stderr());
        assertFalse(run.stderr().contains("FAKE1234567890"), "key must not be logged:\n" + run.stderr());
    }

    @Test
    void separateFlagValuesAndLongContextWork() throws Exception {
        upstream.enqueue(FakeAnswer.text("the summary"), FakeAnswer.text("the answer"));
        String context = "c".repeat(30);
        Run run = run("{\"action\":\"chat\",\"content\":\"Q\",\"context\":\"" + context + "\"}\n",
                "--api-key", TestKeys.API_KEY, "--base-url", upstream.baseUrl(), "--model", "m2",
                "--max-tokens", "100", "--summarize-threshold", "20");
        assertEquals(0, run.exit(), run.stderr());
        assertEquals("the answer", run.replies().get(0).path("data").asText());
        assertEquals(List.of("system: You are a helpful educational assistant integrated with Moodle.",
                "system: Context summary: the summary", "user: Q"), upstream.received().get(1).messages());
        assertEquals(50, upstream.received().get(0).maxTokens());
    }

    @Test
    void upstreamFailureIsAReplyNotACrash() throws Exception {
        upstream.defaultAnswer(FakeAnswer.error(401, "Incorrect API key provided"));
        Run run = run("{\"action\":\"analyze\",\"content\":\"x\"}\n", pluginFlags());
        assertEquals(0, run.exit(), run.stderr());
        JsonNode reply = run.replies().get(0);
        assertEquals("upstream_auth", reply.path("code").asText());
        assertTrue(reply.path("error").asText().startsWith("Analysis error: "), reply.toString());
    }

    @Test
    void badFlagsExitTwoWithNothingOnStdout() throws Exception {
        Run unknown = run("{\"action\":\"chat\",\"content\":\"Hi\"}\n", "--frobnicate");
        assertEquals(2, unknown.exit());
        assertEquals("", unknown.stdout());
        assertTrue(unknown.stderr().contains("unknown option '--frobnicate'"), unknown.stderr());

        Run badValue = run("", "--max-tokens=many");
        assertEquals(2, badValue.exit());
        assertEquals("", badValue.stdout());
        assertTrue(badValue.stderr().contains("MAX_TOKENS must be"), badValue.stderr());
        assertEquals(0, upstream.received().size());
    }

    @Test
    void launcherWorksThroughASymlink() throws Exception {
        Path link = dir.resolve("bin/openai-moodle-sidecar");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, Checkout.WORKER_LAUNCHER);
        upstream.enqueue(FakeAnswer.text("via symlink"));
        Path out = dir.resolve("symlink-out.txt");
        ProcessBuilder builder = new ProcessBuilder(link.toString(), "--api-key=" + TestKeys.API_KEY,
                "--base-url=" + upstream.baseUrl())
                .redirectInput(Files.writeString(dir.resolve("in.txt"), "{\"action\":\"chat\",\"content\":\"x\"}\n")
                        .toFile())
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        processes.add(process);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        assertEquals("{\"success\":true,\"data\":\"via symlink\",\"error\":null}\n", Files.readString(out));
    }

    @Test
    void terminalOnStdinMeansHttpMode() throws Exception {
        int port = Ports.free();
        // `script` gives the launcher a pseudo-terminal as stdin, like an admin starting it by hand.
        ProcessBuilder builder = new ProcessBuilder("script", "-qec", Checkout.WORKER_LAUNCHER.toString(), "/dev/null")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("SIDECAR_"));
        builder.environment().put("SIDECAR_PORT", Integer.toString(port));
        Process process = builder.start();
        processes.add(process);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port
                        + "/health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    @Test
    void emptyInputExitsZeroWithoutOutput() throws Exception {
        Run run = run("", pluginFlags());
        assertEquals(0, run.exit(), run.stderr());
        assertEquals("", run.stdout());
    }
}
