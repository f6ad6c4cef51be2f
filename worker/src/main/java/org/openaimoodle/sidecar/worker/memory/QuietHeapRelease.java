package org.openaimoodle.sidecar.worker.memory;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's heap policy after load: the serial collector grows the heap for a burst (up to -Xmx) and only gives
 * memory back to the system after a full collection, which a quiet worker never runs by itself. So once a busy
 * spell is over — requests were admitted since the last release, none is in flight and none has been admitted for
 * {@link #QUIET} — one full collection runs, and the JVM shrinks the committed heap to what is live
 * (-XX:MaxHeapFreeRatio, set by shell/lib/jvm-opts.sh). An idle worker is never collected again and again: only
 * activity re-arms the release.
 *
 * <p>Not thread-safe: {@link #tick} is called by one thread only, the one {@link #start} makes.
 */
public final class QuietHeapRelease {
    /** How long the worker must have been quiet before the heap is released. */
    public static final Duration QUIET = Duration.ofSeconds(10);
    /** How often the worker's activity is looked at. */
    static final Duration TICK = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger("worker");

    private final LongSupplier admitted;
    private final IntSupplier inFlight;
    private final long quietNanos;
    private final Runnable release;
    private final LongSupplier nanoTime;
    private long lastAdmitted;
    private long lastChange;
    private boolean armed;

    /**
     * @param admitted how many requests have been admitted so far (only ever grows)
     * @param inFlight how many are in flight now
     * @param quiet    how long nothing may have been admitted before the release
     * @param release  the release (a full collection in production)
     * @param nanoTime monotonic clock
     */
    QuietHeapRelease(LongSupplier admitted, IntSupplier inFlight, Duration quiet, Runnable release,
                     LongSupplier nanoTime) {
        this.admitted = admitted;
        this.inFlight = inFlight;
        this.quietNanos = quiet.toNanos();
        this.release = release;
        this.nanoTime = nanoTime;
        this.lastAdmitted = admitted.getAsLong();
        this.lastChange = nanoTime.getAsLong();
    }

    /**
     * Starts watching on a daemon thread.
     *
     * @param admitted how many requests have been admitted so far
     * @param inFlight how many are in flight now
     */
    public static void start(LongSupplier admitted, IntSupplier inFlight) {
        QuietHeapRelease policy = new QuietHeapRelease(admitted, inFlight, QUIET, QuietHeapRelease::collect,
                System::nanoTime);
        Thread.ofPlatform().daemon().name("heap-release").stackSize(256 * 1024).start(() -> {
            try {
                while (true) {
                    Thread.sleep(TICK);
                    policy.tick();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Looks at the activity once; releases the heap when a busy spell has been over for long enough. */
    void tick() {
        long now = nanoTime.getAsLong();
        long seen = admitted.getAsLong();
        if (seen != lastAdmitted) {
            lastAdmitted = seen;
            lastChange = now;
            armed = true;
            return;
        }
        if (armed && inFlight.getAsInt() == 0 && now - lastChange >= quietNanos) {
            armed = false;
            release.run();
        }
    }

    private static void collect() {
        MemoryUsage before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        System.gc(); // serial collector: a full, compacting collection, after which the heap shrinks
        MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        LOG.debug("quiet for {} s after load: heap committed {} MB -> {} MB ({} MB in use)", QUIET.toSeconds(),
                before.getCommitted() >> 20, after.getCommitted() >> 20, after.getUsed() >> 20);
    }
}
