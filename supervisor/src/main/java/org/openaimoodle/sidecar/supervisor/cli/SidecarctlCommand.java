package org.openaimoodle.sidecar.supervisor.cli;

import java.nio.file.Path;
import java.util.Optional;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sidecarctl}: the one management tool of openai-moodle-sidecar. */
@Command(name = "sidecarctl",
        mixinStandardHelpOptions = true,
        // --help (and --version) on every subcommand too, as the README promises.
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = VersionCommand.Provider.class,
        description = "Runs and manages the openai-moodle-sidecar supervisor and its worker.",
        subcommands = {RunCommand.class, StartCommand.class, StopCommand.class, RestartCommand.class, ReloadCommand.class,
                StatusCommand.class, CheckCommand.class, LogsCommand.class, ReopenLogsCommand.class, UsageCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Settings: environment variables (SIDECAR_PORT, SIDECAR_LOG_FILE, ...)",
                "or a YAML file with the same keys (--config FILE or SIDECAR_CONFIG).",
                "Exit 78: invalid configuration. `sidecarctl help COMMAND` lists the other codes."})
public final class SidecarctlCommand implements Runnable {
    @Option(names = "--config", paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "YAML config file (keys are the environment variable names); overrides SIDECAR_CONFIG.")
    private Path configFile;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** A command line with sidecarctl's exit codes for configuration errors and failures. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new SidecarctlCommand());
        commandLine.setExecutionExceptionHandler((exception, failed, parsed) ->
                CommandFailure.report(exception, failed.getErr()));
        return commandLine;
    }

    /**
     * Every command line through picocli alone. {@code sidecarctl} itself starts in
     * {@link org.openaimoodle.sidecar.supervisor.Main}, which answers the hot commands without picocli
     * ({@link HotCommands}); this entry point is the reference that those answers are tested against.
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: try run, start, stop, "
                + "restart, reload, status, check, logs, reopen-logs or version (sidecarctl --help lists them)");
    }

    /**
     * Loads the configuration once for a subcommand.
     *
     * @throws org.openaimoodle.sidecar.common.ConfigException when it is invalid
     */
    LocalSidecar sidecar() {
        return LocalSidecar.load(Optional.ofNullable(configFile));
    }
}
