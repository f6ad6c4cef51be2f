package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;
import org.openaimoodle.sidecar.testkit.SteadyLoad;
import org.openaimoodle.sidecar.testkit.TestKeys;

/**
 * Operations beyond restart-on-crash with real processes and real signals: crash recovery within a second,
 * the backoff of crashes that follow, {@code status} naming why the last worker went away, the memory guard.
 */
class OperationsIT {
    private static final Duration FIRST_HEALTHY = Duration.ofSeconds(60);
    private static final Pattern RSS = Pattern.compile("\"worker_rss_bytes\":(\\d+)");

    @TempDir
    Path dir;

    private SidecarUnderTest sidecar;
    private FakeUpstream upstream;

    @AfterEach
    void killEverything() {
        if (sidecar != null) {
            sidecar.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private long healthyWorker() {
        return await().atMost(FIRST_HEALTHY).pollInterval(Duration.ofMillis(20))
                .until(sidecar::healthyWorkerPid, Optional::isPresent).get();
    }

    private static double seconds(Matcher time, int group) {
        return Integer.parseInt(time.group(group)) * 3600 + Integer.parseInt(time.group(group + 1)) * 60
                + Double.parseDouble(time.group(group + 2));
    }

    /** @return whether the launcher gives the worker its AOT cache (shell/lib/jvm-opts.sh: present, newer than the jar) */
    private static boolean workerAotCacheUsable() {
        java.io.File jar = org.openaimoodle.sidecar.testkit.Checkout.ROOT
                .resolve("worker/target/openai-moodle-sidecar-worker.jar").toFile();
        java.io.File cache = org.openaimoodle.sidecar.testkit.Checkout.ROOT
                .resolve("worker/target/aot/worker-http.aot").toFile();
        return cache.isFile() && jar.isFile() && cache.lastModified() > jar.lastModified();
    }

    private String statusJson() throws IOException, InterruptedException {
        return sidecar.sidecarctl("status", "--json").stdout();
    }

    @Test
    void killNineAfterTenSecondsOfHealthIsHealthyAgainWithinOneSecondThenCrashesBackOff() throws Exception {
        sidecar = new SidecarUnderTest(dir).withFakeKey(TestKeys.UNUSED_BASE_URL);
        sidecar.start();
        long first = healthyWorker();
        Thread.sleep(10_500); // "healthy for 10 s"
        long killedAt = System.nanoTime();
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        long second = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                .until(() -> sidecar.healthyWorkerPid().filter(pid -> pid != first), Optional::isPresent).get();
        long millis = (System.nanoTime() - killedAt) / 1_000_000;
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.println("crash-to-healthy after 10 s of health: " + millis + " ms (load average " + load + ", "
                + cores + " cores)");
        // The supervisor's own share: from the exit to the new worker's launch, read from its log.
        Matcher seen = Pattern.compile("(?s)T(\\d\\d):(\\d\\d):(\\d\\d\\.\\d{3})Z supervisor RUNNING -> STARTING: worker exited with "
                + "code 137 after [\\d.]+ s of health; restarting it at once.*?T(\\d\\d):(\\d\\d):(\\d\\d\\.\\d{3})Z "
                + "supervisor worker started").matcher(sidecar.log());
        assertTrue(seen.find(), sidecar.logTail());
        double launchMillis = (seconds(seen, 4) - seconds(seen, 1)) * 1000;
        System.out.println("exit seen to new worker launched: " + Math.round(launchMillis) + " ms");
        assertTrue(launchMillis < 100, "the supervisor took " + launchMillis + " ms to launch the next worker");
        // The rest is the worker's JVM start, which a machine without spare CPU stretches (load average above
        // its cores: other builds running); there the figure is printed, not judged. The 1 s target is the
        // shipped configuration's, with the worker's AOT cache; in `./mvnw verify` these ITs run before the aot
        // module trains it (a fresh clone has none yet), and without it the JVM's start alone takes about 1 s
        // here, so that case gets a wider bound (bench/run.sh measures the case with the cache).
        boolean cached = workerAotCacheUsable();
        System.out.println("worker AOT cache " + (cached ? "in use" : "not trained yet: bound 2 s"));
        if (load < cores) {
            assertTrue(millis < (cached ? 1_000 : 2_000), "healthy again after " + millis + " ms\n"
                    + sidecar.logTail());
        }
        String status = statusJson();
        assertTrue(status.contains("\"state\":\"RUNNING\"") && status.contains("\"worker_pid\":" + second), status);
        assertTrue(status.contains("\"signal\":9,\"reason\":\"crashed\""), status);

        // Three crashes in a row, each soon after the last start: 0.5 s, 1 s, 2 s.
        long previous = second;
        for (String delay : List.of("0.5", "1.0", "2.0")) {
            ProcessHandle.of(previous).orElseThrow().destroyForcibly();
            long before = previous;
            previous = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> sidecar.healthyWorkerPid().filter(pid -> pid != before), Optional::isPresent).get();
            String log = sidecar.log();
            assertTrue(log.contains("next start in " + delay + " s"), "expected a " + delay + " s delay\n"
                    + sidecar.logTail());
        }
    }

    @Test
    void statusNamesAHangAndARequestedRestart() throws Exception {
        sidecar = new SidecarUnderTest(dir).withFakeKey(TestKeys.UNUSED_BASE_URL)
                .with("SIDECAR_HEALTH_INTERVAL", "0.5");
        sidecar.start();
        long first = healthyWorker();
        SidecarUnderTest.signal("STOP", first);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> statusJson().contains("\"reason\":\"hung\""));
        long second = healthyWorker();
        assertNotEquals(first, second);
        String hung = sidecar.sidecarctl("status").stdout();
        assertTrue(hung.contains("last exit signal 9 (hung)"), hung);

        ProcessRun.Finished restart = sidecar.sidecarctl("restart");
        assertEquals(0, restart.exitCode(), restart.toString());
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
                .until(() -> statusJson().contains("\"code\":0,\"signal\":null,\"reason\":\"requested\""));
        String line = sidecar.sidecarctl("status").stdout();
        assertTrue(line.contains("last exit code 0 (requested)") && line.contains("rss "), line);
    }

