package org.openaimoodle.sidecar.worker.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.testkit.TestKeys;

class CommandLineFlagsTest {
    @Test
    void originalFlagsInBothForms() throws Exception {
        CommandLineFlags flags = CommandLineFlags.parse(List.of("--api-key=" + TestKeys.API_KEY, "--base-url", "http://h/v1",
                "--model=m", "--max-tokens", "300", "--summarize-threshold=50", "--port", "9000", "--http-mode"));
        assertEquals(Map.of("OPENAI_API_KEY", TestKeys.API_KEY, "OPENAI_BASE_URL", "http://h/v1", "OPENAI_MODEL", "m",
                "MAX_TOKENS", "300", "SUMMARIZE_THRESHOLD", "50", "SIDECAR_PORT", "9000"), flags.values());
        assertTrue(flags.httpMode());
    }

    @Test
    void valueMayContainEqualsSigns() throws Exception {
        assertEquals("a=b", CommandLineFlags.parse(List.of("--model=a=b")).values().get("OPENAI_MODEL"));
    }

    @Test
    void noFlagsMeansStdioMode() throws Exception {
        assertFalse(CommandLineFlags.parse(List.of()).httpMode());
    }

    @Test
    void unknownFlagOrMissingValueIsACommandLineError() {
        ConfigException unknown = assertThrows(ConfigException.class, () -> CommandLineFlags.parse(List.of("--nope")));
        assertTrue(unknown.fromCommandLine());
        assertTrue(unknown.getMessage().contains("--nope"));
        ConfigException missing = assertThrows(ConfigException.class,
                () -> CommandLineFlags.parse(List.of("--model")));
        assertTrue(missing.getMessage().contains("--model needs a value"), missing.getMessage());
        assertThrows(ConfigException.class, () -> CommandLineFlags.parse(List.of("--model", "--http-mode")));
        assertThrows(ConfigException.class, () -> CommandLineFlags.parse(List.of("--http-mode=yes")));
    }
}
