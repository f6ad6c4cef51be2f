package org.openaimoodle.sidecar.supervisor.supervision;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.openaimoodle.sidecar.supervisor.logging.LogSink;
import org.openaimoodle.sidecar.supervisor.logging.WorkerOutputPump;

/**
 * One worker process. Its stdout and stderr are one pipe copied into the log; its stdin is a pipe
 * this supervisor holds open and never writes to, so that the worker sees end-of-file and exits when
 * the supervisor dies, however it dies (docs/internals.md). Its exit is reported at once by a waiting
 * thread, not discovered at the next health probe.
 */
public final class WorkerProcess {
    /** Told once when the worker has exited. */
    public interface ExitListener {
        /** @param pid the worker's pid; @param code its exit code (128 + signal number when killed by a signal) */
        void exited(long pid, int code);
    }

    private final Process process;
    private final List<ProcessHandle> descendantsAtTerminate = new ArrayList<>();

    private WorkerProcess(Process process) {
        this.process = process;
    }

    /**
     * Launches the worker.
     *
     * @param command     the worker command (never contains the API key: that travels in the environment)
     * @param environment added to the supervisor's own environment
     * @param sink        receives the worker's output
     * @param onExit      called once, from another thread, when the worker has exited
     * @throws IOException when the command cannot be executed at all
     */
    public static WorkerProcess start(List<String> command, Map<String, String> environment, LogSink sink,
            ExitListener onExit) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        WorkerProcess worker = new WorkerProcess(process);
        WorkerOutputPump.start(process, sink);
        Thread waiter = new Thread(() -> onExit.exited(process.pid(), worker.awaitExit()), "worker-exit-" + process.pid());
        waiter.setDaemon(true);
        waiter.start();
        return worker;
    }

    /** The worker's pid (the launcher execs java, so this is the JVM). */
    public long pid() {
        return process.pid();
    }

    /** The worker's process handle. */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /**
     * Tells the worker that a new one listens beside it: it closes its listener, finishes its requests (answering
     * those on open connections with {@code Connection: close}) and exits; no request is refused. The line goes
     * over its stdin, the pipe only this supervisor holds (docs/internals.md).
     *
     * @return false when the pipe is closed (the worker is gone, or never read it): SIGTERM it instead
     */
    public boolean handOver() {
        descendantsAtTerminate.addAll(process.descendants().toList());
        try {
            OutputStream stdin = process.getOutputStream();
            stdin.write("handover\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            stdin.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM to the worker: it drains its in-flight requests and exits. */
    public void terminate() {
        // Remember its children now: once the worker is gone they are re-parented and no longer its descendants.
        descendantsAtTerminate.addAll(process.descendants().toList());
        // Through the handle: Process.destroy() would also close our end of its output pipe and lose its last lines.
        process.toHandle().destroy();
    }

    /** SIGKILL to the worker and everything it started. */
    public void kill() {
        List<ProcessHandle> family = new ArrayList<>(descendantsAtTerminate);
        family.addAll(process.descendants().toList());
        process.toHandle().destroyForcibly();
        family.forEach(ProcessHandle::destroyForcibly);
    }

    /** SIGKILL to a process left behind (a previous supervisor's worker) and all its descendants. */
    public static void killTree(ProcessHandle process) {
        List<ProcessHandle> family = process.descendants().toList();
        process.destroyForcibly();
        family.forEach(ProcessHandle::destroyForcibly);
    }

    private int awaitExit() {
        while (true) {
            try {
                int code = process.waitFor();
                closeStdin();
                return code;
            } catch (InterruptedException e) {
                // This daemon thread has no other job; keep waiting for the exit.
            }
        }
    }

    private void closeStdin() {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.flush();
        } catch (IOException e) {
            // the worker is gone; its end of the pipe is closed already
        }
    }
}