    @Test
    void aWorkerPushedOverTheMemoryLimitByABurstIsReplacedWithoutAFailedRequest() throws Exception {
        upstream = FakeUpstream.start();
        upstream.defaultAnswer(FakeAnswer.text("fine").after(Duration.ofMillis(100)));
        Path config = dir.resolve("sidecar.yaml");
        Files.writeString(config, "SIDECAR_WORKER_MAX_RSS: 0\n");
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl())
                .with("SIDECAR_CONFIG", config.toString())
                .with("SIDECAR_CACHE_TTL", "0")
                .with("SIDECAR_HEALTH_INTERVAL", "0.5");
        sidecar.start();
        healthyWorker();
        Thread.sleep(1_000);
        Matcher idle = RSS.matcher(statusJson());
        assertTrue(idle.find());
        long unguarded = sidecar.worker().orElseThrow().pid();
        Files.writeString(config, "SIDECAR_WORKER_MAX_RSS: lots\n");
        ProcessRun.Finished refused = sidecar.sidecarctl("reload");
        // sidecarctl reads the file itself first: a supervisor setting it cannot read is exit 78, like every command.
        assertEquals(78, refused.exitCode(), refused.toString());
        assertTrue(refused.output().contains("configuration error: SIDECAR_WORKER_MAX_RSS"), refused.toString());
        assertEquals(Optional.of(unguarded), sidecar.healthyWorkerPid(), "a refused reload touches no worker");
        long limit = Long.parseLong(idle.group(1)) + (12L << 20);
        System.out.println("idle worker rss " + (Long.parseLong(idle.group(1)) >> 20) + " MB; limit " + (limit >> 20) + " MB");
        Files.writeString(config, "SIDECAR_WORKER_MAX_RSS: " + limit + "\n");
        ProcessRun.Finished reload = sidecar.sidecarctl("reload");
        assertEquals(0, reload.exitCode(), reload.toString());
        long guarded = sidecar.worker().orElseThrow().pid();

        String big = "x".repeat(200_000);
        try (SteadyLoad load = SteadyLoad.start(sidecar.port(), 4,
                "{\"action\":\"chat\",\"content\":\"small\",\"user_id\":1}", Duration.ofSeconds(30))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
            // A burst of large requests grows the heap (it starts at 8 MB) past the limit.
            for (int i = 0; i < 96 && ProcessHandle.of(guarded).isPresent(); i++) {
                burst.add(http.sendAsync(HttpRequest.newBuilder(URI.create(sidecar.baseUrl() + "/ai"))
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"summarize\",\"content\":\"" + big
                                + i + "\",\"user_id\":2}")).build(), HttpResponse.BodyHandlers.ofString()));
                if (i % 8 == 7) {
                    CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
                }
            }
            try {
                CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).join();
            } catch (RuntimeException e) {
                throw new AssertionError("a burst request failed at " + java.time.Instant.now() + ": " + e + "\n"
                        + sidecar.log().lines().filter(line -> !line.contains("\tat ")).toList(), e);
            }
            for (CompletableFuture<HttpResponse<String>> answer : burst) {
                assertEquals(200, answer.get().statusCode(), answer.get().body());
            }
            // (a failed burst request ends the test above with its exception and the log tail below)
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(100))
                    .until(() -> statusJson().contains("\"reason\":\"memory\""));
            load.stop();
            System.out.println("memory guard under load: " + load);
            assertEquals(0, load.failed(), load.toString());
        }
        assertNotEquals(guarded, sidecar.worker().orElseThrow().pid());
        assertTrue(sidecar.log().contains("over SIDECAR_WORKER_MAX_RSS"), sidecar.logTail());
    }
}
