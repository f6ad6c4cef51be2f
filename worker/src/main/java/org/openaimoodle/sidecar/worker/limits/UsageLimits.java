package org.openaimoodle.sidecar.worker.limits;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import org.openaimoodle.sidecar.worker.metrics.Metrics;
import org.openaimoodle.sidecar.worker.metrics.Metrics.Limit;

/**
 * The four usage limits of one node ({@code SIDECAR_LIMIT_USER_REQUESTS}, {@code …_USER_TOKENS},
 * {@code …_SITE_REQUESTS}, {@code …_SITE_TOKENS}) as Bucket4j token buckets with greedy refill. Request limits
 * take one from their bucket when a request is admitted; token limits only refuse when nothing is left, and are
 * charged with the reply's tokens afterwards, so one request may overdraw them by its own tokens (the bucket goes
 * below zero and the next request waits until it is positive again).
 *
 * <p>Per-user buckets live in a map bounded to {@link #MAX_USERS} users; a user whose buckets were not touched
 * for the longest period of the user limits is dropped (those buckets would be full again anyway). Beyond the
 * bound one user is dropped for each new one and starts again with full buckets; which one is Caffeine's size
 * policy (frequency and recency: often a user seen once, lately), not strictly the least recently seen. The
 * site limits still count every request.
 */
public final class UsageLimits {
    /** Per-user bucket pairs held at most (a pair is a few hundred bytes). */
    public static final int MAX_USERS = 100_000;

    private final Optional<LimitSpec> userRequests;
    private final Optional<LimitSpec> userTokens;
    private final Optional<LimitSpec> siteRequests;
    private final Optional<LimitSpec> siteTokens;
    private final ReplayClock clock;
    private final Buckets buckets;
    private Bucket siteRequestBucket; // replaced once by replay(), before the first request
    private Bucket siteTokenBucket;
    private final Cache<String, UserBuckets> users;
    private final Metrics metrics;

    private record UserBuckets(Bucket requests, Bucket tokens) {
    }

    /**
     * Where a limit's bucket lives: in this process (the default), or in Redis, shared by every node
     * ({@code RedisBuckets}). The arithmetic is Bucket4j's either way.
     */
    public interface Buckets {
        /**
         * @param name  which bucket: {@code site:requests}, {@code site:tokens}, {@code user:requests:42},
         *              {@code user:tokens:42}
         * @param spec  its limit
         * @param clock the local buckets' clock
         * @return the bucket, full when it is new
         */
        Bucket bucket(String name, LimitSpec spec, TimeMeter clock);
    }

    /** Buckets in this process. */
    static final Buckets LOCAL = (name, spec, clock) -> Bucket.builder()
            .addLimit(limit -> limit.capacity(spec.amount()).refillGreedy(spec.amount(), spec.period()))
            .withCustomTimePrecision(clock)
            .build();

    /**
     * One request a previous run of the worker served, as the usage store keeps it, for {@link #replay}.
     *
     * @param ageNanos how long ago it was answered
     * @param user     the identity it was counted under
     * @param tokens   its prompt + completion tokens (0 for a cached reply: token limits did not count it)
     */
    public record Past(long ageNanos, String user, long tokens) {
    }

    /**
     * The buckets' clock; while {@link #replay} runs, pinned to the time of the record it replays. Past records are
     * older than the clock's present, and the present is read again once the replay ends, so time never goes back
     * for a bucket.
     */
    private static final class ReplayClock implements TimeMeter {
        private final TimeMeter live;
        private boolean pinned;
        private long pinnedNanos;

        ReplayClock(TimeMeter live) {
            this.live = live;
        }

        @Override
        public long currentTimeNanos() {
            return pinned ? pinnedNanos : live.currentTimeNanos();
        }

        @Override
        public boolean isWallClockBased() {
            return live.isWallClockBased();
        }
    }

    /**
     * @param userRequests requests per user, or empty
     * @param userTokens   tokens per user, or empty
     * @param siteRequests requests of all users together, or empty
     * @param siteTokens   tokens of all users together, or empty
     * @param clock        the buckets' clock ({@link TimeMeter#SYSTEM_NANOTIME} in production, a fake one in tests)
     */
    public UsageLimits(Optional<LimitSpec> userRequests, Optional<LimitSpec> userTokens,
                       Optional<LimitSpec> siteRequests, Optional<LimitSpec> siteTokens, TimeMeter clock) {
        this(userRequests, userTokens, siteRequests, siteTokens, clock, LOCAL, Metrics.NONE);
    }

