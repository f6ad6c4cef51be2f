package org.openaimoodle.sidecar.worker.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.worker.memory.MemoryBudget.Use;

/** The budget's accounting and its two policies, without sockets or sleeps. */
class MemoryBudgetTest {
    static final int COST = MemoryBudget.COST_PER_BYTE;
    /** Room for 100 KiB read: bodies may fill 50 KiB of it. */
    static final long CAPACITY = 100 * 1024 * COST;

    static InputStream bytes(int n) {
        return new ByteArrayInputStream(new byte[n]);
    }

    @Test
    void aBodyOfKnownLengthIsChargedWholeUntilItsAccountCloses() throws IOException {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ZERO);
        try (MemoryBudget.Account account = budget.open()) {
            assertEquals(30_000, account.read(bytes(30_000), 30_000, 40_000, Use.REQUEST_BODY).length);
            assertEquals(30_000L * COST, account.held());
            assertEquals(30_000L * COST, budget.used());
        }
        assertEquals(0, budget.used());
    }

    @Test
    void aChunkedBodyIsChargedByTheBytesActuallyRead() throws IOException {
        MemoryBudget budget = new MemoryBudget(1000L * 1024 * COST, Duration.ZERO);
        try (MemoryBudget.Account account = budget.open()) {
            byte[] body = new byte[200_001];
            body[200_000] = 7;
            assertArrayEquals(body, account.read(new ByteArrayInputStream(body), -1, 300_000, Use.REQUEST_BODY));
            assertEquals(200_001L * COST, budget.used());
        }
        assertEquals(0, budget.used());
    }

    @Test
    void bodiesFillOnlyHalfAndOneWithoutRoomIsRefusedHoldingNothing() throws IOException {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ofDays(1));
        try (MemoryBudget.Account first = budget.open(); MemoryBudget.Account second = budget.open()) {
            first.read(bytes(40 * 1024), 40 * 1024, 64 * 1024, Use.REQUEST_BODY);
            // known length: refused before reading, at once although answers would wait a day
            assertThrows(MemoryBudget.Exhausted.class,
                    () -> second.read(bytes(20 * 1024), 20 * 1024, 64 * 1024, Use.REQUEST_BODY));
            // unknown length: refused at the chunk that no longer fits, and what it had is given back
            assertThrows(MemoryBudget.Exhausted.class,
                    () -> second.read(bytes(20 * 1024), -1, 64 * 1024, Use.REQUEST_BODY));
            assertEquals(0, second.held());
            assertEquals(40L * 1024 * COST, budget.used());
            // the upper half is the answers'
            assertNotNull(second.read(bytes(50 * 1024), 50 * 1024, 64 * 1024, Use.UPSTREAM_ANSWER));
        }
        assertEquals(0, budget.used());
    }

    @Test
    void overTheLimitIsNullAndHoldsNothing() throws IOException {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ZERO);
        try (MemoryBudget.Account account = budget.open()) {
            assertNull(account.read(bytes(2000), 2000, 1999, Use.REQUEST_BODY));
            assertNull(account.read(bytes(2000), -1, 1999, Use.REQUEST_BODY));
            assertNull(account.read(bytes(2000), -1, 1999, Use.UPSTREAM_ANSWER));
            assertEquals(1999, account.read(bytes(1999), -1, 1999, Use.UPSTREAM_ANSWER).length);
            assertEquals(1999L * COST, budget.used());
        }
    }

    @Test
    void anAnswerOfUnknownLengthReservesTheBoundForItsReadAndKeepsWhatItRead() throws IOException {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ZERO);
        try (MemoryBudget.Account account = budget.open()) {
            assertEquals(10, account.read(bytes(10), -1, 80 * 1024, Use.UPSTREAM_ANSWER).length);
            assertEquals(10L * COST, budget.used());
            // a bound that does not fit what is left is refused even if the answer would be small
            assertThrows(MemoryBudget.Exhausted.class, () -> account.read(bytes(10), -1, 100 * 1024,
                    Use.UPSTREAM_ANSWER));
            assertEquals(10L * COST, budget.used());
        }
    }

    @Test
    void anAnswerWaitsForRoomThatAnotherRequestGivesBack() throws Exception {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ofSeconds(30));
        MemoryBudget.Account first = budget.open();
        first.read(bytes(90 * 1024), 90 * 1024, 100 * 1024, Use.UPSTREAM_ANSWER);
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> {
            try (MemoryBudget.Account second = budget.open()) {
                return second.read(bytes(50 * 1024), 50 * 1024, 100 * 1024, Use.UPSTREAM_ANSWER);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThrows(java.util.concurrent.TimeoutException.class, () -> waiting.get(200, TimeUnit.MILLISECONDS));
        first.close();
        assertEquals(50 * 1024, waiting.get(10, TimeUnit.SECONDS).length);
        assertEquals(0, budget.used());
    }

    @Test
    void aWaitingAnswerGivesUpAtItsDeadlinesInterrupt() throws Exception {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ofDays(1));
        MemoryBudget.Account full = budget.open();
        full.read(bytes(100 * 1024), 100 * 1024, 100 * 1024, Use.UPSTREAM_ANSWER);
        Thread.currentThread().interrupt();
        try (MemoryBudget.Account account = budget.open()) {
            assertThrows(InterruptedIOException.class, () -> account.read(bytes(1), 1, 10, Use.UPSTREAM_ANSWER));
            assertTrue(Thread.interrupted(), "the interrupt is kept for the deadline's watchdog");
        }
        full.close();
    }

    @Test
    void theBoundAccountIsTheThreadsCurrentOneUntilClosed() throws IOException {
        MemoryBudget budget = new MemoryBudget(CAPACITY, Duration.ZERO);
        MemoryBudget.current().read(bytes(1000), 1000, 1000, Use.UPSTREAM_ANSWER); // unbound: unlimited
        assertEquals(0, budget.used());
        MemoryBudget.Account bound;
        try (MemoryBudget.Account account = budget.open().bind()) {
            bound = account;
            assertSame(account, MemoryBudget.current());
            MemoryBudget.current().read(bytes(100), -1, 1000, Use.UPSTREAM_ANSWER);
            assertEquals(100L * COST, budget.used());
        }
        assertEquals(0, budget.used());
        assertNotSame(bound, MemoryBudget.current());
    }

    @Test
    void theSmallestShareHoldsOneLargestBodyInHalfAndOneLargestAnswer() {
        long heap = 100L << 20;
        // 1 MiB body → 2 MiB × 4 of the whole; 4 MiB answer → 16 MiB: 16 % of 100 MiB
        assertEquals(16, MemoryBudget.smallestPercent(heap, 1 << 20, 4 << 20));
        assertEquals(32, MemoryBudget.smallestPercent(heap, 4 << 20, 1 << 20));
        assertEquals(1, MemoryBudget.smallestPercent(heap, 1024, 1024));
        assertTrue(MemoryBudget.ofHeapPercent(40).capacity() <= Runtime.getRuntime().maxMemory() * 40 / 100);
    }
}
