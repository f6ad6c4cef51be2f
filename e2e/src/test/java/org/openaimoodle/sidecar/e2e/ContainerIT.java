package org.openaimoodle.sidecar.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.Ports;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.ProcessRun;

/**
 * The Dockerfile, built with podman against stand-in base images ({@link SidecarImages}) and run
 * without a container engine ({@link ImageRun}): the Moodle image as root (its default) and as uid
 * 1001, then the standalone {@code sidecar} target as its USER. The upstream is the worker's fake on
 * the host (the runs share the host's network). Needs root; skipped, with the reason, only where it
 * cannot run at all (see {@link SidecarImages#cannotRunReason()}). The image's figures go to
 * {@code e2e/target/container-figures.txt}, which {@code ./run-tests} prints.
 */
class ContainerIT {

    private static final String RUNTIME = "/usr/lib/jvm/openai-sidecar-runtime";
    private static final String PLUGIN_PATH = "/bitnami/moodle/openai-sidecar/openai-moodle-sidecar";
    private static final Path FIGURES = Checkout.ROOT.resolve("e2e/target/container-figures.txt");
    private static final Map<String, String> figures = new ConcurrentSkipListMap<>();

    private static SidecarImages images;
    private static FakeUpstreamProcess upstream;
    /** Why this machine cannot run the check, or null. */
    private static String cannotRun;

    @BeforeAll
    static void buildTheImages() throws Exception {
        // Not an assumption here: skipped in @BeforeAll, the tests of the nested classes would not be
        // reported at all (0 run, 0 skipped); each test is skipped with the reason instead (@BeforeEach).
        cannotRun = SidecarImages.cannotRunReason();
        if (cannotRun != null) {
            return;
        }
        upstream = FakeUpstreamProcess.start();
        images = SidecarImages.build();
        images.figures.forEach((what, value) -> figures.put("1 " + what, value));
        figures.put("2 image size, target moodle / sidecar", mb(images.moodle().sizeBytes()) + " / " + mb(images.sidecar().sizeBytes()));
    }

    @BeforeEach
    void skipWhereTheMachineCannotRunIt() {
        assumeTrue(cannotRun == null, cannotRun);
    }

