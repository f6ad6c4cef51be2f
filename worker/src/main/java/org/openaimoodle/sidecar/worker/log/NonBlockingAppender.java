package org.openaimoodle.sidecar.worker.log;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;

/**
 * Writes log lines to a stream from a thread of its own, so that logging never blocks a request: the
 * reader of the stream (the supervisor, through a pipe of some 64 KB) may be stopped or slow. A request
 * thread only formats its line and queues it; when the queue is full (by lines or characters) because
 * the reader has stopped, the line is dropped and counted, and once writing works again
 * {@code N log lines lost (output blocked)} is written first. While the reader keeps up nothing is lost; {@link #flush} waits (bounded) until what
 * was queued has been written, for a clean exit.
 */
final class NonBlockingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /** Lines waiting to be written. */
    static final int MAX_QUEUED_LINES = 4096;
    /** Characters waiting to be written: with capped lines, this bounds the queue's memory. */
    static final long MAX_QUEUED_CHARS = 1 << 20;
    /** A write stuck this long means the reader has stopped; also the longest a logger waits for room. */
    static final Duration STALLED = Duration.ofMillis(100);

    private final LineLayout layout;
    private final OutputStream out;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(MAX_QUEUED_LINES);
    private final AtomicLong queuedChars = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong queued = new AtomicLong();
    private final Object progress = new Object();
    private long written;
    /** {@link System#nanoTime} when the write under way began; 0 while none is. */
    private volatile long writeStartedAt;

    /**
     * @param layout formats each line
     * @param out    stdout or stderr; written by the writer thread alone
     */
    NonBlockingAppender(LineLayout layout, OutputStream out) {
        this.layout = layout;
        this.out = out;
    }

    @Override
    public void start() {
        Thread.ofPlatform().daemon().name("log-writer").start(this::writeLoop);
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        String line = layout.doLayout(event);
        if (!tryQueue(line) && !(waitForRoom(line) && tryQueue(line))) {
            lost.incrementAndGet();
        }
    }

    private boolean tryQueue(String line) {
        if (queuedChars.addAndGet(line.length()) > MAX_QUEUED_CHARS) {
            queuedChars.addAndGet(-line.length());
            return false;
        }
        // Counted before it is queued: a flush that starts after this line was logged waits for it.
        queued.incrementAndGet();
        if (!queue.offer(line)) {
            queued.decrementAndGet();
            queuedChars.addAndGet(-line.length());
            return false;
        }
        return true;
    }

    /**
     * A full queue while the writer makes progress is a burst, not a stalled reader: wait (bounded) for
     * room instead of losing lines. Once one write has been stuck for {@link #STALLED}, lines are dropped
     * at once.
     */
    private boolean waitForRoom(String line) {
        long deadline = System.nanoTime() + STALLED.toNanos();
        synchronized (progress) {
            while (queue.remainingCapacity() == 0 || queuedChars.get() + line.length() > MAX_QUEUED_CHARS) {
                long started = writeStartedAt;
                long now = System.nanoTime();
                if ((started != 0 && now - started > STALLED.toNanos()) || now - deadline >= 0) {
                    return false;
                }
                try {
                    progress.wait(Math.max(1, (deadline - now) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Waits until every line queued so far is written, or {@code budget} has passed.
     *
     * @return whether everything was written
     */
    boolean flush(Duration budget) {
        long target = queued.get();
        long deadline = System.nanoTime() + budget.toNanos();
        synchronized (progress) {
            while (written < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    progress.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /** Lines dropped since the last notice (tests). */
    long lost() {
        return lost.get();
    }

    private void writeLoop() {
        StringBuilder batch = new StringBuilder(8192);
        while (true) {
            String line;
            try {
                // With lines lost and none coming, the notice still goes out as soon as it can be written.
                line = lost.get() > 0 ? queue.poll(STALLED.toMillis(), TimeUnit.MILLISECONDS) : queue.take();
            } catch (InterruptedException e) {
                continue; // a daemon thread with no other job
            }
            batch.setLength(0);
            int lines = 0;
            while (line != null) {
                batch.append(line);
                lines++;
                line = batch.length() < 65_536 ? queue.poll() : null;
            }
            queuedChars.addAndGet(-batch.length());
            long dropped = lost.getAndSet(0);
            if (dropped > 0) {
                batch.insert(0, layout.line(System.currentTimeMillis(), Level.WARN, "log",
                        dropped + " log lines lost (output blocked)"));
            }
            if (batch.length() > 0) {
                write(batch);
            }
            synchronized (progress) {
                written += lines;
                progress.notifyAll();
            }
        }
    }

    private void write(CharSequence text) {
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        writeStartedAt = Math.max(1, System.nanoTime());
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | RuntimeException e) {
            // The reader is gone (the supervisor died): nobody is left to tell.
        } finally {
            writeStartedAt = 0;
        }
    }
}
