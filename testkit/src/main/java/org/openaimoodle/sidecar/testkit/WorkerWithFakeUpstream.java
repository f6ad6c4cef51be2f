package org.openaimoodle.sidecar.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The fixture of most worker ITs, as a JUnit extension: one {@link FakeUpstream} and one worker in HTTP mode
 * ({@link WorkerUnderTest}) configured against it with {@link TestKeys#API_KEY}, started once per test class;
 * the upstream forgets its script and what it received before each test. Register it in a static field:
 * <pre>{@code
 * @RegisterExtension
 * static final WorkerWithFakeUpstream fixture = new WorkerWithFakeUpstream(Map.of("SIDECAR_REQUEST_TIMEOUT", "3"));
 * }</pre>
 */
public final class WorkerWithFakeUpstream implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {
    private final Function<FakeUpstream, Map<String, String>> settings;
    private FakeUpstream upstream;
    private WorkerUnderTest worker;
    private Path dir;

    /** @param settings the worker's settings besides the fake key and the upstream's base URL */
    public WorkerWithFakeUpstream(Map<String, String> settings) {
        this(upstream -> settings);
    }

    /**
     * @param settings the worker's settings, given the started upstream; they may replace the defaults
     *                 ({@code OPENAI_API_KEY}, {@code OPENAI_BASE_URL})
     */
    public WorkerWithFakeUpstream(Function<FakeUpstream, Map<String, String>> settings) {
        this.settings = settings;
    }

    /** @return the fake upstream (started in {@code @BeforeAll}) */
    public FakeUpstream upstream() {
        return upstream;
    }

    /** @return the worker (healthy once {@code @BeforeAll} is done) */
    public WorkerUnderTest worker() {
        return worker;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("worker-it");
        upstream = FakeUpstream.start();
        Map<String, String> env = new HashMap<>();
        env.put("OPENAI_API_KEY", TestKeys.API_KEY);
        env.put("OPENAI_BASE_URL", upstream.baseUrl());
        env.putAll(settings.apply(upstream));
        worker = WorkerUnderTest.startHttp(dir, env, false);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        upstream.reset();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException, IOException {
        try {
            if (worker != null) {
                worker.close();
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (UncheckedIOException e) {
                // a leftover temp file is no test failure
            }
        }
    }
}
