package org.openaimoodle.sidecar.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.ProcessRun;
import org.openaimoodle.sidecar.testkit.SidecarUnderTest;

/**
 * The shipped logrotate configuration, run by the real {@code /usr/sbin/logrotate} while requests
 * flow: rename, create, {@code postrotate sidecarctl reopen-logs}. Every request's access line must
 * end up in exactly one of the log files - none lost in the switch, none written twice.
 */
class LogRotationIT {

    private static final int ROTATIONS = 4;
    private static final int REQUESTS_BETWEEN_ROTATIONS = 30;
    private static final Pattern ACCESS_LINE = Pattern.compile("access: .*\\buser_id=(rot-\\d+)\\s");
    /** A line of the log: timestamp and source, or a stack trace's continuation kept with its group. */
    private static final Pattern LOG_LINE = Pattern.compile(
            "^(\\d{4}-\\d{2}-\\d{2}T\\S+ (supervisor|worker) |\\s|Caused by:|Suppressed:).*");

    @TempDir
    Path dir;

    private SidecarUnderTest sidecar;
    private ExecutorService client;

    @BeforeEach
    void startSidecar() throws Exception {
        // No upstream key needed: every /ai request still gets an answer and an access line.
        sidecar = new SidecarUnderTest(dir);
        sidecar.start();
        client = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stopEverything() throws Exception {
        client.shutdownNow();
        sidecar.close();
    }

    @Test
    void rotatingWhileRequestsFlowLosesAndDuplicatesNoAccessLine() throws Exception {
        Path config = logrotateConfig();
        AtomicInteger answered = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        Future<List<String>> requests = client.submit(() -> sendUntilStopped(running, answered));

        for (int rotation = 1; rotation <= ROTATIONS; rotation++) {
            int due = rotation * REQUESTS_BETWEEN_ROTATIONS;
            await("answered requests before rotation " + rotation).atMost(Duration.ofSeconds(60))
                    .until(() -> answered.get() >= due || requests.isDone());
            ProcessRun.Finished rotated = sidecar.command("/usr/sbin/logrotate", "-f", "-s",
                    dir.resolve("logrotate.state").toString(), config.toString());
            assertEquals(0, rotated.exitCode(), () -> "logrotate: " + rotated);
        }
        int due = (ROTATIONS + 1) * REQUESTS_BETWEEN_ROTATIONS;
        await("answered requests after the last rotation").atMost(Duration.ofSeconds(60))
                .until(() -> answered.get() >= due || requests.isDone());
        running.set(false);
        List<String> sent = requests.get();

        // The worker writes its access line before the supervisor's sink reaches the file: wait for the last.
        String last = sent.get(sent.size() - 1);
        await("access line of " + last).atMost(Duration.ofSeconds(20))
                .until(() -> countAccessLines().getOrDefault(last, 0) > 0);

        Map<String, Integer> counts = countAccessLines();
        List<String> wrong = new ArrayList<>();
        for (String userId : sent) {
            int count = counts.getOrDefault(userId, 0);
            if (count != 1) {
                wrong.add(userId + " x" + count);
            }
        }
        assertTrue(wrong.isEmpty(), () -> "access lines not present exactly once: " + wrong + " of " + sent.size()
                + " requests; files: " + logFiles());
        assertEquals(sent.size(), counts.size(), () -> "unexpected access lines: " + counts.keySet());
        assertTrue(logFiles().size() >= ROTATIONS, () -> "logrotate did not rotate " + ROTATIONS + " times: " + logFiles());
        assertTrue(logFiles().stream().anyMatch(name -> name.endsWith(".gz")), () -> "nothing compressed: " + logFiles());
    }

    /** The shipped config with this test's log file, our own user and group, and this checkout's sidecarctl. */
    private Path logrotateConfig() throws IOException, InterruptedException {
        String user = sidecar.command("id", "-un").output().strip();
        String group = sidecar.command("id", "-gn").output().strip();
        String shipped = Files.readString(Checkout.LOGROTATE_CONFIG);
        assertTrue(shipped.contains("/var/log/openai-sidecar.log") && shipped.contains("/usr/local/bin/sidecarctl")
                && shipped.contains("create 0640 openai-sidecar openai-sidecar")
                && !Pattern.compile("(?m)^\\s*copytruncate").matcher(shipped).find(),
                "the shipped logrotate config changed shape; adapt this test:\n" + shipped);
        String config = shipped.replace("/var/log/openai-sidecar.log", sidecar.logFile().toString())
                .replace("create 0640 openai-sidecar openai-sidecar", "create 0640 " + user + " " + group)
                .replace("/usr/local/bin/sidecarctl", Checkout.SIDECARCTL.toString());
        Path path = dir.resolve("logrotate.conf");
        Files.writeString(path, config);
        return path;
    }

    /** Sends identifiable /ai requests one after another; returns the user_ids of all answered ones. */
    private List<String> sendUntilStopped(AtomicBoolean running, AtomicInteger answered) throws Exception {
        List<String> sent = new ArrayList<>();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            for (int n = 1; running.get(); n++) {
                String userId = "rot-" + n;
                HttpRequest request = HttpRequest.newBuilder(URI.create(sidecar.baseUrl() + "/ai"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"action\":\"chat\",\"content\":\"hello\",\"user_id\":\"" + userId + "\"}"))
                        .build();
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), () -> userId + ": " + response.body());
                sent.add(userId);
                answered.incrementAndGet();
            }
        }
        return sent;
    }

    private List<String> logFiles() {
        String base = sidecar.logFile().getFileName().toString();
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(path -> path.getFileName().toString()).filter(name -> name.startsWith(base)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** user_id -> number of access lines across the log and its rotations (.gz read too). */
    private Map<String, Integer> countAccessLines() throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        for (String name : logFiles()) {
            Path file = dir.resolve(name);
            try (InputStream raw = Files.newInputStream(file);
                 InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                 BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (!LOG_LINE.matcher(line).matches()) {
                        throw new AssertionError(name + " has a line without timestamp and source (torn write?): " + line);
                    }
                    Matcher access = ACCESS_LINE.matcher(line);
                    if (access.find()) {
                        counts.merge(access.group(1), 1, Integer::sum);
                    }
                }
            }
        }
        return counts;
    }
}
