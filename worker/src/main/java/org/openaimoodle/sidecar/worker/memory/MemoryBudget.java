package org.openaimoodle.sidecar.worker.memory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one process-wide budget for what outsiders can make the HTTP worker hold: request bodies and upstream
 * answers. Without it the count bounds ({@code SIDECAR_MAX_CONCURRENT_REQUESTS} × {@code SIDECAR_MAX_BODY_BYTES},
 * or a few concurrent answers of {@code SIDECAR_MAX_UPSTREAM_REPLY_BYTES}) add up to far more than the heap.
 * Its capacity is a share of the heap ({@code SIDECAR_MEMORY_BUDGET_PERCENT} of {@code -Xmx}), so the limits
 * hold with whatever heap the worker is given.
 *
 * <p>What a byte read costs: it is charged {@link #COST_PER_BYTE} bytes, because it lives on in copies until its
 * request is answered (the bytes, the parsed text, the upstream request or the reply being written, Jackson's
 * buffers while parsing). A charge is held from before the bytes are read until the request's {@link Account}
 * is closed, i.e. after its answer is sent.
 *
 * <p>Two uses, two policies:
 * <ul>
 *   <li>a request body never waits: with no room it is refused at once (503), and it may fill only half of the
 *       budget, so that the answers of requests already admitted always find room;</li>
 *   <li>an upstream answer waits up to {@link #ANSWER_WAIT} for room (the answers ahead of it are being parsed
 *       and sent, which takes moments), then fails with {@link Exhausted}.</li>
 * </ul>
 * A declared length is reserved whole before reading. A request body without one (chunked) is reserved chunk
 * by chunk as it arrives. An answer without one reserves the bound for its read and gives back the unused
 * rest when the read ends: answers that each held part of the budget while waiting for more could wait for
 * one another until all of them failed.
 */
public final class MemoryBudget {
    /** What the bytes are; see the class comment for each one's policy. */
    public enum Use { REQUEST_BODY, UPSTREAM_ANSWER }

    /** Heap bytes charged per byte read (see the class comment; measured in BENCHMARKS.md). */
    public static final int COST_PER_BYTE = 4;
    /** Longest wait of an upstream answer for room: leaves the plugin time to fall back within its 30 s. */
    public static final Duration ANSWER_WAIT = Duration.ofSeconds(5);
    /** Reservation step for bodies of unknown length, and the read size. */
    static final int CHUNK = 64 * 1024;

    private static final ThreadLocal<Account> CURRENT = new ThreadLocal<>();
    private static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE / 4, Duration.ZERO);

    private final long capacity;
    private final Duration answerWait;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: virtual threads wait here
    private final Condition freed = lock.newCondition();
    private long used;

    MemoryBudget(long capacity, Duration answerWait) {
        this.capacity = capacity;
        this.answerWait = answerWait;
    }

    /**
     * @param percent {@code SIDECAR_MEMORY_BUDGET_PERCENT}
     * @return the budget of this process: that share of its maximum heap
     */
    public static MemoryBudget ofHeapPercent(int percent) {
        return withCapacity(Runtime.getRuntime().maxMemory() / 100 * percent);
    }

    /**
     * @param heapBytes the capacity
     * @return a budget of that many heap bytes (answers wait up to {@link #ANSWER_WAIT})
     */
    public static MemoryBudget withCapacity(long heapBytes) {
        return new MemoryBudget(heapBytes, ANSWER_WAIT);
    }

    /** @return a budget that never refuses (stdio mode answers one request at a time; unit tests) */
    public static MemoryBudget unlimited() {
        return UNLIMITED;
    }

    /**
     * The smallest share of a heap that holds one body of {@code maxBodyBytes} in its half for bodies and one
     * answer of {@code maxAnswerBytes}; below it, a request at a documented limit could never be served.
     *
     * @return a percent, possibly over 100
     */
    public static int smallestPercent(long maxHeap, int maxBodyBytes, int maxAnswerBytes) {
        long needed = Math.max(2L * maxBodyBytes, maxAnswerBytes) * COST_PER_BYTE;
        return (int) Math.min(Integer.MAX_VALUE, (needed * 100 + maxHeap - 1) / maxHeap);
    }

    /** @return the capacity, in heap bytes */
    public long capacity() {
        return capacity;
    }

    /** @return the heap bytes charged now */
    public long used() {
        lock.lock();
        try {
            return used;
        } finally {
            lock.unlock();
        }
    }

    /** @return a new account for one request; close it (finally) once the request is answered */
    public Account open() {
        return new Account();
    }

    /**
     * @return the account bound to this thread's request ({@link Account#bind()}), else one of an unlimited
     *         budget (stdio mode, code outside a request)
     */
    public static Account current() {
        Account account = CURRENT.get();
        return account != null ? account : UNLIMITED.open();
    }

    private void charge(long heapBytes, Use use) throws IOException {
        long limit = use == Use.REQUEST_BODY ? capacity / 2 : capacity;
        long waitNanos = use == Use.REQUEST_BODY || heapBytes > limit ? 0 : answerWait.toNanos();
        try {
            lock.lockInterruptibly();
            try {
                while (used + heapBytes > limit) {
                    if (waitNanos <= 0) {
                        throw new Exhausted(use);
                    }
                    waitNanos = freed.awaitNanos(waitNanos);
                }
                used += heapBytes;
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            // The upstream deadline's alarm (ExchangeWatchdog) interrupts; it clears the flag itself.
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for memory budget");
        }
    }

    private void refund(long heapBytes) {
        if (heapBytes == 0) {
            return;
        }
        lock.lock();
        try {
            used -= heapBytes;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** No room in the budget for the bytes at hand; the request is answered {@code unavailable} (503). */
    public static final class Exhausted extends IOException {
        private final transient Use use;

        Exhausted(Use use) {
            super("no memory budget left for this " + (use == Use.REQUEST_BODY ? "request body" : "upstream answer"));
            this.use = use;
        }

        /** @return what could not be taken in */
        public Use use() {
            return use;
        }
    }

    /**
     * What one request holds of the budget. Not thread-safe: one request, one thread at a time (an upstream
     * exchange may run on a thread of its own, but never while the request's thread reads).
     */
    public final class Account implements AutoCloseable {
        private long held;
        private boolean bound;

        private Account() {
        }

        /**
         * Makes this the thread's {@link #current()} account until {@link #close()}, so the upstream transport
         * charges answers to the request without every layer in between passing the account on.
         *
         * @return this account
         */
        public Account bind() {
            CURRENT.set(this);
            bound = true;
            return this;
        }

        /** @return the heap bytes this account holds */
        public long held() {
            return held;
        }

        /**
         * Reads a whole body, at most {@code maxBytes}, charging it to this account (see the class comment).
         *
         * @param in             the body
         * @param declaredLength its Content-Length, or -1 when not given (chunked)
         * @param maxBytes       the size bound
         * @param use            whose bytes these are: decides waiting and the share they may fill
         * @return the body, or null when it is (or says it is) longer than {@code maxBytes}; then nothing of it is held
         * @throws Exhausted   when the budget has no room for it; then nothing of it is held and the rest is unread
         * @throws IOException when reading fails (then nothing of it is held either)
         */
        public byte[] read(InputStream in, long declaredLength, int maxBytes, Use use) throws IOException {
            if (declaredLength > maxBytes) {
                return null;
            }
            long before = held;
            boolean kept = false;
            try {
                byte[] body;
                if (declaredLength >= 0) {
                    take(declaredLength, use);
                    body = new byte[(int) declaredLength];
                    int n = in.readNBytes(body, 0, body.length);
                    body = n == body.length ? body : Arrays.copyOf(body, n);
                } else {
                    if (use == Use.UPSTREAM_ANSWER) {
                        take(maxBytes, use);
                    }
                    body = readUnknownLength(in, maxBytes, use);
                    if (body == null) {
                        return null;
                    }
                    giveBack(held - before - (long) body.length * COST_PER_BYTE);
                }
                kept = true;
                return body;
            } finally {
                if (!kept) {
                    giveBack(held - before);
                }
            }
        }

        /** @return the bytes up to the end of input, or null when there are more than {@code maxBytes} */
        private byte[] readUnknownLength(InputStream in, int maxBytes, Use use) throws IOException {
            List<byte[]> chunks = new ArrayList<>();
            int total = 0;
            while (true) {
                int want = Math.min(CHUNK, maxBytes + 1 - total);
                if (use == Use.REQUEST_BODY) {
                    take(want, use);
                }
                byte[] chunk = new byte[want];
                int n = in.readNBytes(chunk, 0, want);
                total += n;
                if (total > maxBytes) {
                    return null;
                }
                if (n < want) {
                    chunks.add(chunk);
                    byte[] body = new byte[total];
                    int at = 0;
                    for (byte[] piece : chunks) {
                        int length = Math.min(piece.length, total - at);
                        System.arraycopy(piece, 0, body, at, length);
                        at += length;
                    }
                    return body;
                }
                chunks.add(chunk);
            }
        }

        private void take(long bytes, Use use) throws IOException {
            long heapBytes = bytes * COST_PER_BYTE;
            charge(heapBytes, use);
            held += heapBytes;
        }

        private void giveBack(long heapBytes) {
            held -= heapBytes;
            refund(heapBytes);
        }

        /** Gives back everything this account holds; unbinds it from the thread it was bound on. */
        @Override
        public void close() {
            giveBack(held);
            if (bound && CURRENT.get() == this) {
                CURRENT.remove();
            }
        }
    }
}
