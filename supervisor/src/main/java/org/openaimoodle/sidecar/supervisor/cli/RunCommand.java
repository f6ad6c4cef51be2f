package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.openaimoodle.sidecar.common.ConfigException;
import org.openaimoodle.sidecar.common.ExitCodes;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;
import org.openaimoodle.sidecar.supervisor.control.ControlCommand;
import org.openaimoodle.sidecar.supervisor.control.ControlServer;
import org.openaimoodle.sidecar.supervisor.logging.LogFileLocation;
import org.openaimoodle.sidecar.supervisor.logging.LogSink;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectory;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectoryKeeper;
import org.openaimoodle.sidecar.supervisor.supervision.Supervisor;

import picocli.CommandLine.Command;
import sun.misc.Signal;

/** {@code sidecarctl run}: the supervisor in the foreground (container entrypoint, or what {@code start} detaches). */
@Command(name = "run", description = {"Runs the supervisor in the foreground; SIGTERM or SIGINT stops it gracefully.",
        "Exit 0 after a clean stop, 1 when a supervisor already runs (its pid is named), 78 on a configuration error."})
final class RunCommand extends SidecarctlSubcommand {
    /** The supervisor's loop takes a restart within a quarter second; the client waits up to 3 s for the reply. */
    private static final java.time.Duration REPLY_WITHIN = java.time.Duration.ofSeconds(2);

    @Override
    public Integer call() throws IOException {
        return run(sidecar());
    }

    /**
     * The whole command (also run by {@link HotCommands}): supervises until stopped.
     *
     * @return the supervisor's exit code
     */
    static int run(LocalSidecar sidecar) throws IOException {
        SupervisorConfig config = sidecar.config();
        if (config.workerCommand().isEmpty()) {
            throw new ConfigException("SIDECAR_WORKER_COMMAND: not set, and the worker launcher is unknown "
                    + "(SIDECAR_LAUNCHER_DIR); run the supervisor through shell/sidecarctl or set SIDECAR_WORKER_COMMAND");
        }
        RunDirectory runDirectory = sidecar.runDirectory().prepare();
        Optional<RunDirectoryKeeper> held = RunDirectoryKeeper.acquire(runDirectory);
        if (held.isEmpty()) {
            String pid = runDirectory.recordedPid(ProcessRole.SUPERVISOR).map(String::valueOf).orElse("unknown");
            System.err.println("sidecarctl: a supervisor is already running (pid " + pid + ", run dir "
                    + runDirectory.path() + "); see `sidecarctl status`, or `sidecarctl stop` it first");
            return ExitCodes.FAILED;
        }
        LogFileLocation logLocation = LogFileLocation.resolve(config, System.getenv(), runDirectory.path());
        try (RunDirectoryKeeper keeper = held.get();
                LogSink log = new LogSink(logLocation.file(), config.secretMasker(), System.err)) {
            String where = "log " + logLocation.file() + ", run dir " + runDirectory.path();
            logLocation.notice().ifPresent(notice -> {
                System.err.println("openai-moodle-sidecar: " + notice);
                log.line("supervisor", notice);
            });
            System.err.println("openai-moodle-sidecar: supervisor pid " + ProcessHandle.current().pid() + "; " + where);
            config.stopTimeoutWarning().ifPresent(warning -> {
                System.err.println("openai-moodle-sidecar: warning: " + warning);
                log.line("supervisor", "warning: " + warning);
            });
            log.line("supervisor", "supervisor pid " + ProcessHandle.current().pid() + " starting; " + where
                    + "; health " + config.healthUrl());
            Supervisor supervisor = new Supervisor(config, keeper, log, workerEnvironment(config));
            serveControl(keeper, supervisor, log, () -> LocalSidecar.load(sidecar.configFlag()).config());
            // Handling the signals ourselves (not a shutdown hook) lets a graceful stop exit 0, not 143.
            Signal.handle(new Signal("TERM"), signal -> supervisor.requestStop());
            Signal.handle(new Signal("INT"), signal -> supervisor.requestStop());
            int exitCode = supervisor.run();
            log.line("supervisor", "supervisor exiting with code " + exitCode);
            return exitCode;
        }
    }

    private static void serveControl(RunDirectoryKeeper keeper, Supervisor supervisor, LogSink log,
            Supplier<SupervisorConfig> reread) {
        try {
            keeper.serve(command -> answer(command, supervisor, log, reread));
        } catch (IOException e) {
            // Typically a path longer than a Unix socket allows (about 100 bytes).
            throw new ConfigException("SIDECAR_RUN_DIR: cannot create the control socket in " + keeper.path()
                    + ": " + e.getMessage() + "; choose a short, writable SIDECAR_RUN_DIR");
        }
    }

    /** The worker's environment on top of ours: the API key travels here, never on its command line. */
    private static Map<String, String> workerEnvironment(SupervisorConfig config) {
        Map<String, String> environment = new HashMap<>();
        environment.put("SIDECAR_SUPERVISED", "1");
        config.configFile().ifPresent(file -> environment.put("SIDECAR_CONFIG", file.toAbsolutePath().toString()));
        return environment;
    }

    private static Map<String, Object> answer(ControlCommand command, Supervisor supervisor, LogSink log,
            Supplier<SupervisorConfig> reread) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("ok", true);
        switch (command) {
            case STATUS -> reply.putAll(supervisor.status().toJson());
            case RESTART, RELOAD -> {
                log.line("supervisor", command.wireName() + " requested over the control socket");
                SupervisorConfig reloaded = null;
                if (command == ControlCommand.RELOAD) {
                    try {
                        reloaded = reread.get();
                    } catch (ConfigException e) {
                        log.line("supervisor", "reload refused, the worker keeps running: configuration error: "
                                + e.getMessage());
                        return Map.of("ok", false, "error", "configuration error: " + e.getMessage()
                                + "; the worker keeps running");
                    }
                }
                try {
                    long id = supervisor.requestRestart(reloaded).get(REPLY_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
                    if (id >= 0) {
                        reply.put("replacement_id", id);
                    }
                } catch (ExecutionException e) {
                    return Map.of("ok", false, "error", e.getCause().getMessage());
                } catch (TimeoutException | InterruptedException e) {
                    reply.put("pending", true); // queued; the supervisor acts on it
                }
            }
            case STOP -> {
                log.line("supervisor", "stop requested over the control socket");
                supervisor.requestStop();
            }
            case REOPEN_LOGS -> {
                log.reopen();
                log.line("supervisor", "log file reopened");
                reply.put("log_file", log.file().toString());
            }
        }
        return reply;
    }
}
