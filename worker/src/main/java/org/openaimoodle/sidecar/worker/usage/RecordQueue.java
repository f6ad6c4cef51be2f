package org.openaimoodle.sidecar.worker.usage;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded hand-over between the request path and a usage writer's one thread (the SQLite store's, the Redis
 * stream's): {@link #offer} never blocks and drops (and counts) a record when the queue is full; the writer takes
 * batches with {@link #nextBatch}; {@link #close} ends the writer after what is queued, within a bound.
 */
public final class RecordQueue {
    /** Records waiting for the writer at most. */
    public static final int CAPACITY = 10_000;
    /** Records a batch takes at most. */
    public static final int MAX_BATCH = 500;
    private static final UsageRecord END = new UsageRecord(0, "", "", "", "", 0, 0, false, "", 0);

    private final BlockingQueue<UsageRecord> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();

    /** @param record one answered request; dropped and counted when the queue is full */
    public void offer(UsageRecord record) {
        if (!queue.offer(record)) {
            dropped.incrementAndGet();
        }
    }

    /** @return records dropped because the queue was full */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Moves the next records into {@code batch} (at most {@link #MAX_BATCH}).
     *
     * @param batch where the records go; left empty when nothing came within {@code wait}
     * @param wait  how long to wait for the first record; null waits until one comes
     * @return true when the end marker of {@link #close} was among them: the writer stops after this batch
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean nextBatch(List<UsageRecord> batch, Duration wait) throws InterruptedException {
        UsageRecord first = wait == null ? queue.take() : queue.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null) {
            return false;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        return batch.remove(END);
    }

    /**
     * Ends {@code writer} after what is queued: a full queue makes room as the writer works, so the end marker waits
     * for it within the bound (it is no record to drop), then the writer is given what is left of the bound.
     *
     * @param writer the thread that takes the batches
     * @param bound  longest wait in all
     */
    public void close(Thread writer, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        try {
            if (queue.offer(END, bound.toNanos(), TimeUnit.NANOSECONDS)) {
                writer.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
