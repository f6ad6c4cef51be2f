package org.openaimoodle.sidecar.supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.testkit.TestKeys;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void defaultsMatchTheDocumentedTable() {
        SupervisorConfig config = ConfigLoader.load(Map.of(), Map.of());
        assertEquals("127.0.0.1", config.host());
        assertEquals(8081, config.port());
        assertEquals(Duration.ofSeconds(2), config.healthInterval());
        assertEquals(Duration.ofSeconds(1), config.healthTimeout());
        assertEquals(3, config.healthFailures());
        assertEquals(Duration.ofSeconds(30), config.startTimeout());
        assertEquals(Duration.ofSeconds(25), config.requestTimeout());
        assertEquals(Duration.ofSeconds(30), config.stopTimeout());
        assertEquals(Duration.ofMillis(500), config.backoffInitial());
        assertEquals(Duration.ofSeconds(30), config.backoffMax());
        assertEquals(Duration.ofSeconds(60), config.backoffReset());
        assertEquals(Optional.empty(), config.logFile());
        assertEquals(List.of(), config.workerCommand());
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws IOException {
        Path file = dir.resolve("sidecar.yaml");
        Files.writeString(file, "SIDECAR_PORT: 9001\nSIDECAR_HOST: 127.0.0.2\nSIDECAR_HEALTH_FAILURES: 5\n"
                + "SIDECAR_STOP_TIMEOUT: 2.5\n");
        SupervisorConfig config = ConfigLoader.load(Map.of("SIDECAR_CONFIG", file.toString(), "SIDECAR_PORT", "9003"),
                Map.of("SIDECAR_PORT", "9002", "SIDECAR_HOST", "127.0.0.3"));
        assertEquals(9003, config.port());
        assertEquals("127.0.0.3", config.host());
        assertEquals(5, config.healthFailures());
        assertEquals(Duration.ofMillis(2500), config.stopTimeout());
        assertEquals(Duration.ofSeconds(2), config.healthInterval());
    }

    @Test
    void theStopTimeoutDefaultsToTheRequestDeadlinePlusFiveSecondsSoAStopNeverCutsTheDrain() {
        SupervisorConfig defaults = ConfigLoader.load(Map.of(), Map.of());
        assertEquals(Optional.empty(), defaults.stopTimeoutWarning());
        SupervisorConfig slow = ConfigLoader.load(Map.of(), Map.of("SIDECAR_REQUEST_TIMEOUT", "40"));
        assertEquals(Duration.ofSeconds(45), slow.stopTimeout());
        assertEquals(Optional.empty(), slow.stopTimeoutWarning());

        SupervisorConfig tooShort = ConfigLoader.load(Map.of(), Map.of("SIDECAR_STOP_TIMEOUT", "10"));
        assertEquals(Duration.ofSeconds(10), tooShort.stopTimeout());
        String warning = tooShort.stopTimeoutWarning().orElseThrow();
        assertTrue(warning.startsWith("SIDECAR_STOP_TIMEOUT (10.0 s) is shorter than the worker's drain "
                + "(SIDECAR_REQUEST_TIMEOUT + 1 s = 26.0 s)"), warning);
        assertEquals(Optional.empty(), ConfigLoader.load(Map.of(), Map.of("SIDECAR_STOP_TIMEOUT", "26"))
                .stopTimeoutWarning());
    }

    @Test
    void secretsOfTheWorkerAreKnownToTheLogMasker() {
        SupervisorConfig config = ConfigLoader.load(Map.of(), Map.of("OPENAI_API_KEY", TestKeys.PLAIN_API_KEY,
                "SIDECAR_TOKEN", TestKeys.TOKEN, "OPENAI_BASE_URL", "https://moodle:" + TestKeys.URL_PASSWORD + "@gw.example/v1"));
        String scrubbed = config.secretMasker().scrub(TestKeys.PLAIN_API_KEY + " " + TestKeys.TOKEN + " " + TestKeys.URL_PASSWORD);
        assertFalse(scrubbed.contains("Qm2Rx9") || scrubbed.contains("Xy7Pq2") || scrubbed.contains("Pa55word"), scrubbed);
    }

    @Test
    void workerCommandComesFromTheLauncherDirectoryOrTheOverride() {
        assertEquals(List.of("/opt/sidecar/bin/openai-moodle-sidecar", "--http-mode"),
                ConfigLoader.load(Map.of(), Map.of("SIDECAR_LAUNCHER_DIR", "/opt/sidecar/bin")).workerCommand());
        assertEquals(List.of("/usr/bin/env", "worker", "--x"), ConfigLoader.load(Map.of(),
                Map.of("SIDECAR_LAUNCHER_DIR", "/opt", "SIDECAR_WORKER_COMMAND", " /usr/bin/env  worker --x")).workerCommand());
    }

    @Test
    void invalidValuesNameTheVariableAndWhatIsExpected() {
        assertMessage(Map.of("SIDECAR_PORT", "80810"),
                "SIDECAR_PORT must be a TCP port 1-65535 (got '80810' from environment); fix or unset it");
        assertMessage(Map.of("SIDECAR_HEALTH_INTERVAL", "soon"), "SIDECAR_HEALTH_INTERVAL must be a number of seconds");
        assertMessage(Map.of("SIDECAR_STOP_TIMEOUT", "0"), "SIDECAR_STOP_TIMEOUT must be a number of seconds from 0.01");
        assertMessage(Map.of("SIDECAR_HEALTH_FAILURES", "0"), "SIDECAR_HEALTH_FAILURES must be a whole number");
        assertMessage(Map.of("SIDECAR_BACKOFF_INITIAL", "10", "SIDECAR_BACKOFF_MAX", "5"),
                "SIDECAR_BACKOFF_MAX must be at least SIDECAR_BACKOFF_INITIAL");
        assertMessage(Map.of("SIDECAR_CONFIG", dir.resolve("missing.yaml").toString()), "does not exist");
    }

    @Test
    void nestedOrBrokenYamlIsAConfigurationError() throws IOException {
        Path nested = dir.resolve("nested.yaml");
        Files.writeString(nested, "SIDECAR_PORT:\n  value: 1\n");
        assertMessage(Map.of("SIDECAR_CONFIG", nested.toString()), "SIDECAR_PORT in config file " + nested);
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "SIDECAR_PORT: [1, 2\n");
        assertMessage(Map.of("SIDECAR_CONFIG", broken.toString()), "is not valid YAML");
    }

    @Test
    void workerMaxRssIsASizeWithAnOptionalSuffixAndZeroTurnsTheGuardOff() {
        assertEquals(512L << 20, ConfigLoader.load(Map.of(), Map.of()).workerMaxRssBytes());
        assertEquals(300L << 10, ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "300k")).workerMaxRssBytes());
        assertEquals(2L << 30, ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "2G")).workerMaxRssBytes());
        assertEquals(123_456, ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "123456")).workerMaxRssBytes());
        assertEquals(0, ConfigLoader.load(Map.of(), Map.of("SIDECAR_WORKER_MAX_RSS", "0")).workerMaxRssBytes());
        assertMessage(Map.of("SIDECAR_WORKER_MAX_RSS", "lots"), "SIDECAR_WORKER_MAX_RSS");
        assertMessage(Map.of("SIDECAR_WORKER_MAX_RSS", "-5m"), "SIDECAR_WORKER_MAX_RSS");
    }

    @Test
    void theKeyIsNeverInTheConfigurationsText() {
        SupervisorConfig config = ConfigLoader.load(Map.of(), Map.of("OPENAI_API_KEY", TestKeys.API_KEY));
        assertFalse(config.toString().contains("FAKE"));
        assertEquals(Optional.of(TestKeys.API_KEY), config.apiKey());
    }

    private static void assertMessage(Map<String, String> environment, String expected) {
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(), environment));
        assertTrue(error.getMessage().startsWith(expected) || error.getMessage().contains(expected), error.getMessage());
    }
}
