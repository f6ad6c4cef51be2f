package org.openaimoodle.sidecar.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to completion with a deadline and returns its exit code and merged output. A
 * command that overruns is killed with its descendants, and the test fails saying so.
 */
final class ProcessRun {

    /** What a finished command left behind. */
    record Finished(int exitCode, String output) {
        @Override
        public String toString() {
            return "exit " + exitCode + ", output:\n" + output;
        }
    }

    private ProcessRun() {
    }

    /**
     * @param env    replaces the whole environment of the command (nothing inherited by accident,
     *               e.g. a real OPENAI_API_KEY)
     * @param stdin  fed to the command, or {@code null} for none
     */
    static Finished run(List<String> command, Map<String, String> env, Path workDir, String stdin, Duration timeout)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("e2e-run", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile());
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
                        + Files.readString(output));
            }
            return new Finished(process.exitValue(), Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
