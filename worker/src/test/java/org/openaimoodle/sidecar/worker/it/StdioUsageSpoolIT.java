package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.common.usage.UsageDatabase;
import org.openaimoodle.sidecar.common.usage.UsageSpool;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/**
 * stdio mode leaves its usage records in the spool beside the store instead of opening SQLite: concurrent stdio
 * processes append whole lines, none opens the store or loads the driver, and an HTTP worker started on the same
 * store imports every record once.
 */
class StdioUsageSpoolIT {
    private static final int PROCESSES = 6;
    private static final int LINES = 3;

    @TempDir
    Path dir;

    @Test
    void concurrentStdioProcessesSpoolWholeRecordsThatTheHttpWorkerImports() throws Exception {
        Path db = dir.resolve("state/usage.db");
        Path classes = dir.resolve("classes.log");
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Map<String, String> env = new HashMap<>(ProcessRun.baseEnvironment());
            env.put("OPENAI_API_KEY", TestKeys.API_KEY);
            env.put("OPENAI_BASE_URL", upstream.baseUrl());
            env.put("SIDECAR_USAGE_DB", db.toString());
            List<CompletableFuture<ProcessRun.Finished>> runs = new ArrayList<>();
            for (int p = 0; p < PROCESSES; p++) {
                Map<String, String> mine = new HashMap<>(env);
                if (p == 0) {
                    mine.put("SIDECAR_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes);
                }
                StringBuilder input = new StringBuilder();
                for (int i = 0; i < LINES; i++) {
                    input.append("{\"action\":\"chat\",\"content\":\"hi\",\"user_id\":\"p").append(p)
                            .append("\\ttab\"}\n");
                }
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return ProcessRun.run(List.of(Checkout.WORKER_LAUNCHER.toString()), mine, dir,
                                input.toString(), Duration.ofSeconds(90));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (CompletableFuture<ProcessRun.Finished> run : runs) {
                ProcessRun.Finished finished = run.get(120, TimeUnit.SECONDS);
                assertEquals(0, finished.exitCode(), finished.toString());
                assertEquals(LINES, finished.stdout().lines().filter(l -> l.contains("\"success\":true")).count(),
                        finished.toString());
            }
        }
        assertFalse(Files.exists(db), "a stdio process opened the usage store");
        List<String> spooled = Files.readAllLines(UsageSpool.of(db), StandardCharsets.UTF_8);
        assertEquals(PROCESSES * LINES, spooled.size(), String.join("\n", spooled));
        for (String line : spooled) {
            assertEquals(11, line.split("\t", -1).length, line); // whole lines, the user's tab escaped
            assertTrue(line.contains("\\ttab\tstdio\tchat\t"), line);
        }
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains("org.openaimoodle.sidecar.worker.usage.SpoolUsageWriter"), "class log is empty");
        assertFalse(loaded.contains("org.sqlite"), "stdio mode loaded the SQLite driver");
        assertFalse(loaded.contains("java.sql.Connection"), "stdio mode loaded JDBC");

        try (WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, Map.of("SIDECAR_USAGE_DB", db.toString()),
                false)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> !UsageSpool.pending(db));
            try (Connection store = UsageDatabase.open(db, false);
                 ResultSet rows = store.createStatement().executeQuery("SELECT user, endpoint, COUNT(*), "
                         + "SUM(prompt_tokens) FROM usage GROUP BY user, endpoint ORDER BY user")) {
                int users = 0;
                while (rows.next()) {
                    assertEquals("p" + users + "\ttab", rows.getString(1));
                    assertEquals("stdio", rows.getString(2));
                    assertEquals(LINES, rows.getInt(3));
                    assertEquals(10L * LINES, rows.getLong(4));
                    users++;
                }
                assertEquals(PROCESSES, users);
            }
        }
    }
}
