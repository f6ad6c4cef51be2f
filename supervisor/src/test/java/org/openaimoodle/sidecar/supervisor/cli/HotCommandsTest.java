package org.openaimoodle.sidecar.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

class HotCommandsTest {

    private static Optional<HotCommands.Parsed> parse(String line) {
        return HotCommands.parse(line.isEmpty() ? new String[0] : line.split(" "));
    }

    @Test
    void statusAndCheckWithTheirOneFlagAreHot() {
        assertEquals(Optional.of(new HotCommands.Parsed("status", false, Optional.empty())), parse("status"));
        assertEquals(Optional.of(new HotCommands.Parsed("status", true, Optional.empty())), parse("status --json"));
        assertEquals(Optional.of(new HotCommands.Parsed("check", false, Optional.empty())), parse("check"));
        assertEquals(Optional.of(new HotCommands.Parsed("check", true, Optional.empty())), parse("check --no-repair"));
        assertEquals(Optional.of(new HotCommands.Parsed("run", false, Optional.empty())), parse("run"));
        assertEquals(Optional.of(new HotCommands.Parsed("run", false, Optional.of(Path.of("/etc/s.yaml")))),
                parse("--config /etc/s.yaml run"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--config /etc/s.yaml status --json", "--config=/etc/s.yaml status --json",
            "status --config /etc/s.yaml --json", "status --json --config=/etc/s.yaml"})
    void oneConfigFileBeforeOrAfterTheCommandIsTakenAsPicocliTakesIt(String line) {
        assertEquals(Optional.of(new HotCommands.Parsed("status", true, Optional.of(Path.of("/etc/s.yaml")))),
                parse(line));
    }

    /** Everything else is picocli's: its help, its other options, its error messages. */
    @ParameterizedTest
    @ValueSource(strings = {"", "start", "stop", "restart", "logs", "reopen-logs", "usage", "version", "help",
            "status --help", "status -h", "--help", "-V", "status --version", "check --help",
            "check --wait 5", "check --no-repair --wait=5", "status --json --json", "check --no-repair --no-repair",
            "status --no-repair", "check --json", "--json status", "status extra", "status --json=true",
            "STATUS", "--config", "--config a", "status --config", "--config a --config b status",
            "status --config=a --config=b", "--config= status", "--config --json status", "--config @args status",
            "status @args", "help status", "check -- --no-repair",
            "run --help", "run --json", "run --no-repair", "run run", "run extra"})
    void anyOtherCommandLineIsLeftToPicocli(String line) {
        assertTrue(parse(line).isEmpty(), line);
    }

    /** The hot lines are ones picocli accepts with the same meaning: nothing is hot that picocli would refuse. */
    @ParameterizedTest
    @ValueSource(strings = {"status", "status --json", "check", "check --no-repair", "--config f status",
            "--config=f check --no-repair", "check --config f --no-repair", "run", "--config f run",
            "run --config=f"})
    void everyHotCommandLineParsesThroughPicocliToTheSameCommandAndFlag(String line) {
        HotCommands.Parsed hot = parse(line).orElseThrow();
        CommandLine.ParseResult parsed = SidecarctlCommand.commandLine().parseArgs(line.split(" "));
        CommandLine.ParseResult sub = parsed.subcommand();
        assertEquals(hot.command(), sub.commandSpec().name());
        assertEquals(hot.flag(), !hot.command().equals("run")
                && sub.hasMatchedOption(hot.command().equals("status") ? "--json" : "--no-repair"));
        Path config = parsed.hasMatchedOption("--config") ? parsed.matchedOptionValue("--config", null)
                : sub.matchedOptionValue("--config", null);
        assertEquals(hot.configFile(), Optional.ofNullable(config));
    }

    @Test
    void hotCheckRepairsWithPicocliSDefaultWait() {
        CommandLine check = SidecarctlCommand.commandLine().getSubcommands().get("check");
        assertEquals(WaitOption.DEFAULT_SECONDS, check.getCommandSpec().findOption("--wait").defaultValue());
        assertEquals(Duration.ofSeconds(60), WaitOption.byDefault());
    }

    /** The provider the hot path names must be the one the JDK itself picks here, and a name given wins. */
    @Test
    void theSelectorProviderNamedIsTheJdkDefaultAndAGivenOneIsKept() throws Exception {
        String before = System.getProperty(HotCommands.SELECTOR_PROVIDER);
        try {
            System.clearProperty(HotCommands.SELECTOR_PROVIDER);
            HotCommands.useDefaultSelectorProvider();
            if ("Linux".equals(System.getProperty("os.name"))) {
                assertEquals(HotCommands.EPOLL_PROVIDER, System.getProperty(HotCommands.SELECTOR_PROVIDER));
                // The JDK's default on Linux: the same class as the provider this JVM chose without the property.
                assertEquals(Class.forName(HotCommands.EPOLL_PROVIDER, false, null),
                        java.nio.channels.spi.SelectorProvider.provider().getClass());
            } else {
                assertEquals(null, System.getProperty(HotCommands.SELECTOR_PROVIDER));
            }
            System.setProperty(HotCommands.SELECTOR_PROVIDER, "some.other.Provider");
            HotCommands.useDefaultSelectorProvider();
            assertEquals("some.other.Provider", System.getProperty(HotCommands.SELECTOR_PROVIDER));
        } finally {
            if (before == null) {
                System.clearProperty(HotCommands.SELECTOR_PROVIDER);
            } else {
                System.setProperty(HotCommands.SELECTOR_PROVIDER, before);
            }
        }
    }
}
