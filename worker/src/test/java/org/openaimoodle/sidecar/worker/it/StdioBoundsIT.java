package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.MisbehavingUpstream;
import org.openaimoodle.sidecar.testkit.MisbehavingUpstream.Behaviour;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.Checkout;

/**
 * stdio mode through the launcher, with its real heap flags, at and over its bounds: request lines
 * ({@code SIDECAR_MAX_BODY_BYTES}, default 1 MiB), upstream answers ({@code SIDECAR_MAX_UPSTREAM_REPLY_BYTES},
 * default 4 MiB), the deadline against upstreams that never finish, and odd input (CR, malformed UTF-8, a
 * closed stdin).
 */
class StdioBoundsIT {
    static final int MAX_LINE = 1024 * 1024;
    static final String CHAT = "{\"action\":\"chat\",\"content\":\"Hi\"}";

    @TempDir
    Path dir;
    final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private record Run(int exit, List<JsonNode> replies, String stderr, long millis) {
    }

    /** Runs the launcher in stdio mode with the input (written from a file, so any size) and flags. */
    private Run run(InputWriter input, String baseUrl, String... env) throws Exception {
        Path in = dir.resolve("stdin-" + processes.size());
        try (OutputStream out = Files.newOutputStream(in)) {
            input.write(out);
        }
        Path out = Files.createTempFile(dir, "stdout-", ".txt");
        Path err = Files.createTempFile(dir, "stderr-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(Checkout.WORKER_LAUNCHER.toString(),
                "--api-key=" + TestKeys.API_KEY, "--base-url=" + baseUrl)
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("SIDECAR_"));
        for (int i = 0; i < env.length; i += 2) {
            builder.environment().put(env[i], env[i + 1]);
        }
        long start = System.nanoTime();
        Process process = builder.start();
        processes.add(process);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "stdio worker ends at end of input");
        long millis = (System.nanoTime() - start) / 1_000_000;
        List<JsonNode> replies = new ArrayList<>();
        for (String line : Files.readString(out, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                replies.add(WorkerHttpIT.JSON.readTree(line));
            }
        }
        return new Run(process.exitValue(), replies, Files.readString(err, StandardCharsets.UTF_8), millis);
    }

    @FunctionalInterface
    private interface InputWriter {
        void write(OutputStream out) throws IOException;
    }

    private static InputWriter lines(String... lines) {
        return out -> {
            for (String line : lines) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        };
    }

    /** @return a chat request line of exactly {@code bytes} bytes */
    private static String chatLineOf(int bytes) {
        String head = "{\"action\":\"chat\",\"content\":\"";
        String tail = "\"}";
        return head + "a".repeat(bytes - head.length() - tail.length()) + tail;
    }

    @Test
    void sixtyMegabyteLineIsPayloadTooLargeAndTheNextLineIsAnswered() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            upstream.enqueue(FakeAnswer.text("after the big one"));
            Run run = run(out -> {
                byte[] block = new byte[1024 * 1024];
                java.util.Arrays.fill(block, (byte) 'x');
                for (int i = 0; i < 60; i++) {
                    out.write(block);
                }
                out.write('\n');
                out.write((CHAT + "\n").getBytes(StandardCharsets.US_ASCII));
            }, upstream.baseUrl());
            assertEquals(0, run.exit(), run.stderr());
            assertEquals(2, run.replies().size(), run.replies() + run.stderr());
            assertEquals("payload_too_large", run.replies().get(0).path("code").asText());
            assertTrue(run.replies().get(0).path("error").asText().contains("SIDECAR_MAX_BODY_BYTES"));
            assertEquals("after the big one", run.replies().get(1).path("data").asText());
            assertTrue(run.stderr().contains("code=payload_too_large status=413"), run.stderr());
            assertFalse(run.stderr().contains("OutOfMemoryError"), run.stderr());
        }
    }

    @Test
    void aLineOfExactlyTheLimitIsServedOneByteMoreIsNot() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            upstream.defaultAnswer(FakeAnswer.text("served"));
            Run run = run(lines(chatLineOf(MAX_LINE), chatLineOf(MAX_LINE + 1), CHAT), upstream.baseUrl());
            assertEquals(0, run.exit(), run.stderr());
            assertEquals(List.of("ok", "payload_too_large", "ok"), run.replies().stream()
                    .map(r -> r.path("success").asBoolean() ? "ok" : r.path("code").asText()).toList());
            assertEquals(MAX_LINE - "{\"action\":\"chat\",\"content\":\"\"}".length(),
                    upstream.received().get(0).messages().get(1).length() - "user: ".length());
        }
    }

    @Test
    void hundredMegabyteAnswerIsUpstreamErrorAndTheNextLineIsAnswered() throws Exception {
        for (Behaviour behaviour : List.of(Behaviour.SIZED_BODY, Behaviour.SIZED_CHUNKED_BODY)) {
            try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(behaviour, 100L * 1024 * 1024)) {
                Run run = run(lines(CHAT, "not json"), upstream.baseUrl());
                assertEquals(0, run.exit(), behaviour + ": " + run.stderr());
                assertEquals(2, run.replies().size(), behaviour + ": " + run.stderr());
                assertEquals("upstream_error", run.replies().get(0).path("code").asText(), behaviour.toString());
                assertEquals("invalid_json", run.replies().get(1).path("code").asText());
                assertEquals(1, upstream.connections(), "no retry");
            }
        }
    }

    @Test
    void anAnswerOfExactlyTheDefaultBoundIsServed() throws Exception {
        int bound = 4 * 1024 * 1024;
        try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(Behaviour.SIZED_BODY, bound)) {
            Run run = run(lines(CHAT), upstream.baseUrl());
            assertEquals(0, run.exit(), run.stderr());
            assertEquals(MisbehavingUpstream.contentChars(bound), run.replies().get(0).path("data").asText().length());
        }
    }

    @Test
    void theLargestRequestLineWithTheLargestAnswerFitsTheStdioHeap() throws Exception {
        int maxLine = 4 * 1024 * 1024; // the top of SIDECAR_MAX_BODY_BYTES's range
        int maxAnswer = 8 * 1024 * 1024; // the top of SIDECAR_MAX_UPSTREAM_REPLY_BYTES's range
        // One character outside Latin-1 makes the parsed text two bytes per character: the costlier case.
        String head = "{\"action\":\"chat\",\"content\":\"\u20ac";
        String line = head + "a".repeat(maxLine - head.getBytes(StandardCharsets.UTF_8).length - 2) + "\"}";
        assertEquals(maxLine, line.getBytes(StandardCharsets.UTF_8).length);
        try (MisbehavingUpstream upstream = MisbehavingUpstream.sized(Behaviour.SIZED_CHUNKED_BODY, maxAnswer)) {
            Run run = run(lines(line, CHAT), upstream.baseUrl(), "SIDECAR_MAX_BODY_BYTES", Integer.toString(maxLine),
                    "SIDECAR_MAX_UPSTREAM_REPLY_BYTES", Integer.toString(maxAnswer));
            assertEquals(0, run.exit(), run.stderr());
            assertFalse(run.stderr().contains("OutOfMemoryError"), run.stderr());
            assertEquals(2, run.replies().size(), run.stderr());
            for (JsonNode reply : run.replies()) {
                assertEquals(MisbehavingUpstream.contentChars(maxAnswer), reply.path("data").asText().length(),
                        reply.path("code").asText() + " " + reply.path("error").asText());
            }
        }
    }

    @Test
    void theDeadlineHoldsAgainstTricklingAndSilentTls() throws Exception {
        for (Behaviour behaviour : List.of(Behaviour.TRICKLE_HEADERS, Behaviour.TRICKLE_BODY, Behaviour.SILENT,
                Behaviour.BLACKHOLE)) {
            try (MisbehavingUpstream upstream = MisbehavingUpstream.start(behaviour)) {
                String url = behaviour == Behaviour.SILENT ? upstream.httpsBaseUrl() : upstream.baseUrl();
                Run run = run(lines(CHAT), url, "SIDECAR_REQUEST_TIMEOUT", "2", "SIDECAR_CONNECT_TIMEOUT", "5");
                assertEquals("upstream_timeout", run.replies().get(0).path("code").asText(),
                        behaviour + ": " + run.replies());
                // The whole run: JVM start, the 2 s deadline, exit.
                assertTrue(run.millis() < 2000 + 1500 + 2000, behaviour + " took " + run.millis() + " ms");
            }
        }
    }

    @Test
    void carriageReturnsDoNotSplitALineAndCrlfWorks() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            upstream.defaultAnswer(FakeAnswer.text("one"));
            Run run = run(out -> out.write(("{\"action\":\"chat\",\r\"content\":\"Hi\"}\n" + CHAT + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII)), upstream.baseUrl());
            assertEquals(2, run.replies().size(), run.replies().toString());
            assertTrue(run.replies().stream().allMatch(r -> r.path("success").asBoolean()), run.replies().toString());
        }
    }

    @Test
    void malformedUtf8IsInvalidJson() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Run run = run(out -> {
                out.write(UpstreamBoundsIT.overlongSlashRequest());
                out.write('\n');
            }, upstream.baseUrl());
            assertEquals("invalid_json", run.replies().get(0).path("code").asText(), run.replies().toString());
            assertEquals(0, upstream.received().size());
        }
    }

    @Test
    void closedStdinIsRefusedWithAClearMessage() throws Exception {
        Path out = dir.resolve("closed-out.txt");
        Path err = dir.resolve("closed-err.txt");
        Process process = new ProcessBuilder("bash", "-c", "exec \"$0\" <&-", Checkout.WORKER_LAUNCHER.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        processes.add(process);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "ends at once");
        assertEquals(2, process.exitValue(), Files.readString(err));
        assertEquals("", Files.readString(out), "nothing on stdout");
        assertTrue(Files.readString(err).contains("stdin is closed"), Files.readString(err));
    }
}