    @AfterAll
    static void removeTheImages() throws Exception {
        try {
            if (images != null) {
                images.close();
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
            if (!figures.isEmpty()) {
                Files.createDirectories(FIGURES.getParent());
                List<String> lines = new ArrayList<>();
                figures.forEach((what, value) -> lines.add(what.substring(2) + ": " + value));
                Files.write(FIGURES, lines);
            }
        }
    }

    @Test
    void jlinkedRuntimeHasWhatTlsNeedsAndACdsArchiveButNoUnusedModules() throws IOException {
        Path runtime = images.moodle().root().resolve(RUNTIME.substring(1));
        String release = Files.readString(runtime.resolve("release"));
        String modules = release.lines().filter(line -> line.startsWith("MODULES=")).findFirst().orElse("");
        figures.put("2 jlink'd runtime", du(runtime) + ", " + modules);
        assertAll(
                () -> assertTrue(modules.matches("MODULES=\".*\\bjdk\\.crypto\\.ec\\b.*\""), modules),
                () -> assertFalse(modules.contains("jdk.httpserver"), modules),
                () -> assertTrue(Files.size(runtime.resolve("lib/security/cacerts")) > 10_000, "cacerts too small"),
                () -> assertTrue(Files.size(runtime.resolve("lib/server/classes.jsa")) > 0, "no CDS archive"));
    }

    /** One start of the Moodle image, checked step by step, then stopped with SIGTERM to its PID 1. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    abstract static class MoodleImageRun {

        final int port = Ports.free();
        ImageRun run;
        Path dir;

        /** {@code chroot --userspec}, or {@code null} for root. */
        abstract String userspec();

        abstract String label();

        @BeforeAll
        void startTheImage() throws IOException {
            if (cannotRun != null) {
                return;
            }
            Path root = images.moodle().root();
            deleteRecursively(root.resolve("bitnami/moodle/config.php"));
            deleteRecursively(root.resolve("bitnami/moodle/openai-sidecar"));
            dir = Files.createTempDirectory("container-" + label());
            long started = System.nanoTime();
            run = ImageRun.start(root, userspec(), environment(images.moodle().env()), images.moodle().command(),
                    dir.resolve("run.log"));
            await("GET /health of the image's sidecar").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                    .until(() -> SidecarHttp.healthy(port));
            figures.put("3 start to healthy, Moodle image as " + label(), ms(started));
        }

        @AfterAll
        void stopTheImage() throws Exception {
            if (run != null) {
                run.close();
            }
            if (dir != null) {
                deleteRecursively(dir);
            }
        }

        List<String> environment(List<String> imageEnv) {
            List<String> env = new ArrayList<>(imageEnv);
            env.addAll(List.of("OPENAI_API_KEY=" + TestKeys.API_KEY, "OPENAI_BASE_URL=" + upstream.baseUrl(),
                    "SIDECAR_PORT=" + port));
            return env;
        }

        @Test
        @Order(1)
        void healthAnswers() throws Exception {
            assertTrue(SidecarHttp.healthy(port), run::output);
        }

        @Test
        @Order(2)
        void supervisorAndWorkerRunAsUid1001OnTheJlinkedRuntime() {
            // The entrypoint's `sidecarctl start --wait` is a third JVM until it has printed the status.
            await("supervisor and worker, and no other JVM").atMost(Duration.ofSeconds(20)).until(() -> run.jvms().size() == 2);
            List<String> jvms = run.jvms();
            assertEquals(2, jvms.size(), jvms::toString);
            for (String jvm : jvms) {
                assertTrue(jvm.matches("\\d+ 1001 " + RUNTIME + "/bin/java"), "pid uid exe: " + jvm);
            }
        }

        @Test
        @Order(3)
        void pluginStdioPathAnswersOneJsonLineAsApachesUser() throws Exception {
            awaitPluginPath();
            long started = System.nanoTime();
            ProcessRun.Finished stdio = run.inside("daemon:daemon", "/bin/sh", "-c",
                    "echo '{\"action\":\"chat\",\"content\":\"hi\"}' | timeout 30 " + PLUGIN_PATH + " 2>/dev/null");
            figures.put("4 plugin path stdio round trip as daemon, Moodle image as " + label(), ms(started));
            assertAll(() -> assertEquals(0, stdio.exitCode(), stdio::toString),
                    () -> assertEquals(1, stdio.output().lines().count(), stdio::toString),
                    () -> assertTrue(stdio.output().matches("(?s)\\{.*\"success\":true.*\\}\\s*"), stdio::toString));
        }

        /**
         * The image ships AOT caches trained on its own jlink'd runtime: the plugin's stdio fallback maps its
         * cache (the JVM says so at {@code -Xlog:aot=info}, and would say "Unable to use AOT cache" on a mismatch),
         * and the round trip with it is timed beside one with {@code SIDECAR_AOT_CACHE=off}, alternating.
         */
        @Test
        @Order(3)
        void pluginStdioPathUsesTheShippedAotCache() throws Exception {
            awaitPluginPath();
            String request = "echo '{\"action\":\"chat\",\"content\":\"hi\"}' | ";
            ProcessRun.Finished logged = run.inside("daemon:daemon", "/bin/sh", "-c", request
                    + "SIDECAR_JAVA_OPTS=-Xlog:aot=info:stderr timeout 30 " + PLUGIN_PATH + " 2>&1 >/dev/null");
            assertAll(() -> assertTrue(logged.output().contains("Opened AOT cache"), logged::toString),
                    () -> assertTrue(logged.output().contains("Using AOT-linked classes: true"), logged::toString),
                    () -> assertFalse(logged.output().contains("Unable to use AOT cache"), logged::toString));
            List<Long> with = new ArrayList<>();
            List<Long> without = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                for (boolean cache : new boolean[] {true, false}) {
                    long started = System.nanoTime();
                    ProcessRun.Finished stdio = run.inside("daemon:daemon", "/bin/sh", "-c", request
                            + (cache ? "" : "SIDECAR_AOT_CACHE=off ") + "timeout 30 " + PLUGIN_PATH + " 2>/dev/null");
                    long millis = (System.nanoTime() - started) / 1_000_000;
                    assertTrue(stdio.output().contains("\"success\":true"), stdio::toString);
                    (cache ? with : without).add(millis);
                }
            }
            figures.put("4 plugin path stdio round trip, median of 3 alternating, AOT cache on / off, Moodle image as "
                    + label(), median(with) + " ms / " + median(without) + " ms");
        }

