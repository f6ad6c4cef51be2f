package org.openaimoodle.sidecar.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to completion with a deadline and returns its exit code and output. A command that overruns
 * is killed with its descendants, and the test fails saying so. Every program under test gets the
 * {@link #baseEnvironment()} plus its own settings, so nothing of the developer's environment (a real
 * {@code OPENAI_API_KEY}, a {@code SIDECAR_PORT}) leaks into a test.
 */
public final class ProcessRun {

    /**
     * What a finished command left behind.
     *
     * @param exitCode its exit code
     * @param stdout   what it wrote to stdout
     * @param stderr   what it wrote to stderr
     */
    public record Finished(int exitCode, String stdout, String stderr) {
        /** @return stdout, then stderr */
        public String output() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    private ProcessRun() {
    }

    /** PATH, HOME and the JDK of this test JVM; nothing else from the outside (no real API key). */
    public static Map<String, String> baseEnvironment() {
        Map<String, String> base = new HashMap<>();
        base.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        base.put("HOME", System.getProperty("user.home"));
        base.put("JAVA_HOME", Path.of(Checkout.java()).getParent().getParent().toString());
        base.put("LANG", "C.UTF-8");
        return base;
    }

    /**
     * @param env     replaces the whole environment of the command (nothing inherited by accident)
     * @param workDir the command's working directory
     * @param stdin   fed to the command, or {@code null} for none ({@code /dev/null})
     */
    public static Finished run(List<String> command, Map<String, String> env, Path workDir, String stdin,
                               Duration timeout) throws IOException, InterruptedException {
        Path out = Files.createTempFile("testkit-run", ".out");
        Path err = Files.createTempFile("testkit-run", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().clear();
            builder.environment().putAll(env);
            if (stdin == null) {
                builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            }
            Process process = builder.start();
            if (stdin != null) {
                try (var in = process.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not finish within " + timeout + "; output so far:\n"
                        + Files.readString(out) + Files.readString(err));
            }
            return new Finished(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
