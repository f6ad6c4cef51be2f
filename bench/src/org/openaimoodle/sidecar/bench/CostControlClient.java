package org.openaimoodle.sidecar.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/**
 * What cost control costs per request: {@code /ai} chat through a worker with limits, cache and usage on and one
 * with all of them off, alternately, one request at a time (a slow spell of the machine hits both sides of a
 * pair, so the added time is the median of the per-pair differences); and the cost of a cache hit: the same
 * summarize again (a hit) against a summarize of new content (a miss, one upstream call) on the worker with the
 * cache on, and the same summarize through the worker without a cache. Both workers get the same requests. Prints one {@code key=value} line, times in µs.
 *
 * <p>Usage: {@code CostControlClient ON_PORT OFF_PORT WARMUP PAIRS}.
 */
public final class CostControlClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static int failures;

    private CostControlClient() {
    }

    public static void main(String[] args) throws Exception {
        URI on = URI.create("http://127.0.0.1:" + args[0] + "/ai");
        URI off = URI.create("http://127.0.0.1:" + args[1] + "/ai");
        int warmup = Integer.parseInt(args[2]);
        int pairs = Integer.parseInt(args[3]);
        // Both workers get the same requests, so that the JIT warms both alike.
        for (int i = 0; i < warmup; i++) {
            time(on, chat(i));
            time(off, chat(i));
            time(on, summarize("the same page"));
            time(off, summarize("the same page"));
            time(on, summarize("page " + i + " of the warm-up"));
            time(off, summarize("page " + i + " of the warm-up"));
        }
        failures = 0;
        long[] onTimes = new long[pairs];
        long[] offTimes = new long[pairs];
        long[] added = new long[pairs];
        long[] hits = new long[pairs];
        long[] misses = new long[pairs];
        long[] uncached = new long[pairs];
        for (int i = 0; i < pairs; i++) {
            if (i % 2 == 0) {
                onTimes[i] = time(on, chat(i));
                offTimes[i] = time(off, chat(i));
            } else {
                offTimes[i] = time(off, chat(i));
                onTimes[i] = time(on, chat(i));
            }
            added[i] = onTimes[i] - offTimes[i];
            hits[i] = time(on, summarize("the same page"));
            uncached[i] = time(off, summarize("the same page"));
            misses[i] = time(on, summarize("page " + i + " measured"));
            time(off, summarize("page " + i + " measured"));
        }
        System.out.println("pairs=" + pairs + " failures=" + failures + " off_p50_us=" + p(offTimes, 50)
                + " on_p50_us=" + p(onTimes, 50) + " off_p99_us=" + p(offTimes, 99) + " on_p99_us=" + p(onTimes, 99)
                + " added_p50_us=" + p(added, 50) + " hit_p50_us=" + p(hits, 50) + " miss_p50_us=" + p(misses, 50)
                + " hit_p99_us=" + p(hits, 99) + " miss_p99_us=" + p(misses, 99) + " uncached_p50_us="
                + p(uncached, 50) + " uncached_p99_us=" + p(uncached, 99));
    }

    private static String chat(int i) {
        return "{\"action\":\"chat\",\"content\":\"What is photosynthesis?\",\"user_id\":" + (i % 100) + "}";
    }

    private static String summarize(String content) {
        return "{\"action\":\"summarize\",\"content\":\"" + content + "\",\"user_id\":7}";
    }

    private static long time(URI uri, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        long micros = (System.nanoTime() - start) / 1000;
        if (response.statusCode() != 200 || !response.body().contains("\"success\":true")) {
            failures++;
        }
        return micros;
    }

    private static long p(long[] values, int percentile) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1)];
    }
}
