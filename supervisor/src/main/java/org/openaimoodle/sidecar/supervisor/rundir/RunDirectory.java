package org.openaimoodle.sidecar.supervisor.rundir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ConfigException;


/**
 * The supervisor's private directory (mode 0700): control socket, lock, pid files. Chosen as
 * {@code SIDECAR_RUN_DIR}, else {@code /run/openai-sidecar} when we may write there (root),
 * else {@code $XDG_RUNTIME_DIR/openai-sidecar}, else {@code /tmp/openai-sidecar-<uid>}: the same user
 * always lands in the same place, so every {@code sidecarctl} command finds the supervisor.
 */
public final class RunDirectory {
    private final Path path;

    private RunDirectory(Path path) {
        this.path = path;
    }

    /** The run directory for this user; nothing is created yet. */
    public static RunDirectory resolve(Optional<Path> configured, Map<String, String> environment) {
        if (configured.isPresent()) {
            return new RunDirectory(configured.get().toAbsolutePath());
        }
        Path system = Path.of("/run/openai-sidecar");
        if (Files.isWritable(system) || (Files.notExists(system) && Files.isWritable(system.getParent()))) {
            return new RunDirectory(system);
        }
        String xdg = environment.get("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg)) && Files.isWritable(Path.of(xdg))) {
            return new RunDirectory(Path.of(xdg, "openai-sidecar"));
        }
        return new RunDirectory(Path.of(System.getProperty("java.io.tmpdir", "/tmp"), "openai-sidecar-" + currentUid()));
    }

    /** Creates the directory with mode 0700 if needed; refuses one that belongs to someone else. */
    public RunDirectory prepare() {
        try {
            if (Files.notExists(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(path);
            }
            if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new ConfigException("SIDECAR_RUN_DIR: " + path + " exists but is not a directory; "
                        + "remove it or choose another SIDECAR_RUN_DIR");
            }
            int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != currentUid()) {
                throw new ConfigException("SIDECAR_RUN_DIR: " + path + " belongs to uid " + owner + ", not to you (uid "
                        + currentUid() + "); run as its owner or choose another SIDECAR_RUN_DIR");
            }
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new ConfigException("SIDECAR_RUN_DIR: cannot create " + path + ": " + e.getMessage()
                    + "; choose a writable SIDECAR_RUN_DIR");
        }
        return this;
    }

    /** Takes the one-supervisor-at-a-time lock, or returns empty when another supervisor holds it. */
    public Optional<FileLock> tryLock() throws IOException {
        FileChannel channel = FileChannel.open(path.resolve("supervisor.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            return Optional.empty();
        }
        return Optional.of(lock); // the lock keeps its channel open until the process ends
    }

    /** Records a live process (pid and start time, so that a reused pid is never mistaken for it). */
    public void recordProcess(ProcessRole role, ProcessHandle process) throws IOException {
        long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Path target = pidFile(role);
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(temporary, process.pid() + " " + started + "\n", StandardCharsets.UTF_8);
        Files.move(temporary, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The recorded process if it still runs and is the same process (same start time), else empty. */
    public Optional<ProcessHandle> recordedProcess(ProcessRole role) {
        try {
            String[] fields = Files.readString(pidFile(role), StandardCharsets.UTF_8).trim().split(" ");
            long pid = Long.parseLong(fields[0]);
            long started = fields.length > 1 ? Long.parseLong(fields[1]) : 0L;
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(process -> started == 0L
                    || process.info().startInstant().map(Instant::toEpochMilli).orElse(-1L) == started);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no file, or a torn/foreign one: nothing we recorded runs
        }
    }

    /** The pid last recorded for {@code role}, even if that process is gone (for messages). */
    public Optional<Long> recordedPid(ProcessRole role) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile(role)).trim().split(" ")[0]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Removes a pid file (after a clean stop). */
    public void forget(ProcessRole role) {
        try {
            Files.deleteIfExists(pidFile(role));
        } catch (IOException e) {
            // a leftover pid file is harmless: recordedProcess() checks the start time
        }
    }

    /** The directory. */
    public Path path() {
        return path;
    }

    /** The control socket. */
    public Path controlSocket() {
        return path.resolve("control.sock");
    }

    /** Output of a detached supervisor (JVM errors before its log is open). */
    public Path detachedOutput() {
        return path.resolve("supervisor.out");
    }

    private Path pidFile(ProcessRole role) {
        return path.resolve(role.fileName());
    }

    /** The current user's numeric id (Java has no direct API for it; /proc/self is ours). */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }
}
