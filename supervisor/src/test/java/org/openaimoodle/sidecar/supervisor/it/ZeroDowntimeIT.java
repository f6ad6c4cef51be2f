package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.FakeAnswer;
import org.openaimoodle.sidecar.testkit.FakeUpstream;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;
import org.openaimoodle.sidecar.testkit.SteadyLoad;

/**
 * {@code restart} and {@code reload} while 8 clients send /ai requests (to an upstream that takes 150 ms) and one
 * polls /health: not one request fails, the worker pids change, reload applies the model changed in the config file,
 * and a reload whose new worker cannot start (a configuration error) leaves the old worker serving. Without
 * SO_REUSEPORT (forced with {@code -Dsidecar.reuse-port=off}, as on a platform that lacks it) a restart falls back
 * to stopping the worker first, says so in the log, and the new worker serves.
 */
class ZeroDowntimeIT {
    private static final Duration UPSTREAM_LATENCY = Duration.ofMillis(150);

    @TempDir
    Path dir;

    private FakeUpstream upstream;
    private SidecarUnderTest sidecar;

    @AfterEach
    void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** @return 8 clients sending /ai requests (and one polling /health), once 40 have been answered */
    private SteadyLoad loadUnderWay() {
        SteadyLoad load = SteadyLoad.start(sidecar.port(), 8,
                "{\"action\":\"chat\",\"content\":\"hello\",\"user_id\":1}", Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(20)).until(() -> load.ok() > 40);
        return load;
    }

    /** {@code sidecarctl restart}, which must succeed: @return the new worker's pid */
    private long restartedWorker(long old) throws IOException, InterruptedException {
        ProcessRun.Finished restart = sidecar.sidecarctl("restart");
        assertEquals(0, restart.exitCode(), restart + "\n" + sidecar.logTail());
        long pid = sidecar.worker().orElseThrow().pid();
        assertNotEquals(old, pid);
        return pid;
    }

    @Test
    void restartAndReloadUnderLoadFailNoRequest() throws Exception {
        upstream = FakeUpstream.start();
        upstream.defaultAnswer(FakeAnswer.text("fine").after(UPSTREAM_LATENCY));
        Path config = dir.resolve("sidecar.yaml");
        Files.writeString(config, "OPENAI_MODEL: model-a\n");
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl())
                .with("SIDECAR_CONFIG", config.toString())
                .with("SIDECAR_CACHE_TTL", "0");
        sidecar.start();
        long first = sidecar.worker().orElseThrow().pid();

        try (SteadyLoad load = loadUnderWay()) {

            long second = restartedWorker(first);
            await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(first).isEmpty());
            long afterRestart = load.ok();
            await().atMost(Duration.ofSeconds(20)).until(() -> load.ok() > afterRestart + 40);
            System.out.println("restart under load: " + load);

            Files.writeString(config, "OPENAI_MODEL: model-b\n");
            ProcessRun.Finished reload = sidecar.sidecarctl("reload");
            assertEquals(0, reload.exitCode(), reload + "\n" + sidecar.logTail());
            long third = sidecar.worker().orElseThrow().pid();
            assertNotEquals(second, third);
            upstream.reset();
            upstream.defaultAnswer(FakeAnswer.text("fine").after(UPSTREAM_LATENCY));
            await().atMost(Duration.ofSeconds(20)).until(() -> upstream.received().size() > 20);
            assertTrue(upstream.received().stream().allMatch(request -> "model-b".equals(request.model())),
                    "after the reload every request uses the new model");

            Files.writeString(config, "OPENAI_MODEL: model-c\nSIDECAR_MAX_CONCURRENT_REQUESTS: lots\n");
            ProcessRun.Finished broken = sidecar.sidecarctl("reload");
            assertEquals(1, broken.exitCode(), broken + "\n" + sidecar.logTail());
            assertTrue(broken.stdout().contains("code 78 (configuration error"), broken.toString());
            assertTrue(broken.stdout().contains("the old worker (pid " + third + ") keeps serving"), broken.toString());
            assertEquals(Optional.of(third), sidecar.healthyWorkerPid());
            long afterBroken = load.ok();
            await().atMost(Duration.ofSeconds(20)).until(() -> load.ok() > afterBroken + 40);

            load.stop();
            System.out.println("restart + reload + failed reload under load: " + load);
            assertEquals(0, load.failed(), load.toString());
            assertEquals(load.sent(), load.ok(), "every request sent was answered");
        }
        String status = sidecar.sidecarctl("status", "--json").stdout();
        assertTrue(status.contains("\"reason\":\"requested\""), status);
        assertTrue(status.contains("\"outcome\":\"failed\""), status);
        assertTrue(sidecar.log().contains("hands over"), sidecar.logTail());
    }

    @Test
    void withoutReusePortARestartStopsTheWorkerFirstAndSaysSo() throws Exception {
        upstream = FakeUpstream.start();
        upstream.defaultAnswer(FakeAnswer.text("fine").after(UPSTREAM_LATENCY));
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl())
                .with("SIDECAR_JAVA_OPTS", "-Dsidecar.reuse-port=off")
                .with("SIDECAR_CACHE_TTL", "0");
        sidecar.start();
        long first = sidecar.worker().orElseThrow().pid();
        assertTrue(sidecar.log().contains("SO_REUSEPORT is not supported on this platform"), sidecar.logTail());
        assertTrue(sidecar.log().contains("SO_REUSEPORT is not supported here"), sidecar.logTail());
        // The worker really listens without SO_REUSEPORT: a second socket cannot join its port.
        try (ServerSocketChannel beside = ServerSocketChannel.open()) {
            beside.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            assertThrows(BindException.class, () -> beside.bind(new InetSocketAddress("127.0.0.1", sidecar.port())));
        }

        try (SteadyLoad load = loadUnderWay()) {
            long second = restartedWorker(first);
            assertTrue(ProcessHandle.of(first).isEmpty(), "the old worker was stopped before the new one started");
            long afterRestart = load.ok();
            await().atMost(Duration.ofSeconds(20)).until(() -> load.ok() > afterRestart + 40);
            load.stop();
            // Requests sent while no worker listened may fail (the documented behaviour of this fallback).
            System.out.println("restart under load without SO_REUSEPORT: " + load);
        }
        assertFalse(sidecar.log().contains("hands over"), sidecar.logTail());
        String status = sidecar.sidecarctl("status", "--json").stdout();
        assertTrue(status.contains("\"reason\":\"requested\""), status);
    }
}
