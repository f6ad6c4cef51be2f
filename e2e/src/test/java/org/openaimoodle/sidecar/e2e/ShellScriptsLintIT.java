package org.openaimoodle.sidecar.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.ProcessRun;

/**
 * Every shell script of the repository passes shellcheck: the launchers, their libraries, the
 * shims, the container scripts, CI and the Maven wrapper. Scripts are found by their shebang (or a
 * {@code .sh} name), so a new one is checked without anyone listing it here. The benchmark harness
 * ({@code bench/}) is outside {@code ./mvnw verify} (docs/internals.md) and not checked here.
 */
class ShellScriptsLintIT {

    private static final Set<String> SKIPPED_DIRS = Set.of(".git", "target", "node_modules", ".idea", "bench");

    @Test
    void everyShellScriptIsShellcheckClean() throws IOException, InterruptedException {
        List<String> scripts = shellScripts();
        assertTrue(scripts.contains("shell/sidecarctl") && scripts.contains("mvnw") && scripts.contains(".ci/run"),
                () -> "script discovery missed known scripts: " + scripts);

        List<String> command = new ArrayList<>(List.of("shellcheck", "--external-sources", "--format=gcc"));
        command.addAll(scripts);
        ProcessRun.Finished lint = ProcessRun.run(command, ProcessRun.baseEnvironment(), Checkout.ROOT, null,
                Duration.ofSeconds(120));

        assertEquals(0, lint.exitCode(), () -> "shellcheck found problems in " + scripts + ":\n" + lint.output());
    }

    /** Paths relative to the checkout, so shellcheck's `source=` directives resolve from its root. */
    private static List<String> shellScripts() throws IOException {
        try (Stream<Path> files = Files.walk(Checkout.ROOT)) {
            return files.filter(Files::isRegularFile)
                    .filter(path -> !inSkippedDir(path))
                    .filter(ShellScriptsLintIT::isShellScript)
                    .map(path -> Checkout.ROOT.relativize(path).toString())
                    .sorted()
                    .toList();
        }
    }

    private static boolean inSkippedDir(Path path) {
        for (Path part : Checkout.ROOT.relativize(path)) {
            if (SKIPPED_DIRS.contains(part.toString())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isShellScript(Path path) {
        if (path.toString().endsWith(".sh")) {
            return true;
        }
        try (var in = Files.newInputStream(path)) {
            String head = new String(in.readNBytes(64), StandardCharsets.ISO_8859_1);
            return head.matches("(?s)#!\\s*(/usr/bin/env\\s+)?(/bin/|/usr/bin/)?(ba|da)?sh\\b.*");
        } catch (IOException e) {
            return false;
        }
    }
}
