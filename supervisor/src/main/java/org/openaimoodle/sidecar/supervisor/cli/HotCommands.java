package org.openaimoodle.sidecar.supervisor.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The hot commands without picocli: {@code status [--json]}, {@code check [--no-repair]} and {@code run}, with or
 * without one {@code --config FILE} (before or after the command, as picocli takes it). Cron, Docker's HEALTHCHECK
 * and monitoring run the first two every few seconds, each in a fresh JVM, and building picocli's model of every
 * command cost more than the command itself (~170 ms: its Java 5 class files cannot enter an AOT cache); {@code run}
 * (the container's entrypoint, and what {@code start} detaches) pays it before the worker can even be started.
 * Only these exact command lines are taken here; any other (help, {@code --wait}, a typo, an option twice, an
 * {@code @file}) goes to picocli, which therefore still owns every help text and error message. What runs is the
 * command's own code ({@link StatusCommand#show}, {@link CheckCommand#check}, {@link RunCommand#run}), so both ways
 * print the same and exit the same.
 */
public final class HotCommands {
    private HotCommands() {
    }

    /**
     * A hot command line.
     *
     * @param command    {@code status}, {@code check} or {@code run}
     * @param flag       {@code --json} (status) or {@code --no-repair} (check) was given
     * @param configFile the {@code --config} file, if given
     */
    record Parsed(String command, boolean flag, Optional<Path> configFile) {
    }

    /**
     * Runs {@code args} if it is a hot command line, then ends the JVM with its exit code.
     *
     * <p>{@code status} and {@code check} end by {@link Runtime#halt}, their output flushed: {@link System#exit}
     * would first ask {@link System.Logger} whether to log the exit (JDK 17+), and finding a logger backend is a
     * service lookup that opens every jar on the class path and starts java.logging, several milliseconds of a
     * command that lives ~100. They register no shutdown hook and leave nothing to finish (a supervisor that
     * {@code check} starts is a detached process of its own), so halting ends them exactly as exit would. The
     * supervisor ({@code run}) lives for weeks and ends through {@link System#exit}: shutdown hooks run.
     *
     * <p>Returns only when {@code args} is for picocli.
     */
    public static void runAndExit(String[] args) {
        Optional<Parsed> parsed = parse(args);
        if (parsed.isEmpty()) {
            return;
        }
        Parsed hot = parsed.get();
        useDefaultSelectorProvider();
        int code;
        try {
            LocalSidecar sidecar = LocalSidecar.load(hot.configFile());
            code = switch (hot.command()) {
                case "status" -> StatusCommand.show(sidecar, hot.flag());
                case "check" -> CheckCommand.check(sidecar, hot.flag(), WaitOption.byDefault());
                default -> RunCommand.run(sidecar);
            };
        } catch (Exception e) {
            code = CommandFailure.report(e, new PrintWriter(System.err, true));
        }
        if (hot.command().equals("run")) {
            System.exit(code);
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }

    /** The property that names the NIO provider, read once at the first socket channel. */
    static final String SELECTOR_PROVIDER = "java.nio.channels.spi.SelectorProvider";

    /**
     * Names the provider of socket channels that the JDK picks by itself on Linux (epoll), so that the control
     * socket's first channel does not look for other providers first: that service lookup opens every jar on the
     * class path, a noticeable part of a command that lives ~100 ms. Elsewhere, when the property is already
     * set, or on a JDK without that class (a name the JDK would not find makes every channel fail), nothing changes.
     */
    static void useDefaultSelectorProvider() {
        if (System.getProperty(SELECTOR_PROVIDER) != null || !"Linux".equals(System.getProperty("os.name"))) {
            return;
        }
        try {
            Class.forName(EPOLL_PROVIDER, false, null);
        } catch (ClassNotFoundException e) {
            return;
        }
        System.setProperty(SELECTOR_PROVIDER, EPOLL_PROVIDER);
    }

    /** The JDK's own default provider on Linux ({@code sun.nio.ch.DefaultSelectorProvider} creates one). */
    static final String EPOLL_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

    /** The hot command line {@code args} is, or empty when it is anything else. */
    static Optional<Parsed> parse(String[] args) {
        String command = null;
        boolean flag = false;
        Optional<Path> configFile = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String config = arg.equals("--config") && i + 1 < args.length ? args[++i]
                    : arg.startsWith("--config=") ? arg.substring("--config=".length()) : null;
            if (config != null) {
                if (configFile.isPresent() || !plainFileName(config)) {
                    return Optional.empty();
                }
                configFile = Optional.of(Path.of(config));
            } else if (command == null && (arg.equals("status") || arg.equals("check") || arg.equals("run"))) {
                command = arg;
            } else if (command != null && !flag && arg.equals(flagOf(command))) {
                flag = true;
            } else {
                return Optional.empty();
            }
        }
        return command == null ? Optional.empty() : Optional.of(new Parsed(command, flag, configFile));
    }

    /** @return the one flag {@code command} takes here ({@code run}: none, null) */
    private static String flagOf(String command) {
        return switch (command) {
            case "status" -> "--json";
            case "check" -> "--no-repair";
            default -> null;
        };
    }

    /** Whether picocli, too, would take {@code value} as a file name (not empty, an option or an {@code @file}). */
    private static boolean plainFileName(String value) {
        return !value.isBlank() && !value.startsWith("-") && !value.startsWith("@");
    }
}
