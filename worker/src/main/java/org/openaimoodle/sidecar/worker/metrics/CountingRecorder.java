package org.openaimoodle.sidecar.worker.metrics;

import java.time.Duration;

import org.openaimoodle.sidecar.worker.usage.UsageRecord;
import org.openaimoodle.sidecar.worker.usage.UsageRecorder;

/**
 * Counts every usage record, then hands it on. {@code AccessLog.record} makes one record per answered request, so
 * this is where requests, durations and tokens are counted: no endpoint has a second call to forget.
 */
public final class CountingRecorder implements UsageRecorder {
    private final Metrics metrics;
    private final UsageRecorder next;

    /**
     * @param metrics where the requests are counted
     * @param next    where the records go after that (the usage store)
     */
    public CountingRecorder(Metrics metrics, UsageRecorder next) {
        this.metrics = metrics;
        this.next = next;
    }

    @Override
    public void record(UsageRecord record) {
        metrics.answered(record);
        next.record(record);
    }

    @Override
    public void close(Duration bound) {
        next.close(bound);
    }
}
