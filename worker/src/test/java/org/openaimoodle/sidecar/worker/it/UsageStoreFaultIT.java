package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * A usage store that fails (unwritable path, full disk, locked file) never fails or slows a request, and is
 * logged once, not once per record. The fake upstream answers at once, so a request waiting on the store would
 * show as its time.
 */
class UsageStoreFaultIT {
    /** Far below the store's 1 s lock wait, far above a request to an upstream that answers at once. */
    private static final long FAST_MS = 700;
    private static final String WARNING = "usage store ";

    @TempDir
    Path dir;

    @Test
    void anUnwritablePathNeitherFailsNorSlowsRequestsAndIsLoggedOnce() throws Exception {
        Path plainFile = Files.writeString(dir.resolve("plain-file"), "x"); // unwritable as a directory, even for root
        Path store = plainFile.resolve("usage.db");
        try (FakeUpstream upstream = FakeUpstream.start();
             WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, env(upstream, store), false)) {
            assertAllOkAndFast(worker, 30, "1");
            await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().contains(WARNING));
            assertAllOkAndFast(worker, 10, "2"); // more failing batches after the first warning
            Thread.sleep(500); // let the writer try (and fail on) the last batch
            assertEquals(1, count(worker.log(), WARNING + store), worker.log());
        }
    }

    @Test
    void aLockedStoreDoesNotSlowRequests() throws Exception {
        Path store = dir.resolve("usage.db");
        try (FakeUpstream upstream = FakeUpstream.start();
             WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, env(upstream, store), false)) {
            assertAllOkAndFast(worker, 1, "1");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(store));
            try (Connection lock = UsageDatabase.open(store, false); Statement statement = lock.createStatement()) {
                statement.execute("BEGIN EXCLUSIVE");
                assertAllOkAndFast(worker, 20, "2");
                await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().contains(WARNING));
                statement.execute("ROLLBACK");
            }
            assertEquals(1, count(worker.log(), WARNING + store), worker.log());
        }
    }

    @Test
    void aFullSmallTmpfsNeitherFailsNorSlowsRequests() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("tmpfs"));
        Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String why = new String(mounting.getInputStream().readAllBytes());
        Assumptions.assumeTrue(mounting.waitFor() == 0, "cannot mount a small tmpfs here (needs root): " + why);
        try (FakeUpstream upstream = FakeUpstream.start();
             WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, env(upstream, mount.resolve("usage.db")), false)) {
            assertAllOkAndFast(worker, 3, "1");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(mount.resolve("usage.db")));
            fill(mount.resolve("filler"));
            assertAllOkAndFast(worker, 30, "u".repeat(200));
            await().atMost(Duration.ofSeconds(10)).until(() -> worker.log().contains(WARNING));
            assertEquals(1, count(worker.log(), WARNING), worker.log());
        } finally {
            new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void stdioAnswersAndExitsPromptlyWithAnUnwritableStore() throws Exception {
        Path plainFile = Files.writeString(dir.resolve("plain-file"), "x");
        try (FakeUpstream upstream = FakeUpstream.start()) {
            long start = System.nanoTime();
            ProcessRun.Finished run = ProcessRun.run(List.of(Checkout.WORKER_LAUNCHER.toString()),
                    withBase(env(upstream, plainFile.resolve("usage.db"))), dir,
                    "{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":3}\n", Duration.ofSeconds(60));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, run.exitCode(), run.toString());
            assertTrue(run.stdout().contains("\"success\":true"), run.toString());
            assertEquals(1, count(run.stderr(), WARNING), run.toString());
            assertTrue(tookMs < 20_000, "took " + tookMs + " ms");
        }
    }

    private static Map<String, String> env(FakeUpstream upstream, Path store) {
        return Map.of("OPENAI_API_KEY", TestKeys.API_KEY, "OPENAI_BASE_URL", upstream.baseUrl(),
                "SIDECAR_USAGE_DB", store.toString());
    }

    private static Map<String, String> withBase(Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(ProcessRun.baseEnvironment());
        all.putAll(env);
        return all;
    }

    private static void assertAllOkAndFast(WorkerUnderTest worker, int requests, String user) throws Exception {
        for (int i = 0; i < requests; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = worker.ai("{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":\"" + user
                    + "\"}");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, response.statusCode(), response.body());
            assertTrue(response.body().contains("\"success\":true"), response.body());
            assertTrue(tookMs < FAST_MS, "request " + i + " took " + tookMs + " ms");
        }
    }

    /** Writes until the file system is full. */
    private static void fill(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] block = new byte[1024];
            for (int i = 0; i < 1024; i++) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            return; // No space left on device: what the test wants
        }
        throw new AssertionError("the 64k tmpfs did not fill up");
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