    /**
     * @param userRequests requests per user, or empty
     * @param userTokens   tokens per user, or empty
     * @param siteRequests requests of all users together, or empty
     * @param siteTokens   tokens of all users together, or empty
     * @param clock        the local buckets' clock
     * @param metrics      where refusals are counted, by their limit
     */
    public UsageLimits(Optional<LimitSpec> userRequests, Optional<LimitSpec> userTokens,
                       Optional<LimitSpec> siteRequests, Optional<LimitSpec> siteTokens, TimeMeter clock,
                       Metrics metrics) {
        this(userRequests, userTokens, siteRequests, siteTokens, clock, LOCAL, metrics);
    }

    /**
     * @param userRequests requests per user, or empty
     * @param userTokens   tokens per user, or empty
     * @param siteRequests requests of all users together, or empty
     * @param siteTokens   tokens of all users together, or empty
     * @param clock        the local buckets' clock
     * @param buckets      where the buckets live
     * @param metrics      where refusals are counted, by their limit
     */
    public UsageLimits(Optional<LimitSpec> userRequests, Optional<LimitSpec> userTokens,
                       Optional<LimitSpec> siteRequests, Optional<LimitSpec> siteTokens, TimeMeter clock,
                       Buckets buckets, Metrics metrics) {
        this.buckets = buckets;
        this.metrics = metrics;
        this.userRequests = userRequests;
        this.userTokens = userTokens;
        this.siteRequests = siteRequests;
        this.siteTokens = siteTokens;
        this.clock = new ReplayClock(clock);
        this.siteRequestBucket = siteRequests.map(spec -> bucket("site:requests", spec)).orElse(null);
        this.siteTokenBucket = siteTokens.map(spec -> bucket("site:tokens", spec)).orElse(null);
        Duration longest = Stream.of(userRequests, userTokens).flatMap(Optional::stream).map(LimitSpec::period)
                .max(Duration::compareTo).orElse(null);
        // Evictions on the calling thread (not the common pool): the bound holds when admit returns.
        this.users = longest == null ? null : Caffeine.newBuilder().maximumSize(MAX_USERS)
                .expireAfterAccess(longest).executor(Runnable::run).build();
    }

