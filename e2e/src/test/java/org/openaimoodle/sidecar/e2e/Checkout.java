package org.openaimoodle.sidecar.e2e;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The source checkout under test: its launchers, scripts and built jars. Worker and supervisor are
 * packaged before this module runs (module order), so their jars are expected to exist.
 */
final class Checkout {

    /** Root of the checkout; failsafe passes it as {@code sidecar.checkout}. */
    static final Path ROOT = Path.of(System.getProperty("sidecar.checkout", "..")).toAbsolutePath().normalize();

    static final Path SHELL = ROOT.resolve("shell");
    static final Path SIDECARCTL = SHELL.resolve("sidecarctl");
    static final Path TEST_SIDECAR = SHELL.resolve("test-sidecar.sh");
    static final Path LOGROTATE_CONFIG = ROOT.resolve("logrotate/openai-sidecar");

    private static final Path WORKER_TARGET = ROOT.resolve("worker/target");

    private Checkout() {
    }

    /**
     * Classpath of the worker's fake upstream: the worker's test jar, its jar and libraries, and the
     * fake's test-only libraries (jackson-databind), which this module's build copies for it.
     */
    static String fakeUpstreamClasspath() {
        Path testsJar = WORKER_TARGET.resolve("openai-moodle-sidecar-worker-tests.jar");
        if (!Files.isRegularFile(testsJar)) {
            throw new IllegalStateException(testsJar + " is missing: run ./mvnw package (worker first)");
        }
        return String.join(":", testsJar.toString(),
                WORKER_TARGET.resolve("openai-moodle-sidecar-worker.jar").toString(),
                WORKER_TARGET.resolve("libs") + "/*",
                System.getProperty("sidecar.fakeUpstreamLibs", "target/fake-upstream-libs") + "/*");
    }

    /** The java binary of this test JVM (a JDK >= 21, as the build requires). */
    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
