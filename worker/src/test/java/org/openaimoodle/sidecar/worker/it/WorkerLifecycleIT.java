package org.openaimoodle.sidecar.worker.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.TestKeys;
import org.openaimoodle.sidecar.testkit.WorkerUnderTest;

/** Start, stop and admission: each test starts its own worker process. */
class WorkerLifecycleIT {
    @TempDir
    Path dir;
    FakeUpstream upstream;
    final List<WorkerUnderTest> workers = new ArrayList<>();

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = FakeUpstream.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (WorkerUnderTest worker : workers) {
            worker.close();
        }
        upstream.close();
    }

    private Map<String, String> env(String... more) {
        Map<String, String> env = new HashMap<>(Map.of("OPENAI_API_KEY", TestKeys.API_KEY,
                "OPENAI_BASE_URL", upstream.baseUrl()));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    private WorkerUnderTest startHttp(Map<String, String> env, boolean stdin) throws IOException {
        WorkerUnderTest worker = WorkerUnderTest.startHttp(dir, env, stdin);
        workers.add(worker);
        return worker;
    }

    private static final String CHAT = "{\"action\":\"chat\",\"content\":\"Hi\"}";

    @Test
    void sigtermDrainsInFlightRequestsThenExitsZero() throws Exception {
        WorkerUnderTest worker = startHttp(env(), false);
        upstream.defaultAnswer(FakeAnswer.text("finished while draining").after(Duration.ofSeconds(3)));
        CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
            try {
                return worker.ai(CHAT);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.received().size() == 1);
        worker.process().destroy(); // SIGTERM

        await("health turns draining").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> worker.get("/health").statusCode() == 503);
        HttpResponse<String> health = worker.get("/health");
        assertEquals("{\"status\":\"draining\",\"service\":\"openai-moodle-sidecar\"}", health.body());
        HttpResponse<String> refused = worker.ai(CHAT);
        assertEquals(503, refused.statusCode());
        assertTrue(refused.body().contains("\"code\":\"unavailable\""), refused.body());
        assertTrue(refused.headers().firstValue("retry-after").isPresent());

        HttpResponse<String> finished = inFlight.get(20, TimeUnit.SECONDS);
        assertEquals(200, finished.statusCode());
        assertTrue(finished.body().contains("finished while draining"), finished.body());
        assertTrue(worker.process().waitFor(15, TimeUnit.SECONDS), "worker exits after the drain");
        assertEquals(0, worker.process().exitValue(), worker.log());
        assertEquals(1, upstream.received().size());
    }

    @Test
    void supervisedWorkerExitsWithinTwoSecondsWhenStdinCloses() throws Exception {
        WorkerUnderTest worker = startHttp(env("SIDECAR_SUPERVISED", "1"), true);
        assertFalse(worker.log().matches("(?s).*\\d{4}-\\d\\d-\\d\\dT\\d\\d:.*"),
                "no timestamps under the supervisor:\n" + worker.log());
        assertTrue(worker.log().contains("INFO worker: listening on"), worker.log());
        startRequestThatOutlivesTheWorker(worker);

        long start = System.nanoTime();
        worker.process().getOutputStream().close(); // the supervisor is gone
        assertTrue(worker.process().waitFor(5, TimeUnit.SECONDS), "worker must not outlive its supervisor");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2500, "exited after " + millis + " ms (contract: 2 s)");
        assertEquals(0, worker.process().exitValue());
        try (Socket socket = new Socket("127.0.0.1", worker.port())) {
            throw new AssertionError("port still open after exit");
        } catch (ConnectException expected) {
            // the port is free again
        }
    }

    @Test
    void stdinEofCutsShortADrainThatWouldOutliveTheSupervisor() throws Exception {
        WorkerUnderTest worker = startHttp(env("SIDECAR_SUPERVISED", "1"), true);
        startRequestThatOutlivesTheWorker(worker);
        worker.process().destroy(); // SIGTERM: a drain of up to the request deadline (25 s) begins
        await().atMost(Duration.ofSeconds(5)).until(() -> worker.log().contains("draining"));

        long start = System.nanoTime();
        worker.process().getOutputStream().close(); // then the supervisor dies
        assertTrue(worker.process().waitFor(5, TimeUnit.SECONDS), "orphan must exit promptly:\n" + worker.log());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2500, "exited after " + millis + " ms (contract: 2 s)");
    }

    @Test
    void invalidConfigurationExits78NamingTheVariable() throws Exception {
        WorkerUnderTest worker = WorkerUnderTest.launch(dir, env("SIDECAR_REQUEST_TIMEOUT", "soon"), false,
                List.of("--http-mode"));
        workers.add(worker);
        assertTrue(worker.process().waitFor(20, TimeUnit.SECONDS));
        assertEquals(78, worker.process().exitValue());
        assertTrue(worker.log().contains("SIDECAR_REQUEST_TIMEOUT must be a number of seconds"), worker.log());
    }

    @Test
    void portHeldByAnotherProcessExitsOneNamingTheAddress() throws Exception {
        try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            String port = Integer.toString(holder.getLocalPort());
            WorkerUnderTest worker = WorkerUnderTest.launch(dir, env("SIDECAR_HOST", "127.0.0.1", "SIDECAR_PORT", port),
                    false, List.of("--http-mode"));
            workers.add(worker);
            assertTrue(worker.process().waitFor(20, TimeUnit.SECONDS), "worker must exit:\n" + worker.log());
            assertEquals(1, worker.process().exitValue(), worker.log());
            assertTrue(worker.log().contains("cannot listen on 127.0.0.1:" + port), worker.log());
            assertTrue(worker.log().contains("set SIDECAR_PORT"), worker.log());
            assertFalse(worker.log().contains(":-1"), worker.log());
        }
    }

    @Test
    void tokenIsRequiredWhenConfigured() throws Exception {
        WorkerUnderTest worker = startHttp(env("SIDECAR_TOKEN", TestKeys.TOKEN), false);
        HttpResponse<String> missing = worker.ai(CHAT);
        assertEquals(401, missing.statusCode());
        assertTrue(missing.body().contains("\"code\":\"unauthorized\""), missing.body());
        assertEquals(401, worker.post("/ai", CHAT, "Authorization", "Bearer wrong").statusCode());
        HttpResponse<String> ok = worker.post("/ai", CHAT, "Authorization", "Bearer " + TestKeys.TOKEN);
        assertEquals(200, ok.statusCode());
        assertTrue(ok.body().contains("\"success\":true"), ok.body());
        assertEquals(1, upstream.received().size());
        assertEquals(200, worker.get("/health").statusCode(), "health needs no token");
    }

    @Test
    void requestsOverTheConcurrencyLimitGet503AtOnce() throws Exception {
        WorkerUnderTest worker = startHttp(env("SIDECAR_MAX_CONCURRENT_REQUESTS", "2"), false);
        upstream.defaultAnswer(FakeAnswer.text("slow").after(Duration.ofSeconds(2)));
        List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            admitted.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return worker.ai(CHAT);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.received().size() == 2);
        long start = System.nanoTime();
        HttpResponse<String> rejected = worker.ai(CHAT);
        assertTrue((System.nanoTime() - start) / 1_000_000 < 1500, "rejected without queueing");
        assertEquals(503, rejected.statusCode());
        assertTrue(rejected.body().contains("\"code\":\"unavailable\""), rejected.body());
        assertEquals("1", rejected.headers().firstValue("retry-after").orElse(""));
        for (CompletableFuture<HttpResponse<String>> request : admitted) {
            assertEquals(200, request.get(20, TimeUnit.SECONDS).statusCode());
        }
        assertEquals(200, worker.ai(CHAT).statusCode(), "capacity is back once they finished");
    }

    @Test
    void withoutApiKeyHealthIsUpAndAiAnswersNotConfigured() throws Exception {
        Map<String, String> env = env();
        env.remove("OPENAI_API_KEY");
        WorkerUnderTest worker = startHttp(env, false);
        HttpResponse<String> reply = worker.ai(CHAT);
        assertEquals(200, reply.statusCode());
        assertTrue(reply.body().contains("\"code\":\"not_configured\""), reply.body());
        assertTrue(reply.body().contains("OPENAI_API_KEY"), reply.body());
        assertEquals(0, upstream.received().size());
    }

    /** One chat request whose upstream answer would take 20 s; returns once it has reached the upstream. */
    private void startRequestThatOutlivesTheWorker(WorkerUnderTest worker) {
        upstream.defaultAnswer(FakeAnswer.text("never seen").after(Duration.ofSeconds(20)));
        CompletableFuture.runAsync(() -> {
            try {
                worker.ai(CHAT);
            } catch (Exception e) {
                // the worker goes away mid-request; that is the point
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> upstream.received().size() == 1);
    }
}
