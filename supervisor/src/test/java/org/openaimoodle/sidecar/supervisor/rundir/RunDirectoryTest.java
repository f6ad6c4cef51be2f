package org.openaimoodle.sidecar.supervisor.rundir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void configuredDirectoryIsCreatedPrivate() {
        Path path = dir.resolve("run/openai-sidecar");
        RunDirectory.resolve(Optional.of(path), Map.of()).prepare();
        assertTrue(Files.isDirectory(path));
        assertEquals("rwx------", PosixFilePermissions.toString(assertPermissions(path)));
    }

    @Test
    void recordedProcessIsFoundWhileItRunsWithTheSameStartTime() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(dir), Map.of()).prepare();
        runDirectory.recordProcess(ProcessRole.SUPERVISOR, ProcessHandle.current());
        assertEquals(Optional.of(ProcessHandle.current().pid()),
                runDirectory.recordedProcess(ProcessRole.SUPERVISOR).map(ProcessHandle::pid));
    }

    @Test
    void reusedPidWithAnotherStartTimeIsNotMistakenForOurProcess() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(dir), Map.of()).prepare();
        Files.writeString(dir.resolve("worker.pid"), ProcessHandle.current().pid() + " 12345\n");
        assertEquals(Optional.empty(), runDirectory.recordedProcess(ProcessRole.WORKER));
        assertEquals(Optional.of(ProcessHandle.current().pid()), runDirectory.recordedPid(ProcessRole.WORKER));
    }

    @Test
    void withoutConfigurationTheDirectoryDependsOnlyOnTheUser() {
        RunDirectory first = RunDirectory.resolve(Optional.empty(), Map.of("XDG_RUNTIME_DIR", dir.toString()));
        RunDirectory second = RunDirectory.resolve(Optional.empty(), Map.of("XDG_RUNTIME_DIR", dir.toString()));
        assertEquals(first.path(), second.path());
        assertTrue(first.path().endsWith("openai-sidecar") || first.path().getFileName().toString()
                .equals("openai-sidecar-" + RunDirectory.currentUid()), first.path().toString());
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> assertPermissions(Path path) {
        try {
            return Files.getPosixFilePermissions(path);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