    /** @return the longest period of the configured limits (how far back {@link #replay} needs), or zero */
    public Duration window() {
        return Stream.of(userRequests, userTokens, siteRequests, siteTokens).flatMap(Optional::stream)
                .map(LimitSpec::period).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /**
     * Rebuilds the buckets from what earlier runs served (a restart must not give every user full buckets): each
     * record, oldest first, takes one from the request limits and charges its tokens to the token limits, with the
     * same token-bucket arithmetic as a live request, at the time it was answered. Only before the first request
     * is admitted: the buckets' clock is pinned meanwhile. Users beyond {@link #MAX_USERS} are bounded as live.
     *
     * @param past the records of the last {@link #window()}, oldest first
     * @return how many were replayed
     */
    public synchronized long replay(Iterable<Past> past) {
        if (!any()) {
            return 0;
        }
        long now = clock.live.currentTimeNanos();
        long replayed = 0;
        clock.pinned = true;
        try {
            // The site's buckets start full at the window's start; a user's when its first record comes.
            clock.pinnedNanos = now - window().toNanos();
            siteRequestBucket = siteRequests.map(spec -> bucket("site:requests", spec)).orElse(null);
            siteTokenBucket = siteTokens.map(spec -> bucket("site:tokens", spec)).orElse(null);
            for (Past record : past) {
                clock.pinnedNanos = now - Math.max(0, record.ageNanos());
                UserBuckets mine = mine(record.user());
                if (mine != null && mine.requests() != null) {
                    mine.requests().tryConsume(1);
                }
                if (siteRequestBucket != null) {
                    siteRequestBucket.tryConsume(1);
                }
                if (record.tokens() > 0) {
                    if (mine != null && mine.tokens() != null) {
                        mine.tokens().consumeIgnoringRateLimits(record.tokens());
                    }
                    if (siteTokenBucket != null) {
                        siteTokenBucket.consumeIgnoringRateLimits(record.tokens());
                    }
                }
                replayed++;
            }
        } finally {
            clock.pinned = false;
        }
        return replayed;
    }

    /** @return how many users have buckets now (at most {@link #MAX_USERS}) */
    long trackedUsers() {
        if (users == null) {
            return 0;
        }
        users.cleanUp();
        return users.estimatedSize();
    }

    /** @return whether any limit is configured */
    public boolean any() {
        return users != null || siteRequestBucket != null || siteTokenBucket != null;
    }

    /**
     * Admits one request of {@code user}: refuses it when a token limit has nothing left or a request limit is
     * used up; otherwise takes one from each request limit.
     *
     * @param user the identity ({@code anonymous} when the request names none)
     * @throws QuotaExceeded saying which limit and when to try again
     */
    public void admit(String user) throws QuotaExceeded {
        requireTokens(user);
        takeRequests(user);
    }

    /**
     * Refuses a request of {@code user} when a token limit (the user's or the site's) has nothing left.
     *
     * @param user the identity
     * @throws QuotaExceeded saying which limit and when to try again
     */
    public void requireTokens(String user) throws QuotaExceeded {
        UserBuckets mine = mine(user);
        requireTokensLeft(mine == null ? null : mine.tokens(),
                Limit.USER_TOKENS, () -> "your tokens (" + userTokens.orElseThrow().shown() + ")");
        requireTokensLeft(siteTokenBucket, Limit.SITE_TOKENS, () -> "the site's tokens (" + siteTokens.orElseThrow().shown() + ")");
    }

    /**
     * Takes one from each request limit (the user's and the site's), or from neither.
     *
     * @param user the identity
     * @throws QuotaExceeded saying which limit and when to try again
     */
    public void takeRequests(String user) throws QuotaExceeded {
        UserBuckets mine = mine(user);
        Bucket myRequests = mine == null ? null : mine.requests();
        take(myRequests, Limit.USER_REQUESTS, () -> "your requests (" + userRequests.orElseThrow().shown() + ")");
        try {
            take(siteRequestBucket, Limit.SITE_REQUESTS, () -> "the site's requests (" + siteRequests.orElseThrow().shown() + ")");
        } catch (QuotaExceeded e) {
            if (myRequests != null) {
                myRequests.addTokens(1); // this request was not served: give the user's one back
            }
            throw e;
        }
    }

    /** Gives back the one {@link #takeRequests} took, for a request refused afterwards by a token limit. */
    public void refundRequests(String user) {
        UserBuckets mine = users == null ? null : users.getIfPresent(user);
        if (mine != null && mine.requests() != null) {
            mine.requests().addTokens(1);
        }
        if (siteRequestBucket != null) {
            siteRequestBucket.addTokens(1);
        }
    }

    private UserBuckets mine(String user) {
        return users == null ? null : users.get(user, key -> new UserBuckets(
                userRequests.map(spec -> bucket("user:requests:" + key, spec)).orElse(null),
                userTokens.map(spec -> bucket("user:tokens:" + key, spec)).orElse(null)));
    }

    /**
     * Charges the tokens a served request cost to the token limits, even beyond what is left.
     *
     * @param user   the identity the request was admitted with
     * @param tokens the reply's total tokens; nothing is charged for zero or unknown (negative)
     */
    public void charge(String user, long tokens) {
        if (tokens <= 0) {
            return;
        }
        UserBuckets mine = users == null ? null : users.getIfPresent(user);
        if (mine != null && mine.tokens() != null) {
            mine.tokens().consumeIgnoringRateLimits(tokens);
        }
        if (siteTokenBucket != null) {
            siteTokenBucket.consumeIgnoringRateLimits(tokens);
        }
    }

    private Bucket bucket(String name, LimitSpec spec) {
        return buckets.bucket(name, spec, clock);
    }

    private void requireTokensLeft(Bucket bucket, Limit limit, java.util.function.Supplier<String> which)
            throws QuotaExceeded {
        if (bucket == null) {
            return;
        }
        EstimationProbe probe = bucket.estimateAbilityToConsume(1);
        if (!probe.canBeConsumed()) {
            metrics.limitRefused(limit);
            throw new QuotaExceeded(which.get(), Duration.ofNanos(probe.getNanosToWaitForRefill()));
        }
    }

    private void take(Bucket bucket, Limit limit, java.util.function.Supplier<String> which) throws QuotaExceeded {
        if (bucket == null) {
            return;
        }
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            metrics.limitRefused(limit);
            throw new QuotaExceeded(which.get(), Duration.ofNanos(probe.getNanosToWaitForRefill()));
        }
    }
}
