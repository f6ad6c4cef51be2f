package org.openaimoodle.sidecar.worker.usage;

import java.time.Duration;

/** Where usage records go. {@link #record} never blocks and never throws: accounting must not touch a reply. */
public interface UsageRecorder {
    /** Records nothing (tests, and the time before the worker installs its store). */
    UsageRecorder NONE = new UsageRecorder() {
        @Override
        public void record(UsageRecord record) {
        }

        @Override
        public void close(Duration bound) {
        }
    };

    /** @param record one answered request; dropped (and counted) when it cannot be kept */
    void record(UsageRecord record);

    /** @return records handed to {@link #record} that were not stored: failed or dropped ({@code /metrics}) */
    default long unstoredRecords() {
        return 0;
    }

    /**
     * Writes what is pending, waiting at most {@code bound}, then stops.
     *
     * @param bound longest wait
     */
    void close(Duration bound);
}