        private void awaitPluginPath() {
            Path link = images.moodle().root().resolve(PLUGIN_PATH.substring(1));
            await("the plugin path, made once Moodle's setup filled the volume").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.isSymbolicLink(link));
        }

        @Test
        @Order(4)
        void healthcheckCommandPasses() throws Exception {
            List<String> healthcheck = images.moodle().healthcheck();
            assertEquals(List.of("/usr/local/bin/sidecarctl", "check", "--no-repair"), healthcheck);
            ProcessRun.Finished check = run.inside(null, healthcheck.toArray(String[]::new));
            assertEquals(0, check.exitCode(), check::toString);
        }

        @Test
        @Order(5)
        void testSidecarScriptPassesInside() throws Exception {
            ProcessRun.Finished suite = run.inside(null, "/usr/local/bin/test-sidecar.sh");
            assertAll(() -> assertEquals(0, suite.exitCode(), suite::toString),
                    () -> assertFalse(suite.output().contains("FAIL"), suite::toString));
        }

        @Test
        @Order(9)
        void sigtermToPid1StopsTheSidecarFirstLeavesNoProcessAndExitsZero() throws Exception {
            new ProcessBuilder("kill", "-TERM", Long.toString(run.pid1())).start().waitFor();
            Optional<Integer> exit = run.awaitExit(Duration.ofSeconds(40));
            String logs = run.output() + readAll(images.moodle().root().resolve("var/log"), "openai-sidecar.log");
            assertAll(() -> assertEquals(Optional.of(0), exit, run::output),
                    () -> assertEquals(List.of(), run.processes(), "processes left in the image's root"),
                    () -> assertTrue(run.output().contains("openai-sidecar: sidecar stopped"), run::output),
                    () -> assertFalse(logs.contains(TestKeys.API_KEY), "the API key is in the output or the log"));
        }
    }

    @Nested
    class AsRoot extends MoodleImageRun {

        @Override
        String userspec() {
            return null;
        }

        @Override
        String label() {
            return "root";
        }

        /**
         * cron starts jobs with an empty environment: after {@code sidecarctl stop}, the cron job's
         * command must start the sidecar again as the sidecar user, with the variables the
         * entrypoint saved (the key above all).
         */
        @Test
        @Order(6)
        void cronJobWithCronsEmptyEnvironmentRepairsAStoppedSidecar() throws Exception {
            run.inside(null, "/usr/local/bin/sidecarctl", "stop");
            assertFalse(SidecarHttp.healthy(port), "the sidecar still answers after sidecarctl stop");
            ProcessRun.Finished cron = run.insideWith("1001:1001", List.of("SHELL=/bin/bash",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/opt/openai-sidecar/var"),
                    Duration.ofSeconds(150), "timeout", "120", "/opt/openai-sidecar/bin/cron-check.sh");
            await("/health after the repair").atMost(Duration.ofSeconds(60)).until(() -> SidecarHttp.healthy(port));
            HttpResponse<String> reply = SidecarHttp.ai(port, "after the repair", "cron");
            assertAll(() -> assertEquals(1, cron.exitCode(), cron::toString),
                    () -> assertTrue(cron.output().startsWith("REPAIRED"), cron::toString),
                    () -> assertTrue(reply.body().contains("\"success\":true"), reply::body));
        }

        /** The image's own logrotate config, run as root the way cron.daily runs it. */
        @Test
        @Order(7)
        void logrotateOfTheInstalledConfigKeepsOldLinesAndReopensANewFileOwnedByTheSidecar() throws Exception {
            Path log = images.moodle().root().resolve("var/log/openai-sidecar.log");
            SidecarHttp.ai(port, "before", "rot-1");
            ProcessRun.Finished rotated = run.inside(null, "/usr/sbin/logrotate", "-f", "-s", "/tmp/logrotate.state",
                    "/etc/logrotate.d/openai-sidecar");
            assertEquals(0, rotated.exitCode(), rotated::toString);
            SidecarHttp.ai(port, "after", "rot-2");
            await("the new request's line in the new log").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(log).contains("user_id=rot-2"));
            assertAll(() -> assertTrue(Files.readString(log.resolveSibling("openai-sidecar.log.1")).contains("user_id=rot-1")),
                    () -> assertEquals(1001, (int) Files.getAttribute(log, "unix:uid")));
        }
    }

    @Nested
    class AsUid1001 extends MoodleImageRun {

        @Override
        String userspec() {
            return "1001:1001";
        }

        @Override
        String label() {
            return "uid 1001";
        }
    }

    /** The standalone target: its ENTRYPOINT ({@code sidecarctl run}) as its USER, bound to loopback here. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class StandaloneTarget {

        private final int port = Ports.free();
        private ImageRun run;
        private Path dir;

        @BeforeAll
        void startTheImage() throws IOException {
            if (cannotRun != null) {
                return;
            }
            SidecarImages.Image image = images.sidecar();
            List<String> env = new ArrayList<>(image.env());
            env.addAll(List.of("SIDECAR_PORT=" + port, "SIDECAR_HOST=127.0.0.1"));
            dir = Files.createTempDirectory("container-sidecar");
            long started = System.nanoTime();
            run = ImageRun.start(image.root(), image.user() + ":0", env, image.command(), dir.resolve("run.log"));
            await("GET /health of the standalone sidecar").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                    .until(() -> SidecarHttp.healthy(port));
            figures.put("3 start to healthy, sidecar target", ms(started));
        }

        @AfterAll
        void stopTheImage() throws Exception {
            if (run != null) {
                run.close();
            }
            if (dir != null) {
                deleteRecursively(dir);
            }
        }

        @Test
        @Order(1)
        void healthAnswersWithTheSupervisorAsPid1RunningAsTheImagesUser() throws Exception {
            String status = Files.readString(Path.of("/proc", Long.toString(run.pid1()), "status"));
            assertAll(() -> assertTrue(SidecarHttp.healthy(port), run::output),
                    () -> assertEquals("1001", images.sidecar().user()),
                    () -> assertTrue(status.matches("(?s).*\\nUid:\\s+1001\\s.*"), status),
                    () -> assertTrue(Files.readSymbolicLink(Path.of("/proc", Long.toString(run.pid1()), "exe"))
                            .toString().endsWith("/bin/java"), "PID 1 is not the supervisor's JVM"));
        }

        @Test
        @Order(2)
        void sigtermToTheSupervisorExitsZeroAndLeavesNoProcess() throws Exception {
            new ProcessBuilder("kill", "-TERM", Long.toString(run.pid1())).start().waitFor();
            Optional<Integer> exit = run.awaitExit(Duration.ofSeconds(40));
            assertAll(() -> assertEquals(Optional.of(0), exit, run::output),
                    () -> assertEquals(List.of(), run.processes(), "processes left in the image's root"));
        }
    }

    private static String readAll(Path dir, String prefix) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                all.append(new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        return all.toString();
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> children = Files.list(path)) {
                for (Path child : children.toList()) {
                    deleteRecursively(child);
                }
            }
        }
        Files.deleteIfExists(path);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static String ms(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000 + " ms";
    }

    private static String mb(long bytes) {
        return bytes / 1_000_000 + " MB";
    }

    private static String du(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long bytes = files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
            return mb(bytes);
        }
    }
}
