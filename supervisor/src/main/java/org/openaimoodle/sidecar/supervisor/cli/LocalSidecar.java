package org.openaimoodle.sidecar.supervisor.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.openaimoodle.sidecar.supervisor.config.ConfigLoader;
import org.openaimoodle.sidecar.supervisor.config.SupervisorConfig;
import org.openaimoodle.sidecar.supervisor.control.ControlClient;
import org.openaimoodle.sidecar.supervisor.logging.LogFileLocation;
import org.openaimoodle.sidecar.supervisor.rundir.ProcessRole;
import org.openaimoodle.sidecar.supervisor.rundir.RunDirectory;
import org.openaimoodle.sidecar.supervisor.supervision.HealthProbe;

/**
 * This user's sidecar as the client commands see it: its configuration, its run directory, the
 * supervisor recorded there (if any), the control socket to talk to it and its worker's {@code /health}.
 */
final class LocalSidecar {
    /** How long a supervisor may take to answer: longer means it is stuck (stopped, or worse). */
    static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(3);

    private final SupervisorConfig config;
    private final Map<String, String> environment;
    private final RunDirectory runDirectory;
    private final Optional<Path> configFlag;

    /**
     * Loads the configuration once for a command: the process environment, plus the YAML file of
     * {@code --config} when given.
     *
     * @throws org.openaimoodle.sidecar.common.ConfigException when the configuration is invalid
     */
    static LocalSidecar load(Optional<Path> configFlag) {
        Map<String, String> flags = configFlag.map(file -> Map.of("SIDECAR_CONFIG", file.toString())).orElse(Map.of());
        Map<String, String> environment = System.getenv();
        return new LocalSidecar(ConfigLoader.load(flags, environment), environment, configFlag);
    }

    LocalSidecar(SupervisorConfig config, Map<String, String> environment, Optional<Path> configFlag) {
        this.config = config;
        this.environment = environment;
        this.configFlag = configFlag;
        this.runDirectory = RunDirectory.resolve(config.runDir(), environment);
    }

    SupervisorConfig config() {
        return config;
    }

    Map<String, String> environment() {
        return environment;
    }

    /** The {@code --config} flag given to this sidecarctl, passed on to a supervisor it starts. */
    Optional<Path> configFlag() {
        return configFlag;
    }

    RunDirectory runDirectory() {
        return runDirectory;
    }

    /** The running supervisor, if its recorded pid is alive and really is the process recorded. */
    Optional<ProcessHandle> supervisor() {
        return runDirectory.recordedProcess(ProcessRole.SUPERVISOR);
    }

    /** The running supervisor's control socket. */
    ControlClient control() {
        return new ControlClient(runDirectory.controlSocket(), CONTROL_TIMEOUT);
    }

    /**
     * Probes the worker's {@code /health} directly, without the supervisor.
     *
     * @param expectedWorkerId the id the supervisor reports for its worker, or null when there is none
     */
    HealthProbe.Result probe(String expectedWorkerId) {
        return new HealthProbe(config.host(), config.port(), config.healthTimeout()).probe(expectedWorkerId);
    }

    /** The log file: as the running supervisor reports it, else as a new one would choose it. */
    Path logFile() {
        try {
            String file = control().status().logFile();
            if (file != null) {
                return Path.of(file);
            }
        } catch (IOException e) {
            // no supervisor to ask
        }
        return LogFileLocation.resolve(config, environment, runDirectory.path()).file();
    }
}
