package org.openaimoodle.sidecar.worker.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.metrics.RecordingMetrics;
import org.openaimoodle.sidecar.worker.upstream.UpstreamException;

class ReplyCacheTest {
    record Text(String text) implements ReplyCache.Sized {
        @Override
        public long bytes() {
            return text.length();
        }
    }

    static final CacheKey KEY = CacheKey.of("ai").text("summarize").build();
    final ReplyCache cache = new ReplyCache(Duration.ofHours(1), 100, 1_000_000);
    final AtomicInteger calls = new AtomicInteger();

    Call<Text> call(String text) {
        return () -> {
            calls.incrementAndGet();
            return new Text(text);
        };
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aStoredReplyIsServedWithoutACall() throws Exception {
        Served<Text> first = cache.get(KEY, call("a"), reply -> true);
        Served<Text> second = cache.get(KEY, call("b"), reply -> true);
        assertFalse(first.cached());
        assertTrue(second.cached());
        assertEquals("a", second.value().text());
        assertEquals(1, calls.get());
    }

    @Test
    void aReplyNotKeptAndAFailureAreNotStored() throws Exception {
        cache.get(KEY, call("failed"), reply -> false);
        assertThrows(UpstreamException.class, () -> cache.get(KEY, () -> {
            calls.incrementAndGet();
            throw new UpstreamException(UpstreamException.Kind.ERROR, "boom", 1);
        }, reply -> true));
        Served<Text> third = cache.get(KEY, call("ok"), reply -> true);
        assertFalse(third.cached());
        assertEquals(3, calls.get());
    }

    @Test
    void identicalRequestsInFlightShareOneCall() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Call<Text> slow = () -> {
            calls.incrementAndGet();
            await(release);
            return new Text("shared");
        };
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Served<Text>>> replies = new ArrayList<>();
            replies.add(pool.submit(() -> cache.get(KEY, slow, reply -> true)));
            while (calls.get() == 0) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < 19; i++) {
                replies.add(pool.submit(() -> cache.get(KEY, slow, reply -> true)));
            }
            release.countDown();
            int cached = 0;
            for (Future<Served<Text>> reply : replies) {
                assertEquals("shared", reply.get(10, TimeUnit.SECONDS).value().text());
                cached += reply.get().cached() ? 1 : 0;
            }
            assertEquals(1, calls.get());
            assertEquals(19, cached);
        }
    }

    @Test
    void lookupsAreCountedAsMissHitAndCoalesced() throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        ReplyCache counted = new ReplyCache(Duration.ofHours(1), 100, 1_000_000, metrics);
        CountDownLatch release = new CountDownLatch(1);
        Call<Text> slow = () -> {
            calls.incrementAndGet();
            await(release);
            return new Text("shared");
        };
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Served<Text>>> replies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                replies.add(pool.submit(() -> counted.get(KEY, slow, reply -> true)));
            }
            while (metrics.counted.size() < 4) { // all four looked up while the call is held
                Thread.onSpinWait();
            }
            release.countDown();
            for (Future<Served<Text>> reply : replies) {
                reply.get(10, TimeUnit.SECONDS);
            }
        }
        counted.get(KEY, call("not called"), reply -> true);
        assertEquals(1, metrics.count(Metrics.CacheLookup.MISS));
        assertEquals(3, metrics.count(Metrics.CacheLookup.COALESCED));
        assertEquals(1, metrics.count(Metrics.CacheLookup.HIT));
        assertEquals(1, calls.get());
        // The path of a request limited in tokens asks for a stored reply first: that is a hit too, and a key with
        // nothing stored is counted by the get that follows, not twice.
        assertTrue(counted.stored(KEY).isPresent());
        assertEquals(2, metrics.count(Metrics.CacheLookup.HIT));
        assertTrue(counted.stored(CacheKey.of("ai").text("analyze").build()).isEmpty());
        assertEquals(2, metrics.count(Metrics.CacheLookup.HIT));
        assertEquals(1, metrics.count(Metrics.CacheLookup.MISS));
    }

    @Test
    void waitersOfAFailedCallGetItsFailure() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        UpstreamException failure = new UpstreamException(UpstreamException.Kind.TIMEOUT, "slow", 1);
        Call<Text> failing = () -> {
            calls.incrementAndGet();
            await(release);
            throw failure;
        };
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Served<Text>> first = pool.submit(() -> cache.get(KEY, failing, reply -> true));
            while (calls.get() == 0) {
                Thread.onSpinWait();
            }
            Future<Served<Text>> second = pool.submit(() -> cache.get(KEY, failing, reply -> true));
            // The second either waits for the first's call or, arriving after it failed, runs its own: same failure.
            release.countDown();
            for (Future<Served<Text>> reply : List.of(first, second)) {
                Exception e = assertThrows(Exception.class, () -> reply.get(10, TimeUnit.SECONDS));
                assertSame(failure, e.getCause());
            }
        }
    }

    @Test
    void theWeightBoundsEntriesAndBytesAtOnce() {
        assertEquals(1, ReplyCache.weight(10, 100, 1_000_000)); // small: one entry
        assertEquals(100, ReplyCache.weight(1_000_000, 100, 1_000_000)); // the whole byte bound
        assertEquals(11, ReplyCache.weight(100_001, 100, 1_000_000)); // rounded up
        assertEquals(Integer.MAX_VALUE, ReplyCache.weight(Long.MAX_VALUE / 2, 1_000_000, 1));
    }
}
