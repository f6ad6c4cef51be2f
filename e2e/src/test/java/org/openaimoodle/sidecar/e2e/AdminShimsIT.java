package org.openaimoodle.sidecar.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;

/**
 * The original guide's commands {@code start-sidecar.sh} and {@code check-sidecar.sh} keep working,
 * called through symlinks as administrators install them into {@code /usr/local/bin}.
 */
class AdminShimsIT {

    @TempDir
    Path dir;

    private SidecarUnderTest sidecar;
    private Path startShim;
    private Path checkShim;

    @BeforeEach
    void linkShims() throws Exception {
        sidecar = new SidecarUnderTest(dir);
        Path bin = Files.createDirectories(dir.resolve("usr-local-bin"));
        startShim = Files.createSymbolicLink(bin.resolve("start-sidecar.sh"), Checkout.SHELL.resolve("start-sidecar.sh"));
        checkShim = Files.createSymbolicLink(bin.resolve("check-sidecar.sh"), Checkout.SHELL.resolve("check-sidecar.sh"));
    }

    @AfterEach
    void stopEverything() throws Exception {
        sidecar.close();
    }

    @Test
    void symlinkedShimsStartAndCheckTheSidecar() throws Exception {
        ProcessRun.Finished before = sidecar.command(checkShim.toString(), "--no-repair");
        assertAll("check-sidecar.sh with nothing running",
                () -> assertEquals(1, before.exitCode(), before::toString),
                () -> assertTrue(before.output().contains("CRITICAL"), before::toString));

        ProcessRun.Finished started = sidecar.command(startShim.toString(), "--wait", "60");
        sidecar.rememberPids();
        assertEquals(0, started.exitCode(), () -> "start-sidecar.sh: " + started + "\nlog:\n" + sidecar.logTail());
        await("GET /health").atMost(Duration.ofSeconds(10)).until(this::healthAnswers);

        ProcessRun.Finished after = sidecar.command(checkShim.toString());
        assertAll("check-sidecar.sh with the sidecar running",
                () -> assertEquals(0, after.exitCode(), after::toString),
                () -> assertTrue(after.output().startsWith("OK"), after::toString));
    }

    private boolean healthAnswers() {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(sidecar.baseUrl() + "/health")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"healthy\"");
        } catch (Exception e) {
            return false;
        }
    }
}
