package org.openaimoodle.sidecar.supervisor.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.supervisor.config.ConfigLoader;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;

class LogFileLocationTest {
    @TempDir
    Path dir;

    private final SupervisorConfig defaults = ConfigLoader.load(Map.of(), Map.of());

    @Test
    void writableDefaultIsUsedSilently() {
        Path standard = dir.resolve("openai-sidecar.log");
        LogFileLocation location = LogFileLocation.resolve(defaults, Map.of(), dir, standard);
        assertEquals(standard, location.file());
        assertEquals(Optional.empty(), location.notice());
    }

    @Test
    void laptopWithoutRootLogsUnderTheXdgStateDirectoryAndSaysSo() throws IOException {
        Path standard = dir.resolve("var-log-missing/openai-sidecar.log"); // parent missing: not writable
        Path state = Files.createDirectories(dir.resolve("state"));
        LogFileLocation location = LogFileLocation.resolve(defaults, Map.of("XDG_STATE_HOME", state.toString()),
                dir, standard);
        assertEquals(state.resolve("openai-sidecar/openai-sidecar.log"), location.file());
        assertTrue(location.notice().orElseThrow().contains("logging to " + location.file()), location.notice().get());
    }

    @Test
    void withoutHomeTheRunDirectoryTakesTheLog() {
        Path standard = dir.resolve("var-log-missing/openai-sidecar.log");
        LogFileLocation location = LogFileLocation.resolve(defaults, Map.of(), dir.resolve("run"), standard);
        assertEquals(dir.resolve("run/openai-sidecar.log"), location.file());
    }

    @Test
    void explicitLogFileIsNeverRedirected() {
        Path chosen = dir.resolve("nowhere/at/all.log");
        SupervisorConfig config = ConfigLoader.load(Map.of(), Map.of("SIDECAR_LOG_FILE", chosen.toString()));
        LogFileLocation location = LogFileLocation.resolve(config, Map.of(), dir, dir.resolve("x/y.log"));
        assertEquals(chosen, location.file());
        assertEquals(Optional.empty(), location.notice());
    }
}
