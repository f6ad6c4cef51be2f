package org.openaimoodle.sidecar.worker.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.openaimoodle.sidecar.worker.usage.UsageRecord;

/** {@link Metrics} that keeps what it was told, in order, for the unit tests of the counting places. */
public final class RecordingMetrics implements Metrics {
    /** Everything counted so far: {@link UsageRecord}s and the enum values. */
    public final List<Object> counted = new CopyOnWriteArrayList<>();

    @Override
    public void answered(UsageRecord request) {
        counted.add(request);
    }

    @Override
    public void upstreamAttempt(Attempt outcome) {
        counted.add(outcome);
    }

    @Override
    public void cacheLookup(CacheLookup result) {
        counted.add(result);
    }

    @Override
    public void limitRefused(Limit limit) {
        counted.add(limit);
    }

    /** @return how often {@code value} was counted */
    public long count(Object value) {
        return counted.stream().filter(value::equals).count();
    }
}
