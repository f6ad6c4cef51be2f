package org.openaimoodle.sidecar.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.openaimoodle.sidecar.testkit.Checkout;
import org.openaimoodle.sidecar.testkit.FakeUpstream;

/**
 * The fake Chat Completions upstream ({@link FakeUpstream}) run standalone from the testkit's jar, in its own
 * JVM on a free loopback port, as bench/ and aot/train.sh run it. It answers every request with
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

    /** Starts it and waits (at most 30 s) for its "fake upstream on URL" line, printed once it listens. */
    static FakeUpstreamProcess start() throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Checkout.java(), "-jar", Checkout.testkitJar().toString(), "0")
                .redirectErrorStream(true)
                .start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        StringBuffer seen = new StringBuffer();
        // Reads the fake's output to its end (so it never blocks on a full pipe); the first
        // "fake upstream on" line completes `ready`.
        Thread reader = new Thread(() -> {
            try (BufferedReader output = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = output.readLine()) != null; ) {
                    seen.append(line).append('\n');
                    Matcher matcher = READY.matcher(line);
                    if (matcher.find()) {
                        ready.complete(matcher.group(1));
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IllegalStateException("fake upstream exited"));
        }, "fake-upstream-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new FakeUpstreamProcess(process, ready.get(30, TimeUnit.SECONDS));
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("fake upstream did not start within 30 s (" + e + "):\n" + seen, e);
        }
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
