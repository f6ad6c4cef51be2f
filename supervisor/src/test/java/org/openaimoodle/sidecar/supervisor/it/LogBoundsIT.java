package org.openaimoodle.sidecar.supervisor.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;

/**
 * End to end: {@code sidecarctl run} (the supervisor with the heap its launcher
 * gives it) and the real worker. One request with a 4 MiB chunk-size line must not silence the log.
 */
class LogBoundsIT {
    @TempDir
    Path dir;

    @Test
    void aFourMebibyteChunkSizeLineDoesNotSilenceTheWorkersLog() throws Exception {
        try (SidecarUnderTest sidecar = new SidecarUnderTest(dir)) {
            sidecar.runInForeground();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(sidecar::healthy);
            byte[] sizeLine = new byte[4 * 1024 * 1024 + 3];
            Arrays.fill(sizeLine, (byte) 'B');
            sizeLine[0] = '2';
            sizeLine[1] = 'e';
            sizeLine[2] = ';';
            try (Socket socket = new Socket("127.0.0.1", sidecar.port())) {
                socket.setSoTimeout(3_000); // the worker waits for chunk data that never comes: no answer needed
                OutputStream out = socket.getOutputStream();
                out.write(("POST /ai HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(sizeLine);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                readQuietly(socket);
            }
            try (HttpClient http = HttpClient.newHttpClient()) {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.port() + "/ai"))
                        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"action\":\"chat\",\"message\":\"hi\",\"user_id\":\"4242\"}")).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> sidecar.log().contains("worker INFO access: action=chat user_id=4242"));
            assertTrue(Files.readAllLines(sidecar.logFile()).stream().allMatch(line -> line.length() < 80 * 1024),
                    "every line capped");
        }
    }

    @Test
    void aWorkerPrintingAFourMebibyteLineCannotStopTheSupervisorCopyingItsOutput() throws Exception {
        // Not the real worker: one whose own cap is missing, so that the supervisor's cap is what holds.
        Path script = dir.resolve("loud-worker.sh");
        Files.writeString(script, "#!/bin/sh\nhead -c 4194304 /dev/zero | tr '\\000' B; echo\n"
                + "echo 'INFO access: after the long line'\nexec sleep 60\n");
        script.toFile().setExecutable(true);
        try (SidecarUnderTest sidecar = new SidecarUnderTest(dir).with("SIDECAR_WORKER_COMMAND", script.toString())) {
            sidecar.runInForeground();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> sidecar.log().contains("worker INFO access: after the long line"));
            assertTrue(sidecar.log().contains("BBBB… [truncated "), "the long line is cut with a marker");
        }
    }

    private static void readQuietly(Socket socket) {
        try {
            socket.getInputStream().read(new byte[4096]);
        } catch (IOException e) {
            // closed or reset: the worker is done with this connection either way
        }
    }
}
