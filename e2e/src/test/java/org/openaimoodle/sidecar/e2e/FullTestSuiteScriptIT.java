package org.openaimoodle.sidecar.e2e;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.Ports;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;
import org.openaimoodle.sidecar.testkit.TestKeys;

/**
 * {@code shell/test-sidecar.sh}, the original guide's "full test suite": all PASS against a live
 * sidecar (started by {@code sidecarctl start}, talking to the fake upstream), and FAIL lines with
 * a non-zero exit against a port where nothing listens.
 */
class FullTestSuiteScriptIT {

    @TempDir
    Path dir;

    private FakeUpstreamProcess upstream;
    private SidecarUnderTest sidecar;

    @AfterEach
    void stopEverything() throws Exception {
        try {
            if (sidecar != null) {
                sidecar.close();
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    @Test
    void passesEveryCheckAgainstALiveSidecar() throws Exception {
        upstream = FakeUpstreamProcess.start();
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl());
        sidecar.start();

        ProcessRun.Finished suite = sidecar.command(Checkout.TEST_SIDECAR.toString(), sidecar.baseUrl());

        List<String> lines = suite.output().lines().toList();
        assertAll(
                () -> assertEquals(0, suite.exitCode(), () -> suite + "\nsidecar log:\n" + sidecar.logTail()),
                () -> assertEquals(6, lines.stream().filter(line -> line.startsWith("PASS ")).count(), suite::toString),
                () -> assertTrue(lines.stream().noneMatch(line -> line.startsWith("FAIL ")), suite::toString),
                () -> assertTrue(suite.output().contains("PASS bad request (not JSON): 400 invalid_json"), suite::toString),
                () -> assertFalse(suite.output().contains(TestKeys.API_KEY), "the API key was printed"));
    }

    @Test
    void sendsTheTokenWhenTheSidecarRequiresOne() throws Exception {
        upstream = FakeUpstreamProcess.start();
        String token = "e2e-token-\"quoted\\-0123456789";
        sidecar = new SidecarUnderTest(dir).withFakeKey(upstream.baseUrl()).with("SIDECAR_TOKEN", token);
        sidecar.start();

        ProcessRun.Finished withToken = sidecar.command(Checkout.TEST_SIDECAR.toString(), sidecar.baseUrl());
        Map<String, String> noToken = new java.util.HashMap<>(sidecar.env());
        noToken.remove("SIDECAR_TOKEN");
        ProcessRun.Finished withoutToken = ProcessRun.run(List.of(Checkout.TEST_SIDECAR.toString(), sidecar.baseUrl()),
                noToken, dir, null, java.time.Duration.ofSeconds(90));

        assertAll(
                () -> assertEquals(0, withToken.exitCode(), () -> withToken + "\nsidecar log:\n" + sidecar.logTail()),
                () -> assertNotEquals(0, withoutToken.exitCode(), withoutToken::toString),
                () -> assertTrue(withoutToken.output().contains("FAIL chat: expected 200 success, got 401 code=unauthorized"),
                        withoutToken::toString));
    }

    @Test
    void failsEveryCheckWithNonZeroExitWhenNothingListens() throws Exception {
        int deadPort = Ports.free();

        ProcessRun.Finished suite = ProcessRun.run(
                List.of(Checkout.TEST_SIDECAR.toString(), "http://127.0.0.1:" + deadPort),
                ProcessRun.baseEnvironment(), dir, null, java.time.Duration.ofSeconds(60));

        List<String> lines = suite.output().lines().toList();
        assertAll(
                () -> assertNotEquals(0, suite.exitCode(), suite::toString),
                () -> assertEquals(6, lines.stream().filter(line -> line.startsWith("FAIL ")).count(), suite::toString),
                () -> assertTrue(lines.stream().noneMatch(line -> line.startsWith("PASS ")), suite::toString),
                () -> assertTrue(suite.output().contains("Is the sidecar running?"), suite::toString));
    }
}
