package org.openaimoodle.sidecar.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.common.ConfigSources;
import org.openaimoodle.sidecar.testkit.TestKeys;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private static WorkerConfig load(List<String> args, Map<String, String> env) {
        return ConfigLoader.load(CommandLineFlags.parse(args), env);
    }

    @Test
    void defaultsMatchTheDesign() throws Exception {
        WorkerConfig config = load(List.of(), Map.of());
        assertEquals(Optional.empty(), config.apiKey());
        assertEquals("https://api.openai.com/v1/chat/completions", config.chatCompletionsUri().toString());
        assertEquals("gpt-4o-mini", config.model());
        assertEquals(1000, config.maxTokens());
        assertEquals(2000, config.summarizeThreshold());
        assertEquals("127.0.0.1", config.host());
        assertEquals(8081, config.port());
        assertEquals(Duration.ofSeconds(25), config.requestTimeout());
        assertEquals(1024 * 1024, config.maxBodyBytes());
        assertEquals(1024, config.maxConcurrentRequests());
        assertEquals(40, config.memoryBudgetPercent());
        assertEquals(2048, config.maxConnections());
        assertEquals(java.time.Duration.ofSeconds(30), config.idleTimeout());
        assertEquals(java.time.Duration.ofSeconds(10), config.headerTimeout());
        assertEquals(java.util.List.of(), config.allowedHosts());
        assertEquals(Prompts.ORIGINAL, config.prompts());
        assertFalse(config.supervised());
    }

    @Test
    void theBodyLimitStopsAtFourMebibytes() {
        assertEquals(4 * 1024 * 1024, load(List.of(), Map.of("SIDECAR_MAX_BODY_BYTES", "4194304")).maxBodyBytes());
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(List.of(), Map.of("SIDECAR_MAX_BODY_BYTES", "4194305")));
        assertTrue(e.getMessage().contains("from 1024 to 4194304"), e.getMessage());
    }

    @Test
    void aMemoryBudgetThatCannotHoldTheLargestRequestIsRefusedInHttpMode() {
        Map<String, String> env = Map.of("SIDECAR_MEMORY_BUDGET_PERCENT", "20", "SIDECAR_MAX_BODY_BYTES", "4194304",
                "SIDECAR_MAX_UPSTREAM_REPLY_BYTES", "8388608");
        CommandLineFlags http = CommandLineFlags.parse(List.of("--http-mode"));
        WorkerConfig config = ConfigLoader.load(http, env); // this test JVM's heap is large enough
        long heap = 128L << 20;
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.requireBudgetFits(config,
                ConfigSources.of(http.values(), env), heap));
        assertTrue(e.getMessage().startsWith("SIDECAR_MEMORY_BUDGET_PERCENT must be at least 25 with this heap "
                + "(128 MiB)"), e.getMessage());
        // stdio mode has no budget (one request at a time), and the defaults fit the default heap
        ConfigLoader.requireBudgetFits(load(List.of(), env), ConfigSources.of(Map.of(), env), heap);
        ConfigLoader.requireBudgetFits(ConfigLoader.load(http, Map.of()), ConfigSources.of(http.values(), Map.of()),
                heap);
    }

    @Test
    void flagsBeatEnvironmentBeatsFileBeatsDefaults() throws Exception {
        Path file = dir.resolve("sidecar.yaml");
        Files.writeString(file, "OPENAI_MODEL: from-file\nMAX_TOKENS: 300\nSUMMARIZE_THRESHOLD: 40\n"
                + "SIDECAR_LOG_FILE: /tmp/for-the-supervisor.log\n");
        WorkerConfig config = load(List.of("--config", file.toString(), "--max-tokens=500"),
                Map.of("MAX_TOKENS", "400", "SUMMARIZE_THRESHOLD", "50", "OPENAI_MODEL", ""));
        assertEquals(500, config.maxTokens());
        assertEquals(50, config.summarizeThreshold());
        assertEquals("from-file", config.model()); // an empty variable counts as unset
    }

    @Test
    void configFileComesFromEnvironmentToo() throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "SIDECAR_REQUEST_TIMEOUT: 2.5\nSIDECAR_PROMPT_CHAT_SYSTEM: Be brief.\n");
        WorkerConfig config = load(List.of(), Map.of("SIDECAR_CONFIG", file.toString(), "SIDECAR_SUPERVISED", "1"));
        assertEquals(Duration.ofMillis(2500), config.requestTimeout());
        assertEquals("Be brief.", config.prompts().chatSystem());
        assertTrue(config.supervised());
    }

    @Test
    void invalidValueNamesTheVariableAndSource() {
        ConfigException e = assertThrows(ConfigException.class, () -> load(List.of(), Map.of("SIDECAR_PORT", "http")));
        assertEquals("SIDECAR_PORT must be a TCP port 1-65535 (got 'http' from environment); fix or unset it",
                e.getMessage());
        assertTrue(e.getMessage().contains("environment"), e.getMessage());
        assertFalse(e.fromCommandLine());

        ConfigException flag = assertThrows(ConfigException.class, () -> load(List.of("--max-tokens=lots"), Map.of()));
        assertTrue(flag.getMessage().startsWith("MAX_TOKENS"), flag.getMessage());
        assertTrue(flag.fromCommandLine());

        assertThrows(ConfigException.class, () -> load(List.of(), Map.of("SIDECAR_REQUEST_TIMEOUT", "0")));
        assertThrows(ConfigException.class, () -> load(List.of(), Map.of("OPENAI_BASE_URL", "api.openai.com")));
    }

    @Test
    void unreadableOrMalformedFileIsAConfigError() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> load(List.of(), Map.of("SIDECAR_CONFIG", dir.resolve("absent.yaml").toString())));
        assertTrue(missing.getMessage().startsWith("SIDECAR_CONFIG"), missing.getMessage());

        Path nested = dir.resolve("nested.yaml");
        Files.writeString(nested, "OPENAI_MODEL:\n  name: x\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(List.of(), Map.of("SIDECAR_CONFIG", nested.toString())));
        assertTrue(e.getMessage().startsWith("OPENAI_MODEL"), e.getMessage());

        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "- a\n- b\n");
        assertThrows(ConfigException.class, () -> load(List.of(), Map.of("SIDECAR_CONFIG", list.toString())));
    }

    @Test
    void toStringNeverShowsTheKeyTheTokenOrUrlCredentials() throws Exception {
        WorkerConfig config = load(List.of(), Map.of("OPENAI_API_KEY", TestKeys.API_KEY,
                "SIDECAR_TOKEN", TestKeys.TOKEN, "OPENAI_BASE_URL", "https://moodle:" + TestKeys.URL_PASSWORD + "@gw.example/v1"));
        assertFalse(config.toString().contains("FAKE1234567890abcd"));
        assertFalse(config.toString().contains("Xy7Pq2"));
        assertFalse(config.toString().contains(TestKeys.URL_PASSWORD), config.toString());
        assertEquals("https://…@gw.example/v1/chat/completions", config.upstreamShown());
        assertFalse(config.secretMasker().scrub("token " + TestKeys.TOKEN).contains("Xy7Pq2"));
    }

    @Test
    void anEmptyFlagIsUnsetLikeAnEmptyVariable() throws Exception {
        assertEquals("gpt-4o-mini", load(List.of("--model="), Map.of()).model());
    }

    @Test
    void durationsTakeUnitsAndTheDrainStaysBelowTheSupervisorsDefaultStopTimeout() throws Exception {
        WorkerConfig config = load(List.of(), Map.of("SIDECAR_REQUEST_TIMEOUT", "1m", "SIDECAR_CONNECT_TIMEOUT", "2.5s"));
        assertEquals(Duration.ofMinutes(1), config.requestTimeout());
        assertEquals(Duration.ofMillis(2500), config.connectTimeout());
        assertEquals(Duration.ofSeconds(61), config.drainBudget());
        assertTrue(config.drainBudget().compareTo(
                org.openaimoodle.sidecar.common.SharedSettings.defaultStopTimeout(config.requestTimeout())) < 0);
    }

    @Test
    void aKeyPassedByMistakeIsNotEchoedInTheError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(List.of(), Map.of("MAX_TOKENS", TestKeys.API_KEY)));
        assertFalse(e.getMessage().contains("FAKE"), e.getMessage());
        assertTrue(e.getMessage().startsWith("MAX_TOKENS must be a whole number from 2 to 1000000"), e.getMessage());
    }

    @Test
    void theRedisSettingsDefaultToNoRedisAndTheUrlsPasswordIsNeverShown() {
        WorkerConfig defaults = load(List.of(), Map.of());
        assertEquals(Optional.empty(), defaults.redisUrl());
        assertEquals("openai-sidecar:", defaults.redisPrefix());
        assertFalse(defaults.limitsFailClosed());

        String password = "fake-redis-password-0042";
        WorkerConfig config = load(List.of(), Map.of("SIDECAR_REDIS_URL", "redis://:" + password + "@10.0.0.5:6380/2",
                "SIDECAR_REDIS_PREFIX", "site-b:", "SIDECAR_LIMITS_FAIL_CLOSED", "true"));
        assertEquals("site-b:", config.redisPrefix());
        assertTrue(config.limitsFailClosed());
        assertFalse(config.toString().contains(password), config.toString());
        String scrubbed = config.secretMasker().scrub("AUTH failed with " + password + " for redis://:" + password
                + "@10.0.0.5:6380/2");
        assertFalse(scrubbed.contains(password), scrubbed);
    }

    @Test
    void aMalformedRedisUrlStopsTheStartWithoutEchoingIt() {
        String url = "http://:fake-redis-password-0042@10.0.0.5:6379";
        ConfigException e = assertThrows(ConfigException.class, () -> load(List.of(), Map.of("SIDECAR_REDIS_URL", url)));
        assertTrue(e.getMessage().startsWith("SIDECAR_REDIS_URL"), e.getMessage());
        assertTrue(e.getMessage().contains("redis://"), e.getMessage());
        assertFalse(e.getMessage().contains("fake-redis-password"), e.getMessage());
        assertThrows(ConfigException.class, () -> load(List.of(), Map.of("SIDECAR_REDIS_URL", "redis://host/zero")));
    }
}
