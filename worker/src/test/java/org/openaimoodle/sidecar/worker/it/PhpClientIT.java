package org.openaimoodle.sidecar.worker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.Ports;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * The plugin's own language: {@code src/test/php/plugin_client.php} (php-cli + curl) posts to /ai and falls
 * back to spawning the launcher, exactly like local_openai_assistant. Both paths must give a valid reply.
 */
class PhpClientIT {
    static final Path SCRIPT = Path.of("src/test/php/plugin_client.php").toAbsolutePath();
    // Moodle's $USER->id is an int and context may be null: the plugin's request, as PHP encodes it.
    static final String REQUEST = "{\"action\":\"chat\",\"content\":\"Explain photosynthesis\",\"context\":null,"
            + "\"user_id\":42}";

    @TempDir
    Path dir;
    FakeUpstream upstream;
    WorkerUnderTest worker;

    @BeforeAll
    static void requirePhp() throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("php", "-r", "exit(function_exists('curl_init') ? 0 : 3);")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            fail("php is not installed: this test needs php-cli and php-curl (apt-get install php-cli php-curl;"
                    + " ./run-tests installs them as root)");
            return;
        }
        assertTrue(probe.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, probe.exitValue(), "php has no curl extension: apt-get install php-curl");
    }

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = FakeUpstream.start();
        upstream.defaultAnswer(FakeAnswer.text("Plants turn light into sugar."));
    }

    @AfterEach
    void stopAll() throws Exception {
        if (worker != null) {
            worker.close();
        }
        upstream.close();
    }

    private String[] runPhp(int port) throws Exception {
        Path out = Files.createTempFile(dir, "php-out-", ".txt");
        Path err = Files.createTempFile(dir, "php-err-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(List.of("php", SCRIPT.toString(), REQUEST))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("SIDECAR_"));
        env.put("OPENAI_SIDECAR_HTTP_URL", "http://127.0.0.1:" + port + "/ai");
        env.put("SIDECAR_LAUNCHER", Checkout.WORKER_LAUNCHER.toString());
        env.put("PLUGIN_API_KEY", TestKeys.API_KEY);
        env.put("PLUGIN_BASE_URL", upstream.baseUrl());
        env.put("PLUGIN_MODEL", "gpt-php");
        env.put("PLUGIN_MAX_TOKENS", "256");
        env.put("PLUGIN_SUMMARIZE_THRESHOLD", "2000");
        Process php = builder.start();
        try {
            assertTrue(php.waitFor(60, TimeUnit.SECONDS), "php client finished");
        } finally {
            php.descendants().forEach(ProcessHandle::destroyForcibly);
            php.destroyForcibly();
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, php.exitValue(), stdout + Files.readString(err, StandardCharsets.UTF_8));
        return stdout.strip().split("\n");
    }

    @Test
    void pluginGetsItsAnswerOverHttp() throws Exception {
        worker = WorkerUnderTest.startHttp(dir, Map.of("OPENAI_API_KEY", TestKeys.API_KEY,
                "OPENAI_BASE_URL", upstream.baseUrl(), "OPENAI_MODEL", "gpt-http"), false);
        String[] lines = runPhp(worker.port());
        assertEquals("via=http", lines[0]);
        JsonNode reply = WorkerHttpIT.JSON.readTree(lines[1]);
        assertTrue(reply.path("success").asBoolean(), lines[1]);
        assertEquals("Plants turn light into sugar.", reply.path("data").asText());
        assertEquals("gpt-http", upstream.received().get(0).model());
        // The access line follows the reply: wait for it rather than race it.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> worker.log().contains("INFO access: action=chat user_id=42 code=ok"));
    }

    @Test
    void pluginFallsBackToStdioWhenHttpIsDown() throws Exception {
        String[] lines = runPhp(Ports.free());
        assertEquals("via=stdio", lines[0]);
        JsonNode reply = WorkerHttpIT.JSON.readTree(lines[1]);
        assertTrue(reply.path("success").asBoolean(), lines[1]);
        assertEquals("Plants turn light into sugar.", reply.path("data").asText());
        assertEquals(1, upstream.received().size());
        assertEquals("gpt-php", upstream.received().get(0).model());
        assertEquals(256, upstream.received().get(0).maxTokens());
    }
}
