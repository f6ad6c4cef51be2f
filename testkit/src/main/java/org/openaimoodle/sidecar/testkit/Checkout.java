package org.openaimoodle.sidecar.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The source checkout under test: its launchers, scripts and built jars. Every harness finds it the same way,
 * from the working directory of the test JVM (a module directory under failsafe and surefire) upwards.
 */
public final class Checkout {

    /** Root of the checkout: the nearest directory at or above the working directory with {@code shell/sidecarctl}. */
    public static final Path ROOT = findRoot();

    public static final Path SHELL = ROOT.resolve("shell");
    /** The worker's launcher. */
    public static final Path WORKER_LAUNCHER = SHELL.resolve("openai-moodle-sidecar");
    /** The supervisor's launcher and CLI. */
    public static final Path SIDECARCTL = SHELL.resolve("sidecarctl");
    public static final Path TEST_SIDECAR = SHELL.resolve("test-sidecar.sh");
    public static final Path LOGROTATE_CONFIG = ROOT.resolve("logrotate/openai-sidecar");

    private Checkout() {
    }

    private static Path findRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("shell/sidecarctl")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no checkout (shell/sidecarctl) at or above " + start
                + ": run the tests from the checkout, e.g. ./mvnw verify");
    }

    /**
     * The testkit's own jar, runnable standalone with its libraries beside it ({@code java -jar JAR PORT}
     * starts {@link FakeUpstream}); packaged before worker, supervisor and e2e (module order).
     */
    public static Path testkitJar() {
        Path jar = ROOT.resolve("testkit/target/openai-moodle-sidecar-testkit.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw package (testkit first)");
        }
        return jar;
    }

    /** The java binary of this test JVM (a JDK >= 21, as the build requires). */
    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
