package org.openaimoodle.sidecar.common;

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

class ConfigSourcesTest {
    private static final Setting COUNT = Setting.integer("X_COUNT", 7, 1, 100, "a count");
    private static final Setting WAIT = Setting.duration("X_WAIT", "2.5", "0.1", "1h", "a wait");
    private static final Setting LONG_WAIT = Setting.duration("X_LONG_WAIT", "24h", "1s", "7d", "a long wait");
    private static final Setting NAME = Setting.text("X_NAME", "default-name", "a name");
    private static final Setting FLAG = Setting.bool("X_FLAG", false, "a flag");
    private static final Setting HOSTS = Setting.list("X_HOSTS", null, "hosts");
    private static final Setting COMMAND = Setting.words("X_COMMAND", null, "a command");
    private static final String KEY = "sk-test-FAKE1234567890abcd";

    @TempDir
    Path dir;

    private static ConfigSources env(String... pairs) {
        Map<String, String> environment = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            environment.put(pairs[i], pairs[i + 1]);
        }
        return ConfigSources.of(Map.of(), environment);
    }

    @Test
    void flagsBeatEnvironmentBeatsFileBeatsDefaultsAndEachValueKnowsItsOrigin() throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "X_COUNT: 3\nX_NAME: from-file\nX_WAIT: 9\nOTHER_PROGRAMS_KEY: left alone\n");
        ConfigSources sources = ConfigSources.of(Map.of("X_COUNT", "5", "SIDECAR_CONFIG", file.toString()),
                Map.of("X_COUNT", "4", "X_NAME", "from-env"));
        assertEquals(5, sources.integer(COUNT));
        assertEquals("command line", sources.origin(COUNT));
        assertEquals("from-env", sources.text(NAME));
        assertEquals("environment", sources.origin(NAME));
        assertEquals(Duration.ofSeconds(9), sources.duration(WAIT));
        assertEquals("config file " + file, sources.origin(WAIT));
        assertEquals(false, sources.bool(FLAG));
        assertEquals("defaults", sources.origin(FLAG));
        assertEquals(Optional.of(file), sources.configFile());
    }

    @Test
    void anEmptyOrBlankValueIsUnsetInEverySource() throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, "X_NAME: from-file\nX_COUNT: ''\n");
        ConfigSources sources = ConfigSources.of(Map.of("X_NAME", "", "SIDECAR_CONFIG", file.toString()),
                Map.of("X_NAME", "  ", "X_COUNT", ""));
        assertEquals("from-file", sources.text(NAME));
        assertEquals(7, sources.integer(COUNT));
        assertEquals(" padded", " " + env("X_NAME", "  padded \t").text(NAME));
    }

    @Test
    void durationsAreSecondsWithDecimalsOrANumberWithAUnit() {
        assertEquals(Duration.ofSeconds(25), env("X_WAIT", "25").duration(WAIT));
        assertEquals(Duration.ofMillis(2500), env("X_WAIT", "2.5").duration(WAIT));
        assertEquals(Duration.ofMillis(100), env("X_WAIT", "0.1").duration(WAIT));
        assertEquals(Duration.ofSeconds(90), env("X_WAIT", "90s").duration(WAIT));
        assertEquals(Duration.ofMinutes(5), env("X_WAIT", "5m").duration(WAIT));
        assertEquals(Duration.ofMinutes(90), env("X_LONG_WAIT", "1.5h").duration(LONG_WAIT));
        assertEquals(Duration.ofDays(2), env("X_LONG_WAIT", "2d").duration(LONG_WAIT));
        assertEquals(Duration.ofHours(24), env().duration(LONG_WAIT));
        assertEquals(Duration.ofMillis(2500), env().duration(WAIT));
        assertEquals(Optional.empty(), env().optionalDuration(WAIT));
        for (String bad : new String[] {"0", "0.05", "2h", "-1", "soon", "1.2.3", "s", "1e3", "99999999999999999999d"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> env("X_WAIT", bad).duration(WAIT), bad);
            assertTrue(e.getMessage().startsWith("X_WAIT must be a number of seconds from 0.1 to 3600 (e.g. 25 or 2.5)"
                    + " or a duration such as 90s, 5m, 1h or 1d (got '" + bad + "' from environment)"), e.getMessage());
        }
    }

    @Test
    void everyInvalidValueHasTheSameFormat() {
        assertEquals("X_COUNT must be a whole number from 1 to 100 (got '101' from environment); fix or unset it",
                assertThrows(ConfigException.class, () -> env("X_COUNT", "101").integer(COUNT)).getMessage());
        assertEquals("SIDECAR_PORT must be a TCP port 1-65535 (got 'x' from environment); fix or unset it",
                assertThrows(ConfigException.class, () -> env("SIDECAR_PORT", "x").integer(SharedSettings.SIDECAR_PORT))
                        .getMessage());
        assertEquals("X_FLAG must be true or false (or 1/0, yes/no, on/off) (got 'maybe' from environment); fix or "
                + "unset it", assertThrows(ConfigException.class, () -> env("X_FLAG", "maybe").bool(FLAG)).getMessage());
        ConfigException fromFlag = assertThrows(ConfigException.class,
                () -> ConfigSources.of(Map.of("X_COUNT", "lots"), Map.of()).integer(COUNT));
        assertTrue(fromFlag.getMessage().contains("(got 'lots' from command line)"), fromFlag.getMessage());
        assertTrue(fromFlag.fromCommandLine());
        assertEquals(ExitCodes.USAGE, fromFlag.exitCode());
        ConfigException fromEnv = assertThrows(ConfigException.class, () -> env("X_COUNT", "0").integer(COUNT));
        assertEquals(ExitCodes.CONFIG, fromEnv.exitCode());
        assertEquals("X_COUNT must be at most 3 (got '7' from defaults); fix or unset it",
                env().invalid(COUNT, "at most 3").getMessage());
        assertTrue(env("X_NAME", "a\nb\u001b[2J").invalid(NAME, "short").getMessage()
                .contains("'a\\u000ab\\u001b[2J'"), "control characters escaped");
        assertTrue(env("X_NAME", "y".repeat(5000)).invalid(NAME, "short").getMessage().length() < 300, "value capped");
    }

    @Test
    void aRejectedValueIsNeverShownForSecretSettingsNorWhenItLooksLikeAKey() {
        Setting secret = Setting.secret("X_SECRET", "a secret");
        String hidden = env("X_SECRET", "hunter2-long-password").invalid(secret, "valid").getMessage();
        assertFalse(hidden.contains("hunter2"), hidden);
        assertTrue(hidden.contains("not shown, since it is secret"), hidden);

        ConfigException pasted = assertThrows(ConfigException.class, () -> env("X_COUNT", KEY).integer(COUNT));
        assertFalse(pasted.getMessage().contains("FAKE"), pasted.getMessage());
        assertTrue(pasted.getMessage().contains("looks like a key"), pasted.getMessage());
        // the configured key (not sk- shaped) pasted into another variable is recognised too
        String gateway = "gateway7Qm2Rx9Lp4Vz8Tk3Wn6Yj";
        String message = env("OPENAI_API_KEY", gateway, "X_COUNT", gateway).invalid(COUNT, "valid").getMessage();
        assertFalse(message.contains("Qm2Rx9"), message);
        // a URL is shown, without its credentials
        String url = env("X_NAME", "https://user:Pa55wordXyz@h/v1").invalid(NAME, "valid").getMessage();
        assertTrue(url.contains("'https://…@h/v1'"), url);
    }

    @Test
    void booleansAndLists() {
        assertTrue(env("X_FLAG", "1").bool(FLAG));
        assertTrue(env("X_FLAG", "Yes").bool(FLAG));
        assertFalse(env("X_FLAG", "off").bool(FLAG));
        assertEquals(List.of("a", "b c", "d"), env("X_HOSTS", " a, b c ,,d,").list(HOSTS));
        assertEquals(List.of(), env().list(HOSTS));
        assertEquals(List.of("/usr/bin/env", "worker", "--x"), env("X_COMMAND", " /usr/bin/env  worker\t--x ").list(COMMAND));
    }

    @Test
    void theConfigFileMustBeReadableFlatYaml() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> env("SIDECAR_CONFIG", dir.resolve("absent.yaml").toString()));
        assertTrue(missing.getMessage().startsWith("SIDECAR_CONFIG must name a readable flat YAML file: "), missing.getMessage());
        assertTrue(missing.getMessage().contains("(from environment) does not exist"), missing.getMessage());
        assertFalse(missing.fromCommandLine());
        ConfigException missingFlag = assertThrows(ConfigException.class,
                () -> ConfigSources.of(Map.of("SIDECAR_CONFIG", dir.resolve("absent.yaml").toString()), Map.of()));
        assertTrue(missingFlag.fromCommandLine());

        Path nested = dir.resolve("nested.yaml");
        Files.writeString(nested, "X_NAME:\n  value: 1\n");
        assertTrue(assertThrows(ConfigException.class, () -> env("SIDECAR_CONFIG", nested.toString())).getMessage()
                .startsWith("X_NAME in config file " + nested + " must be a single value"));
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "X_NAME: [1, 2\n");
        assertTrue(assertThrows(ConfigException.class, () -> env("SIDECAR_CONFIG", broken.toString())).getMessage()
                .contains("is not valid YAML"));
        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "- a\n- b\n");
        assertTrue(assertThrows(ConfigException.class, () -> env("SIDECAR_CONFIG", list.toString())).getMessage()
                .contains("is not a flat mapping"));
        Path empty = dir.resolve("empty.yaml");
        Files.writeString(empty, "# nothing yet\n");
        assertEquals("default-name", env("SIDECAR_CONFIG", empty.toString()).text(NAME));
    }

    @Test
    void theStopTimeoutFollowsTheDrainOfTheRequestDeadline() {
        Duration request = Duration.ofSeconds(25);
        assertEquals(Duration.ofSeconds(26), SharedSettings.drainBudget(request));
        assertEquals(Duration.ofSeconds(30), SharedSettings.defaultStopTimeout(request));
        assertTrue(SharedSettings.defaultStopTimeout(request).compareTo(SharedSettings.drainBudget(request)) > 0);
    }
}
