package org.openaimoodle.sidecar.supervisor.rundir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.ConfigException;

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

    @Test
    void directoryWritableByOthersIsRefusedAndLeftAsItWas() throws IOException {
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwx---", "rwx-w----", "rwx----w-"}) {
            Path shared = Files.createDirectories(dir.resolve("shared-" + mode));
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString(mode));
            ConfigException refused = assertThrows(ConfigException.class,
                    () -> RunDirectory.resolve(Optional.of(shared), Map.of()).prepare());
            assertTrue(refused.getMessage().startsWith("SIDECAR_RUN_DIR: " + shared + " is writable by group or others"),
                    refused.getMessage());
            assertTrue(refused.getMessage().contains("only you can write"), refused.getMessage());
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)), "left as it was");
        }
    }

    @Test
    void existingPrivateOrReadableDirectoryIsUsedWithoutChangingIt() throws IOException {
        Path readable = Files.createDirectories(dir.resolve("readable"));
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rwxr-xr-x"));
        RunDirectory.resolve(Optional.of(readable), Map.of()).prepare();
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(readable)));
    }

    @Test
    void runDirectoryThatIsASymbolicLinkIsRefused() throws IOException {
        Path target = Files.createDirectories(dir.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(dir.resolve("run"), target);
        ConfigException refused = assertThrows(ConfigException.class,
                () -> RunDirectory.resolve(Optional.of(link), Map.of()).prepare());
        assertTrue(refused.getMessage().contains("is a symbolic link"), refused.getMessage());
    }

    @Test
    void plantedLinkAsTheTemporaryPidFileIsReplacedNotWrittenThrough() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(dir.resolve("run")), Map.of()).prepare();
        Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
        Files.createSymbolicLink(runDirectory.path().resolve("supervisor.pid.tmp"), victim);
        runDirectory.recordProcess(ProcessRole.SUPERVISOR, ProcessHandle.current());
        assertEquals("precious\n", Files.readString(victim));
        assertEquals(Optional.of(ProcessHandle.current().pid()),
                runDirectory.recordedProcess(ProcessRole.SUPERVISOR).map(ProcessHandle::pid));
        assertTrue(Files.isRegularFile(runDirectory.path().resolve("supervisor.pid"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(runDirectory.path().resolve("supervisor.pid"))));
    }

    @Test
    void plantedLinkAsThePidFileIsNotFollowedWhenReadAndIsReplacedWhenRecorded() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(dir.resolve("run")), Map.of()).prepare();
        Path elsewhere = Files.writeString(dir.resolve("elsewhere.pid"), ProcessHandle.current().pid() + " 0\n");
        Path pidFile = runDirectory.path().resolve("worker.pid");
        Files.createSymbolicLink(pidFile, elsewhere);
        assertEquals(Optional.empty(), runDirectory.recordedProcess(ProcessRole.WORKER));
        assertEquals(Optional.empty(), runDirectory.recordedPid(ProcessRole.WORKER));
        runDirectory.recordProcess(ProcessRole.WORKER, ProcessHandle.current());
        assertEquals(ProcessHandle.current().pid() + " 0\n", Files.readString(elsewhere));
        assertTrue(Files.isRegularFile(pidFile, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void plantedLinkAsTheLockFileIsRefused() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(dir.resolve("run")), Map.of()).prepare();
        Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
        Files.createSymbolicLink(runDirectory.lockFile(), victim);
        ConfigException refused = assertThrows(ConfigException.class, runDirectory::tryLock);
        assertTrue(refused.getMessage().contains("supervisor.lock, which is not a regular file"), refused.getMessage());
        assertEquals("precious\n", Files.readString(victim));
    }

    @Test
    void plantedLinkAsTheDetachedOutputIsRemovedAndAPrivateFileCreated() throws IOException {
        RunDirectory runDirectory = RunDirectory.resolve(Optional.of(dir.resolve("run")), Map.of()).prepare();
        Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
        Files.createSymbolicLink(runDirectory.detachedOutput(), victim);
        Path output = runDirectory.detachedOutputFile();
        assertTrue(Files.isRegularFile(output, LinkOption.NOFOLLOW_LINKS));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(output)));
        assertEquals("precious\n", Files.readString(victim));
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> assertPermissions(Path path) {
        try {
            return Files.getPosixFilePermissions(path);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
