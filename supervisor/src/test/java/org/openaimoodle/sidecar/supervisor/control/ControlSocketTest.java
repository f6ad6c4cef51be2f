package org.openaimoodle.sidecar.supervisor.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.supervisor.supervision.ExitReason;
import org.openaimoodle.sidecar.supervisor.supervision.SupervisorState;
import org.openaimoodle.sidecar.supervisor.supervision.WorkerExit;

class ControlSocketTest {
    @TempDir
    Path dir;

    @Test
    void commandAndReplyTravelAsOneJsonLineEachOverASocketOnlyTheOwnerMayUse() throws IOException {
        Path socket = dir.resolve("control.sock");
        try (ControlServer server = ControlServer.open(socket, command -> Map.of("ok", true, "echo", command.wireName(),
                "pid", 42L, "nothing", "x\"quoted\"\n"))) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            Map<String, Object> reply = new ControlClient(socket, Duration.ofSeconds(2)).send(ControlCommand.STATUS);
            assertEquals(true, reply.get("ok"));
            assertEquals("status", reply.get("echo"));
            assertEquals(42L, reply.get("pid"));
            assertEquals("x\"quoted\"\n", reply.get("nothing"));
        }
    }

    @Test
    void noSupervisorListeningFailsAtOnce() {
        assertThrows(IOException.class, () -> new ControlClient(dir.resolve("none.sock"), Duration.ofSeconds(2))
                .send(ControlCommand.STATUS));
    }

    @Test
    void supervisorThatNeverAnswersTimesOut() throws IOException {
        Path socket = dir.resolve("deaf.sock");
        try (ServerSocketChannel deaf = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            deaf.bind(UnixDomainSocketAddress.of(socket)); // accepts into the backlog, never reads
            long started = System.nanoTime();
            assertThrows(IOException.class, () -> new ControlClient(socket, Duration.ofMillis(300)).send(ControlCommand.STATUS));
            long took = (System.nanoTime() - started) / 1_000_000;
            assertEquals(true, took < 3_000, "took " + took + " ms");
        }
    }

    @Test
    void statusReportSurvivesTheRoundTripAndReadsLikeSupervisord() throws IOException {
        StatusReport report = new StatusReport(StatusReport.Presence.ANSWERED, SupervisorState.RUNNING, 10L, 1234L,
                "0123abcd", 2, 723, true, 12, false, 62_464L,
                new WorkerExit(137, ExitReason.CRASHED, Duration.ofSeconds(42)), "/tmp/x.log", "");
        String wire = ControlJson.write(report.toJson());
        assertTrue(wire.contains("\"worker_rss_kb\":62464,\"worker_rss_bytes\":63963136,\"last_exit\":{\"code\":null,\"signal\":9,"
                + "\"reason\":\"crashed\",\"seconds_ago\":42}"), wire);
        StatusReport back = StatusReport.fromJson(ControlJson.read(wire));
        assertEquals(report, back);
        assertEquals("openai-moodle-sidecar RUNNING pid 1234, uptime 0:12:03, restarts 2, health ok 12 ms, rss 61 MB, "
                + "last exit signal 9 (crashed) 0:00:42 ago", back.line());
        assertTrue(back.running());
    }

    @Test
    void statusLineShowsAnUnknownRssAsDashAndAnExitCodeOfItsOwn() throws IOException {
        StatusReport running = new StatusReport(StatusReport.Presence.ANSWERED, SupervisorState.RUNNING, 10L, 1234L,
                "0123abcd", 0, 5, true, 3, false, null, null, "/tmp/x.log", "");
        assertEquals("openai-moodle-sidecar RUNNING pid 1234, uptime 0:00:05, restarts 0, health ok 3 ms, rss -",
                running.line());
        StatusReport backoff = new StatusReport(StatusReport.Presence.ANSWERED, SupervisorState.BACKOFF, 10L, null,
                null, 1, 0, null, 0, false, null, new WorkerExit(1, ExitReason.CRASHED, Duration.ofSeconds(3)),
                "/tmp/x.log", "next start in 0.5 s");
        assertEquals("openai-moodle-sidecar BACKOFF restarts 1, last exit code 1 (crashed) 0:00:03 ago; "
                + "next start in 0.5 s", backoff.line());
        String wire = ControlJson.write(backoff.toJson());
        assertTrue(wire.contains("\"last_exit\":{\"code\":1,\"signal\":null,\"reason\":\"crashed\""), wire);
        assertEquals(backoff, StatusReport.fromJson(ControlJson.read(wire)));
    }

    @Test
    void unknownCommandIsAnsweredByTheServerWithTheKnownOnes() throws IOException {
        Path socket = dir.resolve("control.sock");
        try (ControlServer server = ControlServer.open(socket, command -> Map.of("ok", true));
                SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            client.write(ByteBuffer.wrap("{\"command\":\"explode\"}\n".getBytes(StandardCharsets.UTF_8)));
            String reply = new String(Channels.newInputStream(client).readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(reply.contains("\"ok\":false"), reply);
            assertTrue(reply.contains("expected status, restart, reload, stop, reopen-logs"), reply);
        }
    }

    @Test
    void clientSideReportsAreExplicitAndNeverRunning() {
        StatusReport none = StatusReport.notRunning("(supervisor not running)");
        assertEquals("openai-moodle-sidecar STOPPED (supervisor not running)", none.line());
        assertEquals("STOPPED", none.toJson().get("state"));
        StatusReport deaf = StatusReport.notAnswering(77, "supervisor does not answer");
        assertEquals("openai-moodle-sidecar UNKNOWN; supervisor does not answer", deaf.line());
        assertEquals("UNKNOWN", deaf.toJson().get("state"));
        assertFalse(none.running() || deaf.running());
    }
}
