package org.openaimoodle.sidecar.supervisor.rundir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.common.ConfigException;


/**
 * The supervisor's private directory: control socket, lock, pid files. Chosen as
 * {@code SIDECAR_RUN_DIR}, else {@code /run/openai-sidecar} when we may write there (root),
 * else {@code $XDG_RUNTIME_DIR/openai-sidecar}, else {@code /tmp/openai-sidecar-<uid>}: the same user
 * always lands in the same place, so every {@code sidecarctl} command finds the supervisor.
 *
 * <p>A missing directory is created with mode 0700. An existing one is never changed: it must be ours and
 * writable by nobody else, since whoever can write it can plant files in it. Files in it are opened without
 * following symbolic links and must be regular files (docs/internals.md).
 */
public final class RunDirectory {
    private static final FileAttribute<?> OWNER_ONLY_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<?> OWNER_ONLY_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    /** A pid record is {@code <pid> <start ms>}: far below this; anything longer is not ours. */
    private static final int MAX_RECORD_BYTES = 64;

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

    /**
     * Creates the directory with mode 0700 if it is missing; refuses (without changing it) one that is a
     * symbolic link, belongs to someone else or that group or others may write.
     *
     * @throws ConfigException with what to do instead
     */
    public RunDirectory prepare() {
        try {
            if (Files.notExists(path, LinkOption.NOFOLLOW_LINKS)) {
                if (path.getParent() != null) {
                    Files.createDirectories(path.getParent());
                }
                try {
                    Files.createDirectory(path, OWNER_ONLY_DIRECTORY);
                } catch (FileAlreadyExistsException e) {
                    // created by someone else meanwhile: checked below like any existing directory
                }
            }
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isDirectory()) {
                throw refused((attributes.isSymbolicLink() ? "is a symbolic link" : "exists but is not a directory")
                        + "; set SIDECAR_RUN_DIR to a real directory of your own, or remove " + path);
            }
            int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != currentUid()) {
                throw refused("belongs to uid " + owner + ", not to you (uid " + currentUid()
                        + "); run as its owner or choose another SIDECAR_RUN_DIR");
            }
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
            if ((mode & GROUP_OR_OTHERS_WRITE) != 0) {
                throw refused(String.format(java.util.Locale.ROOT, "is writable by group or others (mode %04o), so "
                        + "another user could plant files in it; it is left as it is: set SIDECAR_RUN_DIR to a "
                        + "directory only you can write (a missing one is created with mode 0700), or unset it", mode));
            }
        } catch (IOException e) {
            throw refused("cannot be created or read: " + e.getMessage() + "; choose a writable SIDECAR_RUN_DIR");
        }
        return this;
    }

    private ConfigException refused(String why) {
        return new ConfigException("SIDECAR_RUN_DIR: " + path + " " + why);
    }

    /**
     * Takes the one-supervisor-at-a-time lock, or returns empty when another supervisor holds it.
     *
     * @throws ConfigException when the lock file is not a regular file
     */
    public Optional<FileLock> tryLock() throws IOException {
        Path file = lockFile();
        requireRegularFileIfPresent(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            return Optional.empty();
        }
        return Optional.of(lock); // the lock keeps its channel open until the process ends
    }

    /**
     * Records a live process (pid and start time, so that a reused pid is never mistaken for it). Written
     * to a new temporary file, then renamed over the record: a planted file or link is replaced, never
     * written through.
     */
    public void recordProcess(ProcessRole role, ProcessHandle process) throws IOException {
        long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        Path target = pidFile(role);
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(temporary); // a stale one, or a planted link: the link goes, never its target
        try (SeekableByteChannel out = Files.newByteChannel(temporary,
                EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY_FILE)) {
            out.write(ByteBuffer.wrap((process.pid() + " " + started + "\n").getBytes(StandardCharsets.US_ASCII)));
        }
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The recorded process if it still runs and is the same process (same start time), else empty. */
    public Optional<ProcessHandle> recordedProcess(ProcessRole role) {
        try {
            String[] fields = readRecord(role).split(" ");
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
            return Optional.of(Long.parseLong(readRecord(role).split(" ")[0]));
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

    /**
     * The output file of a detached supervisor, ready to be appended to: created 0600 when missing, and
     * anything there that is not a regular file (a planted link) removed first.
     */
    public Path detachedOutputFile() throws IOException {
        Path file = detachedOutput();
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(file);
        }
        try {
            Files.newByteChannel(file, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    OWNER_ONLY_FILE).close();
        } catch (FileAlreadyExistsException e) {
            // a regular file from an earlier start: appended to
        }
        return file;
    }

    /** The directory. */
    public Path path() {
        return path;
    }

    /** The control socket. */
    public Path controlSocket() {
        return path.resolve("control.sock");
    }

    /** The lock file. */
    public Path lockFile() {
        return path.resolve("supervisor.lock");
    }

    /** Output of a detached supervisor (JVM errors before its log is open). */
    public Path detachedOutput() {
        return path.resolve("supervisor.out");
    }

    private Path pidFile(ProcessRole role) {
        return path.resolve(role.fileName());
    }

    /** Reads a small record without following a link and without blocking on a planted FIFO. */
    private String readRecord(ProcessRole role) throws IOException {
        Path file = pidFile(role);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(file.toString(), null, "no regular file");
        }
        ByteBuffer buffer = ByteBuffer.allocate(MAX_RECORD_BYTES);
        try (SeekableByteChannel in = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (buffer.hasRemaining() && in.read(buffer) > 0) {
                // fill up to the bound
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
    }

    private void requireRegularFileIfPresent(Path file) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw refused("holds " + file.getFileName() + ", which is not a regular file (a planted symbolic "
                    + "link?); it is not followed: remove it, then start again");
        }
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
