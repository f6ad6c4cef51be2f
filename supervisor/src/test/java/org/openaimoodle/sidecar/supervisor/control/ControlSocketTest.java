package org.openaimoodle.sidecar.supervisor.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlSocketTest {
    @TempDir
    Path dir;

    @Test
    void commandAndReplyTravelAsOneJsonLineEachOverASocketOnlyTheOwnerMayUse() throws IOException {
        Path socket = dir.resolve("control.sock");
        try (ControlServer server = ControlServer.open(socket, command -> Map.of("ok", true, "echo", command,
                "pid", 42L, "nothing", "x\"quoted\"\n"))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            Map<String, Object> reply = new ControlClient(socket, Duration.ofSeconds(2)).send("status");
            assertEquals(true, reply.get("ok"));
            assertEquals("status", reply.get("echo"));
            assertEquals(42L, reply.get("pid"));
            assertEquals("x\"quoted\"\n", reply.get("nothing"));
        }
    }

    @Test
    void noSupervisorListeningFailsAtOnce() {
        assertThrows(IOException.class, () -> new ControlClient(dir.resolve("none.sock"), Duration.ofSeconds(2))
                .send("status"));
    }

    @Test
    void supervisorThatNeverAnswersTimesOut() throws IOException {
        Path socket = dir.resolve("deaf.sock");
        try (ServerSocketChannel deaf = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            deaf.bind(UnixDomainSocketAddress.of(socket)); // accepts into the backlog, never reads
            long started = System.nanoTime();
            assertThrows(IOException.class, () -> new ControlClient(socket, Duration.ofMillis(300)).send("status"));
            long took = (System.nanoTime() - started) / 1_000_000;
            assertEquals(true, took < 3_000, "took " + took + " ms");
        }
    }

    @Test
    void statusReportSurvivesTheRoundTripAndReadsLikeSupervisord() throws IOException {
        StatusReport report = new StatusReport("RUNNING", 10L, 1234L, 2, 723, true, 12, null, "/tmp/x.log", "");
        StatusReport back = StatusReport.fromJson(ControlJson.read(ControlJson.write(report.toJson())));
        assertEquals(report, back);
        assertEquals("openai-moodle-sidecar RUNNING pid 1234, uptime 0:12:03, restarts 2, health ok 12 ms", back.line());
    }
}
