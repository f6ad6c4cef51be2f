package org.openaimoodle.sidecar.supervisor.rundir;

import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import org.openaimoodle.sidecar.supervisor.control.ControlCommand;
import org.openaimoodle.sidecar.supervisor.control.ControlServer;

/**
 * The run directory as the running supervisor holds it: the lock, the pid files and the control socket.
 * A tmp cleaner may delete any of them (the {@code /tmp} fallback), which would leave a supervisor nobody
 * can find: {@link #keep()}, called periodically, puts back what is missing — unless another supervisor
 * took the directory over meanwhile; then this one must stop, so that there are never two.
 * Used by the supervision thread only.
 */
public final class RunDirectoryKeeper implements AutoCloseable {
    /** What {@link #keep()} found. */
    public enum Check {
        /** Everything in place. */
        INTACT,
        /** Something was missing (or replaced) and is back now. */
        RESTORED,
        /** Another supervisor holds the lock now: this one must stop. */
        TAKEN_OVER
    }

    private final RunDirectory directory;
    private final ProcessHandle self = ProcessHandle.current();
    private FileLock lock;
    private Object lockFileKey;
    private Function<ControlCommand, Map<String, Object>> commands;
    private ControlServer control;
    private ProcessHandle worker;
    private boolean owner = true;

    private RunDirectoryKeeper(RunDirectory directory, FileLock lock) throws IOException {
        this.directory = directory;
        this.lock = lock;
        this.lockFileKey = fileKey(directory.lockFile());
    }

    /**
     * Takes the one-supervisor lock and records this process; empty when another supervisor holds the lock.
     *
     * @param directory a {@linkplain RunDirectory#prepare() prepared} run directory
     */
    public static Optional<RunDirectoryKeeper> acquire(RunDirectory directory) throws IOException {
        Optional<FileLock> lock = directory.tryLock();
        if (lock.isEmpty()) {
            return Optional.empty();
        }
        RunDirectoryKeeper keeper = new RunDirectoryKeeper(directory, lock.get());
        directory.recordProcess(ProcessRole.SUPERVISOR, keeper.self);
        return Optional.of(keeper);
    }

    /** Opens the control socket, answering each command with {@code commands}. */
    public void serve(Function<ControlCommand, Map<String, Object>> commands) throws IOException {
        this.commands = commands;
        this.control = ControlServer.open(directory.controlSocket(), commands);
    }

    /** Records the worker just started (and keeps it recorded). */
    public void recordWorker(ProcessHandle started) throws IOException {
        worker = started;
        directory.recordProcess(ProcessRole.WORKER, started);
    }

    /** The worker has exited. */
    public void forgetWorker() {
        worker = null;
        if (owner) {
            directory.forget(ProcessRole.WORKER);
        }
    }

    /** A worker recorded by a previous supervisor that is still alive (it died by kill -9 or power loss). */
    public Optional<ProcessHandle> workerLeftBehind() {
        return directory.recordedProcess(ProcessRole.WORKER);
    }

    /** The directory. */
    public Path path() {
        return directory.path();
    }

    /**
     * Checks that the lock file, the pid files and the control socket are still there and ours, and puts
     * back whatever is not.
     *
     * @throws IOException when something cannot be restored (the caller retries later)
     * @throws org.openaimoodle.sidecar.common.ConfigException when the directory became unusable
     */
    public Check keep() throws IOException {
        if (!owner) {
            return Check.TAKEN_OVER;
        }
        boolean lockIntact = Objects.equals(lockFileKey, fileKeyOrNull(directory.lockFile()));
        boolean selfRecorded = recorded(ProcessRole.SUPERVISOR, self);
        boolean workerRecorded = worker == null || recorded(ProcessRole.WORKER, worker);
        boolean socketIntact = control == null || control.intact();
        if (lockIntact && selfRecorded && workerRecorded && socketIntact) {
            return Check.INTACT;
        }
        directory.prepare();
        if (!lockIntact) {
            Optional<FileLock> fresh = directory.tryLock();
            if (fresh.isEmpty()) {
                owner = false; // its files are the other supervisor's now: touch none of them
                return Check.TAKEN_OVER;
            }
            lock.channel().close();
            lock = fresh.get();
            lockFileKey = fileKey(directory.lockFile());
        }
        if (!selfRecorded) {
            directory.recordProcess(ProcessRole.SUPERVISOR, self);
        }
        if (!workerRecorded) {
            directory.recordProcess(ProcessRole.WORKER, worker);
        }
        if (!socketIntact) {
            control.close();
            control = ControlServer.open(directory.controlSocket(), commands);
        }
        return Check.RESTORED;
    }

    /** Closes the control socket and forgets this supervisor, unless another one owns the directory now. */
    @Override
    public void close() throws IOException {
        if (control != null) {
            control.close();
        }
        if (owner) {
            directory.forget(ProcessRole.SUPERVISOR);
        }
        lock.channel().close();
    }

    private boolean recorded(ProcessRole role, ProcessHandle process) {
        return directory.recordedProcess(role).map(ProcessHandle::pid).equals(Optional.of(process.pid()));
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    private static Object fileKeyOrNull(Path path) {
        try {
            return fileKey(path);
        } catch (IOException e) {
            return null;
        }
    }
}
