package org.openaimoodle.sidecar.supervisor.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;
import org.openaimoodle.sidecar.supervisor.control.ControlClient;
import org.openaimoodle.sidecar.supervisor.control.StatusReport;
import org.openaimoodle.sidecar.supervisor.logging.LogFileLocation;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectory;
import org.openaimoodle.sidecar.supervisor.supervision.HealthProbe;

/**
 * This user's sidecar as the client commands see it: its configuration, its run directory, the
 * supervisor running there (if any) and how to talk to it, start it and wait for it.
 */
final class LocalSidecar {
    private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(3);
    /** How often {@code start}/{@code restart} ask for the status: a round trip on a Unix socket is cheap. */
    private static final long POLL_MILLIS = 50;

    private final SupervisorConfig config;
    private final Map<String, String> environment;
    private final RunDirectory runDirectory;
    private final Optional<Path> configFlag;

    LocalSidecar(SupervisorConfig config, Map<String, String> environment, Optional<Path> configFlag) {
        this.config = config;
        this.environment = environment;
        this.configFlag = configFlag;
        this.runDirectory = RunDirectory.resolve(config.runDir(), environment);
    }

    SupervisorConfig config() {
        return config;
    }

    RunDirectory runDirectory() {
        return runDirectory;
    }

    /** The running supervisor, if its recorded pid is alive and really is the process recorded. */
    Optional<ProcessHandle> supervisor() {
        return runDirectory.recordedProcess(ProcessRole.SUPERVISOR);
    }

    /** Sends a control command to the running supervisor. */
    Map<String, Object> send(String command) throws IOException {
        return new ControlClient(runDirectory.controlSocket(), CONTROL_TIMEOUT).send(command);
    }

    /** The running supervisor's status. */
    StatusReport status() throws IOException {
        return StatusReport.fromJson(send("status"));
    }

    /** Probes the worker's {@code /health} directly, without the supervisor. */
    HealthProbe.Result probe() {
        return new HealthProbe(config.host(), config.port(), config.healthTimeout()).probe();
    }

    /** The log file: as the running supervisor reports it, else as a new one would choose it. */
    Path logFile() {
        try {
            String file = status().logFile();
            if (file != null) {
                return Path.of(file);
            }
        } catch (IOException e) {
            // no supervisor to ask
        }
        return LogFileLocation.resolve(config, environment, runDirectory.path()).file();
    }

    /** Starts {@code sidecarctl run} in a new session, detached from this terminal. */
    Process startDetached() throws IOException {
        runDirectory.prepare();
        List<String> command = new ArrayList<>();
        if (onPath("setsid")) {
            command.add("setsid"); // a new session: no SIGHUP when the admin's terminal closes
        }
        String launcherDir = environment.get("SIDECAR_LAUNCHER_DIR");
        if (launcherDir != null && !launcherDir.isBlank()) {
            command.add(Path.of(launcherDir, "sidecarctl").toString());
        } else {
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), org.openaimoodle.sidecar.supervisor.Main.class.getName()));
        }
        configFlag.ifPresent(file -> command.addAll(List.of("--config", file.toAbsolutePath().toString())));
        command.add("run");
        File output = runDirectory.detachedOutput().toFile();
        return new ProcessBuilder(command).redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output)).redirectErrorStream(true).start();
    }

    /**
     * Waits until the supervisor reports a RUNNING worker whose pid is not {@code previousWorker}.
     *
     * @param detached the supervisor just started, so that its early death ends the wait; or null
     * @param progress where state changes are shown; or null to stay quiet (cron)
     * @return the RUNNING status, or empty when the wait expired or the supervisor died
     */
    Optional<StatusReport> awaitHealthy(Duration wait, Long previousWorker, Process detached, PrintStream progress) {
        long deadline = System.nanoTime() + wait.toNanos();
        String shown = null;
        while (System.nanoTime() - deadline < 0) {
            try {
                StatusReport status = status();
                boolean fresh = status.workerPid() != null && !status.workerPid().equals(previousWorker);
                if ("RUNNING".equals(status.state()) && fresh) {
                    return Optional.of(status);
                }
                String line = status.state() + (status.workerPid() == null ? "" : " pid " + status.workerPid());
                if (progress != null && !line.equals(shown)) {
                    progress.println("  " + status.line());
                    shown = line;
                }
            } catch (IOException e) {
                // not listening yet, or gone: the process checks below tell which
            }
            if (detached != null && !detached.isAlive() && detached.exitValue() != 0) {
                if (progress != null) {
                    progress.println("  the supervisor exited with code " + detached.exitValue() + ": "
                            + lastLines(runDirectory.detachedOutput(), 5));
                }
                return Optional.empty();
            }
            if (detached == null && supervisor().isEmpty()) {
                return Optional.empty();
            }
            sleep();
        }
        return Optional.empty();
    }

    /** The last lines of a small file, joined, for error messages. */
    static String lastLines(Path file, int count) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        } catch (IOException e) {
            return "(no output in " + file + ")";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean onPath(String program) {
        String path = environment.getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
