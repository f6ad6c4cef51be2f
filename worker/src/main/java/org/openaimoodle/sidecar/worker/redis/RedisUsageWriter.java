package org.openaimoodle.sidecar.worker.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openaimoodle.sidecar.common.redis.RedisUsageLog;
import org.openaimoodle.sidecar.worker.usage.RecordQueue;
import org.openaimoodle.sidecar.worker.usage.UsageRecord;
import org.openaimoodle.sidecar.worker.usage.UsageRecorder;

/**
 * Usage records of a node that shares Redis with the site's other nodes: appended to the site's stream
 * ({@link RedisUsageLog}) off the request path, so that {@code sidecarctl usage} on any node reports the whole
 * site and {@code usage forget} reaches every node's records. Like the SQLite writer: {@link #record} only offers
 * to a bounded queue, one daemon thread appends what has queued up in one round trip. While Redis is unreachable
 * the thread holds its batch and tries again every {@link RedisOutage#PAUSE_NANOS}; records beyond the queue are
 * dropped and counted.
 */
final class RedisUsageWriter implements UsageRecorder {

    private final RedisUsageLog log;
    private final int retentionDays;
    private final RedisOutage outage;
    private final RecordQueue queue = new RecordQueue();
    private final Thread thread;

    /**
     * @param log           the site's usage stream
     * @param retentionDays SIDECAR_USAGE_RETENTION_DAYS: older entries are trimmed as records are added
     * @param outage        where failures are counted and logged
     */
    RedisUsageWriter(RedisUsageLog log, int retentionDays, RedisOutage outage) {
        this.log = log;
        this.retentionDays = retentionDays;
        this.outage = outage;
        this.thread = Thread.ofPlatform().daemon().name("usage-redis").unstarted(this::run);
        thread.start();
    }

    @Override
    public void record(UsageRecord record) {
        queue.offer(record);
    }

    @Override
    public void close(Duration bound) {
        queue.close(thread, bound);
    }

    /** @return records dropped because the queue was full */
    long droppedRecords() {
        return queue.dropped();
    }

    /** @return records not stored: dropped because the queue was full (a failed write is retried, not dropped) */
    @Override
    public long unstoredRecords() {
        return queue.dropped();
    }

    private void run() {
        List<UsageRecord> batch = new ArrayList<>(RecordQueue.MAX_BATCH);
        boolean end = false;
        while (!end) {
            try {
                end = queue.nextBatch(batch, null);
            } catch (InterruptedException e) {
                return;
            }
            if (!batch.isEmpty() && !append(batch)) {
                return;
            }
            batch.clear();
        }
    }

    /** @return false when interrupted before the batch could be appended */
    private boolean append(List<UsageRecord> batch) {
        List<Map<String, String>> fields = new ArrayList<>(batch.size());
        for (UsageRecord r : batch) {
            fields.add(RedisUsageLog.fields(r.timeMs(), r.user(), r.endpoint(), r.action(), r.model(),
                    r.promptTokens(), r.completionTokens(), r.cached(), r.code(), r.durationMs()));
        }
        while (true) {
            if (!outage.paused()) {
                try {
                    log.append(fields, retentionDays);
                    return true;
                } catch (RuntimeException e) {
                    outage.failed("usage", e);
                }
            }
            try {
                TimeUnit.NANOSECONDS.sleep(RedisOutage.PAUSE_NANOS);
            } catch (InterruptedException e) {
                return false;
            }
        }
    }
}
