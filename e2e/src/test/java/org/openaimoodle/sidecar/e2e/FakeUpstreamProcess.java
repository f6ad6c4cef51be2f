package org.openaimoodle.sidecar.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The worker's fake Chat Completions upstream ({@code org.openaimoodle.sidecar.worker.fake.FakeUpstream},
 * from the worker's test jar) in its own JVM on a free loopback port. It answers every request with
 * "Hello from the fake upstream".
 */
final class FakeUpstreamProcess implements AutoCloseable {

    private static final Pattern READY = Pattern.compile("fake upstream on (\\S+),");

    private final Process process;
    private final String baseUrl;

    private FakeUpstreamProcess(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    /** Starts it and waits for its "fake upstream on URL" line (it prints it once it listens). */
    static FakeUpstreamProcess start() throws IOException {
        Process process = new ProcessBuilder(Checkout.java(), "-cp", Checkout.fakeUpstreamClasspath(),
                "org.openaimoodle.sidecar.worker.fake.FakeUpstream", "0")
                .redirectErrorStream(true)
                .start();
        // Bounded: readLine returns null at the latest when the process dies, and waitFor below
        // never blocks; a hang here would be the fake's own bug, caught by the test's timeout.
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = output.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher ready = READY.matcher(line);
            if (ready.find()) {
                Thread drain = new Thread(() -> output.lines().forEach(ignored -> { }), "fake-upstream-output");
                drain.setDaemon(true);
                drain.start();
                return new FakeUpstreamProcess(process, ready.group(1));
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("fake upstream did not start:\n" + seen);
    }

    /** The value for OPENAI_BASE_URL, e.g. {@code http://127.0.0.1:41234/v1}. */
    String baseUrl() {
        return baseUrl;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
